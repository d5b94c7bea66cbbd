#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-snapshot retention over a simulated year of daily runs (create, then
# prune, each day at 09:30 UTC through HEMERA_SNAPSHOT_NOW): exactly the first
# of each month, the last four Mondays and the last seven other days remain.
# SNAPSHOT_DAYS (default 365) shortens the year for a quick run.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
DAYS=${SNAPSHOT_DAYS:-365}
expect_exit 0 hemera-init --root A -q
expect_exit 0 hemera-ingest --root A -q --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na"
start=$(date -u -d 2026-01-01T09:30:00Z +%s)
for ((day = 0; day < DAYS; day++)); do
  HEMERA_SNAPSHOT_NOW=$((start + day * 86400)) hemera-snapshot --root A --dest S create -q ||
    fail "create on day $day"
  hemera-snapshot --root A --dest S prune -q || fail "prune on day $day"
done
expect_exit 0 hemera-snapshot --dest S list --json
check_json
got=$(json_get '"\n".join(s["name"] for s in d["snapshots"])')
# The expected set, computed independently from the calendar.
want=$("$PY" - "$start" "$DAYS" <<'PY'
import datetime, sys
start = datetime.datetime.fromtimestamp(int(sys.argv[1]), datetime.timezone.utc)
days = [start + datetime.timedelta(days=i) for i in range(int(sys.argv[2]))]
cls, months, weeks = {}, set(), set()
for d in days:
    if (d.year, d.month) not in months:
        cls[d] = "monthly"; months.add((d.year, d.month)); weeks.add(d.isocalendar()[:2])
    elif d.isocalendar()[:2] not in weeks:
        cls[d] = "weekly"; weeks.add(d.isocalendar()[:2])
    else:
        cls[d] = "daily"
keep = {"daily": 7, "weekly": 4, "monthly": 12}
kept = []
for c, n in keep.items():
    kept += sorted([d for d in days if cls[d] == c], reverse=True)[:n]
kept = set(kept) | {days[-1]}
print("\n".join(d.strftime("%Y-%m-%dT%H%M%SZ-") + cls[d] for d in sorted(kept)))
PY
)
[[ $got == "$want" ]] || { diff <(echo "$want") <(echo "$got") >&2; fail "retention after $DAYS days"; }
n=$(wc -l <<<"$got")
pass "after $DAYS daily runs exactly the $n expected snapshots remain"
expect_exit 0 hemera-snapshot --dest S verify latest -q
expect_exit 0 hemera-snapshot --dest S verify "$(head -1 <<<"$got")" -q
pass "the oldest and newest kept snapshots verify"
