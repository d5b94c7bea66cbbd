#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every hemera-csw response validates against the official XSDs in
# $HEMERA_SHARED/schemas: capabilities, DescribeRecord, GetRecords (hits;
# brief, summary and full Dublin Core; ISO 19139 through the CSW+ISO wrapper),
# GetRecordById in both schemas, and exception reports (OWS 1.0.0).
source "$HEMERA_SRC/tests/cli/lib.sh"

S="$HEMERA_SHARED/schemas"
[[ -f $S/ogc/csw/2.0.2/CSW-discovery.xsd ]] || fail "no schemas in $S"
command -v xmllint >/dev/null || fail "xmllint (libxml2-utils) is missing"
EX="$HEMERA_SRC/examples"
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
cat >hemera.yaml <<YAML
root: $T/A
public_url: $BASE
YAML
export HEMERA_CONFIG=$T/hemera.yaml
cat >max.yaml <<'YAML'
resourceTitle: {en: "Maximal record", fr: "Jeu complet"}
resourceAbstract: {en: "Every optional field present.", fr: "Tout."}
status: Public
identifiers: [{code: "10.12345/max-record", codeSpace: "http://dx.doi.org/"}]
keywords: [{concept: ozone}]
spatialExtents: [{area: {type: bbox, west: 20.1, east: 20.5, south: 67.8, north: 68.0}}]
temporalExtents: [{beginDate: "2021-06-18T10:00:00Z", endDate: "2021-06-18T12:00:00Z"}]
quicklooks: [{url: "https://example.org/quicklooks/max.png"}]
YAML
cat >min.yaml <<'YAML'
resourceTitle: {en: "Minimal record"}
status: Public
YAML
expect_exit 0 hemera-init -q
expect_exit 0 hemera-ingest --json --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea"
U1=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest -q --collection test/max --form max.yaml "$EX/datb/o3_20210618_kiruna.na"
expect_exit 0 hemera-ingest -q --collection test/min --form min.yaml "$EX/datb/o3_20210618_kiruna.na"

hemera-csw serve --listen "127.0.0.1:$PORT" 2>csw.log &
track_pid $!
for _ in $(seq 100); do curl -sf "$BASE/csw/default?service=CSW&request=GetCapabilities" -o /dev/null && break; sleep 0.1; done

Q="$BASE/csw/default?service=CSW&version=2.0.2"
get() { curl -sf "$2" -o "$1" || fail "GET $2"; }
get cap.xml "$BASE/csw/default?SERVICE=CSW&REQUEST=GetCapabilities"
get cap2.xml "$Q&request=GetCapabilities"
get hits.xml "$Q&request=GetRecords&resultType=hits"
get brief.xml "$Q&request=GetRecords&resultType=results&elementSetName=brief"
get summary.xml "$Q&request=GetRecords&resultType=results&elementSetName=summary&maxRecords=2"
get full.xml "$Q&request=GetRecords&resultType=results&elementSetName=full&sortBy=dc:title:D"
get past.xml "$Q&request=GetRecords&resultType=results&startPosition=50"
get byid.xml "$Q&request=GetRecordById&id=$U1&elementSetName=full"
get gmd.xml "$Q&request=GetRecords&resultType=results&outputSchema=http://www.isotc211.org/2005/gmd&typeNames=gmd:MD_Metadata"
get gmdid.xml "$Q&request=GetRecordById&id=$U1&outputSchema=http://www.isotc211.org/2005/gmd"
G="$Q&request=GetRecords&resultType=results&outputSchema=http://www.isotc211.org/2005/gmd&typeNames=gmd:MD_Metadata"
get gmdbrief.xml "$G&elementSetName=brief&constraintLanguage=CQL_TEXT&constraint=dc:title%20LIKE%20%27Maximal%25%27"
get gmdsummary.xml "$G&elementSetName=summary&constraintLanguage=CQL_TEXT&constraint=dc:title%20LIKE%20%27Maximal%25%27"
get gmdfull.xml "$G&elementSetName=full&constraintLanguage=CQL_TEXT&constraint=dc:title%20LIKE%20%27Maximal%25%27"
get gmdbriefid.xml "$Q&request=GetRecordById&id=$U1&outputSchema=http://www.isotc211.org/2005/gmd&elementSetName=brief"
get describe.xml "$Q&request=DescribeRecord"
cat >post.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ogc="http://www.opengis.net/ogc"
  service="CSW" version="2.0.2" resultType="results" startPosition="1" maxRecords="5">
  <csw:Query typeNames="csw:Record"><csw:ElementSetName>summary</csw:ElementSetName>
    <csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\">
      <ogc:PropertyName>dc:title</ogc:PropertyName><ogc:Literal>%record</ogc:Literal></ogc:PropertyIsLike></ogc:Filter></csw:Constraint>
    <ogc:SortBy><ogc:SortProperty><ogc:PropertyName>dc:title</ogc:PropertyName><ogc:SortOrder>ASC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>
  </csw:Query></csw:GetRecords>
XML
curl -sf -H 'Content-Type: application/xml; charset=UTF-8' --data-binary @post.xml "$BASE/csw/default" -o posted.xml || fail "POST"
grep -q 'numberOfRecordsMatched="2"' posted.xml || { cat posted.xml; fail "POST filter"; }
[[ $(grep -o '<dc:title>[^<]*' posted.xml | head -1) == "<dc:title>Maximal record" ]] || fail "POST sort"
curl -s "$Q&request=GetRecords&maxRecords=x" -o exc.xml
grep -q 'numberOfRecordsMatched="3"' hits.xml || fail "hits"
grep -q 'numberOfRecordsReturned="2" nextRecord="3"' summary.xml || { cat summary.xml; fail "paging"; }
grep -q 'numberOfRecordsReturned="0" nextRecord="0"' past.xml || fail "past the end"
[[ $(grep -c '<csw:BriefRecord' brief.xml) == 3 && $(grep -c '<csw:SummaryRecord' summary.xml) == 2 &&
   $(grep -c '<csw:Record>\|<csw:Record ' full.xml) == 3 ]] || fail "element names match ElementSetName"

# ISO element sets: brief, summary and full give the matching subsets of gmd:MD_Metadata.
n() { # FILE XPATH: how many nodes (local names, any namespace)
  xmllint --xpath "count($2)" "$1"
}
M='//*[local-name()="MD_Metadata"]'
has() { [[ $(n "$1" "$M//*[local-name()=\"$2\"]") -gt 0 ]] || fail "$1 lacks $2"; }
lacks() { [[ $(n "$1" "$M//*[local-name()=\"$2\"]") -eq 0 ]] || fail "$1 has $2"; }
for f in gmdbrief.xml gmdsummary.xml gmdfull.xml; do
  [[ $(n $f "$M") == 1 ]] || fail "$f: one record expected"
  for e in fileIdentifier hierarchyLevel title EX_GeographicBoundingBox graphicOverview; do has $f $e; done
done
grep -q 'https://example.org/quicklooks/max.png' gmdbrief.xml || fail "brief: the graphic overview's file name"
for e in descriptiveKeywords topicCategory distributionInfo metadataStandardName referenceSystemInfo \
         temporalElement resourceConstraints dataQualityInfo LI_Lineage PT_FreeText; do
  lacks gmdbrief.xml $e
done
for e in descriptiveKeywords topicCategory distributionInfo metadataStandardName referenceSystemInfo \
         PT_FreeText pointOfContact; do
  has gmdsummary.xml $e
done
for e in resourceConstraints dataQualityInfo LI_Lineage; do lacks gmdsummary.xml $e; done
for e in descriptiveKeywords topicCategory distributionInfo resourceConstraints dataQualityInfo LI_Lineage; do
  has gmdfull.xml $e
done
lacks gmdbriefid.xml distributionInfo
[[ $(wc -c <gmdbrief.xml) -lt $(wc -c <gmdsummary.xml) && $(wc -c <gmdsummary.xml) -lt $(wc -c <gmdfull.xml) ]] ||
  fail "brief < summary < full"
pass "gmd output honours ElementSetName (brief, summary, full)"

cd "$S"
xmllint --noout --nonet --schema ogc/csw/2.0.2/CSW-discovery.xsd "$T"/{cap,cap2,hits,brief,summary,full,past,byid,describe,posted}.xml ||
  fail "CSW responses do not validate against CSW-discovery.xsd"
xmllint --noout --nonet --schema wrappers/csw-2.0.2-with-iso19139.xsd "$T"/{gmd,gmdid,gmdbrief,gmdsummary,gmdfull,gmdbriefid}.xml ||
  fail "gmd responses do not validate against the CSW + ISO 19139 wrapper"
xmllint --noout --nonet --schema ogc/ows/1.0.0/owsExceptionReport.xsd "$T/exc.xml" || fail "exception report"
pass "every CSW response validates against the official schemas"
