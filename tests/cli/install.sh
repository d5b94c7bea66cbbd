#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cmake --install puts libraries, headers, tools, man pages and completions in
# the GNUInstallDirs places, and the installed tools run from the prefix.
source "$HEMERA_SRC/tests/cli/lib.sh"

prefix="$T/prefix"
cmake --install "$HEMERA_BUILD" --prefix "$prefix" >install.log
[[ -x $prefix/bin/hemera-uuid && -x $prefix/bin/hemera-init ]] || fail "tools not installed"
ls "$prefix"/lib*/libhemera_core.so.0* >/dev/null || fail "library not installed"
[[ -f $prefix/include/hemera/error.hpp ]] || fail "headers not installed"
for tool in hemera-uuid hemera-init hemera-user; do
  [[ -f $prefix/share/man/man1/$tool.1 ]] || fail "$tool.1 not installed"
  [[ -f $prefix/share/bash-completion/completions/$tool ]] || fail "$tool bash completion"
  [[ -f $prefix/share/zsh/site-functions/_$tool ]] || fail "$tool zsh completion"
  [[ -f $prefix/share/fish/vendor_completions.d/$tool.fish ]] || fail "$tool fish completion"
done
# Runs from the prefix without ldconfig or LD_LIBRARY_PATH (RPATH $ORIGIN/../lib).
expect_exit 0 env -u LD_LIBRARY_PATH "$prefix/bin/hemera-uuid" legacy --namespace dns python.org
expect_out 886313e1-3b8a-5372-9b90-0c9aee199e5d
libs=$(ldd "$prefix/bin/hemera-uuid")
grep -qF "$prefix" <<<"$libs" || fail "installed tool does not use the installed library"
# Light tools stay light: hemera-uuid does not pull cfitsio or libcurl.
grep -Eq 'cfitsio|libcurl' <<<"$libs" && fail "hemera-uuid links heavy libraries"
pass "install"
