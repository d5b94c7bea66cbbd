#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every document hemera-export writes validates against the official XSDs in
# $HEMERA_SHARED/schemas (ISO 19139 through gmx.xsd and the CSW ISO AP,
# Dublin Core through the CSW record schema, DataCite kernel-4.7), for records
# with every optional field present and with them absent; each INSPIRE TG
# requirement of conformance class 1 is asserted by XPath on every ISO record.
source "$HEMERA_SRC/tests/cli/lib.sh"

S="$HEMERA_SHARED/schemas"
[[ -f $S/ogc/iso/19139/20070417/gmx/gmx.xsd ]] || fail "no schemas in $S"
command -v xmllint >/dev/null || fail "xmllint (libxml2-utils) is missing"
"$PY" -c 'import lxml' || fail "python3-lxml is missing (run with /usr/bin/python3)"
EX="$HEMERA_SRC/examples"

cat >hemera.yaml <<YAML
root: $T/A
doi: {prefix: "10.12345", publisher: "AERIS/ESPRI"}
partners:
  default:
    include_non_public: true
    point_of_contact: {organisation: HEMERA data centre, email: metadata@example.org}
    inspire: {bbox: [-180, -90, 180, 90]}
YAML
export HEMERA_CONFIG=$T/hemera.yaml

cat >min.yaml <<'YAML'
resourceTitle: {en: "Minimal record"}
YAML
cat >max.yaml <<'YAML'
resourceTitle: {en: "Maximal <b>&amp; \"quoted\" record", fr: "Jeu complet, en français"}
resourceAbstract: {en: "Every optional field present.", fr: "Tous les champs facultatifs."}
status: Public
language: en
identifiers: [{code: "10.12345/max-record", codeSpace: "http://dx.doi.org/"}]
contacts:
  - {name: Jane Doe, email: jane.doe@example.org, organisation: LATMOS, roles: [principalInvestigator], orcId: 0000-0002-1825-0097}
  - {name: Data Desk, email: desk@example.org, organisation: ESPRI, roles: [pointOfContact]}
keywords: [{concept: ozone}, {concept: HEMERA}]
inspire:
  theme: ["Atmospheric conditions", "Meteorological geographical features"]
  topicCategory: [climatologyMeteorologyAtmosphere, environment]
  lineage: "Calibrated by the instrument team."
  conformity: true
  limitationsOnPublicAccess: noLimitations
distributionInformation: {licenceName: CC-BY, licenceVersion: "4.0", dataPolicyName: HEMERA data policy}
temporalExtents: [{beginDate: "2021-06-18T10:00:00Z", endDate: "2021-06-18T12:00:00Z"}]
spatialExtents: [{area: {type: bbox, west: 20.1, east: 20.5, south: 67.8, north: 68.0}}]
YAML

expect_exit 0 hemera-init -q
expect_exit 0 hemera-ingest -q --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea"
expect_exit 0 hemera-ingest -q --collection sky/pilot --form "$EX/dasb/form.json" "$EX/dasb/pilot_crab_20220712.fits"
expect_exit 0 hemera-ingest -q --collection test/min --form min.yaml "$EX/datb/o3_20210618_kiruna.na"
expect_exit 0 hemera-ingest -q --collection test/max --form max.yaml "$EX/datb/o3_20210618_kiruna.na"

for f in iso19139 dc datacite; do
  expect_exit 0 hemera-export --json --format $f --all -o exp
  check_json
  [[ $(json_get 'len(d["records"])') == 4 ]] || fail "$f: expected 4 records, got $(json_get 'len(d["records"])')"
done
iso=(exp/*.iso19139.xml)
[[ ${#iso[@]} == 4 ]] || fail "4 ISO records expected"

(cd "$S" && xmllint --noout --nonet --schema ogc/iso/19139/20070417/gmx/gmx.xsd "${iso[@]/#/$T/}") ||
  fail "ISO 19139 records do not validate against gmx.xsd"
(cd "$S" && xmllint --noout --nonet --schema ogc/csw/2.0.2/profiles/apiso/1.0.0/apiso.xsd "${iso[@]/#/$T/}") ||
  fail "ISO 19139 records do not validate against the CSW ISO AP schema"
XML_CATALOG_FILES="$S/catalog.xml" xmllint --noout --nonet --schema http://www.isotc211.org/2005/gmx/gmx.xsd \
  "${iso[@]}" || fail "ISO 19139 records do not validate through the catalog"
(cd "$S" && xmllint --noout --nonet --schema ogc/csw/2.0.2/record.xsd "$T"/exp/*.dc.xml) ||
  fail "Dublin Core records do not validate against the CSW record schema"
(cd "$S" && xmllint --noout --nonet --schema datacite/kernel-4.7/metadata.xsd "$T"/exp/*.datacite.xml) ||
  fail "DataCite records do not validate against kernel-4.7"
pass "every exported document validates against its XSD"

"$PY" "$HEMERA_SRC/tests/cli/inspire_check.py" "${iso[@]}" || fail "INSPIRE TG requirements"
pass "INSPIRE TG C.1-C.22 and 1.1-1.11 hold on every ISO record"

# The checks can fail: a record without its GEMET theme, and one whose two legal constraints are one.
max=$(grep -l 'Maximal' exp/*.iso19139.xml)
"$PY" - "$max" broken1.xml broken2.xml <<'PYEOF'
import sys
from lxml import etree
ns = {"gmd": "http://www.isotc211.org/2005/gmd"}
d = etree.parse(sys.argv[1])
for k in d.xpath("//gmd:descriptiveKeywords[.//gmd:thesaurusName]", namespaces=ns):
    k.getparent().remove(k)
d.write(sys.argv[2])
d = etree.parse(sys.argv[1])
lc = d.xpath("//gmd:resourceConstraints", namespaces=ns)
lc[1].getparent().remove(lc[1])
d.write(sys.argv[3])
PYEOF
expect_exit 1 "$PY" "$HEMERA_SRC/tests/cli/inspire_check.py" broken1.xml
expect_err "TG 1.4"
expect_exit 1 "$PY" "$HEMERA_SRC/tests/cli/inspire_check.py" broken2.xml
expect_err "TG C.18"
pass "the INSPIRE checks catch a missing theme and a missing legal constraint"

# Content: French as PT_FreeText, DOI as a URI identifier, the title escaped, both schemas' identifiers.
grep -q 'LocalisedCharacterString locale="#fr-[0-9a-f-]*">Jeu complet, en français<' "$max" || fail "French title"
grep -q 'xlink:href="https://doi.org/10.12345/max-record"' "$max" || fail "DOI identifier"
grep -qF 'Maximal &lt;b&gt;&amp;amp; "quoted" record' "$max" || fail "title not escaped"
dcm=$(grep -l 'Maximal' exp/*.datacite.xml)
grep -q '<identifier identifierType="DOI">10.12345/max-record</identifier>' "$dcm" || fail "DataCite DOI"
grep -q 'https://orcid.org/0000-0002-1825-0097' "$dcm" || fail "DataCite ORCID"
grep -q 'dateType="Collected">2021-06-18T10:00:00Z/2021-06-18T12:00:00Z<' "$dcm" || fail "collected range"
min=$(grep -L 'Maximal' exp/*.datacite.xml | xargs grep -l 'Minimal record')
grep -q "<identifier identifierType=\"DOI\">10.12345/$(basename "$min" .datacite.xml)</identifier>" "$min" ||
  fail "DataCite DOI from the prefix and the UUID"
pass "French, DOI, ORCID, escaping"
