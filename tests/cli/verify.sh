#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-verify on the local archive: each kind of damage gives its finding
# and exit 1; an intact archive exits 0 and is silent with -q.
source "$HEMERA_SRC/tests/cli/lib.sh"

U1=0f8fad5b-d9cb-469f-a165-70867728950e
U2=7c9e6679-7425-40de-944b-e07fc1f90ae7

# new_archive DIR: an archive with two datasets (one of them with two versions).
new_archive() {
  local root=$1
  hemera-init --root "$root" -q
  mkdir -p "$T/src1" "$T/src2" "$T/src3"
  head -c 300000 /dev/urandom >"$T/src1/o3_a.na"
  head -c 70000 /dev/urandom >"$T/src1/o3_b.na"
  printf 'GPS\n' >"$T/src1/track.gps"
  head -c 123456 /dev/urandom >"$T/src2/img.fits"
  head -c 5000 /dev/urandom >"$T/src3/o3_c.na"
  "$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$root" DATB camp/sonde "$U1" "$T/src1"
  "$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$root" DATB camp/sonde "$U1" "$T/src3"
  "$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$root" DASB sky "$U2" "$T/src2"
  rm -rf "$T/src1" "$T/src2" "$T/src3"
}

# rules: the sorted list of "rule file" of the last --json output.
rules() { json_get '"\n".join(sorted(p["rule"]+" "+p["file"] for p in d["problems"]))'; }

D1=DATB/camp/sonde/$U1
D2=DASB/sky/$U2

# --- an intact archive: exit 0, silent with -q, JSON valid
new_archive a
expect_exit 0 hemera-verify --root a -q
[[ ! -s $T/out && ! -s $T/err ]] || fail "-q on an intact archive printed something"
expect_exit 0 hemera-verify --root a
expect_out "checked 5 files"
expect_out "Every checked file is intact."
expect_exit 0 hemera-verify --root a --json
check_json
[[ $(json_get 'd["files_checked"]') == 5 && $(json_get 'd["files_ok"]') == 5 ]] || fail "counts"
[[ $(json_get 'd["versions"]') == 3 && $(json_get 'd["datasets"]') == 2 ]] || fail "versions/datasets"
[[ $(json_get 'd["complete"]') == True ]] || fail "complete"
pass "intact archive"

# --- one bit flipped, same size and same mtime
f=a/$D1/v1/o3_a.na
before=$(stat -c '%s %Y' "$f")
want=$(sha256sum "$f" | cut -c1-64)
chmod u+w "$f"
"$PY" - "$f" <<'EOF'
import os, sys
p = sys.argv[1]; st = os.stat(p)
with open(p, "r+b") as fh:
    fh.seek(12345); b = fh.read(1); fh.seek(12345); fh.write(bytes([b[0] ^ 0x10]))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
EOF
chmod 444 "$f"
[[ $(stat -c '%s %Y' "$f") == "$before" ]] || fail "test setup changed size or mtime"
got=$(sha256sum "$f" | cut -c1-64)
expect_exit 1 hemera-verify --root a -q
expect_out "$D1/v1/o3_a.na: error: checksum mismatch [fixity.mismatch] (expected $want, found $got)"
[[ $(wc -l <"$T/out") -eq 1 ]] || fail "expected exactly one finding"
expect_exit 1 hemera-verify --root a --json
check_json
[[ $(rules) == "fixity.mismatch $D1/v1/o3_a.na" ]] || fail "flipped bit: $(rules)"
[[ $(json_get 'd["problems"][0]["expected"]') == "$want" ]] || fail "expected hash"
[[ $(json_get 'd["problems"][0]["actual"]') == "$got" ]] || fail "actual hash"
[[ $(json_get 'd["problems"][0]["dataset"]') == "$U1" ]] || fail "dataset"
[[ $(json_get 'd["problems"][0]["version"]') == 1 ]] || fail "version"
[[ $(json_get 'd["problems"][0]["path"]') == o3_a.na ]] || fail "path"
[[ $(json_get 'd["files_ok"]') == 4 ]] || fail "a damaged file counted as good"
pass "flipped bit, same size and mtime"
rm -rf a

# --- a truncated file
new_archive a
chmod u+w "a/$D1/v1/o3_b.na"
truncate -s 1000 "a/$D1/v1/o3_b.na"
expect_exit 1 hemera-verify --root a --json
check_json
[[ $(rules) == "fixity.mismatch $D1/v1/o3_b.na" ]] || fail "truncated: $(rules)"
json_get 'd["problems"][0]["message"]' | grep -q "size 1000 bytes" || fail "size not named"
pass "truncated file"
rm -rf a

# --- a deleted file, an extra file
new_archive a
rm -f "a/$D2/v1/img.fits"
echo extra >"a/$D1/v2/notes.txt"
expect_exit 1 hemera-verify --root a --json
check_json
[[ $(rules) == $'fixity.missing '"$D2/v1/img.fits"$'\nfixity.unexpected '"$D1/v2/notes.txt" ]] ||
  fail "deleted/extra: $(rules)"
pass "deleted and extra files"
rm -rf a

# --- a malformed manifest: named with its line; the version's files unverified
new_archive a
m=a/$D1/v1/manifest-sha256.txt
chmod u+w "$m"
sed -i '2s/^\(.\{64\}\)  /\1 /' "$m"
expect_exit 1 hemera-verify --root a --json
check_json
[[ $(rules) == "manifest.syntax $D1/v1/manifest-sha256.txt" ]] || fail "manifest: $(rules)"
[[ $(json_get 'd["problems"][0]["location"]["line"]') == 2 ]] || fail "manifest line number"
[[ $(json_get 'd["problems"][0]["unverified"]') == True ]] || fail "unverified flag"
[[ $(json_get 'd["files_checked"]') == 2 ]] || fail "files of a bad manifest were checked"
expect_exit 1 hemera-verify --root a
expect_out "manifest-sha256.txt:2: error:"
pass "malformed manifest"
rm -rf a

# --- an edited record revision (checked against the journal)
new_archive a
r=a/$D1/metadata/0001.json
chmod u+w "$r"
sed -i 's/"id"/"Id"/' "$r"
expect_exit 1 hemera-verify --root a --json
check_json
[[ $(rules) == "record.revision $D1/metadata/0001.json" ]] || fail "record: $(rules)"
want=$(grep -o '"record_revision":1,"record_sha256":"[0-9a-f]*"' a/.hemera/journal | head -1 | grep -o '[0-9a-f]\{64\}')
[[ $(json_get 'd["problems"][0]["expected"]') == "$want" ]] || fail "journaled hash not shown"
pass "edited record revision"
# metadata.json edited: differs from the newest revision's journaled hash
chmod u+w "a/$D2/metadata.json"
echo ' ' >>"a/$D2/metadata.json"
expect_exit 1 hemera-verify --root a --dataset "$U2" --json
check_json
[[ $(rules) == "record.current $D2/metadata.json" ]] || fail "record.current: $(rules)"
pass "edited current record"
rm -rf a

# --- an unreadable file (privileges dropped: CI runs as root)
new_archive a
chown -R 65534:65534 a
chown 0:0 "a/$D1/v1/o3_b.na"
chmod 000 "a/$D1/v1/o3_b.na"
expect_exit 1 as_nobody env HOME=/nonexistent hemera-verify --root a --json
check_json
[[ $(rules) == "fixity.unreadable $D1/v1/o3_b.na" ]] || fail "unreadable: $(rules)"
[[ $(json_get 'd["problems"][0]["unverified"]') == True ]] || fail "unverified flag"
[[ $(json_get 'd["files_ok"]') == 4 ]] || fail "unreadable file counted as good"
json_get 'd["problems"][0]["message"]' | grep -q "ermission denied" || fail "cause not named"
pass "unreadable file"
rm -rf a

# --- not an archive, unknown dataset, bad options
mkdir plain
expect_exit 66 hemera-verify --root plain
expect_exit 66 hemera-verify --root does-not-exist
new_archive a
expect_exit 66 hemera-verify --root a --dataset 11111111-2222-4333-8444-555555555555
expect_exit 64 hemera-verify --root a --dataset not-a-uuid
expect_exit 64 hemera-verify --root a --budget soon
expect_exit 0 hemera-verify --root a --collection camp --json
check_json
[[ $(json_get 'd["datasets"]') == 1 ]] || fail "--collection selected the wrong datasets"
expect_exit 66 hemera-verify --root a --collection nowhere
pass "usage and missing input"
