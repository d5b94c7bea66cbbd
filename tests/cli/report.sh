#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-report on an archive with two databases, a new version, a record
# revision, a replication target with one event pending, a verification run
# with one damaged file, a DOI, two users and one denied action: the figures in
# text, JSON (schema), CSV and HTML agree with what the test counted itself;
# the HTML page is rendered by headless Chromium and its inline SVG charts are
# in the rendered DOM and painted on screen.
source "$HEMERA_SRC/tests/cli/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[[ -n $CHROMIUM ]] || fail "chromium is missing (apt-get install chromium; scripts/install-deps.sh)"

EX="$HEMERA_SRC/examples"
A="$T/arch"
cat >hemera.yaml <<EOF
root: $A
targets:
  copy:
    url: file://$T/replica
verification:
  period: 7d
EOF
export HEMERA_CONFIG=$T/hemera.yaml

# Not an archive: 66.
expect_exit 66 hemera-report --root "$T/nothing"

expect_exit 0 hemera-init -q
cp "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea" "$EX/datb/form.yaml" .
expect_exit 0 hemera-ingest --json --collection strato2021/o3sonde --form form.yaml \
  o3_20210618_kiruna.na gps_20210618_kiruna.nmea
U1=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection pilot/2022 --form "$EX/dasb/form.json" "$EX/dasb/pilot_crab_20220712.fits"
U2=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --dataset "$U1" o3_20210618_kiruna.na
[[ $(json_get 'd["version"]') == 2 ]] || fail "second version"
expect_exit 77 env SUDO_UID=65534 hemera-meta --root "$A" set "$U1" status=Embargoed
expect_exit 0 hemera-user grant nobody curator
expect_exit 0 hemera-replicate -q
expect_exit 0 hemera-meta set "$U1" 'resourceTitle.fr="Vol d ozonesonde"'   # one event pending for copy
sleep 1.2   # the lag is counted in whole seconds: the chart below needs one > 0
expect_exit 0 hemera-verify -q
# Damage one file: verification finds it.
f=$(ls "$A"/DASB/pilot/2022/"$U2"/v1/*.fits)
chmod u+w "$f" "$(dirname "$f")"
printf 'X' | dd of="$f" bs=1 seek=3000 conv=notrunc status=none
expect_exit 1 hemera-verify -q
# One DOI, as hemera-doi records DataCite's state.
"$PY" - "$A/.hemera/hemera.db" "$U1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO dois(uuid, doi, state, url, updated_at, updated_by) VALUES (?, ?, 'findable', ?, '2026-11-26T10:00:00Z', 'root')",
           (sys.argv[2], "10.80001/" + sys.argv[2], "https://catalogue.example.org/" + sys.argv[2]))
db.commit()
PY
# What the report must say, counted here from the tree.
files=$(find "$A/DATB" "$A/DASB" -path '*/v[0-9]*/*' -type f ! -name 'manifest-*' | wc -l)
bytes=$(find "$A/DATB" "$A/DASB" -path '*/v[0-9]*/*' -type f ! -name 'manifest-*' -printf '%s\n' | awk '{s+=$1} END {print s}')
month=$(date -u +%Y-%m)

# --- JSON
expect_exit 0 hemera-report --json
check_json
cp "$T/out" report.json
[[ $(json_get 'd["totals"]["datasets"]') == 2 && $(json_get 'd["totals"]["versions"]') == 3 ]] || fail "totals: $(json_get 'd["totals"]')"
[[ $(json_get 'd["totals"]["files"]') == "$files" && $(json_get 'd["totals"]["bytes"]') == "$bytes" ]] ||
  fail "files/bytes: $(json_get 'd["totals"]') vs $files files, $bytes bytes"
[[ $(json_get '[(b["database"], b["collection"], b["datasets"], b["versions"]) for b in d["inventory"]]') == \
   "[('DASB', 'pilot/2022', 1, 1), ('DATB', 'strato2021/o3sonde', 1, 2)]" ]] || fail "inventory: $(json_get 'd["inventory"]')"
[[ $(json_get '[(m["month"], m["datasets"], m["versions"], m["revisions"]) for m in d["ingest_by_month"]]') == \
   "[('$month', 2, 1, 1)]" ]] || fail "months: $(json_get 'd["ingest_by_month"]')"
[[ $(json_get '[(t["name"], t["pending_events"], t["last_success"] is not None, t["last_run_ok"]) for t in d["replication"]]') == \
   "[('copy', 1, True, True)]" ]] || fail "replication: $(json_get 'd["replication"]')"
[[ $(json_get 'd["replication"][0]["lag_seconds"] >= 0 and d["replication"][0]["oldest_pending"] is not None') == True ]] || fail "lag"
[[ $(json_get '[(s["site"], s["files"], s["verified_in_period"], s["failing"]) for s in d["verification"]["sites"]]') == \
   "[('local', $files, $files, 1)]" ]] || fail "verification: $(json_get 'd["verification"]')"
[[ $(json_get 'd["verification"]["period_seconds"]') == 604800 ]] || fail "period"
[[ $(json_get 'd["open_findings"]["count"] >= 1 and any(i["key"].endswith(".fits") for i in d["open_findings"]["items"])') == True ]] ||
  fail "findings: $(json_get 'd["open_findings"]')"
[[ $(json_get 'd["dois"]') == "{'findable': 1, 'none': 1}" ]] || fail "dois: $(json_get 'd["dois"]')"
[[ $(json_get 'd["users"]') == "{'by_role': {'administrator': 1, 'curator': 1}, 'count': 2}" ]] || fail "users: $(json_get 'd["users"]')"
[[ $(json_get '(d["denied"]["count"], d["denied"]["by_action"], d["denied"]["recent"][0]["actor"])') == \
   "(1, {'record.edit': 1}, 'nobody')" ]] || fail "denied: $(json_get 'd["denied"]')"
pass "JSON: inventory, months, replication, verification, findings, DOIs, users, denied"

# --- text
expect_exit 0 hemera-report
expect_out "DASB   pilot/2022"
expect_out "copy: 1 pending event(s)"
expect_out "local: 100.0% of $files file(s) verified within the period; 0 never verified; 1 failing"
expect_out "findable: 1"
expect_out "record.edit: 1"
pass "text"

# --- CSV agrees with JSON
expect_exit 0 hemera-report --format csv
"$PY" - "$T/out" report.json <<'PY' || fail "CSV disagrees with JSON"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
j = json.load(open(sys.argv[2]))
inv = sum(int(r["value"]) for r in rows if r["section"] == "inventory" and r["metric"] == "bytes")
assert inv == j["totals"]["bytes"], (inv, j["totals"])
get = lambda s, n, m: next(r["value"] for r in rows if (r["section"], r["name"], r["metric"]) == (s, n, m))
assert get("dois", "findable", "count") == "1"
assert get("replication", "copy", "pending_events") == "1"
assert float(get("verification", "local", "share")) == 1.0
assert get("denied", "record.edit", "count") == "1"
PY
pass "CSV"

# --- HTML: self-contained, no script; rendered by Chromium with its charts.
expect_exit 0 hemera-report --format html -o report.html
[[ -s report.html ]] || fail "no HTML written"
! grep -qi '<script\|javascript:\|src="http\|href="http' report.html || fail "the HTML is not self-contained or has script"
timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  --user-data-dir="$T/chromium" --dump-dom "file://$T/report.html" >dom.html 2>chromium.err ||
  { tail -20 chromium.err; fail "chromium could not render the report"; }
timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  --user-data-dir="$T/chromium" --window-size=1200,4000 --screenshot="$T/shot.png" "file://$T/report.html" \
  >/dev/null 2>>chromium.err || { tail -20 chromium.err; fail "chromium could not take a screenshot"; }
"$PY" - dom.html shot.png "$files" <<'PY' || fail "the rendered report lacks its charts"
import struct, sys, zlib
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = None
        self.charts = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "chart" in (a.get("class") or ""):
            self.svg = a["id"]
            self.charts[self.svg] = 0
        elif tag == "rect" and self.svg and "bar" in (a.get("class") or ""):
            if float(a.get("width", 0)) > 0 and float(a.get("height", 0)) > 0:
                self.charts[self.svg] += 1
    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None

p = P()
p.feed(open(sys.argv[1]).read())
want = {"chart-inventory": 2, "chart-ingest": 1, "chart-replication": 1, "chart-verification": 1,
        "chart-dois": 2, "chart-users": 2, "chart-denied": 1}
# chart-replication: 1 bar drawn, as the one target has a lag > 0.
for k, n in want.items():
    assert p.charts.get(k) == n, (k, p.charts)

# The screenshot: decode the PNG (8-bit RGB/RGBA) and count pixels of the bar colour.
data = open(sys.argv[2], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    chunk = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", chunk[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += chunk
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
count = 0
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        if abs(r - 0x3a) < 12 and abs(g - 0x6e) < 12 and abs(bl - 0xa5) < 12:
            count += 1
    prev = line
assert count > 2000, "only %d bar-coloured pixels painted" % count
print("bar pixels painted:", count)
PY
pass "HTML rendered in Chromium: 7 charts with their bars, painted"
