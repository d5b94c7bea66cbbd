#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-init: layout, idempotence, refusals, permissions.
source "$HEMERA_SRC/tests/cli/lib.sh"

expect_exit 0 hemera-init --json --root "$T/a"
check_json
[[ $(json_get 'd["created"]') == True ]] || fail "created"
[[ $(json_get 'd["administrator"]') == "$(id -un)" ]] || fail "caller is administrator"
for d in DATB DASB .hemera .hemera/staging .hemera/locks; do [[ -d $T/a/$d ]] || fail "missing $d"; done
for f in .hemera/hemera.db .hemera/audit.log .hemera/journal .hemera/ARCHIVE; do [[ -f $T/a/$f ]] || fail "missing $f"; done
ns1=$(json_get 'd["legacy_namespace"]')
pass "layout"

# Safe to run twice: nothing changes, the namespace stays pinned.
expect_exit 0 hemera-init --json --root "$T/a"
[[ $(json_get 'd["created"]') == False ]] || fail "second run says created"
[[ $(json_get 'd["legacy_namespace"]') == "$ns1" ]] || fail "namespace changed"
[[ $(wc -l <"$T/a/.hemera/audit.log") -eq 1 ]] || fail "second run added an administrator"
pass "idempotent"

# Default root: ./hemera-archive (or $HEMERA_ROOT).
expect_exit 0 hemera-init -q
[[ -f hemera-archive/.hemera/ARCHIVE ]] || fail "default root"
[[ ! -s $T/out ]] || fail "-q printed something"
HEMERA_ROOT="$T/env-root" hemera-init -q
[[ -f $T/env-root/.hemera/ARCHIVE ]] || fail "HEMERA_ROOT"
pass "default roots"

# A non-empty directory that is not an archive is refused (73), untouched.
mkdir "$T/busy"; echo data >"$T/busy/file"
expect_exit 73 hemera-init --root "$T/busy"
expect_err "not empty"
expect_one_line_err
[[ ! -e $T/busy/.hemera && ! -e $T/busy/DATB ]] || fail "wrote into a non-archive"
# A file in the way.
echo x >"$T/plain"
expect_exit 73 hemera-init --root "$T/plain"
pass "refusals"

# A root the actor cannot write: 77 (privileges dropped, since CI runs as root).
mkdir -m 755 "$T/rootonly"
expect_exit 77 as_nobody env HOME=/nonexistent "$HEMERA_BIN/hemera-init" --root "$T/rootonly/archive"
expect_err "Permission denied"
expect_one_line_err
[[ ! -e $T/rootonly/archive ]] || fail "created something"
pass "unwritable root"

# Another tool on a root that is not an archive: 66.
expect_exit 66 hemera-user --root "$T/nothing" list
expect_err "hemera-init"
pass "not an archive"
