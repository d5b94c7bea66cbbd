#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-snapshot under kill -9 and beside running ingests: a killed snapshot
# never appears complete and the next run removes it; snapshots taken while
# ingests commit restore into archives that hemera-verify accepts.
# SNAPSHOT_KILLS (default 10) random kills; SNAPSHOT_INGESTS (default 8).
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
KILLS=${SNAPSHOT_KILLS:-10}
INGESTS=${SNAPSHOT_INGESTS:-8}
S=$T/store
expect_exit 0 hemera-init --root A -q
expect_exit 0 hemera-ingest --root A --json --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea"
U1=$(json_get 'd["uuid"]')
# Some bulk, so that a snapshot takes long enough to be killed midway.
for i in $(seq 1 40); do head -c 200000 /dev/urandom | base64 -w 76 >"aux$i.txt"; done
expect_exit 0 hemera-ingest --root A -q --dataset "$U1" "$EX/datb/o3_20210618_kiruna.na" aux*.txt

count() { hemera-snapshot --dest "$S" list --json >"$T/list.json" && json_get 'len(d["snapshots"])' "$T/list.json"; }
day=0
snap() { day=$((day + 1)); HEMERA_SNAPSHOT_NOW=$((1793000000 + day * 3600)) hemera-snapshot --root A --dest "$S" "$@"; }

# Named crash points: before, inside and after the state capture.
for point in snapshot-after-immutable snapshot-after-tree snapshot-after-state snapshot-before-rename; do
  before=$( [[ -d $S ]] && count || echo 0)
  set +e; HEMERA_CRASH_AT=$point snap create -q; rc=$?; set -e
  [[ $rc -eq 137 ]] || fail "$point: exit $rc"
  [[ $(count) == "$before" ]] || fail "$point: a killed snapshot is listed"
  [[ -n $(ls -A "$S/.partial") ]] || fail "$point: no partial snapshot left to clean"
  expect_exit 0 snap create --json
  [[ -z $(ls -A "$S/.partial") ]] || fail "$point: the next run left the partial snapshot"
  [[ $(count) == $((before + 1)) ]] || fail "$point: the next run is not listed"
done
pass "a snapshot killed at a crash point never appears; the next run cleans it"

# Random kill -9 while writing (fresh store, so that everything is copied).
S=$T/store2
for i in $(seq 1 "$KILLS"); do
  day=$((day + 1))
  HEMERA_SNAPSHOT_NOW=$((1793000000 + day * 3600)) hemera-snapshot --root A --dest "$S" create -q &
  pid=$!
  sleep "0.0$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
if [[ -d $S ]]; then
  expect_exit 0 hemera-snapshot --dest "$S" list --json
  for n in $(json_get '" ".join(s["name"] for s in d["snapshots"])'); do
    expect_exit 0 hemera-snapshot --dest "$S" verify "$n" -q
  done
fi
expect_exit 0 snap create -q
[[ -z $(ls -A "$S/.partial") ]] || fail "partial snapshots left after a clean run"
expect_exit 0 hemera-snapshot --dest "$S" verify latest -q
pass "$KILLS random kills: every listed snapshot verifies"

# Snapshots taken while ingests commit new versions.
S=$T/store3
(
  for i in $(seq 1 "$INGESTS"); do
    cp "$EX/datb/o3_20210618_kiruna.na" "o3_run$i.na"
    hemera-ingest --root A -q --dataset "$U1" "o3_run$i.na" || exit 1
  done
) &
ingester=$!
n=0
while kill -0 "$ingester" 2>/dev/null; do
  expect_exit 0 snap create -q
  n=$((n + 1))
done
wait "$ingester" || fail "an ingest failed beside the snapshots"
expect_exit 0 snap create -q
n=$((n + 1))
expect_exit 0 hemera-snapshot --dest "$S" list --json
names=$(json_get '" ".join(s["name"] for s in d["snapshots"])')
i=0
for name in $names; do
  i=$((i + 1))
  expect_exit 0 hemera-snapshot --root A --dest "$S" restore "$name" --to "R$i" -q
  expect_exit 0 hemera-verify --root "R$i" -q --no-alert
done
[[ $i -eq $n && $i -ge 2 ]] || fail "$n snapshots taken, $i listed"
expect_exit 0 hemera-verify --root A -q --no-alert
v=$(ls -d "R$i/DATB/strato2021/o3sonde/$U1"/v* | wc -l)
[[ $v -eq $((INGESTS + 2)) ]] || fail "the last snapshot holds $v versions, want $((INGESTS + 2))"
pass "$n snapshots taken beside $INGESTS ingests all restore and verify"
