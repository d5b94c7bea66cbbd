#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-verify with a budget: oldest-verified first, resumption across runs,
# times kept in hemera.db, earlier failures re-checked first, and a staleness
# alarm that adding files never raises falsely.
source "$HEMERA_SRC/tests/cli/lib.sh"

hemera-init --root a -q
# 3 datasets x 10 files = 30 files
for i in 1 2 3; do
  mkdir -p "src$i"
  for j in $(seq 10 19); do head -c $((1000 * j + i)) /dev/urandom >"src$i/f$j.na"; done
  "$PY" "$HEMERA_SRC/tests/cli/make_archive.py" a DATB camp/b "$("$HEMERA_BIN/hemera-uuid" new)" "src$i"
done

# sql QUERY: run a query on hemera.db, one row per line, columns joined by '|'.
sql() {
  "$PY" -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]): print("|".join("" if v is None else str(v) for v in r))
c.commit()' a/.hemera/hemera.db "$1"
}

# A budget of nothing checks nothing, and says so without failing.
expect_exit 0 hemera-verify --root a --budget 0s --json
check_json
[[ $(json_get 'd["files_checked"]') == 0 && $(json_get 'd["files_remaining"]') == 30 ]] || fail "0s budget"
[[ $(json_get 'd["complete"]') == False && $(json_get 'd["budget_spent"]') == True ]] || fail "0s flags"
[[ $(sql "SELECT count(*) FROM fixity WHERE verified_at IS NULL") == 30 ]] || fail "inventory not recorded"

# Three runs of 10 files cover the archive, each taking files never verified.
declare -A seen=()
for run in 1 2 3; do
  expect_exit 0 hemera-verify --root a --max-files 10 --jobs 1 --json
  check_json
  [[ $(json_get 'd["files_checked"]') == 10 ]] || fail "run $run checked $(json_get 'd["files_checked"]')"
  [[ $(json_get 'd["files_remaining"]') == 20 ]] || fail "run $run remaining"
  n=$(sql "SELECT count(*) FROM fixity WHERE verified_at IS NOT NULL")
  [[ $n == $((run * 10)) ]] || fail "after run $run, $n files have a verification time"
  # Tag this run's files with a distinct, increasing time.
  now=$(date +%s)
  sql "UPDATE fixity SET verified_at = $now - 1000 + $run WHERE verified_at > $now - 100" >/dev/null
  for p in $(sql "SELECT path FROM fixity WHERE verified_at = $now - 1000 + $run"); do
    [[ -z ${seen[$p]:-} ]] || fail "run $run re-checked $p before every file was checked once"
    seen[$p]=$run
  done
done
[[ ${#seen[@]} -eq 30 ]] || fail "three runs covered ${#seen[@]} files, not 30"
pass "resumption: three budgeted runs cover all 30 files once"

# The fourth run takes the 10 files verified longest ago (those of run 1).
expect_exit 0 hemera-verify --root a --max-files 10 --jobs 2 --json
now_set=$(sql "SELECT path FROM fixity WHERE verified_at > $(date +%s) - 100 ORDER BY path")
run1_set=$(for p in "${!seen[@]}"; do if [[ ${seen[$p]} == 1 ]]; then echo "$p"; fi; done | sort)
[[ "$now_set" == "$run1_set" ]] || fail "fourth run did not take the oldest-verified files"
[[ $(json_get '"DATB" in d["stalest"]["file"]') == True ]] || fail "stalest file missing"
pass "oldest-verified first"

# A damaged file found once is re-checked first, and reported until repaired.
victim=$(sql "SELECT path FROM fixity ORDER BY verified_at DESC, path LIMIT 1")
chmod u+w "a/$victim"
cp "a/$victim" victim.bak
"$PY" -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(10); b = f.read(1); f.seek(10); f.write(bytes([b[0] ^ 1]))' "a/$victim"
expect_exit 0 hemera-verify --root a --max-files 3 --json   # the victim is the newest: not reached
[[ $(json_get 'len(d["problems"])') == 0 ]] || fail "victim reached too early"
expect_exit 1 hemera-verify --root a --json
[[ $(json_get '[p["rule"] for p in d["problems"]]') == "['fixity.mismatch']" ]] || fail "victim not found"
expect_exit 1 hemera-verify --root a --max-files 1 --json
check_json
[[ $(json_get 'd["files_checked"]') == 1 ]] || fail "max-files 1"
[[ $(json_get 'd["problems"][0]["file"]') == "$victim" ]] || fail "the failed file was not re-checked first"
[[ $(json_get 'd["problems"][0]["message"]') == "checksum mismatch" ]] || fail "message"
expect_exit 1 hemera-verify --root a --max-files 0 --json
check_json
[[ $(json_get 'd["problems"][0]["file"]') == "$victim" ]] || fail "an earlier failure was forgotten"
json_get 'd["problems"][0]["message"]' | grep -q "earlier run" || fail "carried-over failure not marked"
cp victim.bak "a/$victim"
expect_exit 0 hemera-verify --root a --max-files 1
pass "an earlier failure is re-checked first and reported until repaired"

# Staleness: with period 1d, files verified 2 days ago are stale (warning,
# alert), while files added today never count as stale.
cat >cfg.yaml <<EOF
verification: {period: 1d}
EOF
expect_exit 0 hemera-verify --root a --config cfg.yaml --json
[[ $(json_get 'd["stale"]') == False ]] || fail "fresh archive stale"
mkdir src4; for j in 1 2 3; do head -c 2000 /dev/urandom >"src4/n$j.na"; done
"$PY" "$HEMERA_SRC/tests/cli/make_archive.py" a DATB camp/b "$("$HEMERA_BIN/hemera-uuid" new)" src4
# Files added, nothing checked in this run: no false alarm.
expect_exit 0 hemera-verify --root a --config cfg.yaml --max-files 0 --json
check_json
[[ $(json_get 'd["stale"]') == False ]] || fail "new files raised a false staleness alarm"
[[ $(json_get 'd["files"]') == 33 && $(json_get 'd["files_remaining"]') == 33 ]] || fail "counts after adding"
expect_exit 0 hemera-verify --root a --config cfg.yaml --max-files 0
[[ $(grep -c "fixity.stale" "$T/out") -eq 0 ]] || fail "stale line printed"
# Age the old files' verification by two days: now the stalest one is stale.
sql "UPDATE fixity SET verified_at = verified_at - 2 * 86400 WHERE verified_at IS NOT NULL" >/dev/null
expect_exit 0 hemera-verify --root a --config cfg.yaml --max-files 0 --json
check_json
[[ $(json_get 'd["stale"]') == True ]] || fail "stale files not reported"
[[ $(json_get 'd["stalest"]["age_seconds"] > 86400') == True ]] || fail "stalest age"
[[ $(json_get '[p["rule"] for p in d["problems"]]') == "['fixity.stale']" ]] || fail "stale finding"
[[ $(json_get 'd["problems"][0]["severity"]') == warning ]] || fail "stale severity"
# A full run refreshes every file: no longer stale.
expect_exit 0 hemera-verify --root a --config cfg.yaml --json
[[ $(json_get 'd["stale"]') == False && $(json_get 'd["files_checked"]') == 33 ]] || fail "full run"
pass "staleness alarm, and none from added files"

# A journaled dataset removed from the tree is missing; its rows leave hemera.db.
gone=$(ls a/DATB/camp/b | head -1)
rm -rf "a/DATB/camp/b/$gone"
expect_exit 1 hemera-verify --root a --json
check_json
[[ $(json_get '[(p["rule"], p["file"]) for p in d["problems"]]') == "[('fixity.missing', 'DATB/camp/b/$gone')]" ]] ||
  fail "removed dataset: $(rules)"
[[ $(sql "SELECT count(*) FROM fixity") == $(json_get 'd["files"]') ]] || fail "rows of removed files kept"
pass "a removed dataset is missing; the inventory follows the tree"
