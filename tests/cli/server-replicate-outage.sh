#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The FTP server stops mid-run for HEMERA_REPL_OUTAGE seconds (default 20)
# and comes back on the same port: hemera-replicate finishes by itself
# (retries with back-off), the remote tree complete and correct.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

OUTAGE=${HEMERA_REPL_OUTAGE:-20}
ensure_user
start_vsftpd "$T/ftproot" no
cat >ftp.yaml <<CONF
targets:
  far:
    url: ftp://127.0.0.1:$FTP_PORT/hemera
    user: $REPL_USER
    password_file: $T/ftp.secret
CONF
A=$T/arch
hemera-init --root "$A" -q
new_dataset "$A" DATB camp/sonde "$U1" 40
new_dataset "$A" DASB sky "$U2" 40

# About 3 MB at 1 MiB/s: the run is still going when the server stops.
hemera-replicate --root "$A" --config ftp.yaml --json --bwlimit 1M --jobs 2 >"$T/run.json" 2>"$T/run.err" &
RUN=$!
track_pid "$RUN"
sleep 1
stop_vsftpd
sleep "$OUTAGE"
FTP_PORT_FIXED=$FTP_PORT start_vsftpd "$T/ftproot" no
set +e
wait "$RUN"
rc=$?
set -e
[[ $rc == 0 ]] || { cat "$T/run.err"; fail "the run did not complete after the outage (exit $rc)"; }
check_json "$T/run.json"
[[ $(json_get 'd["targets"][0]["events_replicated"]' "$T/run.json") == 2 ]] || fail "events not all replicated"
same_tree "$A" "$T/ftproot/hemera"
no_temps "$T/ftproot/hemera"
pass "a ${OUTAGE}s outage mid-run: the run completed by itself"
