#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-verify reads each byte once: the bytes it reads (/proc/<pid>/io,
# rchar: every read(2) and pread(2), page cache or not; and read_bytes, from
# storage) stay within 1.01 x (payload + tag files).
source "$HEMERA_SRC/tests/cli/lib.sh"

hemera-init --root a -q
for i in 1 2 3 4; do
  mkdir "src$i"
  head -c $((24 * 1024 * 1024 + i)) /dev/urandom >"src$i/big.fits"
  for j in 1 2 3 4 5 6 7 8; do head -c $((j * 37000)) /dev/urandom >"src$i/s$j.fits"; done
  "$PY" "$HEMERA_SRC/tests/cli/make_archive.py" a DASB sky/cam "$("$HEMERA_BIN/hemera-uuid" new)" "src$i"
done
rm -rf src?

# The child's /proc/<pid>/io is read after it exits and before it is reaped
# (waitid with WNOWAIT), so nothing else's reads are counted.
cat >io.py <<'EOF'
import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.execvp(sys.argv[2], sys.argv[2:])
os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
io = dict(l.split(": ") for l in open("/proc/%d/io" % pid).read().split("\n") if l)
_, status = os.waitpid(pid, 0)
print(io["rchar"].strip(), io["read_bytes"].strip(), os.waitstatus_to_exitcode(status))
EOF

for jobs in 1 2; do
  read -r rchar read_bytes code < <("$PY" io.py report.json hemera-verify --root a --jobs $jobs --json)
  [[ $code == 0 ]] || fail "verify exited $code"
  check_json report.json
  payload=$(json_get 'd["bytes_checked"]' report.json)
  tags=$(json_get 'd["tag_bytes"]' report.json)
  want=$(find a/DASB -path '*/v*/*' -type f ! -name 'manifest-*' -printf '%s\n' | awk '{s+=$1} END {print s}')
  [[ $payload == "$want" ]] || fail "bytes_checked $payload, payload is $want"
  limit=$(( (payload + tags) * 101 / 100 ))
  echo "jobs $jobs: payload $payload, tag files $tags, rchar $rchar, read_bytes $read_bytes, limit $limit"
  [[ $rchar -le $limit ]] || fail "read $rchar bytes (rchar) for $payload + $tags: more than 1.01x"
  [[ $read_bytes -le $limit ]] || fail "read_bytes $read_bytes above $limit"
  [[ $rchar -ge $payload ]] || fail "rchar $rchar below the payload: accounting not captured"
done
pass "each byte read once (rchar within 1.01 x payload + tag files)"
