#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-validate on FITS files built here: exit codes, messages, --json.
source "$HEMERA_SRC/tests/cli/lib.sh"

# mkfits NAME SPEC: write a FITS file from a small description (Python).
# SPEC is a list of HDUs, each (cards, data bytes); cards are 80-column texts.
mkfits() {
  "$PY" - "$1" "$2" <<'EOF'
import sys
def card(t): return t[:80].ljust(80)
def kv(k, v): return card(f"{k:<8}= {v:>20}")
def ks(k, v): return card(f"{k:<8}= '{v:<8}'")
def block(b, fill): return b + fill * (-len(b) % 2880)
def hdu(cards, data=b"", end=True):
    h = "".join(cards) + (card("END") if end else "")
    return block(h.encode("latin-1"), b" ") + block(data, b"\0")
prim = [kv("SIMPLE", "T"), kv("BITPIX", "8"), kv("NAXIS", "0"), kv("EXTEND", "T")]
def table(rows, name="EVENTS", swap=False):
    c = [ks("XTENSION", "BINTABLE"), kv("BITPIX", "8"), kv("NAXIS", "2"), kv("NAXIS1", "8"),
         kv("NAXIS2", str(rows)), kv("PCOUNT", "0"), kv("GCOUNT", "1"), kv("TFIELDS", "1"),
         ks("TTYPE1", "TIME"), ks("TFORM1", "1D"), ks("EXTNAME", name)]
    if swap: c[5], c[6] = c[6], c[5]
    return c
import struct
rows = lambda n: b"".join(struct.pack(">d", 1.0 + i) for i in range(n))
spec = eval(sys.argv[2])
open(sys.argv[1], "wb").write(b"".join(spec))
EOF
}

mkfits good.fits '[hdu(prim + [ks("TELESCOP", "PILOT"), ks("OBJECT", "Crab")]), hdu(table(4), rows(4))]'
mkfits obs.fits '[hdu(prim), hdu(table(2, swap=True), rows(2))]'
mkfits dup.fits '[hdu(prim + [ks("OBJECT", "a"), ks("OBJECT", "b")])]'
mkfits noend.fits '[hdu(prim, end=False)]'
mkfits tab.fits '[hdu(prim + [card("OBJECT  = '"'"'M31\tdisk'"'"'")])]'
printf 'not fits at all\n' >text.txt

# A clean file: exit 0, one summary line.
expect_exit 0 hemera-validate good.fits
expect_out "good.fits: valid (fits, 0 errors, 0 warnings)"
expect_exit 0 hemera-validate -q good.fits
[[ ! -s $T/out ]] || fail "-q printed something for a clean file"

# The message of the issue, exactly.
expect_exit 1 hemera-validate obs.fits
expect_out "obs.fits: HDU 2 (EVENTS): record 6: error: PCOUNT expected, found GCOUNT [fits.keyword-order]"
expect_out "obs.fits: HDU 2 (EVENTS): record 7: error: GCOUNT expected, found PCOUNT [fits.keyword-order]"
expect_out "obs.fits: INVALID (fits, 2 errors, 0 warnings)"

expect_exit 1 hemera-validate noend.fits
expect_out "noend.fits: HDU 1: error: no END card: the file ends at byte 2880 inside the header [fits.end-missing]"
expect_exit 1 hemera-validate tab.fits
expect_out "tab.fits: HDU 1: record 5: error: tab character (0x09) at column 15 in the string value of OBJECT"

# Warnings pass, unless --warnings-as-errors.
expect_exit 0 hemera-validate dup.fits
expect_out "dup.fits: HDU 1: record 6: warning: OBJECT appears again (first at record 5) [fits.keyword-duplicate]"
expect_exit 1 hemera-validate --warnings-as-errors dup.fits
# -q shows errors only.
expect_exit 0 hemera-validate -q dup.fits
[[ ! -s $T/out ]] || fail "-q printed a warning"

# Several files: the worst wins; every file is reported.
expect_exit 1 hemera-validate good.fits obs.fits dup.fits
expect_out "good.fits: valid"
expect_out "obs.fits: INVALID"
expect_out "dup.fits: valid (fits, 0 errors, 1 warning)"

# --format fits forces the FITS validator on anything.
expect_exit 1 hemera-validate --format fits text.txt
expect_out "text.txt: error: not a FITS file: it does not start with the card 'SIMPLE  = ' [fits.not-fits]"
expect_exit 66 hemera-validate missing.fits

# --json: the schema, the HDU list, the summary, the finding shape.
expect_exit 0 hemera-validate --json good.fits
check_json
[[ $(json_get "d['files'][0]['format']") == fits ]] || fail "format"
[[ $(json_get "[h['type'] for h in d['files'][0]['details']['hdus']]") == "['primary', 'binary-table']" ]] ||
  fail "HDU types"
[[ $(json_get "d['files'][0]['details']['hdus'][1]['columns'][0]['name']") == TIME ]] || fail "column name"
[[ $(json_get "d['files'][0]['details']['hdus'][1]['rows']") == 4 ]] || fail "rows"
[[ $(json_get "d['files'][0]['details']['summary']['file']['telescope']") == PILOT ]] || fail "summary"
expect_exit 1 hemera-validate --json obs.fits tab.fits
check_json
[[ $(json_get "d['files'][0]['findings'][0]['location']") == "{'extname': 'EVENTS', 'hdu': 2, 'keyword': 'PCOUNT', 'record': 6}" ]] ||
  fail "finding location"
[[ $(json_get "d['files'][0]['findings'][0]['rule']") == fits.keyword-order ]] || fail "rule"
pass "hemera-validate on built FITS files"

# Memory stays flat: a 2 GB image with DATASUM (every byte is read and summed)
# validates in well under 64 MiB of peak RSS. The file is sparse: no disk used.
"$PY" - <<'EOF'
cards = ["SIMPLE  =                    T", "BITPIX  =                  -32",
         "NAXIS   =                    2", "NAXIS1  =                25000",
         "NAXIS2  =                21600", "DATASUM = '0       '", "END"]
with open("big.fits", "wb") as f:
    f.write("".join(c.ljust(80) for c in cards).ljust(2880).encode())
    f.truncate(2880 + (25000 * 21600 * 4 + 2879) // 2880 * 2880)
EOF
/usr/bin/time -f "%M" -o rss.txt hemera-validate -q big.fits || fail "the 2 GB file does not validate"
rss=$(tail -1 rss.txt)
[[ $rss -lt $((64 * 1024)) ]] || fail "peak RSS ${rss} KiB on a 2 GB file (limit 64 MiB)"
# One non-zero byte in the middle is caught by DATASUM.
printf '\x01' | dd of=big.fits bs=1 seek=$((2880 + 1000000000)) conv=notrunc status=none
expect_exit 1 hemera-validate big.fits
expect_out "error: DATASUM = '0' but the data unit sums to 16777216: the data changed after the sum was written [fits.datasum]"
pass "2 GB validated in $((rss / 1024)) MiB peak RSS"
