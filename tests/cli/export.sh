#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-export: partner converters from the configuration (filters by
# collection, database, keyword, status and embargo; schemas; extra keywords,
# keyword mapping, point of contact, landing-page base), usage and data errors.
source "$HEMERA_SRC/tests/cli/lib.sh"

EX="$HEMERA_SRC/examples"
cat >hemera.yaml <<YAML
root: $T/A
catalogue_url: https://cat.example.org
doi: {publisher: "AERIS/ESPRI"}
partners:
  default: {}
  sedoo:
    collections: [strato2021]
    extra_keywords: [SEDOO harvest]
    keyword_map: {ozone: "Ozone (GCMD)"}
    point_of_contact: {organisation: Partner desk, email: desk@partner.example.org}
    landing_page_base: https://landing.example.org/
    schemas: [iso19139]
  astro:
    databases: [DASB]
    include_non_public: true
  embargo:
    include_embargoed: true
    keywords: [embargoed-one]
YAML
export HEMERA_CONFIG=$T/hemera.yaml
cat >emb.yaml <<'YAML'
resourceTitle: {en: "Under embargo"}
status: Public
keywords: [{concept: embargoed-one}]
distributionInformation: {embargoEnd: "2999-01-01"}
YAML

expect_exit 0 hemera-init -q
expect_exit 0 hemera-ingest --json --collection strato2021/o3sonde --form "$EX/datb/form.yaml" \
  "$EX/datb/o3_20210618_kiruna.na" "$EX/datb/gps_20210618_kiruna.nmea"
U1=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection sky/pilot --form "$EX/dasb/form.json" "$EX/dasb/pilot_crab_20220712.fits"
U2=$(json_get 'd["uuid"]')
expect_exit 0 hemera-ingest --json --collection other/emb --form emb.yaml "$EX/datb/o3_20210618_kiruna.na"
U3=$(json_get 'd["uuid"]')

count() { json_get 'len(d["records"])'; }
expect_exit 0 hemera-export --json --all -o d1
check_json
[[ $(count) == 1 ]] || fail "default partner: only the public, non-embargoed record ($(count))"
[[ -f d1/$U1.iso19139.xml ]] || fail "file name"
expect_exit 0 hemera-export --json --partner astro --all -o d2
[[ $(count) == 1 && $(json_get 'd["records"][0]["uuid"]') == "$U2" ]] || fail "astro: the DASB record (not public)"
expect_exit 0 hemera-export --json --partner embargo --all -o d3
[[ $(count) == 1 && $(json_get 'd["records"][0]["uuid"]') == "$U3" ]] || fail "embargo partner: the embargoed record"
expect_exit 0 hemera-export --json --partner sedoo --all -o d4
[[ $(count) == 1 ]] || fail "sedoo: one record in strato2021"
pass "partner filters: status, embargo, database, collection, keyword"

f=d4/$U1.iso19139.xml
grep -q '<gco:CharacterString>SEDOO harvest</gco:CharacterString>' "$f" || fail "extra keyword"
grep -q '<gco:CharacterString>Ozone (GCMD)</gco:CharacterString>' "$f" || fail "keyword mapping"
grep -q 'desk@partner.example.org' "$f" || fail "partner point of contact"
grep -q "<gmd:URL>https://landing.example.org/$U1</gmd:URL>" "$f" || fail "landing page base"
grep -q "<gmd:URL>https://cat.example.org/$U1</gmd:URL>" d1/$U1.iso19139.xml || fail "default landing page"
pass "partner overrides"

expect_exit 64 hemera-export --partner sedoo --format dc "$U1"
expect_err "does not take dc"
expect_exit 64 hemera-export --partner nobody "$U1"
expect_err "no partner 'nobody'"
expect_exit 64 hemera-export
expect_exit 64 hemera-export --all
expect_exit 64 hemera-export --format marc "$U1"
expect_exit 66 hemera-export 00000000-0000-4000-8000-000000000000
expect_exit 78 hemera-export --format datacite "$U1"
expect_err "doi.prefix"
# A record the partner would not receive is still exported when named, with a warning.
expect_exit 0 hemera-export --format dc "$U3"
expect_err "not served to partner default"
expect_out "<dc:title>Under embargo</dc:title>"
expect_exit 0 hemera-export --format json "$U1"
[[ $(json_get 'd["id"]') == "$U1" ]] || fail "json format"
printf 'partners:\n  x: {include_embargoed: maybe}\n' >bad.yaml
expect_exit 78 hemera-export --config bad.yaml "$U1"
printf 'partners:\n  x: {max_records: 0}\n' >bad2.yaml
expect_exit 78 hemera-export --config bad2.yaml --partner x "$U1"
expect_err "max_records"
pass "usage, missing input and configuration errors"
