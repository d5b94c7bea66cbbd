# SPDX-License-Identifier: Apache-2.0
# Concurrent ingests: new datasets and new versions of one dataset at once do
# not corrupt anything (a lock per dataset, one for the journal).
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
A="$T/arch"
N=${HEMERA_CONCURRENT_INGESTS:-8}
expect_exit 0 hemera-init --root "$A"
cp "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea" .
printf 'resourceTitle: {en: "Base"}\n' >base.yaml
expect_exit 0 hemera-ingest --root "$A" --json --collection c/base --form base.yaml o3_20210618_kiruna.na
BASE=$(json_get 'd["uuid"]')

pids=()
for i in $(seq 1 "$N"); do
  mkdir -p "in$i"
  cp o3_20210618_kiruna.na "in$i/o3_$i.na"
  cp gps_20210618_kiruna.nmea "in$i/gps_$i.nmea"
  printf 'resourceTitle: {en: "Flight %s"}\n' "$i" >"in$i/form.yaml"
  hemera-ingest --root "$A" --json --collection "c/f$i" --form "in$i/form.yaml" \
    "in$i/o3_$i.na" "in$i/gps_$i.nmea" >"in$i/new.json" 2>"in$i/new.err" &
  pids+=($!)
  hemera-ingest --root "$A" --json --dataset "$BASE" "in$i/o3_$i.na" >"in$i/ver.json" 2>"in$i/ver.err" &
  pids+=($!)
done
for p in "${pids[@]}"; do
  wait "$p" || { cat in*/*.err >&2; fail "a concurrent ingest failed"; }
done
versions=()
for i in $(seq 1 "$N"); do
  check_json "in$i/new.json"
  check_json "in$i/ver.json"
  versions+=("$(json_get 'd["version"]' "in$i/ver.json")")
done
sorted=$(printf '%s\n' "${versions[@]}" | sort -n | tr '\n' ' ')
[[ $sorted == "$(seq 2 $((N + 1)) | tr '\n' ' ')" ]] || fail "new versions are not 2..$((N + 1)): $sorted"
events=$(wc -l <"$A/.hemera/journal")
[[ $events -eq $((2 * N + 1)) ]] || fail "journal has $events events, expected $((2 * N + 1))"
$PY "$HEMERA_SRC/tests/cli/ingest_check.py" "$A" --no-staging --records "$HEMERA_SRC/schemas/record.schema.json" ||
  fail "archive invariants after concurrent ingests"
pass "$((2 * N)) concurrent ingests"
