# SPDX-License-Identifier: Apache-2.0
# hemera-meta extract: what NASA Ames and FITS headers say, as a partial
# record (valid against the record schema without its required fields);
# truncated and hostile files refused with their name and exit status 65.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
cp "$EX/datb/o3_20210618_kiruna.na" "$EX/dasb/pilot_crab_20220712.fits" .
# partial_ok: the output's record is valid against record.schema.json minus its required list.
partial_ok() {
  "$PY" - "$HEMERA_SRC/schemas/record.schema.json" "$T/out" <<'PYEOF' || fail "partial record breaks the record schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
schema.pop("required")
record = json.load(open(sys.argv[2]))["record"]
jsonschema.Draft202012Validator(schema).validate(record)
PYEOF
}

# --- NASA Ames
expect_exit 0 hemera-meta extract --json o3_20210618_kiruna.na
check_json
partial_ok
[[ $(json_get 'd["partial"]') == True ]] || fail "not marked partial"
[[ $(json_get 'd["record"]["contacts"][0]["name"]') == "Doe, Jane" ]] || fail "ONAME"
[[ $(json_get 'd["record"]["contacts"][0]["organisation"]') == "LATMOS, CNRS, Guyancourt, France" ]] || fail "ORG"
[[ $(json_get 'd["record"]["contacts"][0]["roles"]') == "['originator']" ]] || fail "originator role"
[[ $(json_get 'd["record"]["instruments"][0]["displayName"]') == "ECC ozonesonde" ]] || fail "SNAME"
[[ $(json_get '[k["concept"] for k in d["record"]["keywords"]]') == "['HEMERA STRATO 2021 Kiruna']" ]] || fail "MNAME"
[[ $(json_get '[(p["shortName"], p["uom"]) for p in d["record"]["parameters"]][2]') == "('Ozone partial pressure', 'mPa')" ]] ||
  fail "variables with units"
[[ $(json_get 'd["record"]["temporalExtents"][0]["beginDate"]') == "2021-06-18T10:00:00Z" ]] || fail "time range"
[[ $(json_get 'd["files"][0]["format_version"]') == "FFI 1001" ]] || fail "FFI"
[[ $(json_get 'd["files"][0]["header"]["revision_date"]') == "2021-06-20" ]] || fail "RDATE"
[[ $(json_get 'd["files"][0]["header"]["normal_comments"]') == "['UTs P T O3']" ]] || fail "comments"
[[ $(json_get '"id" in d["record"] or "versions" in d["record"]') == False ]] || fail "a partial record has no id"
pass "NASA Ames header"

# --- FITS, and two files at once
expect_exit 0 hemera-meta extract --json pilot_crab_20220712.fits
check_json
partial_ok
[[ $(json_get 'sorted(i["displayName"] for i in d["record"]["instruments"])') == "['PILOT', 'PILOT-BOL']" ]] ||
  fail "INSTRUME and TELESCOP"
[[ $(json_get 'd["files"][0]["header"]["file"]["telescope"]') == "PILOT" ]] || fail "TELESCOP in the header facts"
[[ $(json_get '(d["record"]["skyCoverage"][0]["object"], d["record"]["skyCoverage"][0]["ra"])') == "('Crab', 83.633)" ]] ||
  fail "OBJECT, RA"
[[ $(json_get 'd["files"][0]["header"]["file"]["date_obs"]') == "2022-07-12T21:30:00" ]] || fail "DATE-OBS"
[[ $(json_get 'd["record"]["spatialExtents"][0]["area"]["type"]') == "point" ]] || fail "site, not RA/DEC, is the extent"
expect_exit 0 hemera-meta extract --json o3_20210618_kiruna.na pilot_crab_20220712.fits
check_json
partial_ok
[[ $(json_get 'len(d["files"])') == 2 && $(json_get 'len(d["record"]["formats"])') == 2 ]] || fail "two files"
expect_exit 0 hemera-meta extract o3_20210618_kiruna.na
expect_out "partial record"
expect_out '"uom": "hPa"'
pass "FITS header, several files, text output"

# --- refusals: the file's name, exit 65 (bad data), 66 (missing), 64 (usage)
head -c 300 o3_20210618_kiruna.na >truncated.na
expect_exit 65 hemera-meta extract truncated.na
expect_err "truncated.na: not a valid NASA Ames file"
head -c 2000 pilot_crab_20220712.fits >truncated.fits
expect_exit 65 hemera-meta extract truncated.fits
expect_err "truncated.fits: not a valid FITS file"
expect_err "no END card"
printf '\x00\xff\xfe 1001\n' >hostile.na
expect_exit 65 hemera-meta extract --json hostile.na
expect_err "hostile.na"
check_json   # the error document
[[ $(json_get 'd["error"]["where"]') == hostile.na && $(json_get 'd["error"]["exit"]') == 65 ]] ||
  fail "JSON error document names the file"
echo text >notes.txt
expect_exit 65 hemera-meta extract notes.txt
expect_err "notes.txt: neither NASA Ames"
expect_exit 66 hemera-meta extract missing.na
expect_err "missing.na"
expect_exit 64 hemera-meta extract
# A refusal of one file refuses the lot (nothing partial is printed).
expect_exit 65 hemera-meta extract o3_20210618_kiruna.na truncated.na
[[ ! -s "$T/out" ]] || fail "output despite a refused file"
pass "refusals"
