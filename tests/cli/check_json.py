#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Validate a hemera JSON document against the schema its "schema" field names.

Usage: check_json.py SCHEMA_DIR FILE
"hemera.uuid/1" is checked against SCHEMA_DIR/hemera.uuid.v1.schema.json.
"""
import json
import pathlib
import sys

import jsonschema


def main() -> int:
    schema_dir = pathlib.Path(sys.argv[1])
    doc = json.loads(pathlib.Path(sys.argv[2]).read_text())
    name = doc.get("schema")
    if not isinstance(name, str) or "/" not in name:
        print(f"{sys.argv[2]}: no \"schema\" field", file=sys.stderr)
        return 1
    base, major = name.split("/", 1)
    path = schema_dir / f"{base}.v{major}.schema.json"
    if not path.exists():
        print(f"{sys.argv[2]}: no schema file {path} for {name}", file=sys.stderr)
        return 1
    schema = json.loads(path.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"{sys.argv[2]}: {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
