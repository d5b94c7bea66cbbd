# SPDX-License-Identifier: Apache-2.0
"""Independent checks of hemera-convert's outputs for one NASA Ames file.

An independent reader walks the data section record by record (a record
starts a line and runs over as many lines as it needs; text after its last
value is ignored), builds the expected rows (physical values, None when
missing) in the documented column order, then compares them with:
  csv  FILE.csv        the CSV written (header row, then one row per datum)
  nc   FILE.nc         the netCDF written, read back through ncdump
The header numbers (FFI, scale factors, missing values, axes, DX) come from
hemera-convert's JSON header; where the data start, from hemera-validate.
Usage: convert_check.py NA_FILE VALIDATE_JSON HEADER_JSON (csv|nc) OUTPUT
"""
import csv
import json
import re
import subprocess
import sys

na_path, validate_json, header_json, mode, out_path = sys.argv[1:6]
details = json.load(open(validate_json))["files"][0]["details"]
h = json.load(open(header_json))["header"]
ffi = h["ffi"]
V, A = h["variables"], h["auxiliary"]
nv = len(V)
lines = open(na_path, "rb").read().decode("ascii").splitlines()
pos = details["preamble_lines"] + details["header_lines"]


def numbers(n):
    """Read one record of n numbers starting on a fresh line."""
    global pos
    out = []
    while len(out) < n:
        if pos >= len(lines):
            raise SystemExit(f"{na_path}: data end inside a record")
        toks = lines[pos].split()
        pos += 1
        for t in toks:
            if len(out) == n:
                break
            out.append(float(t))
    return out


def phys(v, var):
    return None if v == var["missing"] else v * var["scale"]


def axis(k, i):
    ax = h["axes"][k]
    listed = ax["listed"]
    if i < len(listed):
        return listed[i]
    return listed[-1] + (i - (len(listed) - 1)) * h["dx"][k]


rows, marks = [], []  # marks: (x, aux physical list, nx records)
nreal = sum(1 for a in A if "length" not in a)
nauxc = len(A) - nreal
while pos < len(lines) and lines[pos].strip():
    if ffi == 2160:
        x = lines[pos]
        pos += 1
        aux = numbers(nreal)
        texts = lines[pos:pos + nauxc]
        pos += nauxc
    else:
        first = numbers(1 + (nv if ffi == 1001 else len(A)))
        x, aux, texts = first[0], first[1:] if ffi != 1001 else [], []
    auxp = [phys(a, A[i]) for i, a in enumerate(aux)]
    base = [x] + auxp + texts
    nx = 0
    if ffi == 1001:
        rows.append([x] + [phys(v, V[n]) for n, v in enumerate(first[1:])])
    elif ffi == 1010:
        vals = numbers(nv)
        rows.append(base + [phys(v, V[n]) for n, v in enumerate(vals)])
    elif ffi == 1020:
        recs = [numbers(h["nvpm"]) for _ in range(nv)]
        for i in range(h["nvpm"]):
            rows.append([x + i * h["dx"][0]] + auxp + [phys(recs[n][i], V[n]) for n in range(nv)])
    elif ffi in (2110, 2160):
        nx = 0 if aux[0] == A[0]["missing"] else int(aux[0])
        for _ in range(nx):
            r = numbers(nv + 1)
            rows.append(base + [r[0]] + [phys(v, V[n]) for n, v in enumerate(r[1:])])
    elif ffi == 2310:
        nx = 0 if aux[0] == A[0]["missing"] else int(aux[0])
        if nx:
            recs = [numbers(nx) for _ in range(nv)]
            for i in range(nx):
                rows.append(base + [aux[1] + i * aux[2]] + [phys(recs[n][i], V[n]) for n in range(nv)])
    else:  # 2010, 3010, 4010
        dims = [ax["nx"] for ax in h["axes"]]  # X1, X2, X3
        nx1 = dims[0]
        inner = 1
        for d in dims[1:]:
            inner *= d
        recs = [[numbers(nx1) for _ in range(inner)] for _ in range(nv)]
        nx2 = dims[1] if len(dims) > 1 else 1
        nx3 = dims[2] if len(dims) > 2 else 1
        for k in range(nx3):
            for j in range(nx2):
                for i in range(nx1):
                    xs = []
                    if ffi == 4010:
                        xs.append(axis(2, k))
                    if ffi in (3010, 4010):
                        xs.append(axis(1, j))
                    xs.append(axis(0, i))
                    rows.append(base + xs + [phys(recs[n][k * nx2 + j][i], V[n]) for n in range(nv)])
    marks.append((x, auxp, nx))

if not rows:
    raise SystemExit(f"{na_path}: the independent reader found no data")


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b or abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


if mode == "csv":
    with open(out_path, newline="") as f:
        data = [r for r in csv.reader(f) if r and not r[0].startswith("#")]
    head, body = data[0], data[1:]
    if len(body) != len(rows):
        raise SystemExit(f"{out_path}: {len(body)} rows, the reader has {len(rows)}")
    for ri, (got, want) in enumerate(zip(body, rows)):
        if len(got) != len(want) or len(head) != len(want):
            raise SystemExit(f"{out_path}: row {ri + 1} has {len(got)} fields, expected {len(want)}")
        for ci, (g, w) in enumerate(zip(got, want)):
            if isinstance(w, str):
                ok = g.strip() == w.strip()
            else:
                ok = same(None if g == "" else float(g), w)
            if not ok:
                raise SystemExit(f"{out_path}: row {ri + 1} column {head[ci]!r}: {g!r}, expected {w!r}")
    print(f"csv ok: {len(rows)} rows x {len(rows[0])} columns")
    sys.exit(0)

# netCDF: the header (CF attributes) and the data through ncdump.
hdr = subprocess.run(["ncdump", "-h", out_path], capture_output=True, text=True, check=True).stdout
if ':Conventions = "CF-1.8"' not in hdr:
    raise SystemExit(f"{out_path}: no Conventions = CF-1.8")
for key in ("originator", "institution", "source", "mission", "nasa_ames_date"):
    if f":{key} = " not in hdr:
        raise SystemExit(f"{out_path}: no global attribute {key}")
decl = re.findall(r"^\t(\w+) (\w+)\((.*?)\) ;$", hdr, re.M)
attrs = {}
for var, key, val in re.findall(r"^\t\t(\w+):(\w+) = (.*) ;$", hdr, re.M):
    attrs.setdefault(var, {})[key] = val
numeric = [name for typ, name, _ in decl if typ != "char"]
for typ, name, _ in decl:
    a = attrs.get(name, {})
    if a.get("nasa_ames_role") == '"primary"' and "_FillValue" not in a:
        raise SystemExit(f"{out_path}: primary variable {name} has no _FillValue")
    if "long_name" not in a:
        raise SystemExit(f"{out_path}: {name} has no long_name")
    nm = a.get("nasa_ames_name", '""')[1:-1]
    if "(" in nm and nm.rstrip().endswith(")") and "units" not in a:
        raise SystemExit(f"{out_path}: {name} ({nm}) has no units")
dump = subprocess.run(["ncdump", "-p", "17,17", "-v", ",".join(numeric), out_path],
                      capture_output=True, text=True, check=True).stdout
section = dump.split("\ndata:\n", 1)[1]
values = {}
for name, body in re.findall(r"^ (\w+) =\s*(.*?) ;$", section, re.M | re.S):
    values[name] = [None if t.strip() == "_" else float(t) for t in body.replace("\n", " ").split(",")]
ncol_x = 1 + len(A)
primaries = [n for _, n, _ in decl if attrs.get(n, {}).get("nasa_ames_role") == '"primary"']
if len(primaries) != nv:
    raise SystemExit(f"{out_path}: {len(primaries)} primary variables, expected {nv}")
first_v = len(rows[0]) - nv
checked = 0
for k, name in enumerate(primaries):
    got, want = values.get(name, []), [r[first_v + k] for r in rows]
    if len(got) != len(want):
        raise SystemExit(f"{out_path}: {name} has {len(got)} values, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        if not same(g, w):
            raise SystemExit(f"{out_path}: {name}[{i}] = {g!r}, expected {w!r}")
    checked += len(got)
real_aux = [n for typ, n, _ in decl if typ != "char" and attrs.get(n, {}).get("nasa_ames_role") == '"auxiliary"']
for k, name in enumerate(real_aux):
    got = values.get(name, [])
    if "sample_dimension" in attrs.get(name, {}):
        want = [m[2] for m in marks]
    else:
        want = [m[1][k] for m in marks]
    if len(got) != len(want) or not all(same(g, w) for g, w in zip(got, want)):
        raise SystemExit(f"{out_path}: auxiliary {name}: {got[:5]}..., expected {want[:5]}...")
    checked += len(got)
if ffi != 2160:
    mark_var = decl[0][1]
    want = [m[0] for m in marks] if ffi != 1020 else [r[0] for r in rows]
    got = values.get(mark_var, [])
    if len(got) != len(want) or not all(same(g, w) for g, w in zip(got, want)):
        raise SystemExit(f"{out_path}: marks {mark_var}: {got[:5]}..., expected {want[:5]}...")
    checked += len(got)
print(f"netcdf ok: {checked} values")
