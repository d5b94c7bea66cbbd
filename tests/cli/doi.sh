#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-doi without a network: check (what is missing, exit 1), the gate
# before registration (65, nothing sent), --dry-run (the exact body, no
# password read), configuration errors (78) and a malformed UUID (64). The
# DataCite exchanges themselves are in corpus-server-doi.sh.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
A="$T/arch"
expect_exit 0 hemera-init --root "$A"
expect_exit 0 hemera-ingest --root "$A" --json --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea"
U=$(json_get 'd["uuid"]')
# The API points at a closed port: any attempt to connect would fail the test.
cat >hemera.yaml <<EOF
root: $A
catalogue_url: https://catalogue.example.org/
doi: {prefix: "10.80001", publisher: "AERIS/ESPRI", api_url: "http://127.0.0.1:1", repository_id: TEST.HEMERA, password_file: $T/pw, retries: 0}
EOF
export HEMERA_CONFIG=$T/hemera.yaml

# --- check: without catalogue defaults, the INSPIRE minimum is missing too.
expect_exit 1 hemera-doi check "$U"
expect_err "[inspire.lineage] at \$.inspire.lineage"
expect_out "not ready"
expect_exit 1 hemera-doi check "$U" --json
check_json
[[ $(json_get 'd["ready"]') == False && $(json_get 'd["doi"]') == "10.80001/$U" ]] || fail "check JSON"
[[ $(json_get 'd["landing_page"]') == "https://catalogue.example.org/$U" ]] || fail "landing page"
# Remove the licence: the DOI minimum names it.
expect_exit 0 hemera-meta set "$U" --remove distributionInformation.licenceName
expect_exit 1 hemera-doi check "$U" --json
json_get '[m["rule"] for m in d["missing"]]' | grep -q "'doi.licence'" || fail "licence not required: $(cat "$T/out")"
pass "check lists what is missing"

# --- the gate: nothing is sent (the port is closed: a connection would be 75).
expect_exit 65 hemera-doi create "$U"
expect_err "is not ready for a DOI"
expect_exit 65 hemera-doi publish "$U"
pass "create and publish refuse an incomplete record"

# --- a dry run of a draft: the exact body, no password file needed.
expect_exit 0 hemera-doi --dry-run create --draft "$U"
expect_err "dry run: PUT http://127.0.0.1:1/dois/10.80001/$U (not sent)"
"$PY" - "$T/out" "$U" <<'PY' || fail "dry-run body"
import base64, json, sys
b = json.load(open(sys.argv[1]))
a = b["data"]["attributes"]
assert b["data"]["type"] == "dois" and b["data"]["id"] == a["doi"] == "10.80001/" + sys.argv[2]
assert "event" not in a and a["url"] == "https://catalogue.example.org/" + sys.argv[2]
xml = base64.b64decode(a["xml"]).decode()
assert '<identifier identifierType="DOI">10.80001/%s</identifier>' % sys.argv[2] in xml
PY
expect_exit 0 hemera-doi --dry-run --json create --draft "$U"
check_json
expect_exit 0 hemera-doi --dry-run --json show "$U"
check_json
[[ $(json_get 'd["method"]') == GET && $(json_get 'd["body"]') == None ]] || fail "show dry run"
pass "--dry-run"

# --- configuration errors: 78, naming the key or the file.
expect_exit 78 hemera-doi show "$U"
expect_err "$T/pw"
printf 'pw-Zq81x\n' >pw
chmod 644 pw
expect_exit 78 hemera-doi show "$U"
expect_err "owner only"
! grep -q pw-Zq81x "$T/err" || fail "the password is printed"
expect_exit 78 hemera-doi --config <(sed 's|"10.80001"|"11.1"|' hemera.yaml) check "$U"
expect_err "doi.prefix"
expect_exit 78 hemera-doi --config <(sed 's|http://127.0.0.1:1|http://api.test.datacite.org|' hemera.yaml) show "$U"
expect_err "must be https://"
expect_exit 78 hemera-doi --config <(sed 's|, repository_id: TEST.HEMERA||' hemera.yaml) show "$U"
expect_err "doi.repository_id"
expect_exit 64 hemera-doi check not-a-uuid
expect_exit 66 hemera-doi check 0f8fad5b-d9cb-469f-a165-70867728950e
pass "configuration errors"
