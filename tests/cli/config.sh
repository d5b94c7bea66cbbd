#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configuration: lookup order, key table, types, origins, masking, privileged runs.
source "$HEMERA_SRC/tests/cli/lib.sh"

# Malformed YAML, unknown key, wrong type: 78 with file:line and key.
printf 'root: /srv\ntargets: [\n' >bad-syntax.yaml
expect_exit 78 hemera-init --config bad-syntax.yaml --root "$T/a"
expect_err "bad-syntax.yaml:"
expect_one_line_err
printf 'root: %s\nreplication:\n  max_lagg: 24h\n' "$T/a" >unknown.yaml
expect_exit 78 hemera-init --config unknown.yaml
expect_err 'unknown.yaml:3: replication.max_lagg: unknown configuration option "replication.max_lagg" [config.unknown-key]'
printf 'targets:\n  sedoo:\n    url: ftps://h/x\n    trust_transport: maybe\n' >type.yaml
expect_exit 78 hemera-init --config type.yaml --root "$T/a"
expect_err "type.yaml:4: targets.sedoo.trust_transport: expected a boolean"
printf 'verification:\n  period: soon\n' >dur.yaml
expect_exit 78 hemera-init --config dur.yaml --root "$T/a"
expect_err "verification.period: expected a duration"
expect_exit 78 hemera-init --config missing.yaml --root "$T/a"
expect_err "missing.yaml"
expect_exit 78 hemera-init --json --config unknown.yaml
check_json
[[ $(json_get 'd["error"]["exit"]') -eq 78 ]] || fail "JSON error exit"
pass "bad configuration"

# Lookup order: --config > $HEMERA_CONFIG > ./hemera.yaml; origins are shown.
printf 'root: %s/from-cwd\n' "$T" >hemera.yaml
printf 'root: %s/from-env\n' "$T" >env.yaml
printf 'root: %s/from-flag\n' "$T" >flag.yaml
expect_exit 0 hemera-init --print-config --json
check_json
[[ $(json_get 'd["root"]') == "$T/from-cwd" ]] || fail "./hemera.yaml not read"
[[ $(json_get 'd["settings"]["root"]["origin"]') == "hemera.yaml:1" ]] || fail "origin"
expect_exit 0 env HEMERA_CONFIG=env.yaml hemera-init --print-config --json
[[ $(json_get 'd["root"]') == "$T/from-env" ]] || fail "HEMERA_CONFIG not read"
expect_exit 0 env HEMERA_CONFIG=env.yaml hemera-init --config flag.yaml --print-config --json
[[ $(json_get 'd["root"]') == "$T/from-flag" ]] || fail "--config not preferred"
expect_exit 0 hemera-init --config flag.yaml --root "$T/x" --print-config
expect_out "# root: $T/x"
rm hemera.yaml
expect_exit 0 env HOME="$T/home" hemera-init --print-config --json
[[ $(json_get 'd["settings"]["root"]["origin"]') == default ]] || fail "built-in default"
[[ $(json_get 'd["root"]') == ./hemera-archive ]] || fail "default root"
pass "lookup order"

# Secrets are masked in --print-config.
cat >secret.yaml <<YAML
alerts:
  mail: {smtp_url: "smtp://ops:hunter2@mail.example.org:587", from: a@example.org, to: [b@example.org]}
  webhook: {url: "https://chat.example.org/hooks/T0KEN-abc"}
targets:
  s: {url: "ftps://u:pa55@ftp.example.org/x"}
YAML
expect_exit 0 hemera-init --config secret.yaml --print-config
for s in hunter2 T0KEN-abc pa55; do grep -q "$s" "$T/out" && fail "secret $s printed"; done
expect_out "smtp://ops:***@mail.example.org:587"
pass "masking"

# Privileged runs (sudo) read only /etc/hemera/hemera.yaml, owned by root and
# not group/world-writable. Run in a private mount namespace so the real /etc
# is untouched: a tmpfs is mounted over /etc/hemera.
made_etc=0
if [[ ! -d /etc/hemera ]]; then mkdir /etc/hemera; made_etc=1; fi
cleanup_etc() { if [[ $made_etc -eq 1 ]]; then rmdir /etc/hemera 2>/dev/null || true; fi; }
trap 'cleanup_etc; _hemera_cleanup' EXIT
hemera-init -q --root "$T/priv"
privileged() { # MODE OWNER CMD...
  local mode=$1 owner=$2; shift 2
  MODE=$mode OWNER=$owner unshare -m --propagation private bash -c '
    mount -t tmpfs tmpfs /etc/hemera || exit 99
    printf "root: %s\n" "$ROOTDIR" >/etc/hemera/hemera.yaml
    chmod "$MODE" /etc/hemera/hemera.yaml; chown "$OWNER" /etc/hemera/hemera.yaml
    exec "$@"' _ "$@"
}
export ROOTDIR="$T/priv"
expect_exit 78 privileged 0664 0 env SUDO_UID=0 "$HEMERA_BIN/hemera-user" list
[[ $rc -ne 99 ]] || fail "cannot mount in a private namespace (unshare)"
expect_err "untrusted configuration: writable by group or others"
expect_err "/etc/hemera/hemera.yaml"
expect_one_line_err
expect_exit 78 privileged 0644 65534 env SUDO_UID=0 "$HEMERA_BIN/hemera-user" list
expect_err "untrusted configuration: not owned by root"
expect_exit 78 privileged 0644 0 env SUDO_UID=0 "$HEMERA_BIN/hemera-user" --config flag.yaml list
expect_err "privileged run reads only /etc/hemera/hemera.yaml"
expect_exit 0 privileged 0644 0 env SUDO_UID=0 HEMERA_CONFIG="$T/flag.yaml" "$HEMERA_BIN/hemera-user" --print-config
expect_out "# root: $T/priv"
expect_out "# configuration: /etc/hemera/hemera.yaml"
pass "privileged runs"
