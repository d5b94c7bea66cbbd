#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what is missing, build, and run every test, in three stages:
#   1. release build, all tests (unit, command line, corpus, servers)
#   2. ASan/UBSan debug build, unit and command-line tests
#   3. a short libFuzzer run of every fuzz target (clang, ASan, UBSan)
# Usage: scripts/test.sh [release|sanitize|fuzz]...   (default: all three)
# HEMERA_FUZZ_SECONDS sets each fuzz target's run time (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
stages=("$@")
((${#stages[@]})) || stages=(release sanitize fuzz)

bash scripts/install-deps.sh

stage() { printf '\n==== %s ====\n' "$*"; }

for s in "${stages[@]}"; do
  case $s in
  release)
    stage "release build and all tests"
    cmake --preset release >/dev/null
    cmake --build --preset release -j"$jobs"
    ctest --preset release -j"$jobs"
    ;;
  sanitize)
    stage "ASan/UBSan build: unit and command-line tests"
    cmake --preset debug >/dev/null
    cmake --build --preset debug -j"$jobs"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --preset debug -j"$jobs"
    ;;
  fuzz)
    stage "fuzzing"
    shopt -s nullglob
    targets=(fuzz/fuzz_*.cpp)
    if ((${#targets[@]} == 0)); then
      echo "no fuzz targets yet"
      continue
    fi
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j"$jobs"
    seconds=${HEMERA_FUZZ_SECONDS:-60}
    for src in "${targets[@]}"; do
      name=$(basename "$src" .cpp)
      corpus=build/fuzz/corpus/$name
      mkdir -p "$corpus"
      seeds=()
      [[ -d fuzz/seeds/$name ]] && seeds=("fuzz/seeds/$name")
      echo "fuzz: $name for ${seconds}s"
      log=build/fuzz/$name.log
      if ! ASAN_OPTIONS=detect_leaks=1 build/fuzz/fuzz/"$name" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" "${seeds[@]}" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $name found a crash, hang or leak (log: $log)"
        exit 1
      fi
      tail -n 8 "$log"
    done
    ;;
  *)
    echo "usage: scripts/test.sh [release|sanitize|fuzz]..." >&2
    exit 64
    ;;
  esac
done
stage "all stages passed: ${stages[*]}"
