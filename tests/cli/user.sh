#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-user: people by ORCID iD (checked where they enter), Unix bindings,
# the privileged-commands table (code = man page), audit filters, and a
# tampered audit line detected by `audit --check`.
source "$HEMERA_SRC/tests/cli/lib.sh"
export HOME="$T/home"
mkdir -p "$HOME"

hemera-init -q --root "$T/a"
u() { hemera-user --root "$T/a" "$@"; }

# ORCID iDs are checked and normalised wherever they enter.
expect_exit 0 u --json add https://orcid.org/0000-0002-1694-233x
check_json
[[ $(json_get 'd["added"]') == 0000-0002-1694-233X ]] || fail "iD not normalised"
expect_exit 73 u add 0000-0002-1694-233X
expect_exit 65 u add 0000-0002-1825-0098
expect_err "wrong check digit (ISO 7064 MOD 11-2 gives 7)"
expect_one_line_err
expect_exit 65 u grant 0000-0002-1825-0079 curator
expect_err "check digit"
expect_exit 65 u add https://sandbox.orcid.org/0000-0002-1825-0097
expect_err "sandbox ORCID iD; the configured ORCID provider is production"
expect_exit 65 u bind nobody 0000_0002_1825_0097
expect_exit 64 u grant "Robert'); DROP TABLE roles;--" curator
expect_err "neither an ORCID iD nor a Unix login name"
# With the sandbox provider configured, sandbox URIs are accepted and production ones refused.
printf 'orcid:\n  issuer: https://sandbox.orcid.org\n' >sandbox.yaml
expect_exit 0 hemera-user --config sandbox.yaml --root "$T/a" --json add https://sandbox.orcid.org/0000-0002-1825-0097
check_json
expect_exit 65 hemera-user --config sandbox.yaml --root "$T/a" add https://orcid.org/0000-0001-5109-3700
expect_err "production ORCID iD; the configured ORCID provider is the sandbox"
pass "ORCID iDs checked at entry"

# Grants, bindings, show, list.
expect_exit 0 u grant 0000-0002-1694-233X curator
expect_exit 0 u --json bind nobody https://orcid.org/0000-0002-1825-0097
check_json
expect_exit 0 u --json show 0000-0002-1825-0097
check_json
[[ $(json_get 'd["user"]["unix_users"]') == "['nobody']" ]] || fail "binding not shown"
# nobody through sudo now acts as the bound ORCID iD, which holds no role yet.
expect_exit 77 env SUDO_UID=65534 hemera-user --root "$T/a" grant nobody provider
expect_err "0000-0002-1825-0097 may not user.grant"
expect_exit 0 u grant https://orcid.org/0000-0002-1825-0097 provider
expect_exit 0 u --json list
check_json
[[ $(json_get '[x["name"] for x in d["users"]]') == *0000-0002-1825-0097* ]] || fail "list lacks the iD"
# A curator may list users but not manage them.
expect_exit 0 u grant 0000-0002-1825-0097 curator
expect_exit 0 env SUDO_UID=65534 hemera-user --root "$T/a" list
expect_exit 77 env SUDO_UID=65534 hemera-user --root "$T/a" add 0000-0001-5109-3700
expect_exit 77 env SUDO_UID=65534 hemera-user --root "$T/a" audit
expect_exit 0 u --json bind --remove nobody
check_json
expect_exit 65 u bind --remove nobody
expect_exit 65 u bind no-such-user-xyz 0000-0002-1825-0097
expect_err "no Unix user"
expect_exit 0 u --json remove 0000-0002-1694-233X
check_json
expect_exit 66 u show 0000-0002-1694-233X
expect_exit 65 u remove "$(id -un)"
expect_err "last administrator"
pass "users, bindings, removal"

# The privileged-commands table of the man page is the code's table.
expect_exit 0 hemera-user --json actions
check_json
cp out actions.json
"$PY" - "$HEMERA_SRC/man/hemera-user.1.scd" actions.json <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
section = text.split("# PRIVILEGED COMMANDS", 1)[1].split("\n# ", 1)[0]
cells = [l[3:] for l in section.splitlines() if l.startswith("|  ") or l.startswith(":  ")]
rows = [tuple(cells[i:i + 4]) for i in range(0, len(cells), 4)]
code = [(c["tool"], c["command"], c["action"],
         ", ".join(c["roles"]) + (", the providing owner" if c["owner_provider"] else ""))
        for c in json.load(open(sys.argv[2]))["commands"]]
assert rows == code, ("man page and code differ", [r for r in rows if r not in code], [c for c in code if c not in rows])
tools = {c[0] for c in code}
for t in ["hemera-ingest", "hemera-meta", "hemera-doi", "hemera-user", "hemera-verify", "hemera-replicate",
          "hemera-repair", "hemera-snapshot", "hemera-recover", "hemera-report"]:
    assert t in tools, t
print(len(code), "privileged commands")
PY
pass "roles table: man page = code"

# Audit filters.
expect_exit 0 u --json audit --outcome denied
check_json
[[ $(json_get 'd["count"]') -ge 3 ]] || fail "denials missing"
[[ $(json_get 'all(not e["allowed"] for e in d["events"])') == True ]] || fail "outcome filter"
expect_exit 0 u --json audit --actor https://orcid.org/0000-0002-1825-0097
check_json
[[ $(json_get 'all(e["actor"] == "0000-0002-1825-0097" or e.get("os_user") == "0000-0002-1825-0097" for e in d["events"]) and d["count"] > 0') == True ]] ||
  fail "actor filter"
[[ $(json_get '[e.get("os_user") for e in d["events"]][0]') == nobody ]] || fail "os_user not audited"
expect_exit 0 u --json audit --action 'user.*' --since 2000-01-01 --until 2999-01-01
check_json
[[ $(json_get 'all(e["action"].startswith("user.") for e in d["events"]) and d["count"] > 5') == True ]] || fail "action filter"
expect_exit 0 u --json audit --until 2000-01-01
[[ $(json_get 'd["count"]') -eq 0 ]] || fail "until filter"
expect_exit 64 u audit --since yesterday
expect_exit 64 u audit --outcome maybe
expect_exit 0 u audit --action user.bind
expect_out "nobody = 0000-0002-1825-0097"
pass "audit filters"

# A tampered audit line is detected, with its line number; so is a removed one.
expect_exit 0 u --json audit --check
check_json
n=$(json_get 'd["check"]["events"]')
log="$T/a/.hemera/audit.log"
cp "$log" log.orig
sed -i '3s/"allowed":false/"allowed":true/; 3s/"allowed":true/"allowed":false/' "$log"
cmp -s "$log" log.orig && fail "the edit did nothing"
expect_exit 65 u audit --check
expect_err "hash chain broken (event edited, removed or reordered)"
expect_err "audit.log:4"
cp log.orig "$log"
sed -i '5d' "$log"
expect_exit 65 u audit --check
expect_err "audit.log:5"
cp log.orig "$log"
expect_exit 0 u audit --check
expect_out "hash chain intact"
[[ $n -gt 10 ]] || fail "too few events ($n)"
pass "tampered audit lines detected"
