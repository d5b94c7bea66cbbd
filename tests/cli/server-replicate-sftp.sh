#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-replicate to a real OpenSSH sshd (SFTP) on 127.0.0.1: the shared
# conformance checks (with read-back and with trust_transport), a pinned host key (a wrong pin exits 69), a key the
# server does not accept (78), a key file readable by others refused.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

ensure_user
start_sshd
count_connections() { grep -c 'Connection from' "$T/sshd.log" 2>/dev/null || echo 0; }

mkdir -p "$T/sftproot"
chown "$REPL_USER": "$T/sftproot"
cat >sftp.yaml <<CONF
targets:
  mirror:
    url: sftp://127.0.0.1:$SSH_PORT$T/sftproot/hemera
    user: $REPL_USER
    key_file: $T/ssh/client_key
    host_key_sha256: "$SSH_HOSTKEY_SHA256"
CONF
conformance sftp sftp.yaml "$T/sftproot/hemera"
A=$CONF_ARCHIVE

# trust_transport: each upload is renamed in the same exchange once the
# server has acknowledged every byte and the file read matched its manifest
# (a damaged local file is never renamed into place; a repair replaces an
# existing remote file the long way).
{ cat sftp.yaml; printf '    trust_transport: true\n'; } | sed 's#/sftproot/hemera#/sftproot/trusted#' >trusted.yaml
conformance sftp-trusted trusted.yaml "$T/sftproot/trusted"
# A local file longer than its manifest says: nothing sent, the digest read
# is reported.
B=$CONF_ARCHIVE
new_dataset "$B" DATB camp/sonde "$U1" 1
long=$(cd "$B" && ls DATB/camp/sonde/$U1/v*/*.na | sort -V | tail -1)
chmod u+w "$B/$long"
printf 'x' >>"$B/$long"
expect_exit 1 hemera-replicate --root "$B" --config trusted.yaml --json
check_json
[[ $(json_get 'd["targets"][0]["problems"][0]["problem"]') == local-mismatch ]] || fail "longer file: no local-mismatch"
json_get 'd["targets"][0]["problems"][0]["message"]' | grep -q "read $(sha256sum "$B/$long" | cut -c1-64)" ||
  fail "longer file: the digest read is not reported"
[[ ! -e $T/sftproot/trusted/$long ]] || fail "a longer local file was uploaded"
truncate -s -1 "$B/$long"
chmod a-w "$B/$long"
expect_exit 0 hemera-replicate --root "$B" --config trusted.yaml -q
same_tree "$B" "$T/sftproot/trusted"
pass "sftp-trusted: a local file longer than its manifest is not uploaded"

# A wrong host key pin: 69, nothing sent.
other=$(ssh-keygen -lf "$T/ssh/otherhost.pub" | awk '{print $2}')
sed "s#$SSH_HOSTKEY_SHA256#$other#" sftp.yaml >wrongkey.yaml
new_dataset "$A" DATB camp/sonde "$U1" 1
expect_exit 69 hemera-replicate --root "$A" --config wrongkey.yaml
pass "sftp: a wrong host key is refused (69)"

# A client key the server does not accept: 78.
sed "s#$T/ssh/client_key#$T/ssh/stranger_key#" sftp.yaml >stranger.yaml
expect_exit 78 hemera-replicate --root "$A" --config stranger.yaml
expect_err "credentials rejected"
pass "sftp: rejected key exits 78"

# A key file readable by others: 78 before any connection.
chmod 644 "$T/ssh/client_key"
expect_exit 78 hemera-replicate --root "$A" --config sftp.yaml
chmod 600 "$T/ssh/client_key"
pass "sftp: a key file readable by others is refused"

# No pin at all: refused (78).
grep -v host_key_sha256 sftp.yaml >nopin.yaml
expect_exit 78 hemera-replicate --root "$A" --config nopin.yaml
expect_err "pinned host key"
pass "sftp: a target without a pinned host key is refused"

expect_exit 0 hemera-replicate --root "$A" --config sftp.yaml -q
same_tree "$A" "$T/sftproot/hemera"
no_temps "$T/sftproot/hemera"
pass "sftp: done"
