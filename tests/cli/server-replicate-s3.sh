#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-replicate to moto's S3 server on 127.0.0.1 with SigV4 checking on
# (INITIAL_NO_AUTH_ACTION_COUNT): the shared conformance checks, a wrong
# secret (78), the objects compared byte for byte through a second client.
# moto is not a Debian package: this test fails (it does not skip) when
# moto_server is missing; scripts/install-deps.sh says how to install it.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

start_moto

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

s3_config s3.yaml main
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
