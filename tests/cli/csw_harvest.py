# SPDX-License-Identifier: Apache-2.0
"""Harvest a hemera-csw endpoint with OWSLib (a real client): capabilities,
paged GetRecords in both output schemas, filters, GetRecordById.
Usage: csw_harvest.py URL EXPECTED.json  (run with /usr/bin/python3)."""
import json
import sys
import warnings

from owslib.csw import CatalogueServiceWeb
from owslib.fes import And, BBox, Not, Or, PropertyIsEqualTo, PropertyIsGreaterThanOrEqualTo, PropertyIsLike

warnings.simplefilter("ignore")
GMD = "http://www.isotc211.org/2005/gmd"
url, expected = sys.argv[1], json.load(open(sys.argv[2]))
want = {u: t for u, t in expected["records"].items()}
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


c = CatalogueServiceWeb(url)
check(c.identification.type == "CSW" and c.version == "2.0.2", "capabilities: CSW 2.0.2")
ops = {o.name: o for o in c.operations}
check(set(ops) >= {"GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById"}, "four operations")
check(all(m["url"].startswith(expected["public_url"]) for m in ops["GetRecords"].methods), "operation URLs from public_url")

for schema, esn in (("http://www.opengis.net/cat/csw/2.0.2", "full"), (GMD, "full"), ("http://www.opengis.net/cat/csw/2.0.2", "brief")):
    got = {}
    start, pages = 1, 0
    while True:
        c.getrecords2(esn=esn, startposition=start, maxrecords=2, outputschema=schema)
        pages += 1
        for k, r in c.records.items():
            got[k] = r.identification.title if schema == GMD else r.title
        check(c.results["matches"] == len(want), f"{schema} {esn} page {pages}: matched {c.results['matches']}")
        nxt = c.results["nextrecord"]
        if nxt == 0:
            check(start + c.results["returned"] > len(want), "nextRecord 0 only on the last page")
            break
        check(nxt == start + c.results["returned"], f"nextRecord {nxt} = start + returned")
        start = nxt
        if pages > 50:
            break
    check(got == want, f"{schema} {esn}: every record with its title ({len(got)} of {len(want)})")

c.getrecords2(startposition=len(want) + 5, maxrecords=10, esn="brief")
check(c.results["returned"] == 0 and c.results["nextrecord"] == 0, "a page past the end is empty with nextRecord 0")
c.getrecords2(resulttype="hits")
check(c.results["matches"] == len(want) and c.results["returned"] == 0, "resultType hits")

def count(constraints, **kw):
    c.getrecords2(constraints=constraints, esn="brief", maxrecords=50, **kw)
    return c.results["matches"]

check(count([PropertyIsLike("csw:AnyText", "%ozone%")]) == expected["ozone"], "PropertyIsLike AnyText %ozone%")
check(count([PropertyIsLike("dc:title", "Ozone sonde%")]) == 1, "PropertyIsLike dc:title prefix")
check(count([PropertyIsEqualTo("dc:identifier", expected["ozone_uuid"])]) == 1, "PropertyIsEqualTo dc:identifier")
check(count([BBox([20, 67, 21, 68])]) == expected["kiruna"], "BBOX lon/lat (no srsName)")
check(count([BBox([67, 20, 68, 21], crs="urn:ogc:def:crs:EPSG::4326")]) == expected["kiruna"], "BBOX lat/lon (EPSG::4326)")
check(count([BBox([-10, -10, 0, 0])]) == 0, "BBOX elsewhere")
check(count([PropertyIsGreaterThanOrEqualTo("apiso:TempExtent_begin", "2021-06-18")]) == expected["after"], "date >=")
check(count([Or([PropertyIsLike("dc:title", "Ozone%"), PropertyIsLike("dc:title", "Maximal%")])]) == 2, "Or")
check(count([[PropertyIsLike("csw:AnyText", "%ozone%"), BBox([20, 67, 21, 68])]]) == expected["kiruna_ozone"], "And (list)")
check(count([Not([PropertyIsLike("dc:title", "Ozone%")])]) == len(want) - 1, "Not")
c.getrecords2(cql="AnyText LIKE '%ozone%'", esn="brief")
check(c.results["matches"] == expected["ozone"], "CQL_TEXT")
c.getrecords2(sortby=None, esn="brief", maxrecords=50)
uid = expected["ozone_uuid"]
c.getrecordbyid(id=[uid], outputschema=GMD)
check(list(c.records) == [uid], "GetRecordById gmd")
c.getrecordbyid(id=[uid])
check(list(c.records) == [uid] and c.records[uid].title == want[uid], "GetRecordById csw")
c.getrecordbyid(id=[expected["hidden_uuid"]])
check(list(c.records) == [], "a non-public record is not served")
sys.exit(1 if failures else 0)
