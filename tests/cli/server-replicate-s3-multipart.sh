#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# S3 multipart uploads against moto's S3 server (SigV4 checking on): a file
# above targets.*.multipart_threshold goes up in parts and arrives byte for
# byte; hemera-replicate killed in the middle of one leaves an unfinished
# upload that the next run resumes (the parts already sent are not sent
# again); an unfinished upload nobody needs is aborted. Shares the
# replication tests' resource lock.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

start_moto
check_tree() {
  diff <(cd "$1" && find DATB DASB -type f 2>/dev/null | sort | xargs -r sha256sum) <(s3 sums "$2") ||
    fail "the bucket differs from the local archive"
}
# part_puts N: how many times part N was sent (moto's request log).
part_puts() { grep -c "\"PUT [^\"]*partNumber=$1&uploadId=" "$T/moto.log" || true; }

cat >s3.yaml <<CONF
targets:
  objects:
    url: s3://hemera/mp
    endpoint: $EP
    access_key_file: $T/keys/s3.access
    secret_key_file: $T/keys/s3.secret
    multipart_threshold: 6000000
    multipart_part_size: 5242880
CONF

U1=0f8fad5b-d9cb-469f-a165-70867728950e
U2=1b4e28ba-2fa1-41d2-883f-0016d3cca427
A=$T/arch
hemera-init --root "$A" -q
mkdir s1 s2
head -c 13000000 /dev/urandom >s1/big.fits     # 3 parts: 5 MiB, 5 MiB, the rest
head -c 4000 /dev/urandom >s1/small.fits        # below the threshold: one PUT
"$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$A" DASB camp/cam "$U1" s1 >/dev/null

# --- a large file goes up in parts and arrives byte for byte
expect_exit 0 hemera-replicate --root "$A" --config s3.yaml --json
check_json
# The two payload files, the manifest and the record files.
[[ $(json_get 'd["targets"][0]["files_uploaded"]') == 5 ]] || fail "files uploaded: $(json_get 'd["targets"][0]["files_uploaded"]')"
check_tree "$A" mp
[[ $(part_puts 1) -eq 1 && $(part_puts 2) -eq 1 && $(part_puts 3) -eq 1 ]] ||
  fail "expected parts 1-3 sent once each: $(part_puts 1) $(part_puts 2) $(part_puts 3)"
[[ $(part_puts 4) -eq 0 ]] || fail "a fourth part"
[[ -z $(s3 uploads mp) ]] || fail "unfinished uploads left: $(s3 uploads mp)"
[[ $(s3 temps mp) == 0 ]] || fail "temporary objects left"
pass "a file above multipart_threshold goes up in 3 parts, checked, no leftovers"

# --- killed in the middle of a multipart upload: the next run resumes it
head -c 16000000 /dev/urandom >s2/big2.fits    # 4 parts
"$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$A" DASB camp/cam "$U2" s2 >/dev/null
before=$(wc -l <"$T/moto.log")
hemera-replicate --root "$A" --config s3.yaml -q --bwlimit 2M >/dev/null 2>&1 &
rpid=$!
# Wait until the first part has been accepted, then kill -9.
for _ in $(seq 200); do
  tail -n +"$before" "$T/moto.log" | grep -q '"PUT [^"]*partNumber=1&uploadId=[^"]*" 200' && break
  sleep 0.1
done
kill -9 "$rpid" 2>/dev/null || fail "the run ended before it could be interrupted"
wait "$rpid" 2>/dev/null || true
left=$(s3 uploads mp)
[[ $left == *big2.fits.part\ * ]] || fail "no unfinished upload after the kill: '$left'"
done_parts=${left##* }
[[ $done_parts -ge 1 ]] || fail "no part at the server after the kill"
p1=$(part_puts 1)
expect_exit 0 hemera-replicate --root "$A" --config s3.yaml -q
check_tree "$A" mp
[[ $(part_puts 1) -eq $p1 ]] || fail "part 1 sent again after the interruption (resume restarted)"
[[ -z $(s3 uploads mp) ]] || fail "unfinished uploads left: $(s3 uploads mp)"
[[ $(s3 temps mp) == 0 ]] || fail "temporary objects left"
pass "kill -9 during a multipart upload: the next run resumes it ($done_parts part(s) kept), the object is exact"

# --- an unfinished upload nobody needs is aborted by the next run
s3 start-upload "mp/.hemera-tmp/0123456789abcdef0123-gone.fits.part" 5242880
[[ -n $(s3 uploads mp) ]] || fail "could not leave a stale upload"
new_dataset "$A" DATB camp/sonde 7c9e6679-7425-40de-944b-e07fc1f90ae7 1
expect_exit 0 hemera-replicate --root "$A" --config s3.yaml --json
check_json
[[ $(json_get 'd["targets"][0]["temps_removed"]') -ge 1 ]] || fail "stale upload not counted as removed"
[[ -z $(s3 uploads mp) ]] || fail "stale multipart upload not aborted: $(s3 uploads mp)"
check_tree "$A" mp
pass "a stale unfinished multipart upload is aborted"
