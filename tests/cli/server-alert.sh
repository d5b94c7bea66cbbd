#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-verify alerts sent for real: SMTP to an aiosmtpd sink (plain, then
# STARTTLS with a CA made here), an HTTP webhook, and a command; one summary
# per run, not re-sent unless configured, silenced by --ack.
source "$HEMERA_SRC/tests/cli/lib.sh"

"$PY" -c 'import aiosmtpd' || fail "python3-aiosmtpd is missing (scripts/install-deps.sh)"
command -v openssl >/dev/null || fail "openssl is missing"

U1=0f8fad5b-d9cb-469f-a165-70867728950e
D1=DATB/camp/sonde/$U1
hemera-init --root a -q
mkdir src
head -c 200000 /dev/urandom >src/o3_a.na
head -c 100000 /dev/urandom >src/o3_b.na
head -c 50000 /dev/urandom >src/o3_c.na
"$PY" "$HEMERA_SRC/tests/cli/make_archive.py" a DATB camp/sonde "$U1" src
for f in a/$D1/v1/*.na; do chmod u+w "$f"; cp "$f" "$(basename "$f").good"; done

# start_sink NAME [CERT KEY]: an SMTP sink on a free port; sets PORT_<NAME>.
start_sink() {
  local name=$1; shift
  local port; port=$(free_port)
  mkdir -p "mail-$name"
  "$PY" "$HEMERA_SRC/tests/cli/smtp_sink.py" "$port" "mail-$name" "$@" 2>"sink-$name.log" &
  track_pid $!
  for _ in $(seq 100); do [[ -e mail-$name/ready ]] && break; sleep 0.1; done
  [[ -e mail-$name/ready ]] || { cat "sink-$name.log" >&2; fail "SMTP sink $name did not start"; }
  printf -v "PORT_$name" '%s' "$port"
}
mails() { find "mail-$1" -name '*.eml' | wc -l; }
# damage FILE OFFSET: flip one bit of a file of the dataset.
damage() {
  "$PY" -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 4]))' "a/$D1/v1/$1" "$2"
}
repair() { for f in *.good; do cp "$f" "a/$D1/v1/${f%.good}"; done; }

start_sink plain
cat >plain.yaml <<EOF
alerts:
  mail: {smtp_url: "smtp://127.0.0.1:$PORT_plain", from: hemera@example.org, to: [ops@example.org, pi@example.org]}
EOF

# --- a clean run sends nothing
expect_exit 0 hemera-verify --root a --config plain.yaml -q
[[ $(mails plain) -eq 0 ]] || fail "mail sent on success"

# --- one damaged file: one mail naming it, with both hashes
want=$(sha256sum "a/$D1/v1/o3_b.na" | cut -c1-64)
damage o3_b.na 777
got=$(sha256sum "a/$D1/v1/o3_b.na" | cut -c1-64)
expect_exit 1 hemera-verify --root a --config plain.yaml -q
expect_out "$D1/v1/o3_b.na: error: checksum mismatch"
[[ $(mails plain) -eq 1 ]] || fail "expected one mail, got $(mails plain)"
m=mail-plain/1.eml
grep -q '^From: hemera@example.org' "$m" || fail "From header"
grep -q '^To: ops@example.org, pi@example.org' "$m" || fail "To header"
grep -q '^Subject: \[hemera\] verify local: 1 problem in ' "$m" || fail "Subject: $(grep Subject "$m")"
grep -q "$D1/v1/o3_b.na" "$m" || fail "file not named in the mail"
grep -q "expected $want, found $got" "$m" || fail "hashes not in the mail"
grep -q '^Date: ' "$m" && grep -q '^Message-ID: <' "$m" || fail "Date/Message-ID"
[[ $(json_get 'd["mail_from"]' mail-plain/1.json) == hemera@example.org ]] || fail "envelope from"
[[ $(json_get 'sorted(d["rcpt_tos"])' mail-plain/1.json) == "['ops@example.org', 'pi@example.org']" ]] || fail "envelope to"
pass "one mail naming the damaged file and both hashes"

# --- the same problem the next night: no second mail; with repeat: yes
expect_exit 1 hemera-verify --root a --config plain.yaml -q
[[ $(mails plain) -eq 1 ]] || fail "unresolved problem re-sent"
{ cat plain.yaml; echo "  repeat: true"; } >repeat.yaml
expect_exit 1 hemera-verify --root a --config repeat.yaml -q
[[ $(mails plain) -eq 2 ]] || fail "repeat: true did not re-send"
pass "not re-sent every night unless alerts.repeat"

# --- a new problem: one new summary listing both, the new one marked
rm -f "a/$D1/v1/o3_c.na"
expect_exit 1 hemera-verify --root a --config plain.yaml --json
check_json
[[ $(mails plain) -eq 3 ]] || fail "new problem not announced"
grep -q '^Subject: \[hemera\] verify local: 2 problems' mail-plain/3.eml || fail "subject counts"
grep -q "fixity.missing" mail-plain/3.eml && grep -q "fixity.mismatch" mail-plain/3.eml || fail "summary incomplete"
grep -q "New since the last alert: fixity.missing:$D1/v1/o3_c.na" mail-plain/3.eml || fail "new problem not marked"
[[ $(json_get 'd["alert"]["channels"][0]["ok"]') == True ]] || fail "delivery not reported"
pass "a new problem sends one summary naming every problem"

# --- --ack: privileged, audited; then silent even with repeat, still exit 1
chown -R 65534:65534 a
expect_exit 77 as_nobody env HOME=/nonexistent hemera-verify --root a --ack
expect_err "may not verify.ack"
chown -R 0:0 a
grep '"action":"verify.ack"' a/.hemera/audit.log | grep -q '"allowed":false' || fail "denial not audited"
expect_exit 0 hemera-verify --root a --ack --json
check_json
[[ $(json_get 'len(d["acknowledged"])') == 2 ]] || fail "ack count"
grep -q '"action":"verify.ack"' a/.hemera/audit.log || fail "ack not audited"
grep -q "acknowledged 2 problem" a/.hemera/audit.log || fail "ack detail not audited"
expect_exit 1 hemera-verify --root a --config repeat.yaml -q
[[ $(mails plain) -eq 3 ]] || fail "acknowledged problems re-sent"
pass "--ack silences, is audited, and is refused to a non-curator"

# --- repaired: exit 0, silent, problems forgotten
repair
expect_exit 0 hemera-verify --root a --config repeat.yaml -q
[[ ! -s $T/out && ! -s $T/err ]] || fail "repaired archive not silent"
[[ $(mails plain) -eq 3 ]] || fail "mail after repair"
pass "repaired archive is silent"

# --- STARTTLS when offered, the certificate checked against the configured CA
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout tls.key -out tls.crt 2>/dev/null
start_sink tls tls.crt tls.key
cat >tls.yaml <<EOF
alerts:
  mail: {smtp_url: "smtp://127.0.0.1:$PORT_tls", from: hemera@example.org, to: [ops@example.org], ca_file: $T/tls.crt}
EOF
damage o3_a.na 5
expect_exit 1 hemera-verify --root a --config tls.yaml -q
[[ $(mails tls) -eq 1 ]] || { cat "sink-tls.log" >&2; fail "no mail over STARTTLS"; }
[[ $(json_get 'd["tls"]' mail-tls/1.json) == True ]] || fail "mail not sent under STARTTLS"
# An unknown CA: delivery fails, is reported, and the alert stays due.
cat >tls-noca.yaml <<EOF
alerts:
  mail: {smtp_url: "smtp://127.0.0.1:$PORT_tls", from: hemera@example.org, to: [ops@example.org]}
EOF
repair
expect_exit 0 hemera-verify --root a --config tls.yaml -q
damage o3_a.na 6
expect_exit 1 hemera-verify --root a --config tls-noca.yaml --json
check_json
[[ $(json_get 'd["alert"]["channels"][0]["ok"]') == False ]] || fail "unverified TLS accepted"
[[ $(mails tls) -eq 1 ]] || fail "mail delivered with an unknown CA"
expect_exit 1 hemera-verify --root a --config tls.yaml -q
[[ $(mails tls) -eq 2 ]] || fail "undelivered alert not retried at the next run"
pass "STARTTLS with a verified certificate; an undelivered alert is retried"
repair
expect_exit 0 hemera-verify --root a --config tls.yaml -q

# --- webhook and command, with mail, all in one run: one of each
hport=$(free_port)
mkdir hooks
cat >hook.py <<'EOF'
import http.server, json, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n = len([f for f in os.listdir(sys.argv[2]) if f.endswith(".json")]) + 1
        with open(os.path.join(sys.argv[2], "%d.json" % n), "w") as f:
            json.dump({"method": "POST", "path": self.path,
                       "content_type": self.headers.get("Content-Type"),
                       "body": body.decode()}, f)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
"$PY" hook.py "$hport" hooks &
track_pid $!
for _ in $(seq 50); do "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',$hport),1)" 2>/dev/null && break; sleep 0.1; done
cat >page.py <<'EOF'
import sys
data = sys.stdin.read()
with open(sys.argv[1], "a") as f:
    f.write(data)
EOF
cat >all.yaml <<EOF
alerts:
  mail: {smtp_url: "smtp://127.0.0.1:$PORT_plain", from: hemera@example.org, to: [ops@example.org]}
  webhook: {url: "http://127.0.0.1:$hport/hooks/abc"}
  command: [$PY, $T/page.py, $T/paged.json]
EOF
damage o3_c.na 9
expect_exit 1 hemera-verify --root a --config all.yaml -q
[[ $(find hooks -name '*.json' | wc -l) -eq 1 ]] || fail "webhook requests: $(ls hooks)"
[[ $(json_get 'd["path"]' hooks/1.json) == /hooks/abc ]] || fail "webhook path"
[[ $(json_get 'd["content_type"]' hooks/1.json) == application/json ]] || fail "webhook content type"
json_get 'd["body"]' hooks/1.json >hook-body.json
check_json hook-body.json
[[ $(json_get '[p["file"] for p in d["problems"]]' hook-body.json) == "['$D1/v1/o3_c.na']" ]] || fail "webhook body problems"
[[ $(json_get 'd["alert"]["new"]' hook-body.json) == "['fixity.mismatch:$D1/v1/o3_c.na']" ]] || fail "webhook new"
[[ $(wc -l <paged.json) -eq 1 ]] || fail "command ran $(wc -l <paged.json) times"
check_json paged.json
[[ $(json_get 'd["problems"][0]["rule"]' paged.json) == fixity.mismatch ]] || fail "command summary"
[[ $(mails plain) -eq 4 ]] || fail "mail count with three channels"
expect_exit 1 hemera-verify --root a --config all.yaml -q
[[ $(find hooks -name '*.json' | wc -l) -eq 1 && $(wc -l <paged.json) -eq 1 && $(mails plain) -eq 4 ]] ||
  fail "a channel re-sent an announced problem"
pass "mail, webhook and command: one summary each per new problem"

# --- staleness alone alerts (exit 0)
repair
{ cat all.yaml; echo "verification: {period: 1d}"; } >stale.yaml
expect_exit 0 hemera-verify --root a --config stale.yaml -q
"$PY" -c 'import sqlite3; c=sqlite3.connect("a/.hemera/hemera.db"); c.execute("UPDATE fixity SET verified_at = verified_at - 3*86400"); c.commit()'
expect_exit 0 hemera-verify --root a --config stale.yaml -q --max-files 0
[[ $(mails plain) -eq 5 ]] || fail "no staleness alert"
grep -q '^Subject: \[hemera\] verify local: files unverified for longer than 1 days' mail-plain/5.eml || fail "stale subject"
grep -q 'fixity.stale' mail-plain/5.eml || fail "stale finding not in the mail"
pass "a staleness alert when the stalest file is older than verification.period"
