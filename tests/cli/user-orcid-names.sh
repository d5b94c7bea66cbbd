#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-user list|show --names: names and public e-mail addresses read from
# ORCID's public API (a stand-in on 127.0.0.1 started here), with the Accept
# header ORCID wants; a private e-mail, an unknown iD (404), a server error,
# hostile and broken documents and an unreachable API all leave the name
# unknown with a warning and exit 0; nothing reaches the database or the disk.
source "$HEMERA_SRC/tests/cli/lib.sh"
export HOME="$T/home"
mkdir -p "$HOME"

CARBERRY=0000-0002-1825-0097   # public name and primary e-mail
PRIVATE=0000-0002-1694-233X    # public name, e-mail private (absent)
CREDIT=0000-0002-4510-0385     # credit name, one public and one limited address
MISSING=0009-0001-5055-9262    # unknown to ORCID: 404
BROKEN=0000-0001-5109-3700     # not JSON
HOSTILE=0000-0002-2601-8132    # terminal escapes in the name
FAILING=0000-0003-1419-2421    # HTTP 500

"$PY" - "$T/people.json" <<PY
import json, sys
people = {
  "$CARBERRY": {"name": {"given-names": {"value": "Josiah"}, "family-name": {"value": "Carberry"},
                         "credit-name": None, "visibility": "public", "path": "$CARBERRY"},
                "emails": {"email": [{"email": "josiah@example.org", "primary": True, "verified": True,
                                      "visibility": "public"}], "path": "/$CARBERRY/email"},
                "path": "/$CARBERRY/person"},
  "$PRIVATE": {"name": {"given-names": {"value": "Ada"}, "family-name": {"value": "Private"}},
               "emails": {"last-modified-date": None, "email": [], "path": "/$PRIVATE/email"}},
  "$CREDIT": {"name": {"given-names": {"value": "Thomas"}, "family-name": {"value": "Jones"},
                       "credit-name": {"value": "T. Jones"}},
              "emails": {"email": [{"email": "limited@example.org", "primary": True, "visibility": "limited"},
                                   {"email": "tj@example.org", "primary": False, "visibility": "public"}]}},
  "$BROKEN": "<html>maintenance</html>",
  "$HOSTILE": {"name": {"given-names": {"value": "Mal\u001b[2J\u001b]0;owned\u0007lory"},
                        "family-name": {"value": "\u202eX" * 400}},
               "emails": {"email": [{"email": "a\u001b[31m@example.org", "primary": True}]}},
  "$FAILING": {"status": 500, "body": "{}"},
}
json.dump(people, open(sys.argv[1], "w"))
PY

PORT=$(free_port)
"$PY" "$HEMERA_SRC/tests/cli/orcid_public_api.py" "$PORT" "$T/people.json" "$T/requests.log" &
SERVER=$!
track_pid "$SERVER"
for _ in $(seq 600); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
  kill -0 "$SERVER" 2>/dev/null || fail "the stand-in public API did not start"
  sleep 0.1
done
: >"$T/requests.log"

printf 'orcid:\n  public_api: http://127.0.0.1:%s/v3.0/\n' "$PORT" >"$T/hemera.yaml"
hemera-init -q --root "$T/a"
u() { hemera-user --config "$T/hemera.yaml" --root "$T/a" "$@"; }
for id in "$CARBERRY" "$PRIVATE" "$CREDIT" "$MISSING" "$BROKEN" "$HOSTILE" "$FAILING"; do
  u -q add "$id"
done
u -q grant "$CARBERRY" curator
u -q bind nobody "$CREDIT"
find "$T/a" "$HOME" -type f -printf '%p %s %T@\n' | sort >before.txt

# Without --names the public API is not asked.
expect_exit 0 u --json list
check_json
[[ $(json_get 'any("person" in x for x in d["users"])') == False ]] || fail "person without --names"
[[ ! -s "$T/requests.log" ]] || fail "the public API was asked without --names"

expect_exit 0 u --json list --names
check_json
cp "$T/out" list.json
cp "$T/err" list.err
p() { json_get "{x['name']: x.get('person') for x in d['users']}[\"$1\"]$2" list.json; }
[[ $(p "$CARBERRY" "['name']") == "Josiah Carberry" ]] || fail "Carberry's name"
[[ $(p "$CARBERRY" "['emails']") == "['josiah@example.org']" ]] || fail "Carberry's e-mail"
[[ $(p "$PRIVATE" "['name']") == "Ada Private" ]] || fail "a public name with a private e-mail"
[[ $(p "$PRIVATE" "['emails']") == "[]" ]] || fail "a private e-mail shown"
[[ $(p "$CREDIT" "['name']") == "T. Jones" ]] || fail "the credit name"
[[ $(p "$CREDIT" "['family_name']") == "Jones" ]] || fail "the family name"
[[ $(p "$CREDIT" "['emails']") == "['tj@example.org']" ]] || fail "a limited e-mail shown"
[[ $(p "$MISSING" "") == None ]] || fail "an unknown iD has a person"
[[ $(p "$BROKEN" "") == None ]] || fail "a broken document has a person"
[[ $(p "$FAILING" "") == None ]] || fail "a server error has a person"
[[ $(p "$(id -un)" "") == None ]] || fail "a Unix login has a person"
[[ $(p "$HOSTILE" "['name']") == *"Mal[2J]0;ownedlory"* ]] || fail "the hostile name was not cleaned"
[[ $(p "$HOSTILE" "['emails']") == "[]" ]] || fail "a hostile address kept"
grep -qF "name of $MISSING unknown: ORCID does not know this iD" list.err || fail "no warning for the 404"
grep -qF "name of $BROKEN unknown: ORCID's answer for $BROKEN is not a JSON object" list.err || fail "no warning for bad JSON"
grep -qF "name of $FAILING unknown: ORCID's public API answered HTTP 500" list.err || fail "no warning for the 500"
[[ $(grep -c . list.err) -eq 3 ]] || { cat list.err; fail "unexpected warnings"; }
# One GET per iD, /v3.0/<iD>/person, asking for JSON.
"$PY" - "$T/requests.log" <<'PY' || fail "requests to the public API"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 7, reqs
assert all(r["accept"] == "application/json" for r in reqs), reqs
assert all(r["path"].startswith("/v3.0/") and r["path"].endswith("/person") for r in reqs), reqs
PY
pass "names and public e-mail addresses, failures as warnings"

# Text output: the name and the first public address beside the iD; no
# terminal escape from the hostile document.
expect_exit 0 u list --names
expect_out "$CARBERRY  Josiah Carberry <josiah@example.org>"
expect_out "$MISSING  (name unknown)"
expect_out "$PRIVATE  Ada Private "
if grep -q $'\e' "$T/out"; then fail "an escape character reached the terminal"; fi
expect_exit 0 u --json show --names "https://orcid.org/$CREDIT"
check_json
[[ $(json_get 'd["user"]["person"]["credit_name"]') == "T. Jones" ]] || fail "show --names"
# The Unix login bound to an iD shows that person.
expect_exit 0 u --json show --names nobody
check_json
[[ $(json_get 'd["user"]["person"]["name"]') == "T. Jones" ]] || fail "show --names of a bound login"
pass "text output and show"

# Nothing was stored: no name or address in the database, the audit log or
# anywhere under the archive or the home directory; no file added or changed.
if grep -rqaE "Carberry|josiah@|T\. Jones|tj@example" "$T/a" "$HOME"; then fail "a name or address was stored"; fi
find "$T/a" "$HOME" -type f -printf '%p %s %T@\n' | sort >after.txt
# The audit log grows with each decision; everything else stays as it was.
diff <(grep -v 'audit.log\|/locks' before.txt) <(grep -v 'audit.log\|/locks' after.txt) || fail "files changed by --names"
pass "nothing stored"

# The API unreachable: one warning, names unknown, exit 0, no retry per person.
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
: >"$T/requests.log"
expect_exit 0 u --json list --names
check_json
[[ $(json_get 'all(x["person"] is None for x in d["users"])') == True ]] || fail "a person without the API"
expect_err "cannot reach ORCID's public API at http://127.0.0.1:$PORT/v3.0"
[[ $(grep -c "unknown" "$T/err") -eq 1 ]] || { cat "$T/err"; fail "one warning expected when the API is down"; }
expect_exit 0 u show --names "$CARBERRY"
expect_out "(name unknown)"
pass "API unreachable: warning, exit 0"

# Plain HTTP to another host is a configuration error.
printf 'orcid:\n  public_api: http://pub.orcid.org/v3.0\n' >plain.yaml
expect_exit 78 hemera-user --config plain.yaml --root "$T/a" list --names
expect_err "orcid.public_api must be an https:// URL"
expect_exit 0 hemera-user --config plain.yaml --root "$T/a" list
pass "plain HTTP refused"
