#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Check an archive's invariants after ingests (and crashes).

Usage: ingest_check.py ROOT [--no-staging] [--records SCHEMA]

- the journal parses: "<seq> <crc32> <json>" lines, CRC-32 of "<seq> <json>",
  sequence numbers 1..N without gaps (a torn last line is reported);
- every committed version (every v<N>/ in the tree) matches its manifest, has
  exactly one journal event, and the journal names no version that is absent;
- no dataset is half-present: each dataset directory has metadata.json equal
  to its newest metadata/NNNN.json, v1/, and versions 1..N without gaps;
- with --no-staging: .hemera/staging/ is empty;
- with --records SCHEMA: every metadata.json and revision validates against
  the record schema, with id == identifier == the directory's UUID.
Prints a one-line summary; exits 1 with the problems otherwise.
"""
import hashlib
import json
import os
import pathlib
import re
import sys
import zlib

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    root = pathlib.Path(sys.argv[1])
    args = sys.argv[2:]
    problems = []
    events = []
    journal = root / ".hemera" / "journal"
    data = journal.read_bytes() if journal.exists() else b""
    lines = data.split(b"\n")
    tail = lines.pop()  # bytes after the last newline
    if tail:
        problems.append(f"journal: torn tail of {len(tail)} bytes")
    for n, raw in enumerate(lines, 1):
        line = raw.decode("ascii", "replace")
        m = re.match(r"^([1-9][0-9]*) ([0-9a-f]{8}) (\{.*\})$", line)
        if not m:
            problems.append(f"journal:{n}: malformed line")
            continue
        seq, crc, body = int(m.group(1)), int(m.group(2), 16), m.group(3)
        if zlib.crc32(f"{seq} {body}".encode()) != crc:
            problems.append(f"journal:{n}: CRC mismatch")
            continue
        ev = json.loads(body)
        if ev.get("seq") != seq or seq != len(events) + 1:
            problems.append(f"journal:{n}: sequence {seq} after {len(events)}")
        events.append(ev)

    journaled = {}
    for ev in events:
        if ev["kind"] in ("dataset.new", "version.new"):
            key = (ev["dataset"], ev["version"])
            if key in journaled:
                problems.append(f"journal: {key} journaled twice")
            journaled[key] = ev

    schema = None
    if "--records" in args:
        import jsonschema
        schema = jsonschema.Draft202012Validator(
            json.loads(pathlib.Path(args[args.index("--records") + 1]).read_text()))

    seen = set()
    datasets = 0
    for base in ("DATB", "DASB"):
        for dirpath, dirnames, _ in os.walk(root / base):
            d = pathlib.Path(dirpath)
            if not UUID.match(d.name):
                continue
            dirnames[:] = []
            datasets += 1
            uuid = d.name
            versions = sorted(int(p.name[1:]) for p in d.iterdir()
                              if p.is_dir() and re.match(r"^v[1-9][0-9]*$", p.name))
            if versions != list(range(1, len(versions) + 1)) or not versions:
                problems.append(f"{d}: versions {versions} (half-present dataset)")
            revisions = sorted((d / "metadata").glob("[0-9][0-9][0-9][0-9].json"))
            if not (d / "metadata.json").exists() or not revisions:
                problems.append(f"{d}: no record (half-present dataset)")
            elif (d / "metadata.json").read_bytes() != revisions[-1].read_bytes():
                problems.append(f"{d}: metadata.json is not the newest revision")
            else:
                record = json.loads((d / "metadata.json").read_text())
                listed = [v["version"] for v in record.get("versions", [])]
                if listed != versions:
                    problems.append(f"{d}: record lists versions {listed}, tree has {versions}")
                if schema is not None:
                    for rev in revisions + [d / "metadata.json"]:
                        doc = json.loads(rev.read_text())
                        for e in schema.iter_errors(doc):
                            problems.append(f"{rev}: {e.json_path}: {e.message[:160]}")
                        if doc.get("id") != uuid or doc.get("identifier") != uuid:
                            problems.append(f"{rev}: id/identifier is not {uuid}")
            for v in versions:
                vdir = d / f"v{v}"
                seen.add((uuid, v))
                manifest = vdir / "manifest-sha256.txt"
                if not manifest.exists():
                    problems.append(f"{vdir}: no manifest")
                    continue
                listed = {}
                for ml in manifest.read_text().splitlines():
                    digest, name = ml.split("  ", 1)
                    listed[name] = digest
                present = {p.name for p in vdir.iterdir()} - {"manifest-sha256.txt"}
                if set(listed) != present:
                    problems.append(f"{vdir}: files {sorted(present)} != manifest {sorted(listed)}")
                for name, digest in listed.items():
                    if (vdir / name).exists() and sha256(vdir / name) != digest:
                        problems.append(f"{vdir / name}: does not match its manifest")
                ev = journaled.get((uuid, v))
                if ev is None:
                    problems.append(f"{vdir}: committed but not journaled")
                elif {f["path"]: f["sha256"] for f in ev["files"]} != listed:
                    problems.append(f"{vdir}: journal event differs from the manifest")
    for key in journaled:
        if key not in seen:
            problems.append(f"journal names {key}, absent from the tree")
    staging = root / ".hemera" / "staging"
    if "--no-staging" in args and staging.exists() and any(staging.iterdir()):
        problems.append(f"staging not empty: {sorted(p.name for p in staging.iterdir())}")
    for p in problems:
        print(f"ingest_check: {p}", file=sys.stderr)
    print(f"ingest_check: {datasets} datasets, {len(seen)} versions, {len(events)} journal events, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
