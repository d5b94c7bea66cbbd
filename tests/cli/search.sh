# SPDX-License-Identifier: Apache-2.0
# hemera-search end to end: criteria on records ingested by hemera-ingest
# (indexed at each commit), reindex, formats, paging, usage errors, JSON schemas.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
A="$T/arch"
expect_exit 0 hemera-init --root "$A"
cp "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea" "$EX/datb/form.yaml" .
cp "$EX/dasb/pilot_crab_20220712.fits" "$EX/dasb/form.json" .
expect_exit 0 hemera-ingest --root "$A" --json --collection strato2021/o3sonde --form form.yaml \
  o3_20210618_kiruna.na gps_20210618_kiruna.nmea
U1=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --root "$A" --json --collection pilot/2022 --form form.json pilot_crab_20220712.fits
U2=$(json_get 'd["uuid"]')
# A third dataset, moved to another project (ingest marks every record HEMERA).
sed -e 's/Kiruna, 2021-06-18"/Kiruna, other project"/' form.yaml >form3.yaml
expect_exit 0 hemera-ingest --root "$A" --json --collection other/2021 --form form3.yaml o3_20210618_kiruna.na
U3=$(json_get 'd["uuid"]')
D3="DATB/other/2021/$U3"
hemera_kw=$(json_get '[k["concept"] for k in d["keywords"]].index("HEMERA")' "$A/$D3/metadata.json")
expect_exit 0 hemera-meta --root "$A" set "$U3" programName=OTHER collectionName=OTHER --remove "keywords[$hemera_kw]"
S() { hemera-search --root "$A" "$@"; }
uuids() { json_get '" ".join(sorted(r["uuid"] for r in d["results"]))'; }
sorted() { printf '%s\n' "$@" | sort | xargs; }

# --- ingested records are found (indexed at the first search), HEMERA only
expect_exit 0 S --json
check_json
[[ $(uuids) == "$(sorted "$U1" "$U2")" && $(json_get 'd["total"]') == 2 ]] || fail "project filter: $(cat "$T/out")"
expect_exit 0 S --all-projects --json
[[ $(json_get 'd["total"]') == 3 ]] || fail "--all-projects"
pass "project filter"

# --- criteria
expect_exit 0 S ozone --json
[[ $(uuids) == "$U1" ]] || fail "text"
expect_exit 0 S "nébuleuse" --json   # French title, accents
[[ $(uuids) == "$U2" ]] || fail "French text"
expect_exit 0 S nebul --json         # prefix, accents folded
[[ $(uuids) == "$U2" ]] || fail "prefix"
expect_exit 0 S --database dasb --json
[[ $(uuids) == "$U2" ]] || fail "--database"
expect_exit 0 S --from 2021-06-18 --to 2021-06-18 --json
[[ $(uuids) == "$U1" ]] || fail "--from/--to"
expect_exit 0 S --from 2022-07-01 --json
[[ $(uuids) == "$U2" ]] || fail "--from"
expect_exit 0 S --bbox 15,60,30,75 --json   # Kiruna's GPS track
[[ $(uuids) == "$U1" ]] || fail "--bbox"
expect_exit 0 S --bbox 170,60,-170,75 --json
[[ $(json_get 'd["total"]') == 0 ]] || fail "--bbox across the dateline, nothing there"
expect_exit 0 S --keyword Stratosphere --json
[[ $(uuids) == "$U1" ]] || fail "--keyword"
expect_exit 0 S --instrument pilot-bol --json
[[ $(uuids) == "$U2" ]] || fail "--instrument"
expect_exit 0 S --parameter "ozone partial pressure" --json
[[ $(uuids) == "$U1" ]] || fail "--parameter"
expect_exit 0 S --contact https://orcid.org/0000-0002-1825-0097 --json
[[ $(uuids) == "$U1" ]] || fail "--contact ORCID"
expect_exit 0 S --collection pilot --status public --json
[[ $(uuids) == "" ]] || fail "status of the DASB record is not Public"
expect_exit 0 S --collection strato2021 --status public --json
[[ $(uuids) == "$U1" ]] || fail "--collection --status"
expect_exit 0 S --has-doi --json
[[ $(json_get 'd["total"]') == 0 ]] || fail "--has-doi"
expect_exit 0 S --publishable --json
[[ $(json_get 'd["total"]') == 0 ]] || fail "--publishable"
pass "criteria"

# --- output formats, sorting, paging
expect_exit 0 S --sort title
expect_out "UUID"
expect_out "Ozone sonde flight, Kiruna, 2021-06-18"
expect_err "2 of 2 matches"
expect_exit 0 S --format csv --sort date
[[ $(head -1 "$T/out") == "uuid,database,collection,begin,end,status,publishable,has_doi,title" ]] || fail "CSV header"
[[ $(sed -n 2p "$T/out" | cut -d, -f1) == "$U1" && $(wc -l <"$T/out") == 3 ]] || fail "CSV rows by date"
grep -q '"Ozone sonde flight, Kiruna, 2021-06-18"$' "$T/out" || fail "CSV quoting"
expect_exit 0 S --sort date --reverse --limit 1 --page 2 --json
check_json
[[ $(uuids) == "$U1" && $(json_get 'd["offset"]') == 1 && $(json_get 'd["total"]') == 2 ]] || fail "paging"
pass "formats and paging"

# --- reindex: idempotent; changes by hemera-meta are searchable at once
expect_exit 0 S --reindex --json
check_json
[[ $(json_get 'd["reindexed"]') == 3 && $(json_get 'd["skipped"]') == 0 ]] || fail "reindex"
expect_exit 0 S --reindex
expect_out "indexed 3 records"
expect_exit 0 hemera-meta --root "$A" set "$U2" 'resourceTitle.en="Crab nebula, corrected"'
expect_exit 0 S corrected --no-refresh --json
[[ $(uuids) == "$U2" ]] || fail "indexed at commit"
# An unreadable record is reported and skipped by reindex.
chmod u+w "$A/$D3"
printf '{broken' >"$A/$D3/metadata.json"
expect_exit 1 S --reindex
expect_err "not indexed"
expect_exit 0 S --all-projects --json --no-refresh
[[ $(json_get 'd["total"]') == 2 ]] || fail "broken record dropped from the index"
pass "reindex"

# --- every commit indexes its dataset in the same run: found with no refresh
sed -e 's/Kiruna, 2021-06-18"/Kiruna, balloon relaunch"/' form.yaml >form4.yaml
expect_exit 0 hemera-ingest --root "$A" --json --collection strato2022/o3sonde --form form4.yaml o3_20210618_kiruna.na
U4=$(json_get 'd["uuid"]')
expect_exit 0 S relaunch --no-refresh --json
check_json
[[ $(uuids) == "$U4" && $(json_get 'd["results"][0]["revision"]') == 1 ]] || fail "fresh ingest not indexed"
expect_exit 0 S --collection strato2022 --from 2021-06-18 --to 2021-06-18 --no-refresh --json
[[ $(uuids) == "$U4" ]] || fail "fresh ingest: extents and collection not indexed"
expect_exit 0 hemera-ingest --root "$A" --json --dataset "$U4" gps_20210618_kiruna.nmea o3_20210618_kiruna.na
expect_exit 0 S relaunch --no-refresh --json
[[ $(json_get 'd["results"][0]["revision"]') == 2 ]] || fail "new version: revision 2 not indexed"
expect_exit 0 hemera-meta --root "$A" set "$U4" 'resourceTitle.en="Kiruna sounding, relabelled"'
expect_exit 0 S relabelled --no-refresh --json
[[ $(uuids) == "$U4" && $(json_get 'd["results"][0]["revision"]') == 3 ]] || fail "hemera-meta set not indexed"
expect_exit 0 S relaunch --no-refresh --json
[[ $(json_get 'd["total"]') == 0 ]] || fail "the old title is still indexed"
pass "indexed at every commit"

# --- usage errors
expect_exit 64 S --bbox 1,2,3
expect_exit 64 S --bbox 0,50,10,40
expect_exit 64 S --from yesterday
expect_exit 64 S --from 2022-01-02 --to 2022-01-01
expect_exit 64 S --database XYZ
expect_exit 64 S --sort size
expect_exit 64 S --format xml
expect_exit 66 hemera-search --root "$T/nowhere"
pass "usage"
