#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-replicate to real vsftpd servers on 127.0.0.1: plain FTP and FTPS
# (explicit AUTH TLS, certificate from a CA the test makes). The shared
# conformance checks (with read-back and with trust_transport), rejected credentials (78), an unknown CA (69), plaintext
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
R=$T/ftproot/hemera
U3=3b241101-e2bb-4255-8caf-4136c566a962

# Remote fixity at scale: one byte flipped in 10 remote files (same size,
# same mtime); hemera-verify --target names exactly those 10, with one
# alert; hemera-repair restores them.
new_dataset "$A" DATB camp/ten "$U3" 12
expect_exit 0 hemera-replicate --root "$A" --config ftp.yaml -q
mapfile -t ten < <(cd "$A" && ls DATB/camp/ten/"$U3"/v1/*.na | head -10)
[[ ${#ten[@]} == 10 ]] || fail "expected 10 files to damage"
for f in "${ten[@]}"; do
  before=$(stat -c '%s %Y' "$R/$f")
  flip_byte "$R/$f" 7
  [[ $(stat -c '%s %Y' "$R/$f") == "$before" ]] || fail "the damage changed size or mtime"
done
rm -f "$T/alert-count"
expect_exit 1 hemera-verify --root "$A" --config ftp.yaml.alert --target far --json
check_json
[[ $(json_get '" ".join(sorted(p["file"] for p in d["problems"]))') == "$(printf '%s\n' "${ten[@]}" | sort | xargs)" ]] ||
  fail "hemera-verify --target did not name exactly the 10 damaged files"
[[ $(wc -l <"$T/alert-count") == 1 ]] || fail "expected one alert for the 10 files"
expect_exit 0 hemera-repair --root "$A" --config ftp.yaml --from local --to far --json
check_json
[[ $(json_get 'len(d["repaired"])') == 10 ]] || fail "repair count"
expect_exit 0 hemera-verify --root "$A" --config ftp.yaml --target far -q --no-alert
same_tree "$A" "$R"
pass "ftp: 10 remote files with a byte flipped (same size and mtime) named exactly, one alert, repaired"

# --full re-checks the whole remote copy and fixes it (a deleted and a
# damaged remote file), but never uploads a local file that fails its
# manifest: that one is reported for repair. Privileged and audited.
gone=${ten[0]} damaged=${ten[1]} rotted=${ten[2]}
rm -f "$R/$gone" "$R/$rotted"
flip_byte "$R/$damaged" 3
flip_byte "$A/$rotted" 9
expect_exit 1 hemera-replicate --root "$A" --config ftp.yaml --full --json
check_json
[[ $(json_get '[(p["file"], p["problem"]) for p in d["targets"][0]["problems"]]') == "[('$rotted', 'local-mismatch')]" ]] ||
  fail "--full: expected only the rotted local file as a problem: $(json_get 'd["targets"][0]["problems"]')"
cmp -s "$A/$gone" "$R/$gone" || fail "--full did not restore a deleted remote file"
cmp -s "$A/$damaged" "$R/$damaged" || fail "--full did not replace a damaged remote file"
[[ ! -e $R/$rotted ]] || fail "--full uploaded a local file that fails its manifest"
no_temps "$R"
grep -q '"action":"replicate.full"' "$A/.hemera/audit.log" || fail "--full is not audited"
flip_byte "$A/$rotted" 9  # the local copy made good again (as a repair would)
expect_exit 0 hemera-replicate --root "$A" --config ftp.yaml --full -q
same_tree "$A" "$R"
pass "ftp: --full restores deleted and damaged remote files, never uploads a bit-rotted local file"

# trust_transport: no read-back; the size of each temporary file is asked in
# its upload's exchange (SIZE after the 226) before the rename.
{ cat ftp.yaml; printf '    trust_transport: true\n'; } | sed 's#/hemera$#/trusted#' >trusted.yaml
conformance ftp-trusted trusted.yaml "$T/ftproot/trusted"

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
