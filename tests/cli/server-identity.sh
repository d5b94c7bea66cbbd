#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ORCID sign-in end to end: a local OpenID provider (tests/cli/oidc_provider.py,
# RS256 keys made here with openssl) drives the authorization-code flow through
# hemera-csw's /orcid/login and /orcid/callback; hemera-login exchanges the
# one-time code for a session. Forged signature, alg none, HS256, wrong
# audience, wrong issuer, expired token, missing exp, wrong nonce and a sub
# with a bad check digit are each refused with a clear message; an edited
# session file is refused; the client secret must be owner-only.
source "$HEMERA_SRC/tests/cli/lib.sh"
command -v openssl >/dev/null || fail "openssl is missing"
command -v curl >/dev/null || fail "curl is missing"
"$PY" -c 'import cryptography' || fail "python3-cryptography is missing (scripts/install-deps.sh)"
export HOME="$T/home"
mkdir -p "$HOME"

ORCID=0000-0002-1694-233X
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out provider.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out attacker.pem 2>/dev/null
umask 077
printf 'the-client-secret\n' >client.secret
umask 022
P1=$(free_port)
"$PY" "$HEMERA_SRC/tests/cli/oidc_provider.py" "$P1" provider.pem attacker.pem APP-HEMERA-TEST client.secret "$ORCID" \
  2>provider.log &
track_pid $!
IDP="http://127.0.0.1:$P1"
for _ in $(seq 100); do curl -sf "$IDP/oauth/jwks" -o /dev/null && break; sleep 0.1; done
curl -sf "$IDP/oauth/jwks" -o /dev/null || fail "the provider did not start"

hemera-init -q --root "$T/a"
P2=$(free_port)
BASE="http://127.0.0.1:$P2"
cat >hemera.yaml <<YAML
root: $T/a
public_url: $BASE
orcid:
  issuer: $IDP
  client_id: APP-HEMERA-TEST
  client_secret_file: $T/client.secret
  session_lifetime: 2h
YAML
export HEMERA_CONFIG="$T/hemera.yaml"

# The client secret must be owner-only, and plain HTTP only to 127.0.0.1.
chmod 644 client.secret
expect_exit 78 hemera-csw serve --listen "127.0.0.1:$P2"
expect_err "readable by its owner only"
chmod 600 client.secret
sed 's|issuer: .*|issuer: http://orcid.example.org|' hemera.yaml >plain.yaml
expect_exit 78 hemera-csw --config plain.yaml serve --listen "127.0.0.1:$P2"
expect_err "must be an https:// URL"
pass "client secret and provider URL checked"

hemera-csw serve --listen "127.0.0.1:$P2" 2>csw.log &
CSW=$!
track_pid $CSW
for _ in $(seq 100); do curl -s "$BASE/orcid/login" -o /dev/null && break; sleep 0.1; done

# sign_in: run the whole browser flow; the final page is in page.html, its status in $status.
sign_in() {
  status=$(curl -s -L --max-redirs 3 -o page.html -w '%{http_code}' "$BASE/orcid/login")
}
set_mode() { curl -sf -X POST -d "{\"mode\": \"$1\"}" "$IDP/control" -o /dev/null; }

# The authorization request carries scope openid, state and nonce.
curl -s -o /dev/null -D login.headers "$BASE/orcid/login"
grep -qi '^location: .*/oauth/authorize?.*scope=openid' login.headers || fail "no openid scope"
grep -qi '^location: .*state=[0-9a-f]\{64\}' login.headers || fail "no state"
grep -qi '^location: .*nonce=[0-9a-f]\{64\}' login.headers || fail "no nonce"
grep -qi 'client_secret' login.headers && fail "the secret went to the browser"

set_mode good
sign_in
[[ $status == 200 ]] || { cat page.html; fail "sign-in failed ($status)"; }
CODE=$(sed -n 's|.*<code id="login-code">\([A-Z0-9-]*\)</code>.*|\1|p' page.html)
[[ $CODE =~ ^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$ ]] || { cat page.html; fail "no one-time code on the page"; }
grep -q 'the-client-secret' page.html csw.log && fail "the secret leaked"
pass "sign-in through hemera-csw shows a one-time code"

# A state is used once: replaying the callback is refused.
cb=$(curl -s -o /dev/null -w '%{redirect_url}' "$BASE/orcid/login")
back=$(curl -s -o /dev/null -w '%{redirect_url}' "$cb")
[[ $(curl -s -o /dev/null -w '%{http_code}' "$back") == 200 ]] || fail "first callback"
[[ $(curl -s -o replay.html -w '%{http_code}' "$back") == 403 ]] || fail "replayed callback accepted"
grep -q "already used sign-in state" replay.html || fail "replay message"
[[ $(curl -s -o forged-state.html -w '%{http_code}' "$BASE/orcid/callback?code=x&state=$(printf '%064d' 0)") == 403 ]] ||
  fail "unknown state accepted"
pass "state checked and used once"

# hemera-login exchanges the code for a session (stdin, never the command line).
echo "$CODE" | expect_exit 0 hemera-login --json
check_json
[[ $(json_get 'd["orcid"]') == "$ORCID" ]] || fail "wrong ORCID"
SESSION="$HOME/.config/hemera/session"
[[ $(stat -c %a "$SESSION") == 600 ]] || fail "session file mode $(stat -c %a "$SESSION")"
grep -q "$CODE" "$SESSION" && fail "the code is in the session file"
# The database keeps only the token's hash.
token=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$SESSION")
[[ ${#token} -eq 64 ]] || fail "token length"
grep -c "$token" "$T/a/.hemera/hemera.db"* >/dev/null 2>&1 && fail "raw token stored in hemera.db"
echo "$CODE" | expect_exit 77 hemera-login
expect_err "unknown or already used sign-in code"
expect_exit 0 hemera-login --status --json
check_json
[[ $(json_get 'd["via"]') == session && $(json_get 'd["actor"]') == "$ORCID" ]] || fail "status"
pass "hemera-login: one-time code -> session"

# The session's ORCID iD holds no role yet: privileged commands are refused as that iD.
expect_exit 77 hemera-user list
expect_err "$ORCID may not user.list"
# The administrator (the Unix user, without session) grants; the session then may.
HOME="$T/admin-home" expect_exit 0 hemera-user grant "$ORCID" curator
expect_exit 0 hemera-user list

# An edited session file is refused: another ORCID iD, another token, a loose mode.
cp "$SESSION" session.orig
sed -i "s/$ORCID/0000-0002-1825-0097/" "$SESSION"
expect_exit 77 hemera-login --status
expect_err "the session file was edited"
expect_exit 77 hemera-user list
expect_err "refused"
cp session.orig "$SESSION"
"$PY" - "$SESSION" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["token"] = "0" * 64; open(sys.argv[1], "w").write(json.dumps(d))
PY
expect_exit 77 hemera-login --status
expect_err "names no open session"
cp session.orig "$SESSION"
chmod 644 "$SESSION"
expect_exit 77 hemera-login --status
expect_err "readable or writable by others"
chmod 600 "$SESSION"
expect_exit 0 hemera-login --status
pass "edited session files refused"

# Every flawed id_token is refused with its reason, and no code is issued.
for case in "forged:the signature does not verify" "none:algorithm 'none' (only RS256 is accepted)" \
            "hs256:algorithm 'HS256' (only RS256 is accepted)" "wrong_aud:audience \"APP-SOMEONE-ELSE\" is not this client" \
            "wrong_iss:issuer 'https://orcid.org' is not the configured" "expired:it expired at" \
            "no_exp:it has no expiry (exp)" "wrong_nonce:its nonce is not the one this sign-in sent" \
            "bad_sub:its subject is not a valid ORCID iD"; do
  mode=${case%%:*}
  want=${case#*:}
  set_mode "$mode"
  sign_in
  [[ $status == 403 ]] || { cat page.html; fail "$mode: status $status"; }
  grep -qF -- "id_token refused: $(sed 's/"/\&quot;/g; s/'"'"'/\&#39;/g' <<<"$want")" page.html ||
    { cat page.html; fail "$mode: message"; }
  grep -q 'login-code' page.html && fail "$mode: a code was issued"
  pass "refused: $mode"
done
set_mode good

# A wrong client secret is the centre's configuration problem.
printf 'wrong\n' >client.secret
kill "$CSW"
wait "$CSW" 2>/dev/null || true
hemera-csw serve --listen "127.0.0.1:$P2" 2>csw2.log &
track_pid $!
for _ in $(seq 100); do curl -s "$BASE/orcid/login" -o /dev/null && break; sleep 0.1; done
sign_in
[[ $status == 500 ]] || fail "wrong secret: status $status"
grep -q "refused the code (HTTP 401, invalid_client)" page.html || { cat page.html; fail "wrong secret message"; }
pass "wrong client secret reported"

# Logout closes the session; the tools act as the Unix user again.
expect_exit 0 hemera-logout --json
check_json
[[ $(json_get 'd["closed"]') == True ]] || fail "logout"
[[ ! -e $SESSION ]] || fail "session file left"
expect_exit 1 hemera-login --status --json
check_json
[[ $(json_get 'd["via"]') == unix ]] || fail "status after logout"
expect_exit 0 hemera-user --json audit --action 'login*'
check_json
[[ $(json_get 'd["count"]') -ge 2 ]] || fail "sign-ins not audited"
expect_exit 0 hemera-user audit --check
pass "logout"
