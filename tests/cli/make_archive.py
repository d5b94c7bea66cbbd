# SPDX-License-Identifier: Apache-2.0
"""Lay out a dataset version exactly as DESIGN.md describes, by hand.

Used by the verification tests and bench/verify to build archives of any
size quickly (hemera-ingest validates every file, which these tests do not
need): the files of SRC_DIR become <root>/<area>/<collection>/<uuid>/v<N>/
(read-only), with manifest-sha256.txt, a record revision metadata/NNNN.json,
metadata.json, and one journal event (sequence number and CRC-32 framing).

usage: make_archive.py ROOT AREA COLLECTION UUID SRC_DIR [--actor NAME]
"""
import hashlib
import json
import os
import shutil
import sys
import time
import zlib


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def last_seq(journal):
    seq = 0
    if os.path.exists(journal):
        with open(journal, "rb") as f:
            for line in f:
                if line.strip():
                    seq = int(line.split(b" ", 1)[0])
    return seq


def append_event(journal, event):
    event["seq"] = last_seq(journal) + 1
    body = "%d %s" % (event["seq"], json.dumps(event, separators=(",", ":")))
    crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
    seq, rest = body.split(" ", 1)
    with open(journal, "a") as f:
        f.write("%s %08x %s\n" % (seq, crc, rest))


def main(argv):
    root, area, collection, uuid, src = argv[:5]
    actor = "root"
    if "--actor" in argv:
        actor = argv[argv.index("--actor") + 1]
    ddir = os.path.join(root, area, collection, uuid)
    os.makedirs(os.path.join(ddir, "metadata"), exist_ok=True)
    n = 1
    while os.path.exists(os.path.join(ddir, "v%d" % n)):
        n += 1
    vdir = os.path.join(ddir, "v%d" % n)
    os.makedirs(vdir)
    files = []
    lines = []
    for name in sorted(os.listdir(src)):
        s = os.path.join(src, name)
        if not os.path.isfile(s):
            continue
        d = os.path.join(vdir, name)
        shutil.copyfile(s, d)
        os.chmod(d, 0o444)
        digest = sha256_file(d)
        files.append({"path": name, "size": os.path.getsize(d), "sha256": digest})
        lines.append("%s  %s\n" % (digest, name))
    manifest = os.path.join(vdir, "manifest-sha256.txt")
    with open(manifest, "w") as f:
        f.write("".join(lines))
    os.chmod(manifest, 0o444)
    rev = 1
    while os.path.exists(os.path.join(ddir, "metadata", "%04d.json" % rev)):
        rev += 1
    record = json.dumps({"id": uuid, "identifier": uuid,
                         "versions": [{"version": v} for v in range(1, n + 1)]}, indent=2) + "\n"
    rpath = os.path.join(ddir, "metadata", "%04d.json" % rev)
    with open(rpath, "w") as f:
        f.write(record)
    os.chmod(rpath, 0o444)
    with open(os.path.join(ddir, "metadata.json"), "w") as f:
        f.write(record)
    event = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "actor": actor,
        "kind": "dataset.new" if n == 1 else "version.new",
        "dataset": uuid,
        "path": "%s/%s/%s" % (area, collection, uuid),
        "version": n,
        "files": files,
        "manifest_sha256": sha256_file(manifest),
        "record_revision": rev,
        "record_sha256": hashlib.sha256(record.encode()).hexdigest(),
        "commit": "test-%s-v%d" % (uuid, n),
    }
    append_event(os.path.join(root, ".hemera", "journal"), event)


if __name__ == "__main__":
    main(sys.argv[1:])
