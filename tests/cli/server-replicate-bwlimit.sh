#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-replicate --bwlimit limits the total of all connections: 12 MiB (one
# 6 MiB file and six of 1 MiB) to moto's S3 server on 127.0.0.1 with --jobs 4
# and --bwlimit 4M. The average rate of the run (bytes uploaded / seconds of
# the run, from its JSON report) must never exceed the limit by more than 10%:
# asserted strictly, since load can only slow a run down. The lower bound is
# asserted loosely (at least 40% of the limit), because a loaded CI machine
# may be slower than the limit: it catches a limit applied per connection
# (the 6 MiB file alone at a quarter of the limit would take the run to
# about 6 s, an average near 50%) only on an idle machine, and a limiter that
# throttles everything to a crawl anywhere. moto is not a Debian package:
# this test fails (it does not skip) when moto_server is missing.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

start_moto

s3_config s3.yaml main

A=$T/arch
hemera-init --root "$A" -q
src=$T/src
mkdir -p "$src"
head -c $((6 << 20)) /dev/urandom >"$src/big.na"
for i in 1 2 3 4 5 6; do head -c $((1 << 20)) /dev/urandom >"$src/f$i.na"; done
"$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$A" DATB camp/sonde "$U1" "$src" >/dev/null

LIMIT=$((4 << 20))
expect_exit 0 hemera-replicate --root "$A" --config s3.yaml --jobs 4 --bwlimit 4M --json
check_json
bytes=$(json_get 'd["targets"][0]["bytes_uploaded"]')
secs=$(json_get 'd["targets"][0]["seconds"]')
[[ $bytes -ge $((12 << 20)) ]] || fail "expected at least 12 MiB uploaded, got $bytes"
rate=$("$PY" -c 'import sys; print(int(int(sys.argv[1]) / float(sys.argv[2])))' "$bytes" "$secs")
echo "uploaded $bytes bytes in $secs s: $rate B/s (limit $LIMIT B/s, load $(cut -d' ' -f1 /proc/loadavg))"
[[ $rate -le $((LIMIT * 11 / 10)) ]] || fail "average rate $rate B/s is above the limit + 10%"
[[ $rate -ge $((LIMIT * 4 / 10)) ]] || fail "average rate $rate B/s is below 40% of the limit"
diff <(cd "$A" && find DATB -type f | sort | xargs -r sha256sum) <(s3 sums main) ||
  fail "the bucket differs from the local archive"
pass "--bwlimit 4M with --jobs 4: $rate B/s on average, never above the limit + 10%"
