#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-verify on an archive built by hemera-ingest (the examples): intact
# after ingests and a new version; a flipped bit, an edited record revision
# and an extra file found against ingest's manifests and journal.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
expect_exit 0 hemera-init --root A -q
expect_exit 0 hemera-ingest --root A --json --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea"
U1=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --root A --json --collection sky/pilot --form "$EX/dasb/form.json" \
  "$EX/dasb/pilot_crab_20220712.fits"
U2=$(json_get 'd["uuid"]')
cp "$EX/datb/o3_20210618_kiruna.na" o3_20210619_kiruna.na
expect_exit 0 hemera-ingest --root A -q --dataset "$U1" o3_20210619_kiruna.na
D1=DATB/strato2021/o3sonde/$U1
D2=DASB/sky/pilot/$U2

expect_exit 0 hemera-verify --root A -q
[[ ! -s $T/out && ! -s $T/err ]] || fail "-q on a freshly ingested archive printed something"
expect_exit 0 hemera-verify --root A --json
check_json
# 3 manifests, 3 record revisions, 2 current records
[[ $(json_get 'd["files"]') == 4 && $(json_get 'd["versions"]') == 3 ]] || fail "counts"
[[ $(json_get 'd["tag_files"]') == 8 ]] || fail "tag files: $(json_get 'd["tag_files"]')"
pass "an ingested archive verifies, silently"

# A flipped bit in the FITS file, same size and mtime.
f=A/$D2/v1/pilot_crab_20220712.fits
chmod u+w "A/$D2/v1" "$f"
"$PY" - "$f" <<'EOF'
import os, sys
p = sys.argv[1]; st = os.stat(p)
with open(p, "r+b") as fh:
    fh.seek(4000); b = fh.read(1); fh.seek(4000); fh.write(bytes([b[0] ^ 1]))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
EOF
# An edited record revision (its hash is in ingest's journal) and an extra file.
chmod u+w "A/$D1/metadata" "A/$D1/metadata/0001.json" "A/$D1/v2"
sed -i 's/Kiruna/Kiruma/' "A/$D1/metadata/0001.json"
echo stray >"A/$D1/v2/readme.txt"
expect_exit 1 hemera-verify --root A --json
check_json
got=$(json_get '"\n".join(sorted(p["rule"] + " " + p["file"] for p in d["problems"]))')
want="fixity.mismatch $D2/v1/pilot_crab_20220712.fits
fixity.unexpected $D1/v2/readme.txt
record.revision $D1/metadata/0001.json"
[[ $got == "$want" ]] || fail "findings: $got"
pass "damage found against ingest's manifests and journal"
