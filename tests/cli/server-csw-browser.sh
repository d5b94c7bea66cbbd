#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Landing pages in a real browser: hemera-csw on a free port, a record's page
# /<uuid> opened in headless Chromium; the title and DOI read from the rendered
# DOM are the record's, and a record titled <script>alert(1)</script> renders
# that title as text (no script element, nothing executed).
source "$HEMERA_SRC/tests/cli/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[[ -n $CHROMIUM ]] || fail "chromium is missing (apt-get install chromium; scripts/install-deps.sh)"
command -v curl >/dev/null || fail "curl is missing"
EX="$HEMERA_SRC/examples"
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
cat >hemera.yaml <<YAML
root: $T/A
public_url: $BASE
catalogue_url: $BASE
YAML
export HEMERA_CONFIG=$T/hemera.yaml
cat >doi.yaml <<'YAML'
resourceTitle: {en: "Ozone & water vapour, Kiruna 2021"}
resourceAbstract: {en: "Profiles from a balloon-borne sonde."}
status: Public
identifiers: [{code: "10.12345/kiruna-2021", codeSpace: "http://dx.doi.org/"}]
YAML
cat >xss.yaml <<'YAML'
resourceTitle: {en: "<script>alert(1)</script>"}
resourceAbstract: {en: "</p><script>document.title='pwned'</script><img src=x onerror=alert(2)>"}
status: Public
YAML
expect_exit 0 hemera-init -q
expect_exit 0 hemera-ingest --json --collection test/doi --form doi.yaml "$EX/datb/o3_20210618_kiruna.na"
U1=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection test/xss --form xss.yaml "$EX/datb/o3_20210618_kiruna.na"
U2=$(json_get 'd["uuid"]')

hemera-csw serve --listen "127.0.0.1:$PORT" --threads 4 2>csw.log &
track_pid $!
for _ in $(seq 100); do curl -sf "$BASE/csw/default?service=CSW&request=GetCapabilities" -o /dev/null && break; sleep 0.1; done

# render URL OUT: the DOM after Chromium has parsed the page and run what it would run.
render() {
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$T/chromium" --virtual-time-budget=2000 --dump-dom "$1" >"$2" 2>chromium.err ||
    { tail -20 chromium.err; fail "chromium could not render $1"; }
  [[ -s $2 ]] || { tail -20 chromium.err; fail "chromium rendered nothing for $1"; }
}
# dom FILE: print the rendered page as JSON (document title, h1, DOI text and
# link, text of the abstract, and the elements a script injection would add).
dom() {
  "$PY" - "$1" <<'PYEOF'
import json, sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.text, self.tags, self.doi_href = [], {}, [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "a" and any("#doi" in k for _, k in self.stack):
            self.doi_href = a.get("href")
        if tag not in VOID:
            self.stack.append((tag, (tag, "#" + a["id"]) if a.get("id") else (tag,)))
    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass
    def handle_data(self, data):
        for key in {k for _, keys in self.stack for k in keys}:
            self.text[key] = self.text.get(key, "") + data

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps({"title": p.text.get("title", ""), "h1": p.text.get("h1", ""), "doi": p.text.get("#doi", "").strip(),
                  "doi_href": p.doi_href, "abstract": p.text.get("#abstract", ""),
                  "scripts": p.tags.count("script"), "imgs": p.tags.count("img")}))
PYEOF
}

render "$BASE/$U1" page1.html
dom page1.html >page1.json
[[ $(json_get 'd["title"]' page1.json) == "Ozone & water vapour, Kiruna 2021" ]] ||
  { cat page1.json; fail "document title in Chromium is not the record's"; }
[[ $(json_get 'd["h1"]' page1.json) == "Ozone & water vapour, Kiruna 2021" ]] || { cat page1.json; fail "h1"; }
[[ $(json_get 'd["doi"]' page1.json) == "10.12345/kiruna-2021" ]] || { cat page1.json; fail "DOI in the rendered page"; }
[[ $(json_get 'd["doi_href"]' page1.json) == "https://doi.org/10.12345/kiruna-2021" ]] ||
  { cat page1.json; fail "DOI link in the rendered page"; }
pass "Chromium renders the landing page with the record's title and DOI"

render "$BASE/$U2" page2.html
dom page2.html >page2.json
[[ $(json_get 'd["title"]' page2.json) == "<script>alert(1)</script>" ]] ||
  { cat page2.json; fail "the script title is not rendered as text (document.title)"; }
[[ $(json_get 'd["h1"]' page2.json) == "<script>alert(1)</script>" ]] || { cat page2.json; fail "h1 of the script title"; }
[[ $(json_get 'd["scripts"]' page2.json) == 0 ]] || { cat page2.html; fail "a script element in the rendered page"; }
[[ $(json_get 'd["imgs"]' page2.json) == 0 ]] || { cat page2.html; fail "an img element in the rendered page"; }
[[ $(json_get 'd["abstract"]' page2.json) == "</p><script>document.title='pwned'</script><img src=x onerror=alert(2)>" ]] ||
  { cat page2.json; fail "the abstract is not rendered as text"; }
pass "a <script> title renders as text in Chromium; no element is injected, nothing runs"

# The browser sees a sandboxing Content-Security-Policy too (defence in depth).
curl -s "$BASE/$U2" | grep -q "Content-Security-Policy\" content=\"default-src 'none'" || fail "no CSP on the landing page"
pass "the landing page carries a Content-Security-Policy"
