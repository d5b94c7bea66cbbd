#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every tool has a man page naming each of its long options, a --help with an
# example, a README line, and completion scripts that parse.
source "$HEMERA_SRC/tests/cli/lib.sh"

tools=()
for exe in "$HEMERA_BIN"/hemera-*; do
  [[ -x $exe && -f $HEMERA_SRC/tools/$(basename "$exe").cpp ]] && tools+=("$(basename "$exe")")
done
((${#tools[@]} >= 3)) || fail "found only ${#tools[@]} tools in $HEMERA_BIN"

for tool in "${tools[@]}"; do
  scd="$HEMERA_SRC/man/$tool.1.scd"
  [[ -f $scd ]] || fail "$tool has no man page ($scd)"
  [[ -f $HEMERA_BUILD/man/$tool.1 ]] || fail "$tool.1 was not built"
  grep -q "^$tool(1)" "$scd" || fail "$scd does not start with its title"
  "$tool" --generate-completion options | sort -u >opts
  while read -r opt; do
    [[ $opt == --help || $opt == --version ]] && continue
    grep -qF -- "$opt*" "$scd" "$HEMERA_SRC"/man/common/*.scd ||
      fail "$tool: option $opt is missing from its man page"
  done <opts
  expect_exit 0 "$tool" --help
  expect_out "Examples:"
  expect_out "  $tool "
  grep -qF -- "$tool" "$HEMERA_SRC/README.md" || fail "$tool has no README line"
  for sh in bash zsh fish; do
    expect_exit 0 "$tool" --generate-completion "$sh"
  done
  bash -n "$HEMERA_BUILD/completions/bash/$tool" || fail "$tool: bash completion does not parse"
  # The bash completion offers the tool's options.
  out=$(bash -c "source '$HEMERA_BUILD/completions/bash/$tool'; COMP_WORDS=($tool --); COMP_CWORD=1; _${tool//-/_}; printf '%s\n' \"\${COMPREPLY[@]}\"")
  grep -qx -- "--json" <<<"$out" || fail "$tool: bash completion does not offer --json"
  if command -v zsh >/dev/null; then zsh -n "$HEMERA_BUILD/completions/zsh/_$tool" || fail "$tool: zsh completion"; fi
  if command -v fish >/dev/null; then fish -n "$HEMERA_BUILD/completions/fish/$tool.fish" || fail "$tool: fish completion"; fi
  pass "$tool docs"
done
