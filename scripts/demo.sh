#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what is missing, build, and run the main job on examples/ with the
# built-in defaults, in a fresh folder build/demo (archive ./hemera-archive).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
export PATH="$src/build/release/tools:$PATH"

rm -rf build/demo && mkdir -p build/demo && cd build/demo
unset HEMERA_CONFIG HEMERA_ROOT
step() { printf '\n$ %s\n' "$*"; "$@"; }

have() { [[ -x $src/build/release/tools/$1 ]]; }
ex=$src/examples

step hemera-init
step hemera-validate "$ex"/datb/*.na "$ex"/dasb/*.fits
step hemera-ingest --collection strato2021/o3sonde --form "$ex/datb/form.yaml" \
  "$ex"/datb/o3_20210618_kiruna.na "$ex"/datb/gps_20210618_kiruna.nmea
step hemera-ingest --collection pilot/2022 --form "$ex/dasb/form.json" "$ex"/dasb/pilot_crab_20220712.fits
if have hemera-replicate; then step hemera-replicate; fi
step hemera-verify
if have hemera-replicate; then step hemera-verify --target replica; fi
if have hemera-search; then step hemera-search ozone; fi
step hemera-uuid legacy DATB/strato/flight-2021-06-18
step hemera-user list
printf '\nThe demo archive is in %s/hemera-archive\n' "$PWD"
