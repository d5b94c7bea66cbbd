#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A service account other than the default "hemera" (configuration
# service_account), end to end: a throw-away system user named in
# /etc/hemera/hemera.yaml runs the tools as cron would, holds the service role
# (and nothing more), and is audited under its name; another Unix user under
# the same configuration is not the service account, and neither is the
# person behind sudo -u <service account>. Runs as root (as CI does) in a
# private mount namespace, with a tmpfs over /etc/hemera, so the real /etc is
# untouched; the user is removed on every exit path.
if [[ -z ${HEMERA_PRIVATE_NS:-} ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "FAIL: this test needs root (useradd, mount namespace)" >&2; exit 1; }
  HEMERA_PRIVATE_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$HEMERA_SRC/tests/cli/lib.sh"

SVC="hsvc$$"
made_etc=0
[[ -d /etc/hemera ]] || { mkdir /etc/hemera; made_etc=1; }
cleanup() {
  umount /etc/hemera 2>/dev/null || true
  if [[ $made_etc -eq 1 ]]; then rmdir /etc/hemera 2>/dev/null || true; fi
  userdel "$SVC" 2>/dev/null || true
}
trap 'cleanup; _hemera_cleanup' EXIT
mount -t tmpfs -o mode=0755 tmpfs /etc/hemera || fail "cannot mount a tmpfs over /etc/hemera"
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$SVC" ||
  fail "useradd $SVC"
getent passwd "$SVC" >/dev/null || fail "no user $SVC"

hemera-init -q --root "$T/a"
chown -R "$SVC:$SVC" "$T/a"
printf 'root: %s\nservice_account: %s\n' "$T/a" "$SVC" >/etc/hemera/hemera.yaml
chmod 0644 /etc/hemera/hemera.yaml
mkdir -m 0755 "$T/run"
cd "$T/run"  # no ./hemera.yaml here

# as USER CMD...: run a tool as USER (real and effective), with an empty
# environment but for HOME (nonexistent: no ~/.config/hemera/hemera.yaml).
as() {
  local who=$1; shift
  setpriv --reuid="$who" --regid="$(id -g "$who")" --clear-groups env -i PATH=/usr/bin:/bin HOME=/nonexistent "$@"
}
hu() { "$HEMERA_BIN/hemera-user" "$@"; }

# The service account: resolved as such, holding the service role only.
expect_exit 1 as "$SVC" "$HEMERA_BIN/hemera-login" --json --status
check_json
[[ $(json_get 'd["via"]') == service ]] || fail "not resolved as the service account"
[[ $(json_get 'd["actor"]') == "$SVC" ]] || fail "actor of the service account"
[[ $(json_get 'd["roles"]') == "['service']" ]] || fail "roles of the service account"
expect_exit 0 as "$SVC" "$HEMERA_BIN/hemera-user" --json audit --check
check_json
expect_exit 77 as "$SVC" "$HEMERA_BIN/hemera-user" list
expect_err "$SVC may not user.list"
expect_exit 77 as "$SVC" "$HEMERA_BIN/hemera-user" grant "$SVC" administrator
# A privileged run reads only /etc/hemera/hemera.yaml: --config is refused.
printf 'root: %s\nservice_account: %s\n' "$T/a" "$SVC" >"$T/own.yaml"
chmod 0644 "$T/own.yaml"
expect_exit 78 as "$SVC" "$HEMERA_BIN/hemera-user" --config "$T/own.yaml" audit --check
expect_err "a privileged run reads only /etc/hemera/hemera.yaml"
# The system file must be trusted: writable by others, the run stops.
chmod 0666 /etc/hemera/hemera.yaml
expect_exit 78 as "$SVC" "$HEMERA_BIN/hemera-user" audit --check
expect_err "untrusted configuration: writable by group or others"
chmod 0644 /etc/hemera/hemera.yaml
pass "the configured service account holds the service role"

# Audited under the service account's name (no os_user: it is its own login).
expect_exit 0 hu --root "$T/a" --json audit --actor "$SVC"
check_json
cp "$T/out" svc.json
"$PY" - svc.json "$SVC" <<'PY' || fail "audit of the service account"
import json, sys
d = json.load(open(sys.argv[1])); svc = sys.argv[2]
ev = [(e["action"], e["allowed"]) for e in d["events"]]
assert ev == [("audit.check", True), ("user.list", False), ("user.grant", False)], ev
assert all(e["actor"] == svc and "os_user" not in e for e in d["events"]), d["events"]
assert d["events"][0]["detail"] == "granted", d["events"][0]
PY
pass "its actions audited under its name"

# Another Unix user under the same configuration is not the service account:
# no service role, its own name in the audit log. (The archive is opened up
# for it here, as a shared group would on a server.)
chmod -R a+rwX "$T/a"
expect_exit 1 as nobody "$HEMERA_BIN/hemera-login" --json --status
check_json
[[ $(json_get 'd["via"]') == unix && $(json_get 'd["actor"]') == nobody ]] || fail "nobody resolved as $(cat "$T/out")"
[[ $(json_get 'd["roles"]') == "[]" ]] || fail "nobody holds roles"
expect_exit 77 as nobody "$HEMERA_BIN/hemera-user" audit --check
expect_err "nobody may not audit.check"
# Nor is the person behind sudo -u <service account> (SUDO_UID set while
# running as the service account): that person acts. Nor is root.
expect_exit 77 setpriv --reuid="$SVC" --regid="$(id -g "$SVC")" --clear-groups \
  env -i PATH=/usr/bin:/bin HOME=/nonexistent SUDO_UID=65534 SUDO_USER=nobody "$HEMERA_BIN/hemera-user" audit --check
expect_err "nobody may not audit.check"
expect_exit 1 env HOME=/nonexistent "$HEMERA_BIN/hemera-login" --json --status
check_json
[[ $(json_get 'd["via"]') == unix && $(json_get 'd["actor"]') == root ]] || fail "root resolved as $(cat "$T/out")"
expect_exit 0 hu --root "$T/a" --json audit --action audit.check --outcome denied
check_json
[[ $(json_get '[e["actor"] for e in d["events"]]') == "['nobody', 'nobody']" ]] || fail "denials of nobody not audited"
expect_exit 0 hu --root "$T/a" audit --check
pass "other Unix users are not the service account"
