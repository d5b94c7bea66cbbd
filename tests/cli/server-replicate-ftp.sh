#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-replicate to real vsftpd servers on 127.0.0.1: plain FTP and FTPS
# (explicit AUTH TLS, certificate from a CA the test makes). The shared
# conformance checks, rejected credentials (78), an unknown CA (69), plaintext
# refused to a non-loopback host, secrets kept out of the output.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

need vsftpd vsftpd
ensure_user
make_ca

count_connections() { grep -c 'CONNECT: Client' "$T/vsftpd.log" 2>/dev/null || echo 0; }

# --- plain FTP (loopback only)
start_vsftpd "$T/ftproot" no
cat >ftp.yaml <<CONF
targets:
  far:
    url: ftp://127.0.0.1:$FTP_PORT/hemera
    user: $REPL_USER
    password_file: $T/ftp.secret
CONF
conformance ftp ftp.yaml "$T/ftproot/hemera"
A=$CONF_ARCHIVE

# Secrets never in the output.
expect_exit 0 hemera-replicate --root "$A" --config ftp.yaml --print-config
if grep -qF "$REPL_PASS" "$T/out" "$T/err"; then fail "password printed"; fi
pass "ftp: password kept out of --print-config"

# Rejected credentials: 78.
(umask 077; echo wrong-password >"$T/bad.secret")
sed "s#$T/ftp.secret#$T/bad.secret#" ftp.yaml >bad.yaml
new_dataset "$A" DATB camp/sonde "$U1" 1
expect_exit 78 hemera-replicate --root "$A" --config bad.yaml
expect_err "credentials rejected"
if grep -qF wrong-password "$T/err" "$T/out"; then fail "password in the error"; fi
pass "ftp: rejected credentials exit 78"

# A password file readable by others is refused (78).
chmod 644 "$T/ftp.secret"
expect_exit 78 hemera-replicate --root "$A" --config ftp.yaml
chmod 600 "$T/ftp.secret"
pass "ftp: a world-readable password file is refused"

# Plaintext to a non-loopback host is refused before any connection.
sed "s#127.0.0.1:$FTP_PORT#192.0.2.1:$FTP_PORT#" ftp.yaml >far.yaml
expect_exit 78 hemera-replicate --root "$A" --config far.yaml
expect_err "plaintext"
pass "ftp: plaintext to a non-loopback host refused"
expect_exit 0 hemera-replicate --root "$A" --config ftp.yaml -q
same_tree "$A" "$T/ftproot/hemera"

# The server stopped: a short deadline gives 75 and nothing is acknowledged.
new_dataset "$A" DATB camp/sonde "$U1" 2
stop_vsftpd
expect_exit 75 hemera-replicate --root "$A" --config ftp.yaml --deadline 3s --json
check_json
[[ $(json_get 'd["targets"][0]["events_replicated"]') == 0 ]] || fail "acknowledged while the server was down"
pass "ftp: server down past the deadline exits 75, nothing acknowledged"

# --- FTPS with the test CA
FTP_PORT_FIXED= start_vsftpd "$T/ftpsroot" yes
cat >ftps.yaml <<CONF
targets:
  far:
    url: ftps://127.0.0.1:$FTP_PORT/hemera
    user: $REPL_USER
    password_file: $T/ftp.secret
    ca_file: $T/pki/ca.pem
CONF
conformance ftps ftps.yaml "$T/ftpsroot/hemera"
A=$CONF_ARCHIVE

# An unknown CA: 69, and nothing sent.
sed "s#$T/pki/ca.pem#$T/pki/other-ca.pem#" ftps.yaml >otherca.yaml
new_dataset "$A" DATB camp/sonde "$U1" 1
expect_exit 69 hemera-replicate --root "$A" --config otherca.yaml
pass "ftps: an unknown CA is refused (69)"
expect_exit 0 hemera-replicate --root "$A" --config ftps.yaml -q
same_tree "$A" "$T/ftpsroot/hemera"
pass "ftps: done"
