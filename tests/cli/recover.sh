# SPDX-License-Identifier: Apache-2.0
# hemera-recover on a synthetic legacy tree (tests/cli/make_legacy_tree.py, a
# few hundred files; bench/recover runs ~10,000 files / ~1 GB): the plan is
# deterministic and writes nothing; apply ingests what is ready through the
# commit path of hemera-ingest with the legacy profile, bytes unchanged,
# findings and original names in the record; apply again changes nothing;
# --only-failed retries failures; the legacy id -> UUID mapping is injective
# and tied to the pinned namespace; kill -9 during apply, then apply,
# completes with nothing duplicated; every dataset passes hemera-verify.
# HEMERA_CRASH_KILLS sets the number of kills (default 3).
source "$HEMERA_SRC/tests/cli/lib.sh"

KILLS=${HEMERA_CRASH_KILLS:-3}
ORCID=0000-0002-1825-0097
A="$T/arch"
L="$T/legacy"
CHECK=("$PY" "$HEMERA_SRC/tests/cli/ingest_check.py")
"$PY" "$HEMERA_SRC/tests/cli/make_legacy_tree.py" "$L" --files 300 --max-kib 24 >gen.json
gen() { json_get "d['$1']" gen.json; }
tree_sha() { (cd "$L" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum && find . -printf '%p %m %s %T@\n' | LC_ALL=C sort); }
tree_sha >source.before
expect_exit 0 hemera-init --root "$A"
NS=$(sqlite3 "$A/.hemera/hemera.db" "SELECT value FROM meta WHERE key = 'legacy_namespace'")
DATB=(--source "$L/DATB" --database DATB --rules "$L/rules-datb.yaml")
jsum() { json_get "d['summary']['$1']" "$2"; }

# --- plan: deterministic in every format, writes nothing ---------------------
expect_exit 1 hemera-recover --root "$A" plan "${DATB[@]}" --json
check_json
cp "$T/out" plan1.json
expect_exit 1 hemera-recover --root "$A" plan "${DATB[@]}" --json --jobs 1
cmp -s plan1.json "$T/out" || fail "two plans (2 threads, then 1) differ"
for fmt in human csv; do
  expect_exit 1 hemera-recover --root "$A" plan "${DATB[@]}" --format "$fmt"
  cp "$T/out" "plan1.$fmt"
  expect_exit 1 hemera-recover --root "$A" plan "${DATB[@]}" --format "$fmt"
  cmp -s "plan1.$fmt" "$T/out" || fail "two $fmt plans differ"
done
[[ $(head -1 plan1.csv) == legacy_id,uuid,state,collection,path,source,name,renamed,kind,size,sha256,verdict,problems ]] ||
  fail "CSV header"
[[ $(($(wc -l <plan1.csv) - 1)) -eq $(jsum files plan1.json) ]] || fail "one CSV row per planned file"
[[ ! -s "$A/.hemera/journal" && -z $(ls "$A/DATB") ]] || fail "plan wrote to the archive"
[[ $(sqlite3 "$A/.hemera/hemera.db" "SELECT COUNT(*) FROM legacy_ids") -eq 0 ]] || fail "plan wrote mappings"

datasets=$(jsum datasets plan1.json)
ready=$(jsum ready plan1.json)
blocked=$(jsum blocked plan1.json)
[[ $datasets -eq $(gen datasets_datb) ]] || fail "$datasets datasets planned, $(gen datasets_datb) flights made"
[[ $blocked -ge 2 && $ready -ge 5 && $((ready + blocked)) -eq $datasets ]] || fail "ready $ready, blocked $blocked"
[[ $(jsum ignored plan1.json) -eq $(gen ignored) ]] || fail "the ignored .doc files"
# What the plan finds, by category.
q() { "$PY" -c "import json,sys; d=json.load(open('plan1.json')); print($1)"; }
allf='[f for ds in d["datasets"] for f in ds["files"]]'
allp='[p for ds in d["datasets"] for p in ds["problems"]]'
# (a duplicated file may be one of these: the copies count once more at most)
between() { [[ $1 -ge $2 && $1 -le $(($2 + $(gen duplicates))) ]]; }
between "$(q "sum(f['verdict']=='legacy-only' for f in $allf)")" $(($(gen na_tab) + $(gen na_vmiss))) ||
  fail "files passing only the legacy profile"
between "$(q "sum(f['verdict']=='invalid' for f in $allf)")" $(($(gen na_nlhead) + $(gen na_missing))) ||
  fail "files invalid under both profiles"
[[ $(q "sum(p['rule']=='content.duplicate' for p in $allp)") -ge $(gen duplicates) ]] || fail "duplicate content"
[[ $(q "sum(p['rule']=='name.collision' for p in $allp)") -eq $(gen collisions) ]] || fail "name collisions"
[[ $(q "sum(f['renamed'] for f in $allf)") -eq $(($(gen bad_names) + $(gen collisions))) ]] || fail "renamed files"
q "sorted({f['name'] for f in $allf if f['renamed']})" >renamed.txt
grep -q "'o3_sonde_001.na'" renamed.txt || fail "space and upper case: $(cat renamed.txt)"
grep -q "'vol_ete_002.na'" renamed.txt || fail "accents folded: $(cat renamed.txt)"
grep -q "'_-004.na'" renamed.txt || fail "leading dash: $(cat renamed.txt)"
grep -q "'data_2.na'" renamed.txt || fail "collision once lower-cased: $(cat renamed.txt)"
[[ $(q "[p['file'] for p in d['problems'] if p['rule']=='rules.unmatched']") == "['index.html']" ]] ||
  fail "the file no rule takes"
[[ $(q "sorted({ds['collection'] for ds in d['datasets']})[0]") == aeris-2012/aerosol ]] || fail "collections"
q "[ds['collection'] for ds in d['datasets'] if ds['legacy_id'].startswith('Kiruna Été 2007/')]" | grep -q "kiruna_ete_2007/" ||
  fail "an accented campaign folder makes a safe collection"
pass "plan: $datasets datasets ($ready ready, $blocked blocked), deterministic in JSON, human and CSV"

# UUID v5 of the pinned namespace and "DATB:<legacy id>", the same as hemera-uuid's.
id=$(q "d['datasets'][0]['legacy_id']")
u=$(q "d['datasets'][0]['uuid']")
expect_exit 0 hemera-uuid legacy --namespace "$NS" "DATB:$id"
[[ $(cat "$T/out") == "$u" ]] || fail "UUID of $id: $u, hemera-uuid says $(cat "$T/out")"
# The namespace is the archive's: rules written for another one are refused.
sed "1i namespace: 6ba7b810-9dad-11d1-80b4-00c04fd430c8" "$L/rules-datb.yaml" >other-ns.yaml
expect_exit 78 hemera-recover --root "$A" plan --source "$L/DATB" --database DATB --rules other-ns.yaml
expect_err "recover.namespace"
sed "1i namespace: $NS" "$L/rules-datb.yaml" >same-ns.yaml
expect_exit 1 hemera-recover --root "$A" plan --source "$L/DATB" --database DATB --rules same-ns.yaml
pass "UUID v5 of the pinned namespace; another namespace is refused (78)"

# --- apply --------------------------------------------------------------------
expect_exit 64 hemera-recover --root "$A" apply "${DATB[@]}"
expect_exit 64 hemera-recover --root "$A" apply "${DATB[@]}" --on-behalf-of 0000-0002-1825-0098
expect_err "--on-behalf-of"
expect_exit 65 hemera-recover --root "$A" apply "${DATB[@]}" --on-behalf-of "$ORCID" --json
check_json
cp "$T/out" apply1.json
[[ $(json_get "d['created']" apply1.json) -eq $ready && $(json_get "d['failed']" apply1.json) -eq $blocked &&
   $(json_get "d['skipped']" apply1.json) -eq 0 ]] || fail "first apply: $(head -c 300 apply1.json)"
[[ $(json_get "d['bytes']" apply1.json) -eq $(q "sum(ds['bytes'] for ds in d['datasets'] if ds['state']=='ready')") ]] ||
  fail "bytes of the created datasets"
"${CHECK[@]}" "$A" --no-staging --records "$HEMERA_SRC/schemas/record.schema.json" >check.out ||
  { cat check.out; fail "archive invariants after apply"; }
expect_exit 0 hemera-verify --root "$A" --no-alert
[[ $(wc -l <"$A/.hemera/journal") -eq $ready ]] || fail "one journal event per created dataset"
grep -q "\"action\":\"recover.apply\".*on behalf of $ORCID" "$A/.hemera/audit.log" || fail "apply is audited with the ORCID"
tree_sha >source.after
cmp -s source.before source.after || fail "the legacy tree changed"
# Bytes unchanged: every stored file hashes as its legacy original.
"$PY" - "$A" plan1.json <<'EOF' || fail "stored bytes differ from the legacy files"
import hashlib, json, sys, pathlib
root, plan = pathlib.Path(sys.argv[1]), json.load(open(sys.argv[2]))
n = 0
for ds in plan["datasets"]:
    if ds["state"] != "ready":
        continue
    for f in ds["files"]:
        got = hashlib.sha256((root / ds["path"] / "v1" / f["name"]).read_bytes()).hexdigest()
        assert got == f["sha256"], (ds["path"], f["name"])
        n += 1
print(n, "files identical")
EOF
# The record: original names, quality flags, what a person must complete.
"$PY" - "$A" plan1.json <<'EOF' || fail "recovery section of the records"
import json, sys, pathlib
root, plan = pathlib.Path(sys.argv[1]), json.load(open(sys.argv[2]))
flags = renamed = 0
for ds in plan["datasets"]:
    if ds["state"] != "ready":
        continue
    rec = json.load(open(root / ds["path"] / "metadata.json"))
    r = rec["recovery"]
    assert r["legacyIdentifier"] == ds["legacy_id"] and r["database"] == "DATB", r
    assert r["onBehalfOf"] == "0000-0002-1825-0097" and r["profile"] == "legacy"
    assert [(f["name"], f["original"]) for f in r["files"]] == [(f["name"], f["source"]) for f in ds["files"]]
    renamed += sum(f["renamed"] for f in r["files"])
    legacy_only = {f["source"] for f in ds["files"] if f["verdict"] == "legacy-only"}
    flagged = {q["file"] for q in r["qualityFlags"]}
    assert legacy_only <= flagged, (legacy_only, flagged)
    assert all(q["severity"] != "error" for q in r["qualityFlags"])
    flags += len(r["qualityFlags"])
    form = ds["form"] is not None
    assert ("resourceTitle" in r["toComplete"]) == (not form), (ds["legacy_id"], r["toComplete"])
    assert "resourceAbstract" in r["toComplete"]
    if form:
        assert rec["resourceTitle"]["en"].startswith("STRATO 2004")
print(flags, "quality flags,", renamed, "renamed files")
EOF
pass "apply: $ready created, $blocked failed; bytes and legacy tree unchanged; verified; records complete"

# --- apply again: nothing changes ---------------------------------------------
journal=$(sha256sum <"$A/.hemera/journal")
expect_exit 65 hemera-recover --root "$A" apply "${DATB[@]}" --on-behalf-of "$ORCID" --json
check_json
[[ $(json_get "d['created']" ) -eq 0 && $(json_get "d['skipped']") -eq $ready && $(json_get "d['failed']") -eq $blocked ]] ||
  fail "second apply: $(head -c 300 "$T/out")"
[[ $(sha256sum <"$A/.hemera/journal") == "$journal" ]] || fail "the second apply changed the journal"
expect_exit 1 hemera-recover --root "$A" plan "${DATB[@]}" --json
check_json
[[ $(jsum in_archive "$T/out") -eq $ready ]] || fail "plan after apply: in the archive"
pass "apply again changes nothing; the plan shows what is in"

# --- --only-failed after fixing one file in the legacy tree --------------------
bad=$(q "[f['source'] for ds in d['datasets'] for f in ds['files'] if f['verdict']=='invalid' and f['name'].startswith('o3_003')][0]")
sed -i '1s/^19 1001/18 1001/' "$L/DATB/$bad"
expect_exit 65 hemera-recover --root "$A" apply "${DATB[@]}" --on-behalf-of "$ORCID" --only-failed --json
check_json
[[ $(json_get "d['created']") -eq 1 && $(json_get "d['failed']") -eq $((blocked - 1)) ]] ||
  fail "--only-failed: $(head -c 400 "$T/out")"
[[ $(json_get "d['skipped']") -eq $ready ]] || fail "--only-failed skips what is not failed"
expect_exit 0 hemera-verify --root "$A" --no-alert
pass "--only-failed retries the failures; the fixed dataset is created"

# --- the mapping is injective ----------------------------------------------------
sql() { sqlite3 "$A/.hemera/hemera.db" "$1"; }
# (every dataset that reached the ingestion gate is mapped, refused or not)
[[ $(sql "SELECT COUNT(*), COUNT(DISTINCT uuid), COUNT(DISTINCT legacy_id) FROM legacy_ids") == "$datasets|$datasets|$datasets" ]] ||
  fail "mapping rows: $(sql 'SELECT COUNT(*), COUNT(DISTINCT uuid), COUNT(DISTINCT legacy_id) FROM legacy_ids')"
[[ $(sql "SELECT COUNT(*) FROM legacy_ids JOIN datasets USING (uuid)") -eq $((ready + 1)) ]] || fail "mapped datasets"
[[ $(sql "SELECT COUNT(*) FROM legacy_ids WHERE namespace <> '$NS'") -eq 0 ]] || fail "mapping namespace"
# A second legacy id on a UUID already mapped, and one legacy id on another UUID.
victim=$(q "[ds for ds in d['datasets'] if ds['state']=='blocked'][-1]['uuid']")
victim_id=$(q "[ds for ds in d['datasets'] if ds['state']=='blocked'][-1]['legacy_id']")
# The table itself refuses both (UNIQUE uuid, PRIMARY KEY legacy id)...
! sql "INSERT INTO legacy_ids VALUES ('DATB', 'intruder/F999', '$victim', '$NS', 'x', 'now')" 2>/dev/null ||
  fail "the table accepts a second legacy id on a UUID"
! sql "INSERT INTO legacy_ids VALUES ('DATB', '$victim_id', '00000000-0000-5000-8000-000000000000', '$NS', 'x', 'now')" 2>/dev/null ||
  fail "the table accepts a second UUID for a legacy id"
# ...and so does the plan, when a row was made another way.
sql "DELETE FROM legacy_ids WHERE uuid = '$victim'"
sql "INSERT INTO legacy_ids VALUES ('DATB', 'intruder/F999', '$victim', '$NS', 'x', 'now')"
expect_exit 1 hemera-recover --root "$A" plan "${DATB[@]}" --json
check_json
json_get "[p['message'] for ds in d['datasets'] if ds['uuid']=='$victim' for p in ds['problems'] if p['rule']=='mapping.injective']" |
  grep -q "already the legacy identifier 'DATB:intruder/F999'" || fail "a second legacy id on one UUID"
sql "DELETE FROM legacy_ids WHERE legacy_id = 'intruder/F999'"
sql "INSERT INTO legacy_ids VALUES ('DATB', '$victim_id', '00000000-0000-5000-8000-000000000000', '$NS', 'x', 'now')"
expect_exit 1 hemera-recover --root "$A" plan "${DATB[@]}" --json
json_get "[p['message'] for ds in d['datasets'] if ds['uuid']=='$victim' for p in ds['problems'] if p['rule']=='mapping.injective']" |
  grep -q "already mapped to 00000000-0000-5000-8000-000000000000" || fail "one legacy id on two UUIDs"
sql "UPDATE legacy_ids SET namespace = '6ba7b810-9dad-11d1-80b4-00c04fd430c8' WHERE legacy_id = '$victim_id'"
expect_exit 78 hemera-recover --root "$A" plan "${DATB[@]}"
expect_err "recover.namespace"
sql "DELETE FROM legacy_ids WHERE legacy_id = '$victim_id'"
pass "the mapping refuses a second id on a UUID, a second UUID for an id, another namespace"

# --- unreadable files and folders (as a user who is not root: root reads all) ---
mkdir -p "$T/nb/legacy/c/i/f1" "$T/nb/legacy/c/i/f2/locked"
cp "$(find "$L/DATB" -name 'o3_*_03.na' | head -1)" "$T/nb/legacy/c/i/f1/a.na"
cp "$T/nb/legacy/c/i/f1/a.na" "$T/nb/legacy/c/i/f2/b.na"
cp "$T/nb/legacy/c/i/f1/a.na" "$T/nb/legacy/c/i/f2/secret.na"
chmod 000 "$T/nb/legacy/c/i/f2/secret.na" "$T/nb/legacy/c/i/f2/locked"
printf 'rules:\n  - match: "^(?<c>[^/]+)/(?<i>[^/]+)/(?<f>[^/]+)/"\n    dataset: regex\n    id: "{c}/{i}/{f}"\n' >"$T/nb/rules.yaml"
chown -R 65534:65534 "$T/nb"
chown 0:0 "$T/nb/legacy/c/i/f2/secret.na" "$T/nb/legacy/c/i/f2/locked"
(cd "$T/nb" && expect_exit 0 as_nobody env HOME=/ hemera-init --root "$T/nb/arch")
(cd "$T/nb" && run as_nobody env HOME=/ hemera-recover --root "$T/nb/arch" --json plan --source "$T/nb/legacy" \
   --database DATB --rules "$T/nb/rules.yaml"; [[ $rc -eq 1 ]] || { cat "$T/err"; fail "plan with unreadable files: exit $rc"; })
check_json
json_get "[(p['file'], p['rule']) for p in d['problems']] + [(p['file'], p['rule']) for ds in d['datasets'] for p in ds['problems']]" >unreadable.txt
grep -q "('c/i/f2/locked', 'file.unreadable')" unreadable.txt || fail "unreadable folder: $(cat unreadable.txt)"
grep -q "('c/i/f2/secret.na', 'file.unreadable')" unreadable.txt || fail "unreadable file: $(cat unreadable.txt)"
[[ $(json_get "[ds['state'] for ds in d['datasets']]") == "['ready', 'blocked']" ]] || fail "the dataset with an unreadable file is blocked"
# apply is privileged: root holds no role in nobody's archive.
if [[ $(id -u) -eq 0 ]]; then
  expect_exit 77 hemera-recover --root "$T/nb/arch" apply --source "$T/nb/legacy" --database DATB \
    --rules "$T/nb/rules.yaml" --on-behalf-of "$ORCID"
  expect_err "recover.apply"
  grep -q '"action":"recover.apply".*"allowed":false' "$T/nb/arch/.hemera/audit.log" || fail "the denial is audited"
  [[ -z $(ls "$T/nb/arch/DATB") ]] || fail "a denied apply wrote to the archive"
fi
pass "unreadable files and folders are reported; their dataset is blocked; apply needs the role (77)"

# --- DASB: FITS, identifiers from header keywords --------------------------------
DASB=(--source "$L/DASB" --database DASB --rules "$L/rules-dasb.yaml")
expect_exit 1 hemera-recover --root "$A" plan "${DASB[@]}" --json
check_json
cp "$T/out" dasb.json
[[ $(jsum datasets dasb.json) -eq $(gen datasets_dasb) ]] || fail "DASB datasets"
json_get "[ds['legacy_id'] for ds in d['datasets']]" dasb.json | grep -q "single/SINGLE0/2019-10-01" ||
  fail "identifier from header keywords"
expect_exit 1 hemera-recover --root "$A" plan --source "$L/DASB" --database DATB --rules "$L/rules-dasb.yaml" --json
json_get "[p['rule'] for ds in d['datasets'] for p in ds['problems']]" | grep -q route.database ||
  fail "FITS files planned into DATB"
expect_exit 65 hemera-recover --root "$A" apply "${DASB[@]}" --on-behalf-of "$ORCID" --json
check_json
[[ $(json_get "d['created']") -eq $(jsum ready dasb.json) && $(json_get "d['failed']") -eq $(jsum blocked dasb.json) ]] ||
  fail "DASB apply"
[[ -n $(ls "$A/DASB/pilot2019/singles") ]] || fail "DASB datasets in place"
expect_exit 0 hemera-verify --root "$A" --no-alert
pass "DASB: $(jsum ready dasb.json) FITS datasets, identifiers from headers"

# --- kill -9 during apply, then apply: complete, nothing duplicated ----------------
B="$T/arch-b"
expect_exit 0 hemera-init --root "$B"
# A crash right after a commit point: the next run completes that commit.
HEMERA_CRASH_AT=after-rename expect_exit 137 hemera-recover --root "$B" -q apply "${DATB[@]}" --on-behalf-of "$ORCID" --jobs 1
[[ -n $(ls "$B/.hemera/staging") ]] || fail "the crash left no staging to complete"
landed=0
for k in $(seq 1 "$KILLS"); do
  hemera-recover --root "$B" -q apply "${DATB[@]}" --on-behalf-of "$ORCID" >/dev/null 2>&1 &
  pid=$!
  # Let a few datasets (k of them) commit, then kill in the middle of the next.
  for _ in $(seq 1 400); do
    [[ $(wc -l <"$B/.hemera/journal" 2>/dev/null || echo 0) -ge $((k * 2)) ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  sleep "0.0$((RANDOM % 10))"
  if kill -9 "$pid" 2>/dev/null; then landed=$((landed + 1)); fi
  wait "$pid" 2>/dev/null || true
done
expect_exit 65 hemera-recover --root "$B" apply "${DATB[@]}" --on-behalf-of "$ORCID" --json
check_json
n=$(find "$B/DATB" -mindepth 3 -maxdepth 3 -type d | wc -l)
[[ $n -eq $((ready + 1)) ]] || fail "after kills: $n datasets, $((ready + 1)) expected"
[[ $(wc -l <"$B/.hemera/journal") -eq $((ready + 1)) ]] || fail "after kills: one journal event per dataset"
[[ $(sqlite3 "$B/.hemera/hemera.db" "SELECT COUNT(*) FROM datasets") -eq $((ready + 1)) ]] || fail "dataset rows"
"${CHECK[@]}" "$B" --no-staging >check.out || { cat check.out; fail "invariants after kill -9"; }
expect_exit 0 hemera-verify --root "$B" --no-alert
[[ $landed -ge 1 ]] || fail "no kill landed while apply ran"
[[ -z $(ls "$B/.hemera/staging") ]] || fail "staging left after the last apply"
pass "kill -9 during apply ($landed of $KILLS landed, and a crash after a commit point), then apply: $((ready + 1)) datasets, none twice, verified"
