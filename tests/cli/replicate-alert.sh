#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-replicate alerts: when the oldest unreplicated event is older than
# replication.max_lag, and after replication.max_failed_runs failed runs in a
# row; announced once (the alert ledger), silent again once the target
# catches up. The target is an FTP port nobody listens on (connection
# refused: a transient failure), then a folder.
source "$HEMERA_SRC/tests/cli/lib.sh"

U1=0f8fad5b-d9cb-469f-a165-70867728950e
hemera-init --root a -q
mkdir src && head -c 5000 /dev/urandom >src/o3.na
"$PY" "$HEMERA_SRC/tests/cli/make_archive.py" a DATB camp/sonde "$U1" src >/dev/null

port=$(free_port)  # closed: nothing listens there
printf '#!/bin/sh\ncat >>"%s/alerts.json"\necho >>"%s/alert-count"\n' "$T" "$T" >alert.sh
chmod 755 alert.sh
alerts() { [[ -e alert-count ]] && wc -l <alert-count || echo 0; }
cat >down.yaml <<EOF
targets:
  far: {url: "ftp://127.0.0.1:$port/x", user: nobody, password_file: $T/pw}
replication: {max_lag: 1h, max_failed_runs: 2}
alerts:
  command: [$T/alert.sh]
EOF
(umask 077; echo pw >pw)

# --- one failed run, lag within bounds: no alert
expect_exit 75 hemera-replicate --root a --config down.yaml --deadline 1s --json
check_json
[[ $(json_get 'd["targets"][0]["error"]["code"]') != None ]] || fail "no error reported"
[[ $(alerts) -eq 0 ]] || fail "alert after one failed run"
pass "one failed run: no alert"

# --- the second failed run in a row: one alert naming the target
expect_exit 75 hemera-replicate --root a --config down.yaml --deadline 1s -q
[[ $(alerts) -eq 1 ]] || fail "no alert after two failed runs"
json_get "d[\"alert\"][\"problems\"][0][\"text\"]" alerts.json | grep -q "target far: the last 2 runs failed" || fail "alert text: $(cat alerts.json)"
check_json alerts.json
# ... not re-sent by the third
expect_exit 75 hemera-replicate --root a --config down.yaml --deadline 1s -q
[[ $(alerts) -eq 1 ]] || fail "repeated-failure alert re-sent"
pass "replication.max_failed_runs failed runs in a row: one alert, not re-sent"

# --- lag: the oldest unreplicated event older than replication.max_lag
sed 's/max_lag: 1h/max_lag: 2s/; s/max_failed_runs: 2/max_failed_runs: 50/' down.yaml >lag.yaml
sleep 3
: >alerts.json
expect_exit 75 hemera-replicate --root a --config lag.yaml --deadline 1s -q
[[ $(alerts) -eq 2 ]] || fail "no lag alert"
grep -q "target far: oldest unreplicated event is [0-9]* s old" alerts.json || fail "lag text: $(cat alerts.json)"
pass "an event older than replication.max_lag raises one alert"

# --- the target back (a folder): everything replicated, no further alert
cat >up.yaml <<EOF
targets:
  far: {url: "file://$T/replica"}
replication: {max_lag: 2s, max_failed_runs: 2}
alerts:
  command: [$T/alert.sh]
EOF
expect_exit 0 hemera-replicate --root a --config up.yaml -q
[[ $(alerts) -eq 2 ]] || fail "alert after a successful run"
[[ -e replica/DATB/camp/sonde/$U1/v1/o3.na ]] || fail "not replicated"
pass "caught up: silent"
