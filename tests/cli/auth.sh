#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Roles and audit: the caller of hemera-init is administrator; a privileged
# action by a user without the role exits 77 and is audited; the log is chained.
source "$HEMERA_SRC/tests/cli/lib.sh"

me=$(id -un)
hemera-init -q --root "$T/a"
expect_exit 0 hemera-user --root "$T/a" list --json
check_json
[[ $(json_get 'd["grants"][0]["actor"]') == "$me" && $(json_get 'd["grants"][0]["role"]') == administrator ]] ||
  fail "caller is not administrator"

# "nobody" acting through sudo (SUDO_UID) lacks the role: 77, audited as denied.
expect_exit 77 env SUDO_UID=65534 hemera-user --root "$T/a" grant nobody curator
expect_err "nobody may not user.grant"
expect_one_line_err
tail -n 1 "$T/a/.hemera/audit.log" >last.json
[[ $(json_get 'd["actor"]' last.json) == nobody ]] || fail "audit actor"
[[ $(json_get 'd["allowed"]' last.json) == False ]] || fail "denial not audited"
[[ $(json_get 'd["action"]' last.json) == user.grant ]] || fail "audit action"
pass "denied and audited"

# The administrator grants; the grant is audited; a curator still cannot grant.
expect_exit 0 hemera-user --root "$T/a" grant nobody curator
expect_exit 0 hemera-user --root "$T/a" --json list
[[ $(json_get 'len(d["grants"])') -eq 2 ]] || fail "grant missing"
expect_exit 77 env SUDO_UID=65534 hemera-user --root "$T/a" grant nobody administrator
expect_exit 64 hemera-user --root "$T/a" grant nobody emperor
expect_err "unknown role"
expect_exit 0 hemera-user --root "$T/a" revoke nobody curator
expect_exit 65 hemera-user --root "$T/a" revoke nobody curator
expect_exit 65 hemera-user --root "$T/a" revoke "$me" administrator
expect_err "last administrator"
expect_exit 0 hemera-user --root "$T/a" --json actions
check_json
pass "grant and revoke"

# Privileges really dropped: nobody cannot write the archive state at all.
expect_exit 77 as_nobody env HOME=/nonexistent "$HEMERA_BIN/hemera-user" --root "$T/a" grant nobody curator
expect_one_line_err

# The audit log is a hash chain: every event links to the previous line.
"$PY" - "$T/a/.hemera/audit.log" <<'PY'
import hashlib, json, sys
prev = "0" * 64
lines = open(sys.argv[1], "rb").read().splitlines()
assert len(lines) >= 5, len(lines)
for n, line in enumerate(lines, 1):
    e = json.loads(line)
    assert e["seq"] == n, (n, e)
    assert e["prev"] == prev, ("broken chain at", n)
    prev = hashlib.sha256(line).hexdigest()
PY
pass "audit chain"
