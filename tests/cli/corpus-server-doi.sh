#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-doi against a local DataCite-like server (tests/cli/datacite_server.py)
# that validates every XML document it receives against the DataCite kernel-4.7
# XSD in $HEMERA_SHARED/schemas (hence corpus-*: registered only where the
# shared schemas exist, as in CI): create --draft, publish, update, hide, show,
# the DOI written into the record as a journaled revision, a retry after a
# dropped connection, and every error path (401, 403, 404, 422 field by field,
# 5xx, connection refused, not ready, permission).
source "$HEMERA_SRC/tests/cli/lib.sh"

XSD="$HEMERA_SHARED/schemas/datacite/kernel-4.7/metadata.xsd"
[[ -f $XSD ]] || fail "no DataCite XSD at $XSD"
"$PY" -c 'import lxml.etree' || fail "python3-lxml is missing (Debian package python3-lxml)"

EX="$HEMERA_SRC/examples"
A="$T/arch"
expect_exit 0 hemera-init --root "$A"
cp "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea" "$EX/datb/form.yaml" .
expect_exit 0 hemera-ingest --root "$A" --json --collection strato2021/o3sonde --form form.yaml \
  o3_20210618_kiruna.na gps_20210618_kiruna.nmea
U=$(json_get 'd["uuid"]')
D="$A/DATB/strato2021/o3sonde/$U"
DOI="10.80001/$U"

PASSWORD="s3cret-$RANDOM-pw"
printf '%s\n' "$PASSWORD" >pw
chmod 600 pw
mkdir state
PORT=$(free_port)
"$PY" "$HEMERA_SRC/tests/cli/datacite_server.py" "$PORT" "$T/state" "$XSD" TEST.HEMERA "$T/pw" 10.80001 \
  2>server.log &
track_pid $!
for _ in $(seq 100); do [[ -f state/ready ]] && break; sleep 0.1; done
[[ -f state/ready ]] || { cat server.log >&2; fail "the DataCite test server did not start"; }

cat >hemera.yaml <<EOF
root: $A
catalogue_url: https://catalogue.example.org
doi:
  prefix: "10.80001"
  publisher: "AERIS/ESPRI"
  api_url: http://127.0.0.1:$PORT
  repository_id: TEST.HEMERA
  password_file: $T/pw
  retries: 2
  timeout: 20s
catalogue:
  defaults:
    topicCategory: climatologyMeteorologyAtmosphere
    limitationsOnPublicAccess: noLimitations
    metadataContact: {organisation: AERIS, email: contact@example.org}
    lineage: "Sondes processed with the manufacturer's software."
EOF
export HEMERA_CONFIG=$T/hemera.yaml
requests() { if [[ -f state/requests.jsonl ]]; then wc -l <state/requests.jsonl; else echo 0; fi; }
last_status() { tail -n 1 state/requests.jsonl | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
no_secret() { ! grep -qF -- "$PASSWORD" "$T/out" "$T/err" || fail "the password leaked"; }

# --- the server really validates: a document that breaks the XSD is refused
# with 422 (so a wrong document from hemera-doi would fail this test).
"$PY" - "$PORT" "$PASSWORD" <<'PY' || fail "the server does not refuse XML that breaks the XSD"
import base64, json, sys, urllib.request, urllib.error
port, pw = sys.argv[1:3]
xml = b'<?xml version="1.0"?><resource xmlns="http://datacite.org/schema/kernel-4"><identifier identifierType="DOI">10.80001/x</identifier></resource>'
body = json.dumps({"data": {"type": "dois", "attributes": {"doi": "10.80001/x", "xml": base64.b64encode(xml).decode()}}}).encode()
req = urllib.request.Request("http://127.0.0.1:%s/dois/10.80001/x" % port, data=body, method="PUT",
    headers={"Content-Type": "application/vnd.api+json",
             "Authorization": "Basic " + base64.b64encode(("TEST.HEMERA:" + pw).encode()).decode()})
try:
    urllib.request.urlopen(req)
    sys.exit(1)
except urllib.error.HTTPError as e:
    errors = json.load(e)["errors"]
    assert e.code == 422 and any(x["source"] == "xml" and "creators" in x["title"] for x in errors), errors
PY
rm -f state/requests.jsonl state/xml-*.xml
pass "the test server validates against the DataCite XSD"

# --- check: what is missing is listed, exit 1 (the INSPIRE theme here).
expect_exit 1 hemera-doi check "$U"
expect_err "[inspire.theme]"
expect_out "not ready (1 missing)"
expect_exit 1 hemera-doi check "$U" --json
check_json
[[ $(json_get '[m["rule"] for m in d["missing"]]') == "['inspire.theme']" ]] || fail "check: $(cat "$T/out")"
[[ $(json_get 'd["landing_page"]') == "https://catalogue.example.org/$U" ]] || fail "landing page"
# publish and create refuse while something is missing; nothing is sent.
expect_exit 65 hemera-doi publish "$U"
expect_err "is not ready for a DOI: 1 missing"
expect_exit 65 hemera-doi create "$U"
[[ $(requests) -eq 0 ]] || fail "a request was sent for a record that is not ready"
pass "check lists what is missing; the gate sends nothing"

# --- create --draft: a draft needs only the DOI; the record is not revised.
rev_before=$(ls "$D/metadata" | wc -l)
expect_exit 0 hemera-doi create --draft "$U" --json
check_json
no_secret
[[ $(json_get 'd["state"]') == draft && $(json_get 'd["revision"]') == None ]] || fail "draft: $(cat "$T/out")"
[[ $(ls "$D/metadata" | wc -l) -eq $rev_before ]] || fail "a draft must not be written into the record"
[[ $(last_status) == 201 ]] || fail "draft not created with 201"
expect_exit 0 hemera-doi show "$U"
expect_out "state: draft"
expect_out "url: https://catalogue.example.org/$U"
expect_exit 0 hemera-doi show "$U" --json
check_json
[[ $(json_get 'd["local_state"]') == draft ]] || fail "local state"
# A draft cannot be hidden.
expect_exit 65 hemera-doi hide "$U"
expect_err "is a draft"
pass "create --draft, show"

# --- complete the record, then publish: findable, DOI in the record.
expect_exit 0 hemera-meta set "$U" 'keywords[]={"concept": "Atmospheric conditions"}'
expect_exit 0 hemera-doi check "$U"
expect_out "ready for a DOI"
journal_before=$(wc -l <"$A/.hemera/journal")
expect_exit 0 hemera-doi publish "$U" --json
check_json
no_secret
[[ $(json_get 'd["state"]') == findable ]] || fail "publish: $(cat "$T/out")"
rev=$(json_get 'd["revision"]')
[[ $rev =~ ^[0-9]+$ ]] || fail "publish made no record revision"
"$PY" - "$D/metadata.json" "$DOI" <<'PY' || fail "the DOI is not in the record's identifiers"
import json, sys
rec = json.load(open(sys.argv[1]))
assert {"code": sys.argv[2], "codeSpace": "http://dx.doi.org/"} in rec["identifiers"], rec.get("identifiers")
PY
[[ -f $D/metadata/$(printf %04d "$rev").json ]] || fail "revision file"
[[ $(wc -l <"$A/.hemera/journal") -gt $journal_before ]] || fail "the revision is not journaled"
tail -n 3 "$A/.hemera/journal" | grep -q '"record.revision"' || fail "no record.revision journal event"
grep '"doi.mint"' "$A/.hemera/audit.log" | grep -q "publish $DOI: state findable" || fail "publish not audited"
# The XML sent is hemera-export's DataCite document, with the ORCID as nameIdentifier.
last_xml=$(ls -v state/xml-*.xml | tail -n 1)
grep -qF '<nameIdentifier nameIdentifierScheme="ORCID" schemeURI="https://orcid.org">https://orcid.org/0000-0002-1825-0097</nameIdentifier>' "$last_xml" ||
  fail "the creator's ORCID is not sent"
grep -qF "<identifier identifierType=\"DOI\">$DOI</identifier>" "$last_xml" || fail "identifier"
grep -qF 'xml:lang="fr"' "$last_xml" || fail "the French title is not sent"
# publish again: idempotent, no new revision.
expect_exit 0 hemera-doi publish "$U" --json
[[ $(json_get 'd["revision"]') == None && $(json_get 'd["state"]') == findable ]] || fail "second publish"
pass "publish: findable, DOI in the record (revision $rev, journaled, audited)"

# --- dry run: the exact body, nothing sent, no password read.
n=$(requests)
chmod 644 pw
expect_exit 0 hemera-doi --dry-run update "$U"
chmod 600 pw
[[ $(requests) -eq $n ]] || fail "a dry run sent a request"
expect_err "dry run: PUT http://127.0.0.1:$PORT/dois/$DOI"
"$PY" - "$T/out" "$DOI" "$U" <<'PY' >sent.xml || fail "dry-run body"
import base64, json, sys
body = json.load(open(sys.argv[1]))
a = body["data"]["attributes"]
assert body["data"]["type"] == "dois" and a["doi"] == sys.argv[2], body
assert a["url"] == "https://catalogue.example.org/" + sys.argv[3] and "event" not in a, a
sys.stdout.write(base64.b64decode(a["xml"]).decode())
PY
hemera-export --format datacite "$U" >exported.xml
cmp -s sent.xml exported.xml || fail "the body's XML differs from hemera-export --format datacite"
expect_exit 0 hemera-doi --dry-run --json hide "$U"
check_json
[[ $(json_get 'd["body"]["data"]["attributes"]') == "{'doi': '$DOI', 'event': 'hide'}" ]] || fail "hide body"
pass "--dry-run prints the exact body (the XML is hemera-export's)"

# --- update after a metadata change: the new title reaches DataCite.
expect_exit 0 hemera-meta set "$U" 'resourceTitle.en="Ozone sonde flight, Kiruna, 18 June 2021 (reprocessed)"'
expect_exit 0 hemera-doi update "$U" --json
check_json
[[ $(json_get 'd["state"]') == findable ]] || fail "update changed the state"
last_xml=$(ls -v state/xml-*.xml | tail -n 1)
grep -qF "18 June 2021 (reprocessed)" "$last_xml" || fail "update did not send the new title"
# publicationYear is frozen: every document sent carries the same one.
[[ $(grep -ho '<publicationYear>[0-9]*</publicationYear>' state/xml-*.xml | sort -u | wc -l) -eq 1 ]] ||
  fail "publicationYear changed between requests"
pass "update sends the changed metadata"

# --- retry after a dropped connection (PUT is idempotent, so it is simply sent again).
touch state/drop
expect_exit 0 hemera-doi publish "$U" --json
check_json
[[ $(json_get 'd["attempts"]') -eq 2 && $(json_get 'd["state"]') == findable ]] ||
  fail "expected a second attempt: $(cat "$T/out")"
grep -q '"dropped"' state/requests.jsonl || fail "the server did not drop a connection"
pass "a dropped connection is retried"

# --- hide: findable -> registered; never deleted; hide again is a no-op.
expect_exit 0 hemera-doi hide "$U" --json
check_json
[[ $(json_get 'd["state"]') == registered ]] || fail "hide"
expect_exit 0 hemera-doi show "$U"
expect_out "state: registered"
expect_exit 0 hemera-doi hide "$U" --json
[[ $(json_get 'd["changed"]') == False ]] || fail "hiding a hidden DOI sent something"
expect_exit 0 hemera-doi publish "$U" --json
[[ $(json_get 'd["state"]') == findable ]] || fail "publish after hide"
pass "hide and publish again"

# --- error paths.
# Bad credentials: 78, naming the repository id, never the password.
printf 'wrong\n' >pw2
chmod 600 pw2
expect_exit 78 hemera-doi --config <(sed "s|$T/pw\$|$T/pw2|" hemera.yaml) update "$U"
expect_err "DataCite refused the credentials of repository TEST.HEMERA (HTTP 401"
no_secret
! grep -qF wrong "$T/err" || fail "the wrong password is printed"
# 422: DataCite's errors, one line each, exit 65.
echo '{"status": 422, "errors": [{"source": "url", "title": "Url is not allowed by repository TEST.HEMERA domain settings."}, {"source": "xml", "title": "Missing child element(s)."}]}' >state/status
expect_exit 65 hemera-doi update "$U"
expect_err "hemera-doi: DataCite: url: Url is not allowed by repository TEST.HEMERA domain settings."
expect_err "hemera-doi: DataCite: xml: Missing child element(s)."
expect_exit 65 hemera-doi update "$U" --json
check_json
[[ $(json_get 'd["error"]["field"]') == url ]] || fail "422 field"
grep '"doi.mint"' "$A/.hemera/audit.log" | tail -n 1 | grep -q '"allowed":false' || fail "a failed update is not audited"
# 503 on every attempt: 75 after the retries.
echo 503 >state/status
n=$(requests)
expect_exit 75 hemera-doi show "$U"
expect_err "HTTP 503"
expect_err "after 3 attempts"
[[ $(( $(requests) - n )) -eq 3 ]] || fail "expected 3 attempts"
rm state/status
# A DOI DataCite does not have: update refuses (66) instead of creating it.
sed 's/Kiruna, 2021-06-18/Kiruna, second flight/' form.yaml >form2.yaml
expect_exit 0 hemera-ingest --root "$A" --json --collection strato2021/o3sonde --form form2.yaml \
  o3_20210618_kiruna.na gps_20210618_kiruna.nmea
U2=$(json_get 'd["uuid"]')
expect_exit 0 hemera-meta set "$U2" 'keywords[]={"concept": "Atmospheric conditions"}'
expect_exit 66 hemera-doi update "$U2"
expect_err "does not exist at DataCite yet"
expect_exit 66 hemera-doi show "$U2"
# A prefix the repository does not own: 403 -> 78.
expect_exit 78 hemera-doi --config <(sed 's|"10.80001"|"10.80002"|' hemera.yaml) create --draft "$U2"
expect_err "repository TEST.HEMERA (HTTP 403"
# Connection refused: 75.
expect_exit 75 hemera-doi --config <(sed "s|127.0.0.1:$PORT|127.0.0.1:1|; s|retries: 2|retries: 0|" hemera.yaml) show "$U"
# The password file must be owner-only, and the owner's.
chmod 640 pw
expect_exit 78 hemera-doi update "$U"
expect_err "$T/pw"
expect_err "owner only"
chmod 600 pw
if [[ $(id -u) -eq 0 ]]; then
  chown 65534 pw
  expect_exit 78 hemera-doi update "$U"
  expect_err "must belong to the user running the tool"
  chown 0 pw
fi
# Privilege: a user without curator/administrator may not mint (77, audited).
if [[ $(id -u) -eq 0 ]]; then
  expect_exit 77 env SUDO_UID=65534 hemera-doi --root "$A" publish "$U"
  expect_err "may not doi.mint"
  tail -n 1 "$A/.hemera/audit.log" | grep -q '"allowed":false' || fail "denial not audited"
fi
# Unknown dataset, malformed UUID.
expect_exit 66 hemera-doi show 0f8fad5b-d9cb-469f-a165-70867728950e
expect_exit 64 hemera-doi show not-a-uuid
pass "error paths: 401, 403, 422, 503, 404, refused, password file, permission"

# Every XML document the server received validated (none was refused for the XSD).
for f in state/xml-*.xml; do
  "$PY" -c 'import sys; from lxml import etree; s=etree.XMLSchema(etree.parse(sys.argv[1])); sys.exit(0 if s.validate(etree.parse(sys.argv[2])) else 1)' "$XSD" "$f" ||
    fail "$f does not validate against the DataCite XSD"
done
pass "every document sent validates against DataCite kernel-4.7"
