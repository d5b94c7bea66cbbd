#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what is missing, build, and run the main job on examples/ with the
# built-in defaults, in a fresh folder build/demo (archive ./hemera-archive).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
export PATH="$src/build/release/tools:$PATH"

rm -rf build/demo && mkdir -p build/demo && cd build/demo
unset HEMERA_CONFIG HEMERA_ROOT
step() { printf '\n$ %s\n' "$*"; "$@"; }

step hemera-init
step hemera-uuid new --count 3
step hemera-uuid legacy DATB/strato/flight-2021-06-18
step hemera-user list
if [[ -x $src/build/release/tools/hemera-validate ]]; then
  shopt -s nullglob
  files=("$src"/examples/*/*.na "$src"/examples/*/*.fits)
  if ((${#files[@]})); then
    step hemera-validate "${files[@]}"
  fi
fi
if [[ -x $src/build/release/tools/hemera-verify ]]; then
  step hemera-verify
fi
printf '\nDemo archive: %s/hemera-archive\n' "$PWD"
