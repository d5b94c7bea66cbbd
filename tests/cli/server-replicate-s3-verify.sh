#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-verify --target on moto's S3 server (127.0.0.1, SigV4 checking on):
# objects checked by their stored checksums, a share of them read back in
# full each run, oldest re-read first, so successive runs cover the bucket.
# A second client overwrites one object with same-size wrong content and
# forges its stored checksum: the stored-checksum check alone passes it, a
# budgeted re-read finds it, and later runs keep reading it back until it is
# repaired. moto is not a Debian package: this test fails (it does not skip)
# when moto_server is missing.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

start_moto

s3_config s3.yaml main

# Two datasets of five files: 2 x (5 + manifest + record + metadata.json) = 16 objects.
A=$T/arch
hemera-init --root "$A" -q
new_dataset "$A" DATB camp/sonde "$U1" 5
new_dataset "$A" DASB sky "$U2" 5
expect_exit 0 hemera-replicate --root "$A" --config s3.yaml -q
N=$(cd "$A" && find DATB DASB -type f | wc -l)
[[ $N == 16 ]] || fail "expected 16 archive files, found $N"

verify() { hemera-verify --root "$A" --config s3.yaml --target objects --json --no-alert "$@"; }

# Run 1: every object by its stored checksum; 25% (4 objects) read back.
expect_exit 0 verify --reread-share 25
check_json
[[ $(json_get 'd["files_checked"]') == 16 && $(json_get 'd["files_ok"]') == 16 ]] || fail "run 1 counts"
[[ $(json_get 'd["reread"]["objects"]') == 4 ]] || fail "run 1 should read back 4 objects"
[[ $(json_get 'd["reread"]["covered"]') == 4 ]] || fail "run 1 coverage: $(json_get 'd["reread"]')"
[[ $(json_get 'd["reread"]["oldest"]') == 0 ]] || fail "run 1: some objects were never read back"
[[ $(json_get 'd["reread"]["bytes"]') -gt 0 ]] || fail "run 1 read back no bytes"
pass "stored checksums for all, 25% read back in full"

# A second client overwrites one payload object with same-size wrong
# content, declaring the original SHA-256 as its stored checksum.
X=$(cd "$A" && ls DASB/sky/$U2/v1/*.fits | sed -n 3p)
head -c "$(stat -c %s "$A/$X")" /dev/urandom >"$T/forged"
s3 put-forged "main/$X" "$T/forged" "$(sha256sum <"$A/$X" | cut -c1-64)" ||
  fail "could not forge the object"

# The stored checksum alone cannot see it.
expect_exit 0 verify --reread-share 0
check_json
[[ $(json_get 'd["reread"]["objects"]') == 0 && $(json_get 'd["files_ok"]') == 16 ]] ||
  fail "stored-checksum run: $(json_get '[d["reread"], d["files_ok"]]')"
pass "a forged stored checksum passes the stored-checksum check"

# Runs 2-4 at 25%: oldest re-read first, so the whole bucket is covered by
# run 4 and the forged object is found on the way; once found, it stays found.
found=0
for run in 2 3 4; do
  run verify --reread-share 25
  check_json
  # 25% of the bucket, plus the forged object once an earlier run found it.
  [[ $(json_get 'd["reread"]["objects"]') == $((found ? 5 : 4)) ]] || fail "run $run: $(json_get 'd["reread"]')"
  covered=$(json_get 'd["reread"]["covered"]')
  [[ $covered == $((run * 4 > 16 ? 16 : run * 4)) ]] || fail "run $run: coverage $covered"
  if [[ $rc == 1 ]]; then
    grep -qF "found by reading it back" "$T/out" || fail "run $run: message"
    [[ $(json_get '" ".join(p["file"] for p in d["problems"])') == "$X" ]] ||
      fail "run $run did not name exactly the forged object: $(json_get '[p["file"] for p in d["problems"]]')"
    [[ $(json_get 'd["problems"][0]["rule"]') == fixity.mismatch ]] || fail "run $run: rule"
    [[ $(json_get 'd["files_ok"]') == 15 ]] || fail "run $run: files_ok"
    [[ $found != 0 ]] || found=$run
  elif [[ $rc == 0 ]]; then
    [[ $found == 0 ]] || fail "run $run: the forged object found in run $found is no longer reported"
  else
    cat "$T/err" >&2
    fail "run $run exited $rc"
  fi
done
[[ $found != 0 ]] || fail "four runs at 25% did not find the forged object"
[[ $(json_get 'd["reread"]["coverage"]') == 1.0 ]] || fail "coverage after four runs"
[[ $(json_get 'd["reread"]["oldest"]') -gt 0 ]] || fail "oldest re-read after four runs"
pass "successive budgeted runs cover the whole bucket; the forged object found in run $found"

# Found once, it is read back first by every later run, whatever the share.
expect_exit 1 verify --reread-share 0
check_json
[[ $(json_get '" ".join(p["file"] for p in d["problems"])') == "$X" ]] || fail "forged object no longer reported"
[[ $(json_get 'd["reread"]["objects"]') == 1 ]] || fail "the damaged object should be read back"
pass "a damaged object is read back by later runs, not judged by its stored checksum"

# --max-files bounds the checks (oldest-verified first: the damaged one first).
expect_exit 1 verify --reread-share 0 --max-files 3
check_json
[[ $(json_get 'd["files_checked"]') == 3 && $(json_get 'd["files_remaining"]') == 13 ]] ||
  fail "--max-files: $(json_get '[d["files_checked"], d["files_remaining"]]')"
[[ $(json_get 'd["problems"][0]["file"]') == "$X" ]] || fail "--max-files: damaged object not first"
pass "--max-files bounds the checks, damaged objects first"

# The repair reads the remote copy back (its stored checksum is forged) and restores it.
expect_exit 0 hemera-repair --root "$A" --config s3.yaml --from local --to objects --json
check_json
[[ $(json_get '" ".join(d["repaired"])') == "$X" ]] || fail "repair: $(json_get 'd["repaired"]')"
expect_exit 0 verify --reread-share 100
check_json
[[ $(json_get 'd["reread"]["objects"]') == 16 && $(json_get 'd["files_ok"]') == 16 ]] || fail "after repair"
diff <(cd "$A" && find DATB DASB -type f | sort | xargs -r sha256sum) <(s3 sums main) ||
  fail "the bucket differs from the local archive after the repair"
pass "hemera-repair restores the forged object; a full re-read finds the bucket intact"

# Human output names the re-reads.
expect_exit 0 hemera-verify --root "$A" --config s3.yaml --target objects --no-alert --reread-share 50
expect_out "Read back in full: 8 files"
pass "text summary"
