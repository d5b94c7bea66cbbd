# SPDX-License-Identifier: Apache-2.0
# Crash test: ingests killed with kill -9 at random moments (and at named
# crash points), then each time: every committed version matches its
# manifest and is journaled once, the next run leaves no staging, the journal
# parses, and no dataset is half-present. The kill count is a parameter:
# HEMERA_CRASH_KILLS (modest here; bench/ingest runs 200 or more).
source "$HEMERA_SRC/tests/cli/lib.sh"

KILLS=${HEMERA_CRASH_KILLS:-25}
EX="$HEMERA_SRC/examples"
A="$T/arch"
CHECK=("$PY" "$HEMERA_SRC/tests/cli/ingest_check.py" "$A" --no-staging)
expect_exit 0 hemera-init --root "$A"
cp "$EX/datb/o3_20210618_kiruna.na" .
# A larger auxiliary file widens the window in which a kill lands mid-copy.
$PY -c '
import sys
with open("track.csv", "w") as f:
    f.write("time,lat,lon,alt\n")
    for i in range(60000):
        f.write(f"2021-06-18T10:{(i//60)%60:02d}:{i%60:02d}Z,{67.8+i*1e-6:.6f},{20.2+i*1e-6:.6f},{300+i*0.5:.1f}\n")
'
# Any tool that opens the archive completes or discards interrupted commits.
next_run() { expect_exit 0 hemera-uuid legacy --root "$A" probe; }

# Named crash points first: before the commit point the old state stays;
# after it the next run completes the commit exactly once.
printf 'resourceTitle: {en: "Crash point"}\n' >cp.yaml
HEMERA_CRASH_AT=before-rename expect_exit 137 hemera-ingest --root "$A" --collection c --form cp.yaml o3_20210618_kiruna.na
[[ -n $(ls "$A/.hemera/staging") ]] || fail "a staging was left to clean up"
next_run
"${CHECK[@]}" || fail "after a crash before the rename"
[[ -z $(find "$A/DATB" -name "*-*-*-*-*") ]] || fail "a crash before the rename left a dataset"
HEMERA_CRASH_AT=after-rename expect_exit 137 hemera-ingest --root "$A" --collection c --form cp.yaml o3_20210618_kiruna.na
next_run
"${CHECK[@]}" || fail "after a crash after the rename"
U=$(ls "$A/DATB/c")
[[ $(wc -l <"$A/.hemera/journal") -eq 1 ]] || fail "the completed commit is journaled once"
HEMERA_CRASH_AT=after-journal expect_exit 137 hemera-ingest --root "$A" --dataset "$U" o3_20210618_kiruna.na
next_run
"${CHECK[@]}" || fail "after a crash after the journal event"
[[ $(wc -l <"$A/.hemera/journal") -eq 2 ]] || fail "a journaled commit is not journaled again"
pass "named crash points"

# Random kills.
landed=0
for k in $(seq 1 "$KILLS"); do
  printf 'resourceTitle: {en: "Crash %s"}\n' "$k" >"f$k.yaml"
  if ((k % 3 == 0)); then
    hemera-ingest --root "$A" --dataset "$U" o3_20210618_kiruna.na track.csv >/dev/null 2>&1 &
  else
    hemera-ingest --root "$A" --collection "c/k$((k % 5))" --form "f$k.yaml" \
      o3_20210618_kiruna.na track.csv >/dev/null 2>&1 &
  fi
  pid=$!
  sleep "0.$(printf "%03d" $((RANDOM % 250)))"
  if kill -9 "$pid" 2>/dev/null; then landed=$((landed + 1)); fi
  wait "$pid" 2>/dev/null || true
  next_run
  "${CHECK[@]}" >"check.out" 2>&1 || { cat check.out >&2; fail "invariants broken after kill $k"; }
  # The same form again: it either committed (refused: 65) or not (accepted, same UUID as its dry run).
  if ((k % 3 != 0)); then
    run hemera-ingest --root "$A" --json --dry-run --collection "c/k$((k % 5))" --form "f$k.yaml" o3_20210618_kiruna.na
    [[ $rc -eq 0 || $rc -eq 65 ]] || fail "retry dry run after kill $k: exit $rc"
  fi
done
"${CHECK[@]}" || fail "final invariants"
pass "$KILLS kills ($landed landed while the ingest ran)"
