#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-replicate to moto's S3 server on 127.0.0.1 with SigV4 checking on
# (INITIAL_NO_AUTH_ACTION_COUNT): the shared conformance checks, a wrong
# secret (78), the objects compared byte for byte through a second client.
# moto is not a Debian package: this test fails (it does not skip) when
# moto_server is missing; scripts/install-deps.sh says how to install it.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

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

count_connections() { grep -c 'HTTP/1.1"' "$T/moto.log" 2>/dev/null || echo 0; }
check_tree() {
  diff <(cd "$1" && find DATB DASB -type f 2>/dev/null | sort | xargs -r sha256sum) <(s3 sums "$2") ||
    fail "the bucket differs from the local archive"
}
check_no_temps() { [[ $(s3 temps "$1") == 0 ]] || fail "temporary objects left"; }
make_stale() { head -c 777 /dev/urandom >"$T/stale"; s3 put "$1/.hemera-tmp/0123456789abcdef0123-stale.na.part" "$T/stale"; }
remote_has() { s3 exists "$1/$2"; }
extra_remote() { echo "not ours" >"$T/extra"; s3 put "$1/$2" "$T/extra"; }
unextra_remote() { s3 rm "$1/$2"; }
# A second client overwrites the object with same-size wrong content.
damage_remote() {
  head -c "$(stat -c %s "$a/$2")" /dev/zero >"$T/zeros"  # $a: the conformance archive
  s3 put "$1/$2" "$T/zeros"
}

cat >s3.yaml <<CONF
targets:
  objects:
    url: s3://hemera/main
    endpoint: $EP
    region: us-east-1
    access_key_file: $T/keys/s3.access
    secret_key_file: $T/keys/s3.secret
CONF
conformance s3 s3.yaml main
A=$CONF_ARCHIVE

# A wrong secret: 78.
(umask 077; echo wrongsecretwrongsecret >"$T/keys/bad.secret")
sed "s#$T/keys/s3.secret#$T/keys/bad.secret#" s3.yaml >bad.yaml
new_dataset "$A" DATB camp/sonde "$U1" 1
expect_exit 78 hemera-replicate --root "$A" --config bad.yaml
expect_err "credentials rejected"
if grep -qF wrongsecret "$T/err" "$T/out"; then fail "secret in the output"; fi
pass "s3: a wrong secret exits 78"

expect_exit 0 hemera-replicate --root "$A" --config s3.yaml -q
check_tree "$A" main
check_no_temps main
pass "s3: done"
