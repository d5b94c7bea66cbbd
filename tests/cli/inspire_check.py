# SPDX-License-Identifier: Apache-2.0
"""Assert the INSPIRE metadata TG 2.x requirements of conformance class 1
(datasets: C.1-C.22 and 1.1-1.11) by XPath on ISO 19139 records.
Usage: inspire_check.py FILE...   (run with /usr/bin/python3: needs lxml)."""
import re
import sys

from lxml import etree

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gml": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
}
THEMES = {
    "ac": "Atmospheric conditions", "mf": "Meteorological geographical features",
    "ef": "Environmental monitoring facilities", "of": "Oceanographic geographical features",
}
TOPICS = {"farming", "biota", "boundaries", "climatologyMeteorologyAtmosphere", "economy", "elevation",
          "environment", "geoscientificInformation", "health", "imageryBaseMapsEarthCover",
          "intelligenceMilitary", "inlandWaters", "location", "oceans", "planningCadastre", "society",
          "structure", "transportation", "utilitiesCommunication"}
REG = ("COMMISSION REGULATION (EU) No 1089/2010 of 23 November 2010 implementing Directive 2007/2/EC of the "
       "European Parliament and of the Council as regards interoperability of spatial data sets and services")
LIMITS = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"


def text(node):
    """C.4: the text of a free-text element (CharacterString or Anchor with href)."""
    cs = node.xpath("gco:CharacterString/text()", namespaces=NS)
    if cs:
        return cs[0].strip()
    a = node.xpath("gmx:Anchor", namespaces=NS)
    if a and a[0].get("{http://www.w3.org/1999/xlink}href"):
        return (a[0].text or "").strip()
    return ""


def check(path):
    errors = []

    def req(cond, rule, what):
        if not cond:
            errors.append(f"{path}: TG {rule}: {what}")

    doc = etree.parse(path)
    root = doc.getroot()
    x = lambda p, n=root: n.xpath(p, namespaces=NS)
    req(root.tag == "{%s}MD_Metadata" % NS["gmd"], "C.2", "root is gmd:MD_Metadata")
    req(len(x("gmd:fileIdentifier/gco:CharacterString")) == 1, "Rec C.1", "one fileIdentifier")
    lang = x("gmd:language/gmd:LanguageCode/@codeListValue")
    req(len(lang) == 1 and re.fullmatch(r"[a-z]{3}", lang[0]), "C.5", "metadata language (ISO 639-2/B)")
    for c in x("gmd:language/gmd:LanguageCode"):
        req(c.get("codeList") in ("http://www.loc.gov/standards/iso639-2/", "http://id.loc.gov/vocabulary/iso639-2"),
            "C.5", "language codeList")
    mc = x("gmd:contact/gmd:CI_ResponsibleParty")
    req(len(mc) >= 1, "C.6", "a metadata point of contact")
    for p in mc:
        req(any(text(o) for o in x("gmd:organisationName", p)), "C.6", "metadata contact organisation")
        req(any(text(e) for e in x(".//gmd:electronicMailAddress", p)), "C.6", "metadata contact e-mail")
        req(x("gmd:role/gmd:CI_RoleCode/@codeListValue", p) == ["pointOfContact"], "C.6", "role pointOfContact")
    ds = x("gmd:dateStamp/gco:Date/text()|gmd:dateStamp/gco:DateTime/text()")
    req(len(ds) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d))?", ds[0]), "C.7",
        "metadata date")
    req(x("gmd:hierarchyLevel[1]/gmd:MD_ScopeCode/@codeListValue") in (["dataset"], ["series"]), "1.1",
        "resource type")
    ii = x("gmd:identificationInfo[1]/*")
    req(len(ii) == 1 and ii[0].tag == "{%s}MD_DataIdentification" % NS["gmd"], "1.2",
        "first identificationInfo holds one MD_DataIdentification")
    if not ii:
        return errors
    ID = ii[0]
    cit = x("gmd:citation/gmd:CI_Citation", ID)[0]
    req(len(x("gmd:title", cit)) == 1 and text(x("gmd:title", cit)[0]), "C.8", "resource title")
    req(len(x("gmd:abstract", ID)) == 1 and text(x("gmd:abstract", ID)[0]), "C.9", "resource abstract")
    for t in x("gmd:title|../../gmd:abstract", cit):
        if t.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "gmd:PT_FreeText_PropertyType":
            req(x("gco:CharacterString", t) and x("gmd:PT_FreeText/gmd:textGroup/gmd:LocalisedCharacterString", t),
                "C.4", "PT_FreeText has both the text and a localised string")
    rp = x("gmd:pointOfContact/gmd:CI_ResponsibleParty", ID)
    req(len(rp) >= 1, "C.10", "a responsible party")
    for p in rp:
        req(any(text(o) for o in x("gmd:organisationName", p)), "C.10", "responsible party organisation")
        req(any(text(e) for e in x(".//gmd:electronicMailAddress", p)), "C.10", "responsible party e-mail")
        req(len(x("gmd:role/gmd:CI_RoleCode/@codeListValue", p)) == 1, "C.10", "responsible party role")
    dates = x("gmd:date/gmd:CI_Date", cit)
    req(len(dates) >= 1, "C.11", "a temporal reference (citation date)")
    types = [x("gmd:dateType/gmd:CI_DateTypeCode/@codeListValue", d)[0] for d in dates]
    req(all(t in ("publication", "revision", "creation") for t in types), "C.12", "date types")
    req(types.count("creation") <= 1, "C.13", "at most one creation date")
    req(types.count("revision") <= 1, "C.14", "at most one revision date")
    for d in dates:
        v = x("gmd:date/gco:Date/text()|gmd:date/gco:DateTime/text()", d)
        req(len(v) == 1 and re.match(r"\d{4}-\d\d-\d\d", v[0]), "C.11", "ISO 8601 citation date")
    codes = [text(c) for c in x("gmd:identifier/*/gmd:code", cit)]
    req(codes and all(codes), "1.3", "a unique resource identifier")
    kws = x("gmd:descriptiveKeywords/gmd:MD_Keywords", ID)
    req(all(x("gmd:keyword", k) and all(text(w) for w in x("gmd:keyword", k)) for k in kws), "C.15", "keywords")
    gemet = None
    for k in kws:
        th = x("gmd:thesaurusName/gmd:CI_Citation", k)
        if th:
            req(text(x("gmd:title", th[0])[0]), "C.16", "vocabulary title")
            dd = x("gmd:date/gmd:CI_Date", th[0])
            req(len(dd) >= 1 and x("gmd:dateType/gmd:CI_DateTypeCode/@codeListValue", dd[0])[0]
                in ("publication", "revision", "creation"), "C.16", "vocabulary date and type")
            if text(x("gmd:title", th[0])[0]) == "GEMET - INSPIRE themes, version 1.0":
                gemet = (k, th[0])
    req(gemet is not None, "1.4", "a keyword from GEMET - INSPIRE themes, version 1.0")
    if gemet:
        k, th = gemet
        req(x("gmd:date/gmd:CI_Date/gmd:date/gco:Date/text()", th) == ["2008-06-01"], "1.4", "GEMET date 2008-06-01")
        req(x("gmd:date/gmd:CI_Date/gmd:dateType/gmd:CI_DateTypeCode/@codeListValue", th) == ["publication"], "1.4",
            "GEMET date type publication")
        for w in x("gmd:keyword", k):
            href = x("gmx:Anchor/@xlink:href", w)
            req(href and href[0].startswith("http://inspire.ec.europa.eu/theme/"), "1.4", "theme anchor")
            if href:
                code = href[0].rsplit("/", 1)[1]
                req(THEMES.get(code, text(w)) == text(w), "1.4", f"theme label of {code}: {text(w)}")
    lcs = x("gmd:resourceConstraints/gmd:MD_LegalConstraints", ID)
    access = [c for c in lcs if x("gmd:accessConstraints/gmd:MD_RestrictionCode[@codeListValue='otherRestrictions']", c)
              and x("gmd:otherConstraints/gmx:Anchor[starts-with(@xlink:href, '%s')]" % LIMITS, c)]
    req(len(access) == 1, "C.17", "exactly one limitations-on-public-access constraint")
    use = [c for c in lcs if x("gmd:useConstraints/gmd:MD_RestrictionCode[@codeListValue='otherRestrictions']", c)]
    req(len(use) == 1 and all(text(o) for o in x("gmd:otherConstraints", use[0])), "C.18",
        "exactly one conditions-for-access-and-use constraint")
    req(not (access and use and access[0] is use[0]), "C.17/C.18", "two distinct MD_LegalConstraints")
    res = x("gmd:spatialResolution/gmd:MD_Resolution", ID)
    req(all(len(r) == 1 for r in res), "1.5", "one way to give each spatial resolution")
    rl = x("gmd:language/gmd:LanguageCode/@codeListValue", ID)
    req(len(rl) >= 1 and all(re.fullmatch(r"[a-z]{3}", v) for v in rl), "1.6", "resource language")
    tc = x("gmd:topicCategory/gmd:MD_TopicCategoryCode/text()", ID)
    req(len(tc) >= 1 and all(t in TOPICS for t in tc), "1.7", "topic category")
    bb = x("gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox", ID)
    req(len(bb) >= 1, "C.19", "a geographic bounding box")
    for b in bb:
        vals = [x(f"gmd:{s}/gco:Decimal/text()", b) for s in
                ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")]
        req(all(len(v) == 1 for v in vals), "C.19", "four bounds")
        if all(len(v) == 1 for v in vals):
            w, e, s, n = (float(v[0]) for v in vals)
            req(-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90, "C.19", "bounds in WGS 84 ranges")
    for tp in x(".//gml:TimePeriod", ID):
        req(tp.get("{%s}id" % NS["gml"]), "C.11", "gml:id on TimePeriod")
    urls = x("gmd:distributionInfo/gmd:MD_Distribution/gmd:transferOptions/gmd:MD_DigitalTransferOptions/gmd:onLine/"
             "gmd:CI_OnlineResource/gmd:linkage/gmd:URL/text()")
    req(len(urls) >= 1 and all(re.match(r"[a-z]+://", u) for u in urls), "1.8", "a resource locator")
    dq = x("gmd:dataQualityInfo/gmd:DQ_DataQuality[gmd:scope/gmd:DQ_Scope/gmd:level/"
           "gmd:MD_ScopeCode/@codeListValue='dataset']")
    req(len(dq) == 1, "1.11", "exactly one DQ_DataQuality scoped to the dataset")
    if dq:
        st = x("gmd:lineage/gmd:LI_Lineage/gmd:statement", dq[0])
        req(len(st) == 1 and text(st[0]), "1.9", "a lineage statement")
        crs = x("gmd:report/gmd:DQ_DomainConsistency/gmd:result/gmd:DQ_ConformanceResult", dq[0])
        req(len(crs) >= 1, "C.20", "a conformity report")
        reg = [c for c in crs if text(x("gmd:specification/gmd:CI_Citation/gmd:title", c)[0]) == REG]
        req(len(reg) == 1, "1.10", "conformity to Regulation 1089/2010 with its exact title")
        for c in reg:
            req(x("gmd:specification/gmd:CI_Citation/gmd:date/gmd:CI_Date/gmd:date/gco:Date/text()", c)
                == ["2010-12-08"], "C.21", "specification date 2010-12-08")
            req(x("gmd:specification/gmd:CI_Citation/gmd:date/gmd:CI_Date/gmd:dateType/gmd:CI_DateTypeCode/"
                  "@codeListValue", c) == ["publication"], "C.21", "specification date type publication")
            req(len(x("gmd:explanation", c)) == 1, "C.22", "an explanation")
            p = x("gmd:pass", c)
            req(len(p) == 1 and (x("gco:Boolean/text()", p[0]) in (["true"], ["false"])
                                 or p[0].get("{%s}nilReason" % NS["gco"]) == "unknown"), "C.22", "degree (pass)")
    return errors


def main():
    errors = []
    for f in sys.argv[1:]:
        errors += check(f)
    for e in errors:
        print(e, file=sys.stderr)
    print(f"{len(sys.argv) - 1} record(s) checked, {len(errors)} failure(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
