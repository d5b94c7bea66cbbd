# SPDX-License-Identifier: Apache-2.0
# Helpers for the replication tests (tests/cli/server-replicate*.sh): real
# servers on 127.0.0.1 with free ports, stopped by PID; archives built with
# make_archive.py. Source it after lib.sh.

# The user the FTP and SFTP servers log in (needs a shell listed in /etc/shells).
REPL_USER=hemrepl

need() { command -v "$1" >/dev/null || fail "$1 is missing: run scripts/install-deps.sh ($2)"; }

# ensure_user: create the test login once (CI runs as root). Its random
# password is made once and kept in a root-only file, so that tests and
# benchmarks running at the same time never change it under each other.
ensure_user() {
  local store=/var/lib/hemera-tests lock
  (umask 077; mkdir -p "$store")
  exec {lock}>"$store/lock"
  flock "$lock"
  if ! id "$REPL_USER" >/dev/null 2>&1; then
    useradd -M -d / -s /bin/bash "$REPL_USER"
    rm -f "$store/$REPL_USER.secret"
  fi
  [[ $(getent passwd "$REPL_USER" | cut -d: -f6) == / ]] || usermod -d / "$REPL_USER"
  if [[ ! -s $store/$REPL_USER.secret ]]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$store/$REPL_USER.secret.new")
    chpasswd <<<"$REPL_USER:$(<"$store/$REPL_USER.secret.new")"
    mv "$store/$REPL_USER.secret.new" "$store/$REPL_USER.secret"
  fi
  REPL_PASS=$(<"$store/$REPL_USER.secret")
  flock -u "$lock"
  exec {lock}>&-
  (umask 077; printf '%s\n' "$REPL_PASS" >"$T/ftp.secret")
}

# make_ca: a CA and a server certificate for 127.0.0.1 in $T/pki; also an
# unrelated CA (other-ca.pem) for the unknown-CA test.
make_ca() {
  mkdir -p "$T/pki"
  (
    cd "$T/pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=hemera-test-ca 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj /CN=other-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
      -extfile ext.cnf 2>/dev/null
  )
}

# start_vsftpd DIR TLS(yes|no): serve DIR (owned by the test user) on a free
# port; sets FTP_PORT and FTP_PID. Every command is logged to $T/vsftpd.log
# (the tests count connections there); VSFTPD_LOG=transfers logs one line per
# transfer instead, as a production server does (the benchmark).
start_vsftpd() {
  local dir=$1 tls=$2 conf=$T/vsftpd-$RANDOM.conf
  need vsftpd vsftpd
  mkdir -p "$dir" /var/run/vsftpd/empty
  chown "$REPL_USER": "$dir"
  FTP_PORT=${FTP_PORT_FIXED:-$(free_port)}
  # Passive ports below the kernel's ephemeral range: a run of thousands of
  # data connections leaves thousands of ports of that range in TIME_WAIT,
  # and vsftpd gives up ("500 OOPS: priv_sock_get_int") when ten random
  # ports of its range in a row cannot be bound.
  local eph pasv; eph=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
  pasv=$((10000 + RANDOM % (eph > 10800 ? eph - 10400 : 400)))
  cat >"$conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$FTP_PORT
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$dir
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$pasv
pasv_max_port=$((pasv + 399))
pam_service_name=vsftpd
secure_chroot_dir=/var/run/vsftpd/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
use_localtime=NO
max_clients=100
max_per_ip=100
xferlog_enable=YES
log_ftp_protocol=$([[ ${VSFTPD_LOG:-protocol} == protocol ]] && echo YES || echo NO)
vsftpd_log_file=$T/vsftpd.log
CONF
  if [[ $tls == yes ]]; then
    cat >>"$conf" <<CONF
ssl_enable=YES
rsa_cert_file=$T/pki/server.pem
rsa_private_key_file=$T/pki/server.key
force_local_logins_ssl=YES
force_local_data_ssl=YES
ssl_tlsv1=YES
ssl_sslv2=NO
ssl_sslv3=NO
require_ssl_reuse=NO
ssl_ciphers=HIGH
CONF
  else
    echo "ssl_enable=NO" >>"$conf"
  fi
  vsftpd "$conf" &
  FTP_PID=$!
  track_pid "$FTP_PID"
  wait_port "$FTP_PORT"
}

# wait_port PORT: wait until something listens on 127.0.0.1:PORT.
wait_port() {
  local i
  for i in $(seq 1 100); do
    if "$PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2); s.close()' "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  fail "nothing listens on port $1"
}

U1=0f8fad5b-d9cb-469f-a165-70867728950e
U2=7c9e6679-7425-40de-944b-e07fc1f90ae7

# new_dataset ROOT AREA COLLECTION UUID NFILES: one version of NFILES random files.
new_dataset() {
  local root=$1 area=$2 coll=$3 uuid=$4 n=$5 src i ext=na
  [[ $area == DASB ]] && ext=fits
  src=$(mktemp -d "$T/src.XXXXXX")
  for i in $(seq 1 "$n"); do
    head -c $((1000 + RANDOM * 3)) /dev/urandom >"$src/f${i}_$RANDOM.$ext"
  done
  "$PY" "$HEMERA_SRC/tests/cli/make_archive.py" "$root" "$area" "$coll" "$uuid" "$src" >/dev/null
  rm -rf "$src"
}

# same_tree LOCAL REMOTE: every file of the archive (DATB, DASB) is in REMOTE
# with the same bytes, and REMOTE holds nothing else but .hemera-tmp/.
same_tree() {
  local a=$1 b=$2
  diff <(cd "$a" && find DATB DASB -type f 2>/dev/null | sort | xargs -r sha256sum) \
       <(cd "$b" && find DATB DASB -type f 2>/dev/null | sort | xargs -r sha256sum) ||
    fail "remote tree differs from the local archive"
  local extra
  extra=$(cd "$b" && find . -type f ! -path './DATB/*' ! -path './DASB/*' ! -path './.hemera-tmp/*' | head -5)
  [[ -z $extra ]] || fail "unexpected remote files: $extra"
}

# no_temps DIR: no temporary upload is left.
no_temps() {
  local n
  n=$(find "$1/.hemera-tmp" -type f 2>/dev/null | wc -l)
  [[ $n -eq 0 ]] || fail "$n temporary files left in $1/.hemera-tmp"
}

# flip_byte FILE OFFSET: flip one bit, keeping size and mtime.
flip_byte() {
  "$PY" - "$1" "$2" <<'PYEOF'
import os, sys
p, off = sys.argv[1], int(sys.argv[2]); st = os.stat(p)
os.chmod(p, st.st_mode | 0o200)
with open(p, "r+b") as fh:
    fh.seek(off); b = fh.read(1); fh.seek(off); fh.write(bytes([b[0] ^ 0x01]))
os.chmod(p, st.st_mode)
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PYEOF
}

# How the conformance checks see the remote site; a server whose objects
# are not in a folder (S3) redefines these four.
check_tree() { same_tree "$1" "$2"; }
check_no_temps() { no_temps "$1"; }
make_stale() { stale_temp "$1"; }
remote_has() { [[ -e $1/$2 ]]; }

# conformance NAME CONFIG REMOTE_DIR: the checks every target passes. The
# remote tree is inspected through REMOTE_DIR (the server's own folder).
# The caller defines count_connections (prints how many connections the
# server has accepted so far).
conformance() {
  local name=$1 cfg=$2 remote=$3 a=$T/arch-$1
  hemera-init --root "$a" -q
  new_dataset "$a" DATB camp/sonde "$U1" 4
  expect_exit 0 hemera-replicate --root "$a" --config "$cfg" --json
  check_json
  [[ $(json_get 'd["targets"][0]["events_replicated"]') == 1 ]] || fail "$name: new dataset not replicated"
  [[ $(json_get 'd["targets"][0]["files_uploaded"]') == 7 ]] || fail "$name: expected 4 files + manifest + record + metadata.json"
  check_tree "$a" "$remote"
  check_no_temps "$remote"
  pass "$name: new dataset replicated, remote equals local byte for byte"

  # Nothing pending: no connection at all.
  local before after
  before=$(count_connections)
  # A counter that cannot see connections would make the next check vacuous.
  [[ $name == file ]] || ((before > 0)) || fail "$name: the server's connection count sees nothing"
  expect_exit 0 hemera-replicate --root "$a" --config "$cfg" --json
  check_json
  [[ $(json_get 'd["targets"][0]["connected"]') == False ]] || fail "$name: no-change run connected"
  [[ $(json_get 'd["targets"][0]["events_pending"]') == 0 ]] || fail "$name: events pending"
  sleep 0.3
  after=$(count_connections)
  [[ $before == "$after" ]] || fail "$name: the server saw $((after - before)) connections on a no-change run"
  pass "$name: no-change run opens no connection"

  # A new version and a new dataset.
  new_dataset "$a" DATB camp/sonde "$U1" 3
  new_dataset "$a" DASB sky "$U2" 2
  expect_exit 0 hemera-replicate --root "$a" --config "$cfg" --json --jobs 3
  check_json
  [[ $(json_get 'd["targets"][0]["events_replicated"]') == 2 ]] || fail "$name: new version and dataset"
  check_tree "$a" "$remote"
  check_no_temps "$remote"
  pass "$name: new version and new dataset replicated"

  # A stale temporary file from an interrupted run is removed by the next run.
  new_dataset "$a" DATB camp/sonde "$U1" 1
  make_stale "$remote"
  expect_exit 0 hemera-replicate --root "$a" --config "$cfg" --json
  check_json
  [[ $(json_get 'd["targets"][0]["temps_removed"]') -ge 1 ]] || fail "$name: stale temporary file not removed"
  check_no_temps "$remote"
  check_tree "$a" "$remote"
  pass "$name: stale temporary files cleaned"

  # A local file that fails its manifest is never uploaded.
  new_dataset "$a" DATB camp/sonde "$U1" 2
  local bad vdir
  vdir=$(cd "$a" && ls -d DATB/camp/sonde/$U1/v* | sort -V | tail -1)
  bad=$(cd "$a" && ls $vdir/*.na | head -1)
  flip_byte "$a/$bad" 100
  expect_exit 1 hemera-replicate --root "$a" --config "$cfg" --json
  check_json
  [[ $(json_get 'd["targets"][0]["problems"][0]["problem"]') == local-mismatch ]] || fail "$name: no local-mismatch"
  [[ $(json_get 'd["targets"][0]["problems"][0]["file"]') == "$bad" ]] || fail "$name: wrong file named"
  ! remote_has "$remote" "$bad" || fail "$name: a damaged local file was uploaded"
  ! remote_has "$remote" "$vdir/manifest-sha256.txt" || fail "$name: manifest of an incomplete version uploaded"
  check_no_temps "$remote"
  pass "$name: a local file failing its manifest is not uploaded (exit 1)"
  flip_byte "$a/$bad" 100
  expect_exit 0 hemera-replicate --root "$a" --config "$cfg" -q
  check_tree "$a" "$remote"

  # Remote fixity: damage two remote copies (same size); hemera-verify
  # --target names exactly those, with one alert; hemera-repair restores them.
  printf '#!/bin/sh\ncat >>"%s/alerts.json"\necho >>"%s/alert-count"\n' "$T" "$T" >"$T/alert.sh"
  chmod 755 "$T/alert.sh"
  rm -f "$T/alert-count"
  { cat "$cfg"; printf 'alerts:\n  command: [%s]\n' "$T/alert.sh"; } >"$cfg.alert"
  local tname d1 d2
  tname=$(awk '/^targets:/{getline; sub(":","",$1); print $1; exit}' "$cfg")
  expect_exit 0 hemera-verify --root "$a" --config "$cfg.alert" --target "$tname" --json
  check_json
  [[ $(json_get 'd["files_ok"]') == $(json_get 'd["files_checked"]') ]] || fail "$name: remote verify counts"
  [[ ! -e $T/alert-count ]] || fail "$name: an alert for an intact remote"
  d1=$(cd "$a" && ls DATB/camp/sonde/$U1/v1/*.na | head -1)
  d2=$(cd "$a" && ls DASB/sky/$U2/v1/*.fits | tail -1)
  damage_remote "$remote" "$d1"
  damage_remote "$remote" "$d2"
  expect_exit 1 hemera-verify --root "$a" --config "$cfg.alert" --target "$tname" --json
  check_json
  [[ $(json_get '" ".join(sorted(p["file"] for p in d["problems"]))') == "$(printf '%s\n' "$d1" "$d2" | sort | xargs)" ]] ||
    fail "$name: hemera-verify --target did not name exactly the damaged files"
  [[ $(json_get '" ".join(sorted(set(p["rule"] for p in d["problems"])))') == fixity.mismatch ]] || fail "$name: rule"
  [[ $(wc -l <"$T/alert-count") == 1 ]] || fail "$name: expected one alert"
  pass "$name: hemera-verify --target names exactly the damaged remote files, one alert"
  expect_exit 0 hemera-repair --root "$a" --config "$cfg" --from local --to "$tname" --json
  check_json
  [[ $(json_get 'len(d["repaired"])') == 2 ]] || fail "$name: repair count"
  expect_exit 0 hemera-verify --root "$a" --config "$cfg" --target "$tname" -q --no-alert
  check_tree "$a" "$remote"
  pass "$name: hemera-repair --from local restores the remote copies"

  # Extra files at the remote site (none of the archive's): named, exit 1.
  local x1=DATB/camp/sonde/$U1/v1/zz_extra.na x2=DATB/camp/stray.txt
  extra_remote "$remote" "$x1"
  extra_remote "$remote" "$x2"
  expect_exit 1 hemera-verify --root "$a" --config "$cfg" --target "$tname" --json --no-alert
  check_json
  [[ $(json_get '" ".join(sorted(p["file"] for p in d["problems"]))') == "$x1 $x2" ]] ||
    fail "$name: extra remote files not named exactly: $(json_get '[p["file"] for p in d["problems"]]')"
  [[ $(json_get '" ".join(sorted(set(p["rule"] for p in d["problems"])))') == fixity.unexpected ]] ||
    fail "$name: extra files rule"
  unextra_remote "$remote" "$x1"
  unextra_remote "$remote" "$x2"
  expect_exit 0 hemera-verify --root "$a" --config "$cfg" --target "$tname" -q --no-alert
  pass "$name: hemera-verify --target names the extra remote files"

  # A bit-rotted local file is restored from the target.
  flip_byte "$a/$d1" 5
  expect_exit 0 hemera-repair --root "$a" --config "$cfg" --from "$tname" --json "$d1"
  check_json
  [[ $(json_get 'd["repaired"][0]') == "$d1" ]] || fail "$name: local repair"
  [[ $(stat -c %a "$a/$d1") == 444 ]] || fail "$name: repaired file not read-only"
  expect_exit 0 hemera-verify --root "$a" --config "$cfg" -q --no-alert
  check_tree "$a" "$remote"
  pass "$name: hemera-repair --from TARGET restores a bit-rotted local file"
  CONF_ARCHIVE=$a
}

# extra_remote REMOTE KEY: put a file the archive does not have at the
# remote site; unextra_remote removes it.
extra_remote() { mkdir -p "$(dirname "$1/$2")"; echo "not ours" >"$1/$2"; }
unextra_remote() { rm -f "$1/$2"; }

# damage_remote REMOTE KEY: change one byte of a remote copy (same size).
damage_remote() { flip_byte "$1/$2" 10; }

# stale_temp DIR: leave a temporary file as a killed run would.
stale_temp() {
  mkdir -p "$1/.hemera-tmp"
  head -c 777 /dev/urandom >"$1/.hemera-tmp/0123456789abcdef0123-stale.na.part"
  chown -R "$REPL_USER": "$1/.hemera-tmp" 2>/dev/null || true
}

# start_sshd: OpenSSH's sshd with key authentication only, on a free port;
# sets SSH_PORT, SSH_PID, SSH_HOSTKEY_SHA256 and writes $T/ssh/client_key.
start_sshd() {
  need /usr/sbin/sshd openssh-server
  need ssh-keygen openssh-client
  mkdir -p "$T/ssh" /run/sshd
  if [[ ! -f $T/ssh/hostkey ]]; then
    ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/hostkey"
    ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/otherhost"
    ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/client_key"
    ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/stranger_key"
    cp "$T/ssh/client_key.pub" "$T/ssh/authorized_keys"
    chmod 644 "$T/ssh/authorized_keys"
  fi
  SSH_PORT=${SSH_PORT_FIXED:-$(free_port)}
  cat >"$T/ssh/sshd_config" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $T/ssh/hostkey
PidFile $T/ssh/sshd.pid
AuthorizedKeysFile $T/ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers $REPL_USER
Subsystem sftp internal-sftp
MaxSessions 100
MaxStartups 100:30:200
LogLevel VERBOSE
CONF
  /usr/sbin/sshd -D -E "$T/sshd.log" -f "$T/ssh/sshd_config" &
  SSH_PID=$!
  track_pid "$SSH_PID"
  wait_port "$SSH_PORT"
  SSH_HOSTKEY_SHA256=$(ssh-keygen -lf "$T/ssh/hostkey.pub" | awk '{print $2}')
}

# stop_vsftpd: stop the listener and its session processes (by PID).
stop_vsftpd() {
  local kids
  kids=$(ps -o pid= --ppid "$FTP_PID" 2>/dev/null || true)
  kill "$FTP_PID" 2>/dev/null || true
  for k in $kids; do kill -9 "$k" 2>/dev/null || true; done
  wait "$FTP_PID" 2>/dev/null || true
}

# start_moto: moto's S3 server on a free loopback port with SigV4 checking
# on (INITIAL_NO_AUTH_ACTION_COUNT), a user and the bucket "hemera"; sets
# S3PY, S3_PORT, S3_PID, EP and S3_KEYS and defines s3 (the second client,
# tests/cli/s3_tool.py). moto is not a Debian package: this fails (it does not
# skip) when moto_server is missing.
start_moto() {
  command -v moto_server >/dev/null ||
    fail "moto_server is missing: install it with python3 -m pip install 'moto[server]' (see scripts/install-deps.sh)"
  S3PY=
  for py in python3 "$(dirname "$(readlink -f "$(command -v moto_server)")")/python3" /root/.pyenv/versions/*/bin/python3; do
    if "$py" -c 'import boto3, moto' 2>/dev/null; then S3PY=$py; break; fi
  done
  [[ -n $S3PY ]] || fail "no Python with boto3 and moto found (needed to drive moto_server)"

  S3_PORT=$(free_port)
  INITIAL_NO_AUTH_ACTION_COUNT=4 moto_server -H 127.0.0.1 -p "$S3_PORT" >"$T/moto.log" 2>&1 &
  S3_PID=$!
  track_pid "$S3_PID"
  wait_port "$S3_PORT"
  EP=http://127.0.0.1:$S3_PORT
  mkdir -p "$T/keys"
  env -u AWS_CA_BUNDLE "$S3PY" "$HEMERA_SRC/tests/cli/s3_tool.py" "$EP" hemera setup "$T/keys" ||
    fail "could not set up the S3 user and bucket"
  export S3_KEYS=$T/keys
  s3() { env -u AWS_CA_BUNDLE "$S3PY" "$HEMERA_SRC/tests/cli/s3_tool.py" "$EP" hemera "$@"; }
}

# s3_config FILE PREFIX: a target "objects" at s3://hemera/PREFIX on moto.
s3_config() {
  cat >"$1" <<CONF
targets:
  objects:
    url: s3://hemera/$2
    endpoint: $EP
    region: us-east-1
    access_key_file: $T/keys/s3.access
    secret_key_file: $T/keys/s3.secret
CONF
}
