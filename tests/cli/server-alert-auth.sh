#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-verify alert mail with SMTP AUTH against an aiosmtpd sink that
# requires it (loopback): the password comes from an owner-only file and is
# never printed or logged; a rejected login leaves the alert due. Then the
# repeat policy: a file that keeps failing is announced once, reminded only
# after alerts.repeat_after, and never while acknowledged.
source "$HEMERA_SRC/tests/cli/lib.sh"

"$PY" -c 'import aiosmtpd' || fail "python3-aiosmtpd is missing (scripts/install-deps.sh)"

U1=0f8fad5b-d9cb-469f-a165-70867728950e
D1=DATB/camp/sonde/$U1
hemera-init --root a -q
mkdir src
head -c 70000 /dev/urandom >src/o3_a.na
head -c 30000 /dev/urandom >src/o3_b.na
"$PY" "$HEMERA_SRC/tests/cli/make_archive.py" a DATB camp/sonde "$U1" src
chmod u+w a/$D1/v1/o3_b.na
damage() {
  "$PY" -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(100); b = f.read(1); f.seek(100); f.write(bytes([b[0] ^ 1]))' "a/$D1/v1/$1"
}

secret='s3cret-Pa55-7f3a'
(umask 077; printf '%s\n' "$secret" >sink.pass)
port=$(free_port)
mkdir mail
"$PY" "$HEMERA_SRC/tests/cli/smtp_sink.py" --auth hemera-alerts sink.pass "$port" mail 2>sink.log &
track_pid $!
for _ in $(seq 100); do [[ -e mail/ready ]] && break; sleep 0.1; done
[[ -e mail/ready ]] || { cat sink.log >&2; fail "SMTP sink did not start"; }
mails() { find mail -name '*.eml' | wc -l; }
# no_secret: the password appears in no output of the last command.
no_secret() {
  ! grep -qF "$secret" "$T/out" "$T/err" || fail "the SMTP password was printed"
}

mkconf() {  # mkconf FILE PASSWORD_FILE [EXTRA LINE]
  cat >"$1" <<EOF
alerts:
  mail: {smtp_url: "smtp://127.0.0.1:$port", from: hemera@example.org, to: [ops@example.org],
         user: hemera-alerts, password_file: $T/$2}
${3:-}
EOF
}

# --- a password file others can read is refused, and says so
cp sink.pass open.pass && chmod 644 open.pass
mkconf open.yaml open.pass
damage o3_b.na
expect_exit 1 hemera-verify --root a --config open.yaml --json
check_json
no_secret
[[ $(json_get 'd["alert"]["channels"][0]["ok"]') == False ]] || fail "world-readable password file used"
json_get 'd["alert"]["channels"][0]["error"]' | grep -q "owner only" || fail "mode not named: $(json_get 'd["alert"]["channels"][0]["error"]')"
[[ $(mails) -eq 0 ]] || fail "mail sent without a valid password file"
pass "a password file readable by others is refused"

# --- a wrong password: refused by the server, reported, the alert still due
(umask 077; printf 'wrong-password\n' >wrong.pass)
mkconf wrong.yaml wrong.pass
expect_exit 1 hemera-verify --root a --config wrong.yaml --json
check_json
no_secret
! grep -q wrong-password "$T/out" "$T/err" || fail "the wrong password was printed"
[[ $(json_get 'd["alert"]["channels"][0]["ok"]') == False ]] || fail "refused login reported as delivered"
[[ $(json_get 'd["alert"]["due"]') == True ]] || fail "alert not due"
grep -q '^hemera-alerts .* refused$' mail/auth.log || fail "the sink saw no refused login: $(cat mail/auth.log)"
[[ $(mails) -eq 0 ]] || fail "mail accepted with a wrong password"
pass "a rejected login fails the delivery and keeps the alert due"

# --- the right password (0600): delivered once, authenticated
mkconf good.yaml sink.pass "verification: {period: 30d}"
expect_exit 1 hemera-verify --root a --config good.yaml -v
no_secret
[[ $(mails) -eq 1 ]] || { cat sink.log >&2; fail "expected one mail, got $(mails)"; }
[[ $(json_get 'd["login"]' mail/1.json) == hemera-alerts ]] || fail "mail not sent under AUTH"
grep -q "$D1/v1/o3_b.na" mail/1.eml || fail "damaged file not in the mail"
! grep -qF "$secret" mail/1.eml || fail "password in the mail"
grep -q '^hemera-alerts .* ok$' mail/auth.log || fail "no successful login in the sink's log"
pass "SMTP AUTH with the password from an owner-only file; never printed"

# --- repeat policy: the same file failing night after night
mkconf remind.yaml sink.pass "  repeat_after: 7d"
grep -q '^  repeat_after: 7d' remind.yaml || fail "bad test configuration"
expect_exit 1 hemera-verify --root a --config remind.yaml -q
expect_exit 1 hemera-verify --root a --config remind.yaml -q
[[ $(mails) -eq 1 ]] || fail "an announced failure was re-sent before repeat_after"
# Eight days later (the ledger's last announcement moved back).
"$PY" -c 'import sqlite3; c=sqlite3.connect("a/.hemera/hemera.db"); c.execute("UPDATE alert_problems SET last_sent = last_sent - 8*86400"); c.commit()'
expect_exit 1 hemera-verify --root a --config remind.yaml --json
check_json
[[ $(mails) -eq 2 ]] || fail "no reminder after repeat_after"
[[ $(json_get 'd["alert"]["reminded"]') == "['fixity.mismatch:$D1/v1/o3_b.na']" ]] || fail "reminded: $(json_get 'd["alert"]["reminded"]')"
[[ $(json_get 'd["alert"]["new"]') == "[]" ]] || fail "a reminder counted as new"
grep -q "Still unresolved (reminder after alerts.repeat_after): fixity.mismatch:$D1/v1/o3_b.na" mail/2.eml ||
  fail "reminder not marked in the mail"
expect_exit 1 hemera-verify --root a --config remind.yaml -q
[[ $(mails) -eq 2 ]] || fail "reminder re-sent at the next run"
# Without repeat_after (the default): never again while unresolved.
"$PY" -c 'import sqlite3; c=sqlite3.connect("a/.hemera/hemera.db"); c.execute("UPDATE alert_problems SET last_sent = last_sent - 90*86400"); c.commit()'
expect_exit 1 hemera-verify --root a --config good.yaml -q
[[ $(mails) -eq 2 ]] || fail "re-sent without repeat_after"
# Acknowledged: no reminder either.
expect_exit 0 hemera-verify --root a --ack -q
expect_exit 1 hemera-verify --root a --config remind.yaml -q
[[ $(mails) -eq 2 ]] || fail "an acknowledged problem was reminded"
pass "a repeated failure is announced once, reminded after alerts.repeat_after, never once acknowledged"
