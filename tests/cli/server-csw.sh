#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-csw on a free port, harvested by two real clients: OWSLib (paged
# GetRecords in both output schemas, filters, GetRecordById) and GDAL's CSW
# driver (ogrinfo); counts and titles match the archive; non-public records
# are not served; landing pages escape every field; OWS exception reports.
source "$HEMERA_SRC/tests/cli/lib.sh"

"$PY" -c 'import owslib' || fail "python3-owslib is missing (apt-get install python3-owslib)"
command -v ogrinfo >/dev/null || fail "ogrinfo is missing (apt-get install gdal-bin)"
command -v curl >/dev/null || fail "curl is missing"
EX="$HEMERA_SRC/examples"
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
cat >hemera.yaml <<YAML
root: $T/A
public_url: $BASE
partners:
  default: {}
  astro: {databases: [DASB], include_non_public: true, title: "Astro partner"}
YAML
export HEMERA_CONFIG=$T/hemera.yaml
cat >max.yaml <<'YAML'
resourceTitle: {en: "Maximal record", fr: "Jeu complet"}
resourceAbstract: {en: "Every optional field present."}
status: Public
keywords: [{concept: ozone}]
temporalExtents: [{beginDate: "2021-06-18T10:00:00Z", endDate: "2021-06-18T12:00:00Z"}]
spatialExtents: [{area: {type: bbox, west: 20.1, east: 20.5, south: 67.8, north: 68.0}}]
identifiers: [{code: "10.12345/max-record", codeSpace: "http://dx.doi.org/"}]
YAML
cat >xss.yaml <<'YAML'
resourceTitle: {en: "<script>alert(1)</script>"}
resourceAbstract: {en: "A & B <img src=x onerror=alert(2)>"}
status: Public
temporalExtents: [{beginDate: "2019-01-01T00:00:00Z"}]
YAML
# Public, but under embargo until 2999: left out of counts and pages alike
# (it matches the ozone, Kiruna and BBOX queries below).
cat >embargo.yaml <<'YAML'
resourceTitle: {en: "Ozone under embargo, Kiruna"}
status: Public
keywords: [{concept: ozone}]
spatialExtents: [{area: {type: bbox, west: 20.1, east: 20.5, south: 67.8, north: 68.0}}]
distributionInformation: {embargoEnd: "2999-01-01"}
YAML
cat >hidden.yaml <<'YAML'
resourceTitle: {en: "Hidden record"}
status: Private
YAML

expect_exit 0 hemera-init -q
expect_exit 0 hemera-ingest --json --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea"
U1=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection test/max --form max.yaml "$EX/datb/o3_20210618_kiruna.na"
U2=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection test/xss --form xss.yaml "$EX/datb/o3_20210618_kiruna.na"
U3=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection test/hidden --form hidden.yaml "$EX/datb/o3_20210618_kiruna.na"
U4=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection sky/pilot --form "$EX/dasb/form.json" "$EX/dasb/pilot_crab_20220712.fits"
U5=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection test/embargo --form embargo.yaml "$EX/datb/o3_20210618_kiruna.na"
U7=$(json_get 'd["uuid"]')

hemera-csw serve --listen "127.0.0.1:$PORT" --threads 4 --refresh 1 2>csw.log &
track_pid $!
for _ in $(seq 100); do curl -sf "$BASE/csw/default?service=CSW&request=GetCapabilities" -o /dev/null && break; sleep 0.1; done

# OWSLib.
cat >expected.json <<JSON
{"public_url": "$BASE", "records": {"$U1": "Ozone sonde flight, Kiruna, 2021-06-18", "$U2": "Maximal record",
 "$U3": "<script>alert(1)</script>"},
 "ozone": 3, "ozone_uuid": "$U1", "kiruna": 2, "kiruna_ozone": 2, "after": 2, "hidden_uuid": "$U4"}
JSON
"$PY" "$HEMERA_SRC/tests/cli/csw_harvest.py" "$BASE/csw/default" expected.json || fail "OWSLib harvest"
pass "OWSLib harvests every public record, in pages, in both schemas, with filters"
curl -s "$BASE/csw/default?service=CSW&version=2.0.2&request=GetRecords&resultType=results&elementSetName=brief&constraintLanguage=CQL_TEXT&constraint=dc:title%20LIKE%20%27%25embargo%25%27" >embargo.xml
grep -q 'numberOfRecordsMatched="0"' embargo.xml && ! grep -q "$U7" embargo.xml || { cat embargo.xml; fail "embargoed record counted or served"; }
pass "a public record under embargo is neither counted nor served"

# GDAL's CSW driver: hits, then pages of MAX_RECORDS until an empty page.
export GDAL_HTTP_TIMEOUT=20
ogrinfo -ro -al -oo MAX_RECORDS=2 "CSW:$BASE/csw/default" >gdal.txt 2>gdal.err || { cat gdal.err; fail "ogrinfo"; }
grep -q "Feature Count: 3" gdal.txt || { cat gdal.txt gdal.err; fail "GDAL feature count"; }
# GDAL 3.6 has no title field (added in 3.7): compare identifiers, and abstracts as text.
for u in "$U1" "$U2" "$U3"; do
  grep -qF "identifier (String) = $u" gdal.txt || fail "GDAL lacks record $u"
done
grep -qF "abstract (String) = A & B <img src=x onerror=alert(2)>" gdal.txt || fail "GDAL abstract"
[[ $(grep -c "^OGRFeature" gdal.txt) == 3 ]] || fail "GDAL read $(grep -c '^OGRFeature' gdal.txt) features"
grep -q "Hidden record" gdal.txt && fail "GDAL saw the hidden record"
ogrinfo -ro -al -q -spat 20 67 21 68 "CSW:$BASE/csw/default" >gdal2.txt 2>gdal.err || { cat gdal.err; fail "ogrinfo -spat"; }
[[ $(grep -c "^OGRFeature" gdal2.txt) == 2 ]] || { cat gdal2.txt; fail "GDAL BBOX (lat/lon order) found $(grep -c '^OGRFeature' gdal2.txt)"; }
ogrinfo -ro -al -q -where "anytext ILIKE '%kiruna%'" "CSW:$BASE/csw/default" >gdal3.txt 2>gdal.err || { cat gdal.err; fail "ogrinfo -where"; }
[[ $(grep -c "^OGRFeature" gdal3.txt) == 1 ]] || { cat gdal3.txt; fail "GDAL PropertyIsLike with * wildcards"; }
# GDAL sends matchCase='true' for LIKE and matchCase='false' for ILIKE.
gdal_count() { # WHERE: the number of features GDAL reads with that attribute filter
  ogrinfo -ro -al -q -where "$1" "CSW:$BASE/csw/default" >gdal4.txt 2>gdal.err || { cat gdal.err; fail "ogrinfo -where $1"; }
  grep -c "^OGRFeature" gdal4.txt || true
}
[[ $(gdal_count "anytext LIKE '%Kiruna%'") == 1 ]] || fail "GDAL LIKE (matchCase true) with the right case"
[[ $(gdal_count "anytext LIKE '%KIRUNA%'") == 0 ]] || fail "GDAL LIKE (matchCase true) ignored the case"
[[ $(gdal_count "anytext ILIKE '%KIRUNA%'") == 1 ]] || fail "GDAL ILIKE (matchCase false)"
pass "GDAL's CSW driver reads every public record, with BBOX and text filters"

# PropertyIsLike honours matchCase; without it, text comparisons ignore case.
like_count() { # MATCHCASE_ATTRIBUTE PROPERTY LITERAL: numberOfRecordsMatched
  cat >like.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ogc="http://www.opengis.net/ogc"
  service="CSW" version="2.0.2" resultType="hits"><csw:Query typeNames="csw:Record">
  <csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\" $1>
  <ogc:PropertyName>$2</ogc:PropertyName><ogc:Literal>$3</ogc:Literal></ogc:PropertyIsLike></ogc:Filter></csw:Constraint>
</csw:Query></csw:GetRecords>
XML
  curl -sf -H 'Content-Type: application/xml' --data-binary @like.xml "$BASE/csw/default" |
    grep -o 'numberOfRecordsMatched="[0-9]*"' | grep -o '[0-9]*'
}
[[ $(like_count 'matchCase="true"' dc:title 'Maximal%') == 1 ]] || fail "matchCase true, same case"
[[ $(like_count 'matchCase="true"' dc:title 'maximal%') == 0 ]] || fail "matchCase true, other case"
[[ $(like_count 'matchCase="false"' dc:title 'MAXIMAL%') == 1 ]] || fail "matchCase false"
[[ $(like_count '' dc:title 'MAXIMAL%') == 1 ]] || fail "no matchCase: case ignored"
[[ $(like_count 'matchCase="true"' csw:AnyText '%Kiruna%') == 1 ]] || fail "AnyText matchCase true, same case"
[[ $(like_count 'matchCase="true"' csw:AnyText '%KIRUNA%') == 0 ]] || fail "AnyText matchCase true, other case"
[[ $(like_count 'matchCase="false"' csw:AnyText '%KIRUNA%') == 1 ]] || fail "AnyText matchCase false"
pass "PropertyIsLike honours matchCase (absent: case ignored)"

# Partners: another container with its own records.
curl -s "$BASE/csw/astro?service=CSW&version=2.0.2&request=GetRecords&resultType=results&elementSetName=brief" >astro.xml
grep -q 'numberOfRecordsMatched="1"' astro.xml && grep -q "$U5" astro.xml || { cat astro.xml; fail "astro partner"; }
curl -s "$BASE/csw/astro?service=CSW&request=GetCapabilities" >astro-cap.xml
grep -q "<ows:Title>Astro partner</ows:Title>" astro-cap.xml || fail "partner title"
pass "per-partner containers"

# OWS exception reports.
exc() { # EXPECTED_CODE URL [curl args]
  local code=$1 url=$2; shift 2
  curl -s "$@" "$url" >exc.xml
  grep -q "exceptionCode=\"$code\"" exc.xml || { cat exc.xml; fail "expected $code from $url"; }
}
exc OperationNotSupported "$BASE/csw/default?service=CSW&version=2.0.2&request=Harvest"
exc MissingParameterValue "$BASE/csw/default?service=CSW&version=2.0.2"
exc InvalidParameterValue "$BASE/csw/default?service=CSW&version=2.0.2&request=GetRecords&maxRecords=-1"
exc InvalidParameterValue "$BASE/csw/default?service=CSW&version=2.0.2&request=GetRecords&outputSchema=urn:nope"
exc InvalidParameterValue "$BASE/csw/default?service=CSW&version=2.0.2&request=GetRecords&constraintLanguage=CQL_TEXT&constraint=nosuchfield%3D1"
exc MissingParameterValue "$BASE/csw/default?service=CSW&version=2.0.2&request=GetRecordById"
cat >xxe.xml <<'XML'
<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" version="2.0.2"><csw:Query typeNames="csw:Record"><csw:ElementSetName>&x;</csw:ElementSetName></csw:Query></csw:GetRecords>
XML
exc NoApplicableCode "$BASE/csw/default" -H 'Content-Type: application/xml' --data-binary @xxe.xml
grep -q "root:" exc.xml && fail "external entity expanded"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/csw/nobody?service=CSW&request=GetCapabilities") == 404 ]] || fail "unknown partner"
head -c 2000000 /dev/zero | tr '\0' a >big.xml
[[ $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/xml' --data-binary @big.xml "$BASE/csw/default") == 413 ]] ||
  fail "request size limit"
pass "OWS exception reports; no external entities; request size limit"

# Landing pages.
curl -s "$BASE/$U3" >xss.html
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' xss.html || { cat xss.html; fail "title not escaped"; }
grep -qF '<script' xss.html && fail "a script element in the landing page"
grep -qF '<img' xss.html && fail "an img element in the landing page"
curl -s "$BASE/$U2" >max.html
grep -q 'href="https://doi.org/10.12345/max-record"' max.html || fail "DOI on the landing page"
curl -s "$BASE/$U2?f=json" >rec.json
[[ $(json_get 'd["id"]' rec.json) == "$U2" ]] || fail "?f=json"
curl -s -H 'Accept: application/json' "$BASE/$U1" >rec.json
[[ $(json_get 'd["id"]' rec.json) == "$U1" ]] || fail "Accept: application/json"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/$U4") == 404 ]] || fail "hidden record has a landing page"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/../etc/passwd") == 404 ]] || fail "path outside"
pass "landing pages escape every field; hidden records are not served"

# The server reads the catalogue index on each request: a record ingested
# while it runs is served as soon as it is indexed (by the tool that committed
# it, else by the server's --refresh), without a restart.
cat >late.yaml <<'YAML'
resourceTitle: {en: "Late arrival over Esrange"}
status: Public
YAML
expect_exit 0 hemera-ingest --json --collection test/late --form late.yaml "$EX/datb/o3_20210618_kiruna.na"
U6=$(json_get 'd["uuid"]')
for _ in $(seq 50); do
  curl -s "$BASE/csw/default?service=CSW&version=2.0.2&request=GetRecords&resultType=results&elementSetName=brief&constraintLanguage=CQL_TEXT&constraint=dc:title%20LIKE%20%27%25esrange%25%27" >late.xml
  grep -q 'numberOfRecordsMatched="1"' late.xml && break
  sleep 0.2
done
grep -q 'numberOfRecordsMatched="1"' late.xml && grep -q "$U6" late.xml || { cat late.xml; fail "a record ingested while the server runs"; }
[[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/$U6") == 200 ]] || fail "landing page of a new record"
pass "records ingested while the server runs are served without a restart"
