#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 of hemera-replicate at random instants while it replicates a tree
# to vsftpd (or sshd, CRASH_PROTO=sftp), each kill followed by another run; an observer polling the
# remote tree sees only temporary names or complete, correct files; the final
# tree is identical, without temporaries, and every event acknowledged.
# Parameters (environment): HEMERA_REPL_KILLS (default 6; bench/replicate
# runs 50) and HEMERA_REPL_FILES (default 300; bench: 2000).
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

KILLS=${HEMERA_REPL_KILLS:-6}
FILES=${HEMERA_REPL_FILES:-300}
ensure_user
if [[ ${CRASH_PROTO:-ftp} == sftp ]]; then
  # SFTP with trust_transport: each file renamed in the same exchange as
  # its upload (server-replicate-crash-sftp.sh).
  start_sshd
  mkdir -p "$T/sftproot" && chown "$REPL_USER": "$T/sftproot"
  REMOTE=$T/sftproot/hemera
  cat >ftp.yaml <<CONF
targets:
  far:
    url: sftp://127.0.0.1:$SSH_PORT$REMOTE
    user: $REPL_USER
    key_file: $T/ssh/client_key
    host_key_sha256: "$SSH_HOSTKEY_SHA256"
    trust_transport: true
CONF
else
  start_vsftpd "$T/ftproot" no
  REMOTE=$T/ftproot/hemera
  cat >ftp.yaml <<CONF
targets:
  far:
    url: ftp://127.0.0.1:$FTP_PORT/hemera
    user: $REPL_USER
    password_file: $T/ftp.secret
CONF
fi

A=$T/arch
hemera-init --root "$A" -q
# 10-200 KiB files in datasets of 100.
per=100
i=0
while ((i * per < FILES)); do
  src=$T/src$i
  mkdir -p "$src"
  n=$((FILES - i * per < per ? FILES - i * per : per))
  "$PY" - "$src" "$n" <<'PYEOF'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
for k in range(n):
    with open(os.path.join(d, "f%04d.na" % k), "wb") as f:
        f.write(os.urandom(random.randint(10 * 1024, 200 * 1024)))
PYEOF
  "$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$A" DATB "crash/c$i" "$("$PY" -c 'import uuid; print(uuid.uuid4())')" "$src" >/dev/null
  rm -rf "$src"
  i=$((i + 1))
done
events=$i

# The observer: every file under a final name must equal the local file.
"$PY" - "$A" "$REMOTE" "$T/observer.stop" >"$T/observer.log" 2>&1 <<'PYEOF' &
import hashlib, os, sys, time
local, remote, stop = sys.argv[1:4]
def sha(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
checked = bad = 0
while not os.path.exists(stop):
    for top, dirs, files in os.walk(remote):
        if ".hemera-tmp" in top:
            continue
        for name in files:
            rp = os.path.join(top, name)
            rel = os.path.relpath(rp, remote)
            try:
                got = sha(rp)
            except OSError:
                continue
            lp = os.path.join(local, rel)
            if not os.path.exists(lp) or got != sha(lp):
                # a second look: a rename may have replaced the file meanwhile
                try:
                    again = sha(rp)
                except OSError:
                    continue
                if not os.path.exists(lp) or again != sha(lp):
                    bad += 1
                    print("BAD", rel, flush=True)
            checked += 1
    time.sleep(0.05)
print("checked", checked, "bad", bad, flush=True)
PYEOF
OBS=$!
track_pid "$OBS"

for k in $(seq 1 "$KILLS"); do
  hemera-replicate --root "$A" --config ftp.yaml -q --jobs 4 >/dev/null 2>&1 &
  pid=$!
  sleep "$("$PY" -c 'import random; print(round(random.uniform(0.05, 1.2), 3))')"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
expect_exit 0 hemera-replicate --root "$A" --config ftp.yaml --json --jobs 4
check_json
touch "$T/observer.stop"
wait "$OBS" || true
cat "$T/observer.log"
grep -q '^BAD' "$T/observer.log" && fail "the observer saw a wrong or partial file under a final name"
grep -q '^checked' "$T/observer.log" || fail "the observer did not run"
same_tree "$A" "$REMOTE"
no_temps "$REMOTE"
acked=$(sqlite3 "$A/.hemera/hemera.db" "SELECT COUNT(*) FROM replication_acks WHERE target = 'far'" 2>/dev/null ||
  "$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM replication_acks WHERE target=?",("far",)).fetchone()[0])' "$A/.hemera/hemera.db")
[[ $acked == "$events" ]] || fail "expected $events acknowledged events, found $acked"
# No duplicates: the remote holds exactly the local files (same_tree) and one
# copy of each; a last run has nothing to do and connects nowhere.
expect_exit 0 hemera-replicate --root "$A" --config ftp.yaml --json
[[ $(json_get 'd["targets"][0]["connected"]') == False ]] || fail "a run after completion connected"
pass "$KILLS kills during the replication of $FILES files: nothing lost, nothing partial, nothing left over"
