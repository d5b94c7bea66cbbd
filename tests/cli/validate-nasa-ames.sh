#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-validate on NASA Ames files: exit codes, finding lines, profiles,
# --warnings-as-errors, --volumes (D10), configured policies, --json.
source "$HEMERA_SRC/tests/cli/lib.sh"

good() { # good IVOL NVOL FIRST_MARK: a valid FFI 1001 file
  local first=${3:-100}
  cat <<EOF
18 1001
Doe, Jane
HEMERA test organisation
Ozone sonde
CLI tests
$1 $2
2021 06 18 2021 06 19
10
Time (seconds since 0 h UT)
3
1 1 0.1
9999 9999 99999
Pressure (hPa)
Temperature (K)
Ozone (mPa)
0
1
Time P T O3
$first 1013.2 290.1 45.0
$((first + 10)) 1000.5 289.5 46.5
$((first + 20)) 990.0 288.0 47.0
EOF
}

good 1 1 >o3.na
expect_exit 0 hemera-validate o3.na
expect_out "o3.na: valid (nasa-ames, 0 errors, 0 warnings)"
expect_exit 0 hemera-validate --json o3.na
check_json
[[ $(json_get 'd["valid"]') == True ]] || fail "valid is not true"
[[ $(json_get 'd["files"][0]["details"]["ffi"]') == 1001 ]] || fail "details.ffi"
[[ $(json_get 'd["files"][0]["details"]["marks"]') == 3 ]] || fail "details.marks"
pass "a valid file: exit 0, summary line, JSON"

# One missing value: the finding line is file:line:col: severity: message [rule].
sed 's/^110 1000.5 289.5 46.5$/110 1000.5 289.5/' o3.na >short.na
expect_exit 1 hemera-validate short.na
expect_out "short.na:20: error: record of mark 2 has 3 values on line 20, expected 4"
expect_out "[D1]"
expect_out "short.na:21:5: error: line 21 ends one record and starts another (a record starts a line) [R5]"
expect_out "short.na: INVALID (nasa-ames, 2 errors, 0 warnings)"
expect_exit 1 hemera-validate --json short.na
check_json
[[ $(json_get '[f["location"]["line"] for f in d["files"][0]["findings"] if f["rule"] == "D1"]') == "[20]" ]] ||
  fail "D1 location.line"
[[ $(json_get '[f["location"]["line"] for f in d["files"][0]["findings"] if f["rule"] == "R5"]') == "[21]" ]] ||
  fail "R5 location.line"
pass "a missing value is reported at its line, with its rule"

# Value above VMISS: an error in strict, a warning in legacy.
sed 's/^110 1000.5 289.5 46.5$/110 1000.5 289.5 100000/' o3.na >d5.na
expect_exit 1 hemera-validate d5.na
expect_out "d5.na:20:18: error: 100000 is above the missing value 99999 of V(3) [D5]"
expect_exit 0 hemera-validate --profile legacy d5.na
expect_out "d5.na:20:18: warning: 100000 is above the missing value 99999 of V(3) [D5]"
expect_exit 1 hemera-validate --profile legacy --warnings-as-errors d5.na
expect_exit 0 hemera-validate --profile legacy --json d5.na
check_json
[[ $(json_get 'd["profile"]') == legacy ]] || fail "profile"
pass "profiles and --warnings-as-errors"

# TAB, over-long line, NDACC preamble: legacy downgrades.
sed 's/^110 1000.5/110\t1000.5/' o3.na >tab.na
expect_exit 1 hemera-validate tab.na
expect_out "[R1]"
expect_exit 0 hemera-validate --profile legacy tab.na
{ echo "JOHNSON B.  O3SONDE  BOULDER"; cat o3.na; } >ndacc.na
expect_exit 1 hemera-validate ndacc.na
expect_out "ndacc.na:1:1: error: line before NLHEAD FFI"
expect_exit 0 hemera-validate --profile legacy ndacc.na
pass "legacy downgrades TAB (R1) and the NDACC preamble (H0)"

# -q prints only errors; a warning alone is silent and passes.
printf '%s' "$(cat o3.na)" >nonl.na
expect_exit 0 hemera-validate nonl.na
expect_out "warning: no line end at the end of the file [R4]"
expect_exit 0 hemera-validate -q nonl.na
[[ ! -s $T/out ]] || fail "-q printed a warning"
expect_exit 1 hemera-validate --warnings-as-errors nonl.na
pass "-q and warnings"

# Policies from the configuration: repeated marks, RDATE before DATE.
sed -e 's/^10$/0/' -e 's/^120 990.0/110 990.0/' o3.na >repeat.na
expect_exit 1 hemera-validate repeat.na
expect_out "[D2]"
printf 'validation:\n  strict_monotonic: false\n  rdate_after_date: false\n' >policy.yaml
expect_exit 0 hemera-validate --config policy.yaml repeat.na
sed 's/^2021 06 18 2021 06 19$/2021 06 18 2021 06 17/' o3.na >rdate.na
expect_exit 1 hemera-validate rdate.na
expect_out "[H6]"
expect_exit 0 hemera-validate --config policy.yaml --json rdate.na
check_json
[[ $(json_get 'd["policies"]["rdate_after_date"]') == False ]] || fail "policy not shown"
pass "validation.strict_monotonic and validation.rdate_after_date are wired"

# Multi-volume sets (D10).
good 1 2 100 >v1.na
good 2 2 130 >v2.na
good 2 2 110 >v2bad.na
expect_exit 0 hemera-validate --volumes v1.na v2.na
expect_exit 0 hemera-validate --volumes v2.na v1.na
expect_exit 1 hemera-validate --volumes v1.na v2bad.na
expect_out "does not continue volume 1's last mark"
expect_out "[D10]"
expect_exit 1 hemera-validate --volumes --json v1.na
check_json
[[ $(json_get 'd["volumes"]["findings"][0]["rule"]') == D10 ]] || fail "volumes finding"
expect_exit 0 hemera-validate v1.na v2bad.na
pass "--volumes checks D10 across files"

# A truncated header is a finding, not a hang.
head -n 9 o3.na >trunc.na
expect_exit 1 timeout 10 hemera-validate trunc.na
expect_out "the file ends inside the header"
: >empty.na
expect_exit 1 hemera-validate empty.na
expect_out "[H1]"
head -c 100000 /dev/urandom >random.na
expect_exit 1 timeout 10 hemera-validate --format nasa-ames random.na
pass "truncated, empty and random files"

# --max-findings, exit codes for missing files and usage.
sed 's/^9999 9999 99999$/-1 -1 -1/' o3.na >many.na
expect_exit 1 hemera-validate --max-findings 2 many.na
[[ $(grep -c "error:" "$T/out") -eq 2 ]] || fail "--max-findings 2"
expect_out "more not shown"
expect_exit 66 hemera-validate missing.na
expect_err "missing.na"
expect_exit 66 hemera-validate o3.na missing.na
expect_out "o3.na: valid"
expect_exit 66 hemera-validate --json o3.na missing.na
check_json
expect_exit 64 hemera-validate
expect_exit 64 hemera-validate --profile lax o3.na
expect_exit 64 hemera-validate --format csv o3.na
echo "hello" >notes.txt
expect_exit 65 hemera-validate notes.txt
cp o3.na renamed.dat
expect_exit 0 hemera-validate renamed.dat
pass "exit codes 0, 1, 64, 65, 66"
