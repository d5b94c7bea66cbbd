# SPDX-License-Identifier: Apache-2.0
# hemera-meta end to end: show, validate (dataset and file), set, edit with
# $EDITOR, history; revisions read-only, journaled, audited; refusals write
# nothing; permissions; JSON schemas.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
A="$T/arch"
expect_exit 0 hemera-init --root "$A"
cp "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea" "$EX/datb/form.yaml" .
expect_exit 0 hemera-ingest --root "$A" --json --collection strato2021/o3sonde --form form.yaml \
  o3_20210618_kiruna.na gps_20210618_kiruna.nmea
U=$(json_get 'd["uuid"]')
D="$A/DATB/strato2021/o3sonde/$U"
cat >catalogue.yaml <<'EOF'
doi: {publisher: "AERIS/ESPRI"}
catalogue:
  defaults:
    topicCategory: climatologyMeteorologyAtmosphere
    limitationsOnPublicAccess: noLimitations
    metadataContact: {organisation: AERIS, email: contact@example.org}
  collections:
    strato2021: {lineage: "Sondes processed with the manufacturer's software."}
EOF
M() { hemera-meta --root "$A" --config catalogue.yaml "$@"; }
journal_lines() { wc -l <"$A/.hemera/journal"; }

# --- show
expect_exit 0 M show "$U"
expect_out "Ozone sonde flight, Kiruna, 2021-06-18"
expect_out "ORCID 0000-0002-1825-0097"
expect_exit 0 M show "$U" --json
check_json
[[ $(json_get 'd["revision"]') == 1 && $(json_get 'd["record"]["id"]') == "$U" ]] || fail "show --json"
expect_exit 0 M show "$U" --yaml
expect_out '"resourceTitle":'
expect_exit 66 M show 0f8fad5b-d9cb-469f-a165-70867728950e
expect_exit 66 M show "$U" --revision 7
expect_exit 64 M show not-a-uuid
pass "show"

# --- validate: the INSPIRE theme is missing (the defaults give the rest)
expect_exit 1 M validate "$U"
expect_err "[inspire.theme] at \$.inspire.theme"
expect_out "not publishable"
expect_exit 1 M validate "$U" --json
check_json
[[ $(json_get '[f["rule"] for f in d["findings"] if f["severity"] == "error"]') == "['inspire.theme']" ]] ||
  fail "only the theme is missing: $(cat "$T/out")"
# Without the defaults, more is missing.
expect_exit 1 hemera-meta --root "$A" validate "$U" --json
json_get '[f["location"]["path"] for f in d["findings"]]' | grep -q '\$.inspire.lineage' || fail "lineage path"
pass "validate a dataset"

# --- validate a file: ORCID check digit, dates, coordinates, embargo
cat >rec.yaml <<EOF
id: "$U"
identifier: "$U"
resourceTitle: {en: "A record file"}
lastModification: {value: "2026-11-26T10:00:00Z"}
metadataLevel: Dataset
type: DATASET
versions: []
status: Public
contacts:
  - {name: Jane Doe, email: jane.doe@example.org, organisation: LATMOS, roles: [principalInvestigator], orcId: "0000-0002-1825-0098"}
temporalExtents: [{beginDate: "2021-02-30"}]
spatialExtents: [{area: {type: point, latitude: 95, longitude: 20}}]
distributionInformation: {embargoEnd: "2099-01-01"}
EOF
expect_exit 1 M validate rec.yaml --json
check_json
for want in 'value.orcid $.contacts[0].orcId' 'value.coordinates $.spatialExtents[0].area.latitude' \
            'value.embargo $.status' 'value.date $.temporalExtents[0].beginDate'; do
  found=$(json_get '"\n".join(f["rule"] + " " + f["location"]["path"] for f in d["findings"])')
  grep -qxF "$want" <<<"$found" || fail "validate file: no $want in $found"
done
expect_exit 66 M validate missing.json
pass "validate a file"

# --- set: a new revision, read-only, journaled, audited, indexed
n=$(journal_lines)
expect_exit 0 M set "$U" 'keywords[]={"concept": "Atmospheric conditions"}' resourceTitle.en="Ozone sonde flight, Esrange" --json
check_json
[[ $(json_get 'd["revision"]') == 2 && $(json_get 'd["changed"]') == True && $(json_get 'd["publishable"]') == True ]] ||
  fail "set: $(cat "$T/out")"
[[ -f $D/metadata/0002.json && $(stat -c %a "$D/metadata/0002.json") == 444 ]] || fail "revision 2 read-only"
cmp -s "$D/metadata.json" "$D/metadata/0002.json" || fail "metadata.json is revision 2"
[[ $(journal_lines) == $((n + 1)) ]] || fail "one journal event"
tail -1 "$A/.hemera/journal" | grep -q '"kind":"record.revision"' || fail "record.revision event"
tail -1 "$A/.hemera/journal" | grep -q "$(sha256sum "$D/metadata/0002.json" | cut -c1-64)" || fail "journaled SHA-256"
grep -q '"action":"record.edit".*committed record revision 2' "$A/.hemera/audit.log" || fail "audited"
expect_exit 0 M validate "$U"
expect_out "publishable, ready for a DOI"
expect_exit 0 hemera-search --root "$A" esrange --json
[[ $(json_get 'd["total"]') == 1 && $(json_get 'd["results"][0]["revision"]') == 2 ]] || fail "indexed at commit"
# Removing a field; no change commits nothing.
expect_exit 0 M set "$U" --remove dataLevel
[[ -f $D/metadata/0003.json ]] || fail "revision 3"
n=$(journal_lines)
expect_exit 0 M set "$U" status=Public
expect_out "no change"
[[ $(journal_lines) == "$n" && ! -f $D/metadata/0004.json ]] || fail "no change, no revision"
pass "set"

# --- refusals write nothing
before=$(cd "$A" && find DATB -printf '%p %s\n' | sort; wc -c <.hemera/journal)
expect_exit 64 M set "$U" 'keywords[9]=x'
expect_exit 64 M set "$U" novalue
expect_exit 64 M set "$U"
expect_exit 65 M set "$U" id=0f8fad5b-d9cb-469f-a165-70867728950e
expect_err "cannot change"
expect_exit 65 M set "$U" language=english
expect_err "at \$.language"
expect_exit 65 M set "$U" --remove nothing.here
[[ $(cd "$A" && find DATB -printf '%p %s\n' | sort; wc -c <.hemera/journal) == "$before" ]] || fail "a refusal wrote"
pass "refusals"

# --- edit with $EDITOR (no shell): YAML round trip, checked before saving
cat >ed.sh <<'EOF'
#!/bin/sh
sed -i 's/Esrange/ESRANGE/' "$1"
EOF
chmod +x ed.sh
EDITOR=true expect_exit 0 M edit "$U"
expect_out "no change"
EDITOR="$T/ed.sh" expect_exit 0 M edit "$U"
expect_out "committed revision 4"
json_get 'd["resourceTitle"]["en"]' "$D/metadata.json" | grep -qx "Ozone sonde flight, ESRANGE" || fail "edited"
json_get 'd["contacts"][0]["orcId"]' "$D/metadata.json" | grep -qx "0000-0002-1825-0097" || fail "ORCID kept a string"
cat >bad.sh <<'EOF'
#!/bin/sh
printf 'resourceTitle: [unclosed\n' >>"$1"
EOF
chmod +x bad.sh
EDITOR="$T/bad.sh" expect_exit 65 M edit "$U"
expect_err "your edits are kept in"
EDITOR=false expect_exit 64 M edit "$U"
[[ ! -f $D/metadata/0005.json ]] || fail "a failed edit wrote"
pass "edit"

# --- history
expect_exit 0 M history "$U" --json
check_json
[[ $(json_get 'len(d["revisions"])') == 4 && $(json_get 'all(r["verified"] for r in d["revisions"])') == True ]] ||
  fail "history: $(cat "$T/out")"
[[ $(json_get '[r["event"] for r in d["revisions"]]') == "['dataset.new', 'record.revision', 'record.revision', 'record.revision']" ]] ||
  fail "history events"
expect_exit 0 M history "$U"
expect_out "record.revision"
pass "history"

# --- an actor without a role may not edit, and the denial is audited
chmod -R a+rwX "$A" "$T"
before=$(cd "$A" && find DATB -printf '%p %s\n' | sort)
expect_exit 77 as_nobody env HOME=/ "$HEMERA_BIN/hemera-meta" --root "$A" set "$U" status=Embargoed
expect_err "may not record.edit"
grep -q '"action":"record.edit".*"allowed":false' "$A/.hemera/audit.log" || fail "denial audited"
[[ $(cd "$A" && find DATB -printf '%p %s\n' | sort) == "$before" ]] || fail "denied edit wrote"
# Reading is not privileged.
expect_exit 0 as_nobody env HOME=/ "$HEMERA_BIN/hemera-meta" --root "$A" show "$U"
pass "permissions"
