#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-snapshot end to end: a snapshot, changes (new dataset, new version, a
# role granted), a second snapshot that costs only the new bytes (hard links,
# counted blocks), both restored into archives that hemera-verify accepts and
# that hold exactly their state; verify finds damage; prune is audited.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
S=$T/store
expect_exit 0 hemera-init --root A -q
# Bulk in both snapshots (printable auxiliary files), so that a snapshot that
# copied unchanged files would show in the counted blocks.
head -c 1500000 /dev/urandom | base64 -w 76 >bulk_old.txt
head -c 2250000 /dev/urandom | base64 -w 76 >bulk_new.txt
expect_exit 0 hemera-ingest --root A --json --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea" bulk_old.txt
U1=$(json_get 'd["uuid"]')
D1=DATB/strato2021/o3sonde/$U1

# Not an archive: 66; the store inside the archive: 78.
expect_exit 66 hemera-snapshot --root nowhere --dest "$S" create
expect_exit 78 hemera-snapshot --root A --dest A/.hemera/snaps create
expect_err "must not contain each other"
expect_exit 66 hemera-snapshot --dest "$S" list

# First snapshot, from a configuration file naming the store.
cat >hemera.yaml <<EOF
root: $T/A
snapshot:
  dest: $S
  keep_daily: 1
  keep_weekly: 1
  keep_monthly: 1
EOF
export HEMERA_SNAPSHOT_NOW=2026-11-01T09:30:00Z
expect_exit 0 hemera-snapshot --config hemera.yaml create --json
check_json
[[ $(json_get 'd["name"]') == 2026-11-01T093000Z-monthly ]] || fail "first name: $(json_get 'd["name"]')"
[[ $(json_get 'd["complete"]') == True && $(json_get 'd["files_linked"]') == 0 ]] || fail "first snapshot"
[[ $(json_get 'd["base"]') == None ]] || fail "first snapshot has a base"
[[ $(json_get 'd["journal_seq"]') == 1 ]] || fail "journal seq"
S1=$S/2026-11-01T093000Z-monthly
[[ -f $S1/SNAPSHOT.json && -f $S1/archive/.hemera/hemera.db && -f $S1/archive/.hemera/journal &&
   -f $S1/archive/.hemera/audit.log && -f $S1/config/hemera.yaml ]] || fail "snapshot content"
[[ ! -e $S1/archive/.hemera/hemera.db-wal ]] || fail "database copy has a WAL beside it"
[[ -z $(ls -A "$S/.partial") ]] || fail "partial left behind"
pass "first snapshot: database, journal, audit log and configuration included"

expect_exit 0 hemera-snapshot --config hemera.yaml verify latest --json
check_json
[[ $(json_get 'len(d["problems"])') == 0 && $(json_get 'd["files"]') -ge 8 ]] || fail "verify first"

# One run at a time per store: a second one exits 75 (cron may retry).
flock "$S/.lock" sleep 4 &
locker=$!
track_pid "$locker"
sleep 0.5
expect_exit 75 hemera-snapshot --config hemera.yaml create
expect_err "another hemera-snapshot run holds the snapshot store"
expect_exit 75 hemera-snapshot --config hemera.yaml prune
wait "$locker"

# Changes: a new dataset (FITS), a new version, a role granted.
expect_exit 0 hemera-ingest --root A --json --collection sky/pilot --form "$EX/dasb/form.json" \
  "$EX/dasb/pilot_crab_20220712.fits"
U2=$(json_get 'd["uuid"]')
D2=DASB/sky/pilot/$U2
cp "$EX/datb/o3_20210618_kiruna.na" o3_20210619_kiruna.na
expect_exit 0 hemera-ingest --root A -q --dataset "$U1" o3_20210619_kiruna.na bulk_new.txt
expect_exit 0 hemera-user --root A grant nobody curator -q

export HEMERA_SNAPSHOT_NOW=2026-11-02T09:30:00Z
expect_exit 0 hemera-snapshot --config hemera.yaml create --json
check_json
S2=$S/$(json_get 'd["name"]')
[[ $S2 == $S/2026-11-02T093000Z-weekly ]] || fail "second name: $S2"
[[ $(json_get 'd["base"]') == 2026-11-01T093000Z-monthly ]] || fail "base"
[[ $(json_get 'd["files_linked"]') -gt 0 ]] || fail "nothing linked"

# Cost: every v1 file of the first snapshot is the same inode in the second,
# and the blocks only the second snapshot holds are about the new files plus
# the state (database copy, journal, audit log, records).
"$PY" - "$S1" "$S2" "A/$D2/v1" "A/$D1/v2" <<'EOF'
import os, sys
s1, s2, new1, new2 = sys.argv[1:]
for dp, dn, fn in os.walk(os.path.join(s1, "archive", "DATB")):
    for f in fn:
        p = os.path.join(dp, f)
        if "/v1/" in p + "/" and "/v1" in dp:
            q = p.replace(s1, s2, 1)
            if os.stat(p).st_ino != os.stat(q).st_ino:
                sys.exit(f"not hard-linked: {q}")
unshared = 0
for dp, dn, fn in os.walk(s2):
    for f in fn:
        st = os.lstat(os.path.join(dp, f))
        if st.st_nlink == 1:
            unshared += st.st_blocks * 512
new = sum(os.path.getsize(os.path.join(d, f)) for d in (new1, new2) for f in os.listdir(d))
db = os.path.getsize(os.path.join(s2, "archive/.hemera/hemera.db"))
slack = 256 * 1024
print(f"unshared {unshared} new {new} db {db}")
if unshared < new:
    sys.exit(f"the new files are not all in the second snapshot: {unshared} < {new}")
if unshared > new + db + slack:
    sys.exit(f"second snapshot costs {unshared} bytes, more than new {new} + db {db} + {slack}")
EOF
# du counts each inode once: the second snapshot adds about the new bytes.
a=$(du -sk "$S1" | cut -f1)
ab=$(du -sk "$S1" "$S2" | awk '{s+=$1} END {print s}')
new=$(du -sk "A/$D2/v1" "A/$D1/v2" | awk '{s+=$1} END {print s}')
(( ab - a >= new && ab - a < new + 512 )) || fail "du: second snapshot costs $((ab - a)) KiB for $new KiB new"
pass "second snapshot hard-links unchanged files and costs only the new bytes"

# Both restore into archives that hemera-verify accepts, with their own state.
expect_exit 0 hemera-snapshot --config hemera.yaml restore 2026-11-01T093000Z-monthly --to R1 --json
check_json
[[ $(json_get 'd["config"]') == True ]] || fail "configuration not restored"
expect_exit 0 hemera-snapshot --config hemera.yaml restore latest --to R2 -q
expect_exit 0 hemera-verify --root R1 -q --no-alert
expect_exit 0 hemera-verify --root R2 -q --no-alert
[[ -d R1/$D1/v1 && ! -e R1/$D1/v2 && ! -e R1/$D2 ]] || fail "R1 holds later changes"
[[ -d R2/$D1/v2 && -f R2/$D2/v1/pilot_crab_20220712.fits ]] || fail "R2 lacks the changes"
cmp "R2/$D2/v1/pilot_crab_20220712.fits" "A/$D2/v1/pilot_crab_20220712.fits"
expect_exit 0 hemera-user --root R1 list
grep -q '^nobody' "$T/out" && fail "R1 has the later grant"
expect_exit 0 hemera-user --root R2 list
expect_out "nobody"
diff -r -x hemera.db -x hemera.db-wal -x hemera.db-shm -x audit.log -x locks -x restored-config.yaml A R2 ||
  fail "R2 differs from the archive"
grep -q '"action":"snapshot.restore"' A/.hemera/audit.log || fail "restore not audited"
grep -q '"action":"snapshot.restore"' R2/.hemera/audit.log || fail "restore not in the restored log"
[[ -f R1/.hemera/restored-config.yaml ]] || fail "restored configuration missing"
expect_exit 73 hemera-snapshot --config hemera.yaml restore latest --to R2
# With the archive gone, restore is authorised against the snapshot's roles.
expect_exit 0 hemera-snapshot --root "$T/gone" --dest "$S" restore latest --to R4 -q
expect_exit 0 hemera-verify --root R4 -q --no-alert
grep -q '"action":"snapshot.restore","actor":"root","allowed":true' R4/.hemera/audit.log ||
  fail "restore without a live archive not audited in the restored one"
pass "both snapshots restore into working archives that hemera-verify accepts"

# An unchanged archive: everything linked, the database copy too.
export HEMERA_SNAPSHOT_NOW=2026-11-02T10:30:00Z
expect_exit 0 hemera-snapshot --config hemera.yaml create --json
[[ $(json_get 'd["files_copied"]') -le 2 ]] || fail "no-change snapshot copied $(json_get 'd["files_copied"]') files"
[[ $(json_get 'd["files"] == d["files_linked"] + d["files_copied"]') == True ]] || fail "counts do not add up"
expect_exit 0 hemera-snapshot --config hemera.yaml list --json
check_json
[[ $(json_get 'len(d["snapshots"])') == 3 ]] || fail "list"
[[ $(json_get 'd["snapshots"][2]["class"]') == daily ]] || fail "third class"
pass "a no-change snapshot links everything"

# Damage inside a snapshot is found by verify, and restore refuses it.
# (on a private copy: the file is shared by the later snapshots)
f=$S2/archive/$D2/v1/pilot_crab_20220712.fits
chmod u+w "$(dirname "$f")"
cp -p "$f" "$f.tmp" && mv "$f.tmp" "$f" && chmod u+w "$f"
printf 'X' | dd of="$f" bs=1 seek=4000 conv=notrunc status=none
echo stray >"$S2/archive/$D1/stray.txt"
expect_exit 1 hemera-snapshot --config hemera.yaml verify 2026-11-02T093000Z-weekly --json
check_json
got=$(json_get '"\n".join(sorted(p["rule"] + " " + p["file"] for p in d["problems"]))')
want="snapshot.mismatch archive/$D2/v1/pilot_crab_20220712.fits
snapshot.unexpected archive/$D1/stray.txt"
[[ $got == "$want" ]] || fail "verify findings: $got"
expect_exit 1 hemera-snapshot --config hemera.yaml restore 2026-11-02T093000Z-weekly --to R3
[[ ! -e R3 ]] || fail "a damaged snapshot was restored"
expect_exit 66 hemera-snapshot --config hemera.yaml verify 2020-01-01T000000Z-daily
pass "verify finds a changed byte and a stray file"

# Prune: privileged and audited; keeps the newest of each class as configured.
expect_exit 0 hemera-snapshot --config hemera.yaml prune --dry-run --json
check_json
[[ $(json_get 'len(d["removed"])') == 0 ]] || fail "dry run with nothing to remove"
export HEMERA_SNAPSHOT_NOW=2026-11-03T09:30:00Z
expect_exit 0 hemera-snapshot --config hemera.yaml create -q
expect_exit 0 hemera-snapshot --config hemera.yaml prune --json
check_json
[[ $(json_get 'd["removed"]') == "['2026-11-02T103000Z-daily']" ]] || fail "prune removed $(json_get 'd["removed"]')"
[[ ! -e $S/2026-11-02T103000Z-daily ]] || fail "pruned snapshot still there"
grep -q '"action":"snapshot.prune"' A/.hemera/audit.log || fail "prune not audited"
expect_exit 0 hemera-snapshot --config hemera.yaml verify 2026-11-03T093000Z-daily -q
pass "prune removes beyond the retention, audited"
