#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A large upload killed part-way resumes rather than restarts: FTP (APPE on
# the temporary file) and SFTP (append at the offset); the re-run sends only
# the rest, and what arrived is still checked whole before the rename.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

ensure_user
start_vsftpd "$T/ftproot" no
start_sshd
mkdir -p "$T/sftproot" && chown "$REPL_USER": "$T/sftproot"
cat >ftp.yaml <<CONF
targets:
  far:
    url: ftp://127.0.0.1:$FTP_PORT/hemera
    user: $REPL_USER
    password_file: $T/ftp.secret
CONF
cat >sftp.yaml <<CONF
targets:
  far:
    url: sftp://127.0.0.1:$SSH_PORT$T/sftproot/hemera
    user: $REPL_USER
    key_file: $T/ssh/client_key
    host_key_sha256: "$SSH_HOSTKEY_SHA256"
CONF

SIZE=$((24 * 1024 * 1024))
for proto in ftp sftp; do
  A=$T/arch-$proto
  hemera-init --root "$A" -q
  mkdir -p "$T/big-$proto"
  head -c "$SIZE" /dev/urandom >"$T/big-$proto/big.na"
  "$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$A" DATB camp/big "$U1" "$T/big-$proto" >/dev/null
  remote=$T/ftproot/hemera
  [[ $proto == sftp ]] && remote=$T/sftproot/hemera
  hemera-replicate --root "$A" --config "$proto.yaml" -q --bwlimit 4M >/dev/null 2>&1 &
  pid=$!
  track_pid "$pid"
  for _ in $(seq 1 100); do
    part=$(find "$remote/.hemera-tmp" -name '*big.na.part' -size +4M 2>/dev/null | head -1 || true)
    [[ -n $part ]] && break
    sleep 0.1
  done
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  [[ -n $part ]] || fail "$proto: no partial upload to resume"
  have=$(stat -c %s "$part")
  ((have > 0 && have < SIZE)) || fail "$proto: partial size $have"
  [[ ! -e $remote/DATB/camp/big/$U1/v1/big.na ]] || fail "$proto: a partial file under its final name"
  expect_exit 0 hemera-replicate --root "$A" --config "$proto.yaml" --json
  check_json
  sent=$(json_get 'd["targets"][0]["bytes_uploaded"]')
  # Only the rest of the big file (plus the small manifest and records).
  ((sent <= SIZE - have + 65536)) || fail "$proto: re-sent $sent bytes, $have were already there"
  same_tree "$A" "$remote"
  no_temps "$remote"
  pass "$proto: interrupted at $have of $SIZE bytes, the re-run sent $sent"
done
