#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-convert over every NASA Ames file of the shared corpus that
# hemera-validate accepts under the strict profile: NASA Ames -> netCDF keeps
# every value and passes ncdump with the CF attributes; NASA Ames -> CSV
# matches an independent reader; for FFIs 1001, 1010, 2010 and 2110, NASA
# Ames -> netCDF -> NASA Ames gives the same header content and values and
# passes the strict profile. Then the NDACC ozonesonde (legacy profile).
source "$HEMERA_SRC/tests/cli/lib.sh"

corpus=${HEMERA_SHARED:?}/corpus/nasa-ames
[[ -d $corpus ]] || fail "no corpus at $corpus"
command -v ncdump >/dev/null || fail "ncdump is missing (Debian package netcdf-bin)"
check="$PY $HEMERA_SRC/tests/cli/convert_check.py"

mapfile -t files < <(cd "$corpus" && find . -type f -name '*.na' | sed 's|^\./||' | sort)
valid=0
declare -A ffis=()
roundtrips=0
for file in "${files[@]}"; do
  path=$corpus/$file
  run hemera-validate --json --format nasa-ames "$path"
  [[ $rc -eq 0 ]] || continue
  valid=$((valid + 1))
  cp "$T/out" validate.json
  name=$(basename "$file" .na)
  name=${name//&/_}

  # The header as hemera-convert reads it (for the independent reader).
  expect_exit 0 hemera-convert -q --to json -o "$name.json" "$path"
  ffi=$(json_get 'd["header"]["ffi"]' "$name.json")
  ffis[$ffi]=1

  # NASA Ames -> CSV, against the independent reader.
  expect_exit 0 hemera-convert --json --to csv -o "$name.csv" "$path"
  check_json
  [[ $(json_get 'd["rows"]') -ge 1 ]] || fail "$file: no CSV rows"
  $check "$path" validate.json "$name.json" csv "$name.csv" >/dev/null || fail "$file: CSV differs"

  # NASA Ames -> netCDF: ncdump reads it, CF attributes, every value kept.
  expect_exit 0 hemera-convert --json --to netcdf -o "$name.nc" "$path"
  check_json
  [[ $(json_get 'd["ffi"]') == "$ffi" && $(json_get 'd["to"]') == netcdf ]] || fail "$file: report"
  ncdump "$name.nc" >/dev/null || fail "$file: ncdump cannot read the netCDF written"
  $check "$path" validate.json "$name.json" nc "$name.nc" >/dev/null || fail "$file: netCDF values differ"

  # NASA Ames -> netCDF -> NASA Ames for the FFIs the way back writes.
  case $ffi in
  1001 | 1010 | 2010 | 2110)
    expect_exit 0 hemera-convert --json --to nasa-ames -o "$name.back.na" "$name.nc"
    check_json
    [[ $(json_get 'd["ffi"]') == "$ffi" ]] || fail "$file: written back as FFI $(json_get 'd["ffi"]')"
    expect_exit 0 hemera-validate "$name.back.na"
    expect_exit 0 hemera-convert -q --to json -o "$name.back.json" "$name.back.na"
    "$PY" - "$name.json" "$name.back.json" <<'PY' || fail "$file: the round trip changed the file"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in a["header"]:
    if a["header"][k] != b["header"][k]:
        sys.exit(f"header {k}: {a['header'][k]!r} became {b['header'][k]!r}")
if a["rows"] != b["rows"]:
    bad = next(i for i, (x, y) in enumerate(zip(a["rows"], b["rows"])) if x != y) if len(a["rows"]) == len(b["rows"]) else -1
    sys.exit(f"rows differ ({len(a['rows'])} and {len(b['rows'])}; first at {bad})")
PY
    roundtrips=$((roundtrips + 1))
    ;;
  esac
done
# The corpus holds 29 strictly valid .na files covering the nine FFIs.
((valid >= 29)) || fail "only $valid valid .na files found in the corpus"
for f in 1001 1010 1020 2010 2110 2160 2310 3010 4010; do
  [[ -n ${ffis[$f]:-} ]] || fail "no valid corpus file of FFI $f was converted"
done
((roundtrips >= 10)) || fail "only $roundtrips round trips"
pass "$valid valid corpus files: CSV and netCDF values checked; $roundtrips round trips identical"

# The NDACC ozonesonde: FFI 2160 with a preamble line, 4929 levels, 53 auxiliaries.
expect_exit 65 hemera-convert --to netcdf -o ndacc.nc "$corpus/2160_ndacc.na"
expect_err "[H0]"
[[ ! -e ndacc.nc ]] || fail "a refused conversion left an output"
expect_exit 0 hemera-convert --json --profile legacy --to netcdf -o ndacc.nc "$corpus/2160_ndacc.na"
check_json
ncdump -h ndacc.nc >hdr.txt
grep -q 'obs = UNLIMITED ; // (4929 currently)' hdr.txt || fail "NDACC: not 4929 levels along obs"
grep -q 'sample_dimension = "obs"' hdr.txt || fail "NDACC: no ragged-array count variable"
grep -q ':nasa_ames_ffi = 2160' hdr.txt || fail "NDACC: FFI attribute"
run hemera-validate --json --format nasa-ames --profile legacy "$corpus/2160_ndacc.na"
[[ $rc -eq 0 ]] || fail "NDACC: not valid under the legacy profile"
cp "$T/out" ndacc-validate.json
expect_exit 0 hemera-convert -q --profile legacy --to json -o ndacc.json "$corpus/2160_ndacc.na"
expect_exit 0 hemera-convert -q --profile legacy --to csv -o ndacc.csv "$corpus/2160_ndacc.na"
$check "$corpus/2160_ndacc.na" ndacc-validate.json ndacc.json csv ndacc.csv >/dev/null ||
  fail "NDACC: CSV differs from the independent reader"
$check "$corpus/2160_ndacc.na" ndacc-validate.json ndacc.json nc ndacc.nc >/dev/null ||
  fail "NDACC: netCDF values differ from the independent reader"
pass "NDACC ozonesonde (FFI 2160) to a CF ragged array and CSV, every value checked"
