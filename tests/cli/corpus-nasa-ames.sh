#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance of hemera-validate over every file of the shared NASA Ames
# corpus (../shared/corpus/nasa-ames, subfolders included): the expected
# verdict of each file under the strict and legacy profiles, with the reason
# for each invalid one; every file of the folder must be listed here. Then the
# files nappy mishandles are checked to parse completely, and the data values
# read are cross-checked against an independent reader.
source "$HEMERA_SRC/tests/cli/lib.sh"

corpus=${HEMERA_SHARED:?}/corpus/nasa-ames
[[ -d $corpus ]] || fail "no corpus at $corpus"

# file | strict | legacy | error rules under strict (under legacy, when they differ
# and the file stays invalid) | reason
# Verdicts: valid (exit 0), invalid (exit 1), other (exit 65: not NASA Ames).
# CSV files are NASA Ames written with commas: they are checked as NASA Ames.
table=$(cat <<'EOF'
1001.na|invalid|valid|D5|VMISS = -1 is below the data: every value is "above the missing value" (legacy: D5 downgraded)
1001_cb.na|invalid|valid|D5 R1|TAB after header values, VMISS = -1; the {...} annotations are H1/R6 warnings
1001a.na|valid|valid||
1001b.na|valid|valid||valid; W D9: the last mark is all missing values
1010.na|valid|valid||
1010a.na|valid|valid||
1020.na|valid|valid||
1020a.na|valid|valid||
1020b.na|valid|valid||
2010.na|valid|valid||valid; W D9: last mark all missing
2010G&H.na|invalid|valid|R1|GH 1998 example with TABs in the data (legacy: TAB read as a blank)
2010a.na|valid|valid||valid; W D9
2010b.na|invalid|valid|R1|same bytes as 2010G&H.na: TABs in the data
2110.na|valid|valid||
2110G&H.na|valid|valid||valid; W R4: no final line end; mark records over two lines
2110a.na|valid|valid||
2160.na|valid|valid||
2160_ndacc.na|invalid|valid|H0|NDACC preamble line before NLHEAD FFI (legacy: H0 downgraded); W R8: 10 significant digits
2310.na|valid|valid||
3010.na|valid|valid||
4010.na|valid|valid||
PROVENANCE.md|other|other||not a data file
nappy-cached-outputs/1001-from-nc-annotated.csv|invalid|invalid|H1|annotated CSV: line 1 is "Number of header lines; ..."
nappy-cached-outputs/1001-from-nc-annotated.na|invalid|invalid|H1|annotated output: line 1 is not NLHEAD FFI
nappy-cached-outputs/1001-from-nc-as-padded-ints.csv|invalid|invalid|H1|comma-separated: line 1 is "54,1001"
nappy-cached-outputs/1001-from-nc-as-padded-ints.na|invalid|invalid|D5 H5 (H5)|DATE 999 999 999; VMISS below the data
nappy-cached-outputs/1001-from-nc-csv.na|invalid|invalid|H1|comma-separated: line 1 is "54,1001"
nappy-cached-outputs/1001-from-nc-excludes.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/1001-from-nc-excludes.na|invalid|invalid|D5 H5 (H5)|DATE 999 999 999; VMISS below the data
nappy-cached-outputs/1001-from-nc-no-header.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/1001-from-nc-no-header.na|invalid|invalid|D5 H5 (H5)|DATE 999 999 999; VMISS below the data
nappy-cached-outputs/1001-from-nc-overwrite.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/1001-from-nc-overwrite.na|invalid|invalid|D5 H5 (H5)|DATE 999 999 999; VMISS below the data
nappy-cached-outputs/1001-from-nc.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/1001-from-nc.na|invalid|invalid|D5 H5 (H5)|DATE 999 999 999; VMISS below the data
nappy-cached-outputs/1001-global-atts.nc|other|other||netCDF
nappy-cached-outputs/1001-renamed.nc|other|other||netCDF
nappy-cached-outputs/1001.nc|other|other||netCDF
nappy-cached-outputs/1010-from-nc.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/1010-from-nc.na|invalid|valid|D5 R2|a 197-character line; values above VMISS; W R6: lower-case e
nappy-cached-outputs/1010.cdl|other|other||netCDF CDL text
nappy-cached-outputs/1010.nc|other|other||netCDF
nappy-cached-outputs/2010-from-nc_1.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/2010-from-nc_1.na|valid|valid||valid; W H8: NXDEF 3 of NX 9; W D9
nappy-cached-outputs/2010-from-nc_2.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/2010-from-nc_2.na|valid|valid||valid; W R6: lower-case e
nappy-cached-outputs/2010.cdl|other|other||netCDF CDL text
nappy-cached-outputs/2010.nc|other|other||netCDF
nappy-cached-outputs/3010-from-nc_1.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/3010-from-nc_1.na|valid|valid||valid; W H8: NXDEF other than 1 and NX
nappy-cached-outputs/3010-from-nc_2.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/3010-from-nc_2.na|valid|valid||valid; W R6
nappy-cached-outputs/3010.cdl|other|other||netCDF CDL text
nappy-cached-outputs/3010.nc|other|other||netCDF
nappy-cached-outputs/4010-from-nc_1.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/4010-from-nc_1.na|invalid|invalid|H5 (H5)|DATE 999 999 999 (the unequal NXDEF 3 3 2, which nappy misreads, is read right: W H8)
nappy-cached-outputs/4010-from-nc_2.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/4010-from-nc_2.na|valid|valid||valid; W R6
nappy-cached-outputs/4010-from-nc_3.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/4010-from-nc_3.na|valid|valid||valid; W R6
nappy-cached-outputs/4010-renamed.nc|other|other||netCDF
nappy-cached-outputs/4010.cdl|other|other||netCDF CDL text
nappy-cached-outputs/4010.nc|other|other||netCDF
nappy-cached-outputs/test_1001.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_1001.na|invalid|valid|D5|VMISS = -1 below the data
nappy-cached-outputs/test_1001_annotated.csv|invalid|invalid|H1|annotated CSV
nappy-cached-outputs/test_1001_cb_rewritten.na|invalid|valid|D5|VMISS = -1 below the data
nappy-cached-outputs/test_1010.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_1010.na|valid|valid||valid; W R6: lower-case e
nappy-cached-outputs/test_1010_annotated.csv|invalid|invalid|H1|annotated CSV
nappy-cached-outputs/test_1020.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_1020.na|valid|valid||valid; W R6: lower-case e
nappy-cached-outputs/test_1020_annotated.csv|invalid|invalid|H1|annotated CSV
nappy-cached-outputs/test_2010.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_2010.na|valid|valid||valid; W D9
nappy-cached-outputs/test_2010_annotated.csv|invalid|invalid|H1|annotated CSV
nappy-cached-outputs/test_2110.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_2110.na|valid|valid||
nappy-cached-outputs/test_2110_annotated.csv|invalid|invalid|H1|annotated CSV
nappy-cached-outputs/test_2160.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_2160.na|invalid|invalid|R7 (R7)|LENX written as 13.0
nappy-cached-outputs/test_2160_annotated.csv|invalid|invalid|H1|annotated CSV
nappy-cached-outputs/test_2160_ndacc.na|invalid|invalid|H0 R2 R7 (R7)|nappy's rewrite of the NDACC file: LENX as a real, lines over 132, the preamble
nappy-cached-outputs/test_2310.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_2310.na|valid|valid||
nappy-cached-outputs/test_2310_annotated.csv|invalid|invalid|H1|annotated CSV
nappy-cached-outputs/test_3010.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_3010.na|valid|valid||
nappy-cached-outputs/test_3010_annotated.csv|invalid|invalid|H1|annotated CSV
nappy-cached-outputs/test_4010.csv|invalid|invalid|H1|comma-separated
nappy-cached-outputs/test_4010.na|valid|valid||
nappy-cached-outputs/test_4010_annotated.csv|invalid|invalid|H1|annotated CSV
third-party/CV0001G.20080413000000.20170118000000.vuv_fluorescence.carbon_monoxide.air.7y.1h.GB12L_CVO_Aerolaser_AL5001.GB12L_Aerolaser.lev2.nas|invalid|valid|R2|EBAS export: header lines up to 190 characters; W R8: times with 9 significant digits
third-party/CV0001G.20190101000000.20220119142936.uv_abs.ozone.air.1y.1h.GB12L_CVO_Ozone_Thermo49series.GB12L_Thermo.lev2.nas|invalid|valid|R2|EBAS export: VNAME lines up to 599 characters
third-party/js970523.nx7|invalid|valid|D5|NOx 216.7 above VMISS 99.9
third-party/na_example_file.na|invalid|valid|D5|EGADS: VMISS = -9999 below the data
third-party/uea-doas_aberystwyth_20020215_no2-col.na|invalid|valid|R2|header lines of 147-198 characters
EOF
)

# Every file of the corpus is in the table, and every table row is a file.
listed=$(cut -d'|' -f1 <<<"$table" | sort)
found=$(cd "$corpus" && find . -type f | sed 's|^\./||' | sort)
[[ $listed == "$found" ]] || {
  diff <(echo "$listed") <(echo "$found") >&2
  fail "the table does not list exactly the corpus files"
}

verdict_of() {
  case $1 in 0) echo valid ;; 1) echo invalid ;; 65) echo other ;; *) echo "exit $1" ;; esac
}

n=0
while IFS='|' read -r file strict legacy rules reason; do
  path=$corpus/$file
  format=nasa-ames
  [[ $strict == other ]] && format=auto
  strict_rules=${rules%% (*}
  legacy_rules=""
  if [[ $rules == *"("* ]]; then
    legacy_rules=${rules#*(}
    legacy_rules=${legacy_rules%)}
  elif [[ $legacy == invalid ]]; then
    legacy_rules=$strict_rules
  fi
  for profile in strict legacy; do
    want=$strict
    want_rules=$strict_rules
    if [[ $profile == legacy ]]; then
      want=$legacy
      want_rules=$legacy_rules
    fi
    run hemera-validate --json --format "$format" --profile "$profile" "$path"
    got=$(verdict_of "$rc")
    [[ $got == "$want" ]] || { head -c 3000 "$T/out"; fail "$file ($profile): $got, expected $want ($reason)"; }
    if [[ $want == other ]]; then
      check_json
      [[ $(json_get 'd["files"][0]["error"]["code"]') == data ]] || fail "$file: not refused as data"
      continue
    fi
    check_json
    errors=$(json_get '" ".join(sorted({f["rule"] for f in d["files"][0]["findings"] if f["severity"] == "error"}))')
    [[ $errors == "$want_rules" ]] ||
      fail "$file ($profile): error rules '$errors', expected '$want_rules' ($reason)"
  done
  n=$((n + 1))
done <<<"$table"
pass "$n corpus files have their expected verdicts under both profiles"

# The files nappy mishandles parse completely. Values: marks, records, values,
# first and last marks, from the --json details.
details() { # details FILE: print "marks records values first last"
  run hemera-validate --json --format nasa-ames --profile legacy "$corpus/$1"
  json_get '" ".join(str(d["files"][0]["details"][k]) for k in ("marks", "records", "values", "first_mark", "last_mark"))'
}
expect_details() { # expect_details FILE EXPECTED WHY
  local got; got=$(details "$1")
  [[ $got == "$2" ]] || fail "$1: details '$got', expected '$2' ($3)"
  pass "$1: $3"
}
# 2 marks x (1 mark record + NV 1 x NX(3) 2 x NX(2) 7 records of NX(1) 13 values)
expect_details nappy-cached-outputs/4010-from-nc_1.na "2 30 366 6.0 12.0" \
  "FFI 4010 with unequal NXDEF (3 3 2), which nappy reads reversed"
# 2 marks x (1 + NV 1 x NX(2) 4 records of NX(1) 7 values)
expect_details nappy-cached-outputs/3010-from-nc_1.na "2 10 58 172.0 355.0" \
  "FFI 3010 with NXDEF 3 of NX 7 and 4"
expect_details 2110G\&H.na "2 13 65 29589.0 29603.0" "FFI 2110 mark records over two lines"
expect_details 2160_ndacc.na "1 4930 83835 Boulder Boulder" \
  "NDACC 2160: 42 real auxiliaries over two lines, 11 character ones, 4929 levels"
expect_details 1020.na "2 10 86 10.0 60.0" "FFI 1020: NVPM records"
expect_details third-party/CV0001G.20080413000000.20170118000000.vuv_fluorescence.carbon_monoxide.air.7y.1h.GB12L_CVO_Aerolaser_AL5001.GB12L_Aerolaser.lev2.nas \
  "61056 61056 427392 103.0 2646.958333" "the 3.5 MB EBAS file, all 61 056 records"

# Cross-check every value read against an independent reader: the sum of the
# data values of every NASA Ames file whose header is readable.
while IFS='|' read -r file strict legacy rules reason; do
  [[ $strict == other ]] && continue
  run hemera-validate --json --format nasa-ames --profile legacy "$corpus/$file"
  [[ $(json_get 'd["files"][0]["details"]["header_complete"]') == True ]] || continue
  cp "$T/out" "$T/doc.json"
  "$PY" - "$corpus/$file" "$T/doc.json" <<'PY' || fail "$file: values differ from the independent reader"
import json, sys
path, doc = sys.argv[1], json.load(open(sys.argv[2]))
d = doc["files"][0]["details"]
lines = open(path, "rb").read().decode("latin-1").splitlines()
data = lines[d["preamble_lines"] + d["header_lines"]:]
total = 0.0
if d["ffi"] != 2160:
    for line in data:
        for tok in line.split():
            total += float(tok)
else:
    nreal = sum(1 for a in d["auxiliary"] if "length" not in a)
    nauxc = len(d["auxiliary"]) - nreal
    nv = len(d["variables"])
    i = 0
    def numbers(n):
        global i
        out = []
        while len(out) < n:
            out += [float(t) for t in data[i].split()]
            i += 1
        return out
    while i < len(data) and data[i].strip():
        i += 1  # the character mark
        aux = numbers(nreal)
        i += nauxc
        total += sum(aux) + sum(numbers(int(aux[0]) * (nv + 1)))
if abs(total - d["value_sum"]) > 1e-9 * max(1.0, abs(total)):
    print(f"{path}: independent sum {total!r}, hemera {d['value_sum']!r}", file=sys.stderr)
    sys.exit(1)
PY
  n=$((n + 1))
done <<<"$table"
pass "data values cross-checked against an independent reader"
