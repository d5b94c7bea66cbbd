#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Privileged runs through a real sudo, end to end: a throw-away person runs
# the tools with `sudo` under a sudoers rule limited to them. The actor is the
# person behind sudo (SUDO_UID), then the ORCID iD of their session (opened by
# `sudo hemera-login`, the session file written in their home with their own
# file-system identity, so a symbolic link cannot make root write elsewhere),
# or the ORCID iD bound to them by `hemera-user bind`; each decision is audited
# under that iD with the Unix login beside it. A SUDO_UID in the environment
# of an unprivileged run is ignored. Runs as root (as CI does) in a private
# mount namespace with tmpfs over /etc/hemera and /etc/sudoers.d, so the real
# /etc is untouched; the user is removed on every exit path.
# (The sign-in itself, through hemera-csw and an OpenID provider, is
# server-identity.sh; here one-time codes are put into hemera.db directly.)
if [[ -z ${HEMERA_PRIVATE_NS:-} ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "FAIL: this test needs root (useradd, sudoers, mount namespace)" >&2; exit 1; }
  command -v sudo >/dev/null || { echo "FAIL: sudo is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
  HEMERA_PRIVATE_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$HEMERA_SRC/tests/cli/lib.sh"

P="hper$$"
PHOME="$T/home-$P"
A=0000-0002-1825-0097  # the person's ORCID iD (session)
B=0000-0002-1694-233X  # the iD their Unix login is bound to
made_etc=0
[[ -d /etc/hemera ]] || { mkdir /etc/hemera; made_etc=1; }
cleanup() {
  umount /etc/sudoers.d 2>/dev/null || true
  umount /etc/hemera 2>/dev/null || true
  if [[ $made_etc -eq 1 ]]; then rmdir /etc/hemera 2>/dev/null || true; fi
  userdel "$P" 2>/dev/null || true
}
trap 'cleanup; _hemera_cleanup' EXIT
mount -t tmpfs -o mode=0755 tmpfs /etc/hemera || fail "cannot mount a tmpfs over /etc/hemera"
mount -t tmpfs -o mode=0755 tmpfs /etc/sudoers.d || fail "cannot mount a tmpfs over /etc/sudoers.d"
useradd --create-home --home-dir "$PHOME" --shell /bin/bash --user-group "$P" || fail "useradd $P"
chmod 0750 "$PHOME"

hemera-init -q --root "$T/a"
printf 'root: %s\n' "$T/a" >/etc/hemera/hemera.yaml
chmod 0644 /etc/hemera/hemera.yaml
printf '%s ALL=(root) NOPASSWD: %s, %s, %s\n' "$P" \
  "$HEMERA_BIN/hemera-login" "$HEMERA_BIN/hemera-logout" "$HEMERA_BIN/hemera-user" >/etc/sudoers.d/hemera-test
chmod 0440 /etc/sudoers.d/hemera-test
visudo -cf /etc/sudoers.d/hemera-test >/dev/null || fail "the sudoers rule does not parse"
mkdir -m 0755 "$T/run"
cd "$T/run"

# person CMD...: run CMD as the person, in a clean login-like environment.
person() {
  setpriv --reuid="$P" --regid="$P" --init-groups env -i PATH=/usr/bin:/bin HOME="$PHOME" USER="$P" LOGNAME="$P" "$@"
}
# psudo TOOL ARGS...: the person runs `sudo -n <tool>` (the rule above).
psudo() { local tool=$1; shift; person sudo -n "$HEMERA_BIN/$tool" "$@"; }
# code ORCID: put a one-time sign-in code for ORCID into hemera.db; print it.
code() {
  "$PY" - "$T/a/.hemera/hemera.db" "$1" <<'PY'
import hashlib, secrets, sqlite3, sys, time
alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
code = "".join(secrets.choice(alphabet) for _ in range(16))
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
db.execute("INSERT INTO login_codes(code_sha256, orcid, created_at, expires_at) VALUES (?, ?, ?, ?)",
           (hashlib.sha256(code.encode()).hexdigest(), sys.argv[2], now, now + 300))
db.commit()
print("-".join(code[i:i + 4] for i in range(0, 16, 4)))
PY
}
last_event() { tail -n 1 "$T/a/.hemera/audit.log" >"$T/last.json"; json_get "$1" "$T/last.json"; }

# Through sudo, the person acts, not root.
expect_exit 1 psudo hemera-login --json --status
check_json
[[ $(json_get 'd["via"]') == unix && $(json_get 'd["actor"]') == "$P" && $(json_get 'd["os_user"]') == "$P" ]] ||
  fail "sudo run resolved as $(cat "$T/out")"
expect_exit 77 psudo hemera-user grant "$P" administrator
expect_err "$P may not user.grant"
[[ $(last_event 'd["actor"], d["allowed"]') == "('$P', False)" ]] || fail "the denial of $P not audited"
# The sudoers rule is what it says: other programs are refused by sudo itself.
expect_exit 1 person sudo -n /usr/bin/id
pass "the person behind sudo acts"

# sudo hemera-login: the session file lands in the person's home, theirs, 0600.
c=$(code "$A")
run bash -c "printf '%s\n' '$c' | setpriv --reuid=$P --regid=$P --init-groups env -i PATH=/usr/bin:/bin HOME=$PHOME \
  sudo -n $HEMERA_BIN/hemera-login --json"
[[ $rc -eq 0 ]] || { cat "$T/err"; fail "sudo hemera-login exited $rc"; }
check_json
SF="$PHOME/.config/hemera/session"
[[ $(json_get 'd["session_file"]') == "$SF" ]] || fail "session file at $(json_get 'd["session_file"]')"
[[ $(stat -c '%U %a' "$SF") == "$P 600" ]] || fail "session file is $(stat -c '%U %a' "$SF")"
[[ $(stat -c '%U %a' "$PHOME/.config/hemera") == "$P 700" ]] || fail "session dir is $(stat -c '%U %a' "$PHOME/.config/hemera")"
[[ $(stat -c '%U' "$PHOME/.config") == "$P" ]] || fail "~/.config made by root"
[[ $(last_event 'd["action"], d["actor"], d["os_user"]') == "('login', '$A', '$P')" ]] || fail "login not audited"
expect_exit 0 psudo hemera-login --json --status
check_json
[[ $(json_get 'd["via"], d["actor"], d["os_user"]') == "('session', '$A', '$P')" ]] || fail "status: $(cat "$T/out")"
# Roles follow the ORCID iD of the session, audited with the login beside it.
expect_exit 77 psudo hemera-user list
expect_err "$A may not user.list"
expect_exit 0 hemera-user --root "$T/a" grant "$A" curator
expect_exit 0 psudo hemera-user --json list
check_json
[[ $(last_event 'd["action"], d["actor"], d["os_user"], d["allowed"]') == "('user.list', '$A', '$P', True)" ]] ||
  fail "user.list by the session not audited as $A ($P)"
# Without sudo a SUDO_UID of the person's own is ignored: on an archive of
# their own they are themselves, not root, and the run is not privileged.
expect_exit 0 person "$HEMERA_BIN/hemera-init" -q --root "$PHOME/own"
expect_exit 1 person env HOME="$PHOME/elsewhere" SUDO_UID=0 SUDO_USER=root "$HEMERA_BIN/hemera-login" --root "$PHOME/own" \
  --json --status
check_json
[[ $(json_get 'd["via"], d["actor"], d["roles"]') == "('unix', '$P', ['administrator'])" ]] ||
  fail "a forged SUDO_UID: $(cat "$T/out")"
pass "sudo hemera-login: session in the person's home, roles of the iD"

# The person's files are handled with the person's identity: an edited file,
# or a link to a file the person cannot read, is refused.
cp "$SF" "$T/session.orig"
person sed -i "s/$A/0000-0001-5109-3700/" "$SF"
expect_exit 77 psudo hemera-user list
expect_err "the session file was edited"
echo "root only" >"$T/rootfile"
chmod 0600 "$T/rootfile"
person ln -sf "$T/rootfile" "$SF"
expect_exit 77 psudo hemera-login --status
expect_err "the session file is a symbolic link; refused"
expect_exit 0 psudo hemera-logout
[[ -e "$T/rootfile" && ! -L "$SF" && ! -e "$SF" ]] || fail "logout removed the wrong file"
# A link from ~/.config/hemera to a directory only root may write: sudo
# hemera-login cannot be made to create the session file there.
mkdir -m 0700 "$T/rootonly"
person rm -rf "$PHOME/.config/hemera"
person ln -s "$T/rootonly" "$PHOME/.config/hemera"
c=$(code "$A")
run bash -c "printf '%s\n' '$c' | setpriv --reuid=$P --regid=$P --init-groups env -i PATH=/usr/bin:/bin HOME=$PHOME \
  sudo -n $HEMERA_BIN/hemera-login"
[[ $rc -ne 0 ]] || fail "sudo hemera-login wrote through a link into a root-only directory"
expect_err "cannot create the session file"
[[ -z $(ls -A "$T/rootonly") ]] || fail "a file was created in the root-only directory: $(ls -A "$T/rootonly")"
person rm "$PHOME/.config/hemera"
pass "person's files touched with the person's identity"

# No session: the ORCID iD bound to the person's login acts.
expect_exit 0 hemera-user --root "$T/a" bind "$P" "$B"
expect_exit 0 hemera-user --root "$T/a" grant "$B" provider
expect_exit 1 psudo hemera-login --json --status
check_json
[[ $(json_get 'd["via"], d["actor"], d["os_user"], d["roles"]') == "('binding', '$B', '$P', ['provider'])" ]] ||
  fail "binding: $(cat "$T/out")"
expect_exit 77 psudo hemera-user list
expect_err "$B may not user.list"
[[ $(last_event 'd["actor"], d["os_user"], d["allowed"]') == "('$B', '$P', False)" ]] || fail "binding denial not audited"
# A session, when open, comes before the binding.
c=$(code "$A")
run bash -c "printf '%s\n' '$c' | setpriv --reuid=$P --regid=$P --init-groups env -i PATH=/usr/bin:/bin HOME=$PHOME \
  sudo -n $HEMERA_BIN/hemera-login"
[[ $rc -eq 0 ]] || { cat "$T/err"; fail "sudo hemera-login exited $rc"; }
expect_exit 0 psudo hemera-login --json --status
[[ $(json_get 'd["via"], d["actor"]') == "('session', '$A')" ]] || fail "session before binding: $(cat "$T/out")"
expect_exit 0 psudo hemera-logout
expect_exit 0 hemera-user --root "$T/a" audit --check
pass "bound login acts as its ORCID iD"
