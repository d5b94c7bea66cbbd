# SPDX-License-Identifier: Apache-2.0
# hemera-ingest end to end: new dataset, new version, names, routing,
# refusals that write nothing, same UUID on retry, contradictions, dry run,
# torn journal tail, symlinks, permissions, JSON schemas, record schema.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
CHECK="$PY $HEMERA_SRC/tests/cli/ingest_check.py"
RECORD_SCHEMA="$HEMERA_SRC/schemas/record.schema.json"
A="$T/arch"
expect_exit 0 hemera-init --root "$A"
cp "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea" "$EX/datb/form.yaml" .
cp "$EX/dasb/pilot_crab_20220712.fits" "$EX/dasb/form.json" .

# Snapshot of everything ingest may write (the archive tree, journal, staging).
snapshot() { (cd "$A" && find DATB DASB .hemera/staging -printf '%p %s\n' | sort; wc -c <.hemera/journal); }
# The UUID and such from the last --json output.
j() { json_get "$1"; }

# --- new DATB dataset: NASA Ames with a GPS file (upper case lower-cased)
cp o3_20210618_kiruna.na O3_20210618_KIRUNA.NA
expect_exit 0 hemera-ingest --root "$A" --json --collection Strato2021/o3sonde --form form.yaml \
  O3_20210618_KIRUNA.NA gps_20210618_kiruna.nmea
check_json
U1=$(j 'd["uuid"]')
[[ $(j 'd["destination"]') == "DATB/strato2021/o3sonde/$U1/v1" ]] || fail "destination"
[[ $(j 'd["committed"]') == True && $(j 'd["journal_seq"]') == 1 ]] || fail "committed, seq 1"
[[ $(j '[f["name"] for f in d["files"]]') == "['o3_20210618_kiruna.na', 'gps_20210618_kiruna.nmea']" ]] || fail "names"
D1="$A/DATB/strato2021/o3sonde/$U1"
[[ -f $D1/v1/o3_20210618_kiruna.na && -f $D1/metadata/0001.json && -f $D1/metadata.json ]] || fail "layout"
(cd "$D1/v1" && sha256sum -c --quiet manifest-sha256.txt) || fail "manifest does not verify with sha256sum"
[[ $(stat -c %a "$D1/v1/o3_20210618_kiruna.na") == 444 && $(stat -c %a "$D1/v1") == 555 ]] || fail "read-only version"
[[ $(j 'd["files"][0]["sha256"]') == $(sha256sum o3_20210618_kiruna.na | cut -c1-64) ]] || fail "JSON sha256"
json_get 'd["temporalExtents"][0]["beginDate"]' "$D1/metadata.json" | grep -q '^2021-06-18T10:00:00Z$' || fail "time from the independent variable"
json_get '[e["area"]["type"] for e in d["spatialExtents"]]' "$D1/metadata.json" | grep -q "'trajectory'" || fail "GPS track"
json_get 'd["versions"][0]["auxiliaryFiles"]' "$D1/metadata.json" | grep -q gps_20210618_kiruna.nmea || fail "auxiliary marked"
json_get '[l["url"] for l in d["links"]]' "$D1/metadata.json" | grep -q "https://catalogue.example.org/$U1" || fail "landing page link"
pass "new DATB dataset"

# --- the same form again is refused (committed), nothing written
before=$(snapshot)
expect_exit 65 hemera-ingest --root "$A" --collection strato2021/o3sonde --form form.yaml o3_20210618_kiruna.na
expect_err "[form.committed]"
[[ $(snapshot) == "$before" ]] || fail "refusal wrote something"
pass "committed form refused"

# --- new version
cp o3_20210618_kiruna.na o3_20210619_kiruna.na
expect_exit 0 hemera-ingest --root "$A" --json --dataset "$U1" o3_20210619_kiruna.na
check_json
[[ $(j 'd["version"]') == 2 && $(j 'd["record_revision"]') == 2 && $(j 'd["uuid"]') == "$U1" ]] || fail "v2"
[[ -f $D1/v2/o3_20210619_kiruna.na && -f $D1/metadata/0002.json ]] || fail "v2 layout"
cmp -s "$D1/metadata.json" "$D1/metadata/0002.json" || fail "metadata.json is the newest revision"
[[ $(json_get 'len(d["versions"])' "$D1/metadata.json") == 2 ]] || fail "versions listed"
# FITS into a DATB dataset: refused.
expect_exit 65 hemera-ingest --root "$A" --dataset "$U1" pilot_crab_20220712.fits
expect_err "[route.base-mismatch]"
expect_exit 66 hemera-ingest --root "$A" --dataset 0f8fad5b-d9cb-469f-a165-70867728950e o3_20210619_kiruna.na
expect_exit 64 hemera-ingest --root "$A" --dataset not-a-uuid o3_20210619_kiruna.na
pass "new version"

# --- DASB: FITS only
expect_exit 0 hemera-ingest --root "$A" --json --collection pilot/2022 --form form.json pilot_crab_20220712.fits
check_json
U2=$(j 'd["uuid"]')
[[ $(j 'd["base"]') == DASB ]] || fail "DASB routing"
D2="$A/DASB/pilot/2022/$U2"
json_get 'd["skyCoverage"][0]["ra"]' "$D2/metadata.json" | grep -q '^83.633$' || fail "sky coverage from RA"
json_get 'd["spatialExtents"][0]["source"]' "$D2/metadata.json" | grep -q '^fits-site$' || fail "site from SITELAT/SITELONG"
pass "new DASB dataset"

# --- routing refusals, each writing nothing (with a form not yet committed)
printf 'resourceTitle: {en: "Refused"}\n' >formx.yaml
mkdir -p r && printf 'not a NASA Ames file\n' >r/fake.na && printf 'notes\n' >r/notes.txt
before=$(snapshot)
expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml o3_20210618_kiruna.na pilot_crab_20220712.fits
expect_err "[route.mixed]"
expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml gps_20210618_kiruna.nmea
expect_err "[route.auxiliary-alone]"
expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml pilot_crab_20220712.fits r/notes.txt
expect_err "[route.auxiliary-in-dasb]"
cp o3_20210618_kiruna.na r/data.nc
expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml r/data.nc
expect_err "[route.unknown-kind]"
expect_exit 65 hemera-ingest --root "$A" --json --collection x --form formx.yaml r/fake.na
check_json
[[ $(j 'd["refused"]') == True && $(j 'len(d["findings"]) > 0') == True ]] || fail ".na not NASA Ames: findings"
[[ $(j 'd["findings"][0]["format"]') == nasa-ames ]] || fail "finding format"
cp o3_20210618_kiruna.na r/fake.fits
expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml r/fake.fits
# A FITS file whose data changed after DATASUM was written.
cp pilot_crab_20220712.fits r/changed.fits
printf '\x42' | dd of=r/changed.fits bs=1 seek=4000 conv=notrunc 2>/dev/null
expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml r/changed.fits
expect_err "[fits.datasum]"
printf 'caf\xc3\xa9\n' >r/gps.txt
expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml o3_20210618_kiruna.na r/gps.txt
expect_err "[auxiliary.printable]"
[[ $(snapshot) == "$before" ]] || fail "a routing refusal wrote something"
pass "routing refusals"

# --- every naming rule (the content is valid NASA Ames: only the name is wrong)
names() {
  local rule=$1; shift
  rm -rf n && mkdir n
  for n in "$@"; do cp o3_20210618_kiruna.na "n/$n"; done
  local args=(); for n in "$@"; do args+=("n/$n"); done
  expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml "${args[@]}"
  expect_err "[$rule]"
}
names name.space "a b.na"
names name.tab $'a\tb.na'
names name.control $'a\x01b.na'
names name.slash 'a\b.na'
names name.non-ascii $'caf\xc3\xa9.na'
for c in '<' '>' ':' '"' '|' '?' '*'; do names name.reserved-char "a${c}b.na"; done
names name.leading ".hidden.na"
names name.leading "-rf.na"
names name.length "$(printf 'a%.0s' {1..198}).na"
names name.collision "Same.na" "same.NA"
names name.reserved "manifest-sha256.na"
names name.reserved "tagmanifest-x.na"
names name.reserved "data.na.part"
[[ $(snapshot) == "$before" ]] || fail "a naming refusal wrote something"
pass "naming rules"

# --- a symbolic link is refused, not followed
ln -s "$T/o3_20210618_kiruna.na" r/link.na
expect_exit 65 hemera-ingest --root "$A" --collection x --form formx.yaml r/link.na
expect_err "[file.symlink]"
pass "symlink refused"

# --- an invalid file: refused with findings, nothing written; the retry and
# the dry run show the same UUID
sed 's/^18 1001$/19 1001/' o3_20210618_kiruna.na >bad.na
cat >form2.yaml <<'EOF'
resourceTitle: {en: "Second flight", fr: "Second vol"}
EOF
before=$(snapshot)
expect_exit 65 hemera-ingest --root "$A" --json --collection strato2021/o3sonde --form form2.yaml bad.na
check_json
U3=$(j 'd["uuid"]')
[[ $(j 'd["committed"]') == False ]] || fail "refused is not committed"
expect_exit 65 hemera-ingest --root "$A" --collection strato2021/o3sonde --form form2.yaml bad.na
expect_err "nothing was written"
[[ $(snapshot) == "$before" ]] || fail "invalid file: something was written"
expect_exit 0 hemera-ingest --root "$A" --json --dry-run --collection strato2021/o3sonde --form form2.yaml o3_20210618_kiruna.na
check_json
[[ $(j 'd["uuid"]') == "$U3" && $(j 'd["dry_run"]') == True && $(j 'd["committed"]') == False ]] || fail "dry run UUID"
[[ $(snapshot) == "$before" ]] || fail "dry run wrote something"
# The same form as JSON is the same form.
$PY -c 'import json; print(json.dumps({"resourceTitle": {"fr": "Second vol", "en": "Second flight"}}))' >form2.json
expect_exit 0 hemera-ingest --root "$A" --json --collection strato2021/o3sonde --form form2.json o3_20210618_kiruna.na
check_json
[[ $(j 'd["uuid"]') == "$U3" ]] || fail "retry after refusal: same UUID"
pass "refusal, retry, dry run"

# --- a form that contradicts the headers: reported, the form's value kept
cat >form3.yaml <<'EOF'
resourceTitle: {en: "Third"}
temporalExtents: [{beginDate: "2021-06-19", endDate: "2021-06-19"}]
instruments: [{displayName: "Lidar"}]
EOF
expect_exit 0 hemera-ingest --root "$A" --collection strato2021/o3sonde --form form3.yaml o3_20210618_kiruna.na
expect_err "form contradicts the files"
expect_err "[temporalExtents.beginDate]"
expect_err "[instruments]"
cat >form4.yaml <<'EOF'
resourceTitle: {en: "Fourth"}
spatialExtents: [{area: {type: bbox, west: 0, east: 1, south: 0, north: 1}}]
EOF
expect_exit 0 hemera-ingest --root "$A" --json --collection strato2021/o3sonde --form form4.yaml \
  o3_20210618_kiruna.na gps_20210618_kiruna.nmea
check_json
[[ $(j 'd["contradictions"][0]["field"]') == spatialExtents.area ]] || fail "spatial contradiction"
U4=$(j 'd["uuid"]')
json_get 'd["spatialExtents"][0]["area"]["type"]' "$A/DATB/strato2021/o3sonde/$U4/metadata.json" | grep -q '^bbox$' || fail "form's area kept"
pass "contradictions"

# --- a torn journal tail is cut without losing the next event
printf '99 deadbeef {"seq":99,"kind":"tor' >>"$A/.hemera/journal"
cp o3_20210618_kiruna.na o3_v3.na
expect_exit 0 hemera-ingest --root "$A" --json --dataset "$U1" o3_v3.na
check_json
seq=$(j 'd["journal_seq"]')
tail -c 1 "$A/.hemera/journal" | od -c | grep -q '\\n' || fail "journal ends with a newline"
tail -n 1 "$A/.hemera/journal" | grep -q "^$seq .*\"version\":3" || fail "the next event is the last line"
pass "torn journal tail"

# --- a form whose values the record schema refuses: bad input, nothing written
cat >form6.yaml <<'EOF'
resourceTitle: {en: "Sixth"}
dataLevel: L9
contacts: [{name: Jane, orcId: "12-34"}]
EOF
before=$(snapshot)
expect_exit 65 hemera-ingest --root "$A" --collection x --form form6.yaml o3_20210618_kiruna.na
expect_err "[record.schema]"
expect_err "dataLevel"
expect_err "orcId"
expect_exit 65 hemera-ingest --root "$A" --json --dry-run --collection x --form form6.yaml o3_20210618_kiruna.na
check_json
[[ $(j 'd["refused"]') == True ]] || fail "dry run refuses what the schema refuses"
[[ $(snapshot) == "$before" ]] || fail "a refused form wrote something"
pass "record schema gate"

# --- a malformed form is bad input (65)
printf 'resourceTitle: [unclosed\n' >broken.yaml
expect_exit 65 hemera-ingest --root "$A" --collection x --form broken.yaml o3_20210618_kiruna.na
expect_err "broken.yaml:"
expect_exit 64 hemera-ingest --root "$A" --form form.yaml o3_20210618_kiruna.na
expect_exit 64 hemera-ingest --root "$A" --collection x o3_20210618_kiruna.na
expect_exit 66 hemera-ingest --root "$T/nowhere" --collection x --form formx.yaml o3_20210618_kiruna.na

# --- an actor without a role is refused (77), and the decision is audited
chmod -R a+rwX "$A" "$T"
cat >form5.yaml <<'EOF'
resourceTitle: {en: "Fifth"}
EOF
chmod a+r form5.yaml
before=$(snapshot)
expect_exit 77 as_nobody env HOME=/ hemera-ingest --root "$A" --collection x --form form5.yaml o3_20210618_kiruna.na
expect_err "may not ingest"
grep -q '"action":"ingest".*"allowed":false' "$A/.hemera/audit.log" || fail "denial audited"
[[ $(snapshot) == "$before" ]] || fail "denied ingest wrote something"
pass "permissions"

# --- a user who is not root: their own archive, a new dataset and a new
# version (directory permissions are enforced for them, not for root)
mkdir -m 777 "$T/own"
cp o3_20210618_kiruna.na "$T/own/o3_own.na" && cp form5.yaml "$T/own/form.yaml" && chmod a+r "$T/own"/*
(cd "$T/own" && expect_exit 0 as_nobody env HOME=/ hemera-init --root "$T/own/arch")
(cd "$T/own" && expect_exit 0 as_nobody env HOME=/ hemera-ingest --root "$T/own/arch" --json --collection own --form form.yaml o3_own.na)
UO=$(json_get 'd["uuid"]')
(cd "$T/own" && expect_exit 0 as_nobody env HOME=/ hemera-ingest --root "$T/own/arch" --dataset "$UO" o3_own.na)
[[ $(stat -c %a "$T/own/arch/DATB/own/$UO/v2") == 555 && $(stat -c %U "$T/own/arch/DATB/own/$UO/v2/o3_own.na") == nobody ]] ||
  fail "new version as a user: read-only, owned by the user"
$CHECK "$T/own/arch" --no-staging --records "$RECORD_SCHEMA" || fail "archive of a user"
pass "ingest as a user who is not root"

# --- the whole archive: manifests, journal, records against the schema
$CHECK "$A" --no-staging --records "$RECORD_SCHEMA" || fail "archive invariants"
pass "archive invariants and record schema"
