#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-validate on every file of the shared FITS corpus, compared with the
# verdicts of fitsverify 4.20 (fitsverify-verdicts.tsv), and with the real
# fitsverify run here on the same files.
source "$HEMERA_SRC/tests/cli/lib.sh"

C="$HEMERA_SHARED/corpus/fits"
TSV="$C/fitsverify-verdicts.tsv"
[[ -f $TSV ]] || fail "missing $TSV"
command -v fitsverify >/dev/null || fail "fitsverify is not installed (Debian package fitsverify)"

# Files on which hemera deliberately disagrees with fitsverify, and why.
declare -A deviation=(
  # fitsverify: 6 errors, all false: random-groups PTYPEn/PSCALn/PZEROn indices
  # checked against GCOUNT instead of PCOUNT (fits.md key fact 6).
  [astropy-random_groups.fits]="valid"
  # fitsverify: 2 errors, false: a legal heap gap (THEAP > NAXIS1 x NAXIS2);
  # cfitsio 4.2 puts the end of the data at THEAP + PCOUNT.
  [astropy-theap-gap.fits]="valid"
  # fitsverify: warnings only. DATASUM and CHECKSUM do not match the bytes: an
  # archive refuses a file whose checksums are wrong (an error for hemera).
  [astropy-chandra_time.fits]="invalid"
  [astropy-checksum_false.fits]="invalid"
)

# Every corpus file has a verdict, and every verdict a file.
n_files=0
for f in "$C"/*; do
  b=$(basename "$f")
  [[ $b == PROVENANCE.md || $b == fitsverify-verdicts.tsv ]] && continue
  grep -q "^$b	" "$TSV" || fail "$b has no fitsverify verdict"
  n_files=$((n_files + 1))
done
[[ $n_files -eq 40 ]] || fail "expected 40 corpus files, found $n_files"

# The reference verdicts still hold for the fitsverify installed here.
while IFS=$'\t' read -r file errors warnings code; do
  [[ $file == file ]] && continue
  set +e; fitsverify "$C/$file" >"$T/fv.out" 2>&1; rc=$?; set -e
  [[ $rc -eq $code ]] || fail "fitsverify $file: exit $rc, the TSV says $code"
done <"$TSV"
pass "fitsverify agrees with fitsverify-verdicts.tsv on $n_files files"

# One invocation over the whole corpus, with --json.
files=()
while IFS=$'\t' read -r file errors warnings code; do
  [[ $file == file ]] && continue
  files+=("$C/$file")
done <"$TSV"
expect_exit 1 hemera-validate --json "${files[@]}"
check_json
cp "$T/out" "$T/all.json"

mismatch=0
while IFS=$'\t' read -r file errors warnings code; do
  [[ $file == file ]] && continue
  valid=$(json_get "[x for x in d['files'] if x['file'].endswith('/$file')][0]['valid']" "$T/all.json")
  if [[ -n ${deviation[$file]:-} ]]; then
    want=${deviation[$file]}
  elif [[ $errors -gt 0 ]]; then
    want=invalid
  else
    want=valid
  fi
  got=$([[ $valid == True ]] && echo valid || echo invalid)
  if [[ $got != "$want" ]]; then
    echo "MISMATCH: $file: fitsverify $errors errors / $warnings warnings; hemera $got, expected $want" >&2
    mismatch=$((mismatch + 1))
  fi
  # Each file also on its own, with the exit status that goes with its verdict.
  if [[ $got == valid ]]; then want_rc=0; else want_rc=1; fi
  expect_exit "$want_rc" hemera-validate -q "$C/$file"
done <"$TSV"
[[ $mismatch -eq 0 ]] || fail "$mismatch corpus verdicts differ from the expected ones"
pass "40 corpus verdicts as expected (4 documented deviations from fitsverify)"

# The messages fitsverify gives in generic form, named precisely here.
expect_exit 1 hemera-validate "$C/astropy-verify.fits"
expect_out "astropy-verify.fits: HDU 1: record 2: error: BITPIX expected, found NAXIS [fits.keyword-order]"
expect_out "astropy-verify.fits: HDU 1: record 3: error: NAXIS expected, found BITPIX [fits.keyword-order]"
expect_exit 1 hemera-validate "$C/astrogo-file-img2-bitpix-64.fits"
expect_out "HDU 2: record 6: error: mandatory keyword PCOUNT missing (expected at record 6, found IMAGENBR) [fits.keyword-missing]"
expect_exit 1 hemera-validate "$C/cfitsio-iter_c.fit"
expect_out "HDU 2 (EVENTS): record 89: error: TDISP4 = 'I12' (an integer format) cannot be used for TFORM '1D' [fits.tdisp]"
expect_exit 1 hemera-validate "$C/astropy-zerowidth.fits"
expect_out "HDU 6 (AIPS UV): record 79: error: BUNIT is an image keyword, not allowed in a table [fits.keyword-placement]"
expect_exit 1 hemera-validate "$C/astropy-wcs-header_with_time_wcslib71.fits"
expect_out "error: 240 bytes follow the last HDU (from byte 8640), not a whole number of 2880-byte blocks [fits.trailing-bytes]"
expect_exit 1 hemera-validate "$C/astropy-chandra_time.fits"
expect_out "HDU 2 (EVENTS): record 108: error: DATASUM = '2300995179' but the data unit sums to 2214457269: the data changed after the sum was written [fits.datasum]"
expect_exit 1 hemera-validate "$C/astropy-vla_logical_pre_fix.fits"
expect_out "variable-length logical array: value 0x01 at heap offset 0 is not 'T', 'F' or 0 (5 bad values in all) [fits.logical-value]"
expect_exit 1 hemera-validate "$C/astropy-wcs-validate.fits"
expect_out "HDU 2: record 165: error: WCSAXES must precede the other WCS keywords, but CRVAL1 comes first (record 146) [fits.wcs-order]"
# The two false positives of fitsverify are clean, without a single finding.
expect_exit 0 hemera-validate "$C/astropy-theap-gap.fits"
expect_out "astropy-theap-gap.fits: valid (fits, 0 errors, 0 warnings)"
expect_exit 0 hemera-validate --warnings-as-errors "$C/astropy-theap-gap.fits"
expect_exit 0 hemera-validate "$C/astropy-random_groups.fits"
expect_out "astropy-random_groups.fits: valid (fits, 0 errors, 1 warning)"
pass "precise messages"

# The HDU list and header summary in --json.
expect_exit 0 hemera-validate --json "$C/astropy-o4sp040b0_raw.fits"
check_json
[[ $(json_get "len(d['files'][0]['details']['hdus'])") == 7 ]] || fail "o4sp040b0_raw: 7 HDUs expected"
[[ $(json_get "d['files'][0]['details']['hdus'][1]['dimensions']") == "[62, 44]" ]] || fail "SCI dimensions"
[[ $(json_get "d['files'][0]['details']['summary']['file']['instrument']") == STIS ]] || fail "summary INSTRUME"
expect_exit 1 hemera-validate --json "$C/astropy-chandra_time.fits"
check_json
[[ $(json_get "sorted(d['files'][0]['details']['hdus'][1]['columns'][0].items())") == "[('format', '1D'), ('name', 'time'), ('unit', 's')]" ]] ||
  fail "chandra_time: first column"
[[ $(json_get "round(d['files'][0]['details']['summary']['file']['sky']['ra_deg'], 4)") == 158.5392 ]] ||
  fail "chandra_time: sky position"
pass "HDU list and summary"
