# SPDX-License-Identifier: Apache-2.0
"""Generate a synthetic legacy tree for hemera-recover, deterministically.

OUT/DATB: campaign/instrument/flight/[nested folders]/files: NASA Ames 1001
files (valid, some with CRLF line ends; passing only the legacy profile: TAB
separators, values above the missing value; invalid under both: NLHEAD off by one, a data line missing a value),
GPS logs (.nmea), names that break the policy (spaces, accents, upper case,
a leading '-', names colliding once lower-cased), duplicate content across
flights, deep nesting, files the rules ignore (.doc) and one no rule takes.
OUT/DASB: campaign/target folders of FITS images (valid; one invalid: no END
card) and a folder of single observations identified by header keywords.
OUT/rules-datb.yaml, OUT/rules-dasb.yaml, OUT/forms/<campaign>.yaml.

usage: make_legacy_tree.py OUT [--files N] [--min-kib K] [--max-kib K] [--seed S]
Prints a JSON summary of what was made (counts by category).
"""
import json
import os
import random
import sys


def na_1001(rnd, target, variant):
    """Return the bytes of a NASA Ames 1001 file of about `target` bytes."""
    eol = "\r\n" if variant == "crlf" else "\n"
    sep = "\t" if variant == "tab" else " "
    nlhead = 19 if variant == "nlhead" else 18
    header = [
        f"{nlhead} 1001", "Doe, Jane", "LATMOS, CNRS, Guyancourt, France", "ECC ozonesonde",
        "HEMERA legacy recovery test", "1 1", "2004 06 18 2004 06 20", "1",
        "Time (seconds since midnight UT)", "3", "1 1 1", "9999 999 1" if variant == "vmiss" else "9999 999 99",
        "Pressure (hPa)", "Temperature (K)", "Ozone partial pressure (mPa)", "0", "1", "UTs P T O3",
    ]
    out = [eol.join(header), eol]
    size = sum(len(s) for s in out)
    i = 0
    p = 1013.2
    base = rnd.randrange(0, 20000)
    lines = []
    while size < target and base + i < 86000:
        t = 288.1 - 0.05 * (i % 1000)
        o3 = 2.0 + (i % 700) / 100.0
        if variant == "missing" and i == 5:
            line = f"{base + i}{sep}{p:.1f}{sep}{t:.1f}"
        else:
            line = f"{base + i}{sep}{p:.1f}{sep}{t:.1f}{sep}{o3:.2f}"
        lines.append(line)
        size += len(line) + len(eol)
        p = max(5.0, p * 0.9995)
        i += 1
    out.append(eol.join(lines))
    out.append(eol)
    return "".join(out).encode("ascii")


def nmea(rnd, n):
    lines = []
    lat, lon = 67.85 + rnd.random(), 20.2 + rnd.random()
    for i in range(n):
        hh, mm, ss = 10 + i // 3600, (i // 60) % 60, i % 60
        lines.append(f"$GPGGA,{hh:02d}{mm:02d}{ss:02d}.00,{int(lat)*100 + (lat % 1) * 60:09.4f},N,"
                     f"{int(lon)*100 + (lon % 1) * 60:010.4f},E,1,08,0.9,{1000 + i * 5:.1f},M,,M,,")
        lat += 0.0001
        lon += 0.0002
    return ("\n".join(lines) + "\n").encode("ascii")


def card(k, v):
    return f"{k:<8}= {v:>20}".ljust(80)


def card_s(k, v):
    return f"{k:<8}= '{v:<8}'".ljust(80)


def fits_image(rnd, target, obj, date, broken=False):
    side = max(8, int((target / 2) ** 0.5))
    cards = [card("SIMPLE", "T"), card("BITPIX", "16"), card("NAXIS", "2"),
             card("NAXIS1", str(side)), card("NAXIS2", str(side)),
             card_s("OBJECT", obj), card_s("TELESCOP", "PILOT"), card_s("INSTRUME", "PILOT-BOLO"),
             card_s("DATE-OBS", date)]
    if not broken:
        cards.append("END".ljust(80))
    head = "".join(cards)
    head += " " * (-len(head) % 2880)
    n = side * side * 2
    data = bytes(rnd.getrandbits(8) for _ in range(min(n, 4096)))
    data = (data * (n // len(data) + 1))[:n]
    data += b"\0" * (-len(data) % 2880)
    return head.encode("ascii") + data


def write(path, data, summary, key):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    summary[key] = summary.get(key, 0) + 1
    summary["files"] += 1
    summary["bytes"] += len(data)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out = args[0]
    opts = {"--files": 300, "--min-kib": 4, "--max-kib": 256, "--seed": 1}
    for i in range(1, len(args), 2):
        opts[args[i]] = int(args[i + 1])
    rnd = random.Random(opts["--seed"])
    lo, hi = opts["--min-kib"] * 1024, opts["--max-kib"] * 1024
    total = opts["--files"]
    datb_files = total * 4 // 5
    summary = {"files": 0, "bytes": 0, "datasets_datb": 0, "datasets_dasb": 0}
    campaigns = ["strato2004", "Kiruna Été 2007", "AERIS-2012"]
    instruments = ["o3sonde", "PTU", "aerosol"]
    made = 0
    flight = 0
    previous = None  # a file to duplicate in the next flight
    while made < datb_files:
        flight += 1
        camp = campaigns[flight % len(campaigns)]
        inst = instruments[(flight // len(campaigns)) % len(instruments)]
        fdir = os.path.join(out, "DATB", camp, inst, f"F{flight:03d}")
        summary["datasets_datb"] += 1
        n = rnd.randint(4, 12)
        for k in range(n):
            sub = ["raw", "level0", "deep", "er", "still"][: rnd.choice([0, 0, 1, 2, 5])]
            variant = "valid"
            r = rnd.random()
            if r < 0.15:
                variant = "tab"
            elif r < 0.22:
                variant = "vmiss"
            elif r < 0.30:
                variant = "crlf"
            name = f"o3_{flight:03d}_{k:02d}.na"
            if flight % 7 == 3 and k == 0:
                variant = "nlhead" if flight % 14 == 3 else "missing"
            bad = None
            if k == 1 and flight % 9 == 4:
                bad = f"-{flight:03d}.na"
            elif k == 1 and flight % 5 == 1:
                bad = f"O3 Sonde {flight:03d}.NA"
            elif k == 1 and flight % 5 == 2:
                bad = f"vol_été_{flight:03d}.na"
            if bad:
                name = bad
                summary["bad_names"] = summary.get("bad_names", 0) + 1
            data = na_1001(rnd, rnd.randint(lo, hi), variant)
            write(os.path.join(fdir, *sub, name), data, summary, f"na_{variant}")
            made += 1
        if flight % 4 == 0:
            # Two names that collide once lower-cased, in two folders of one flight.
            data = na_1001(rnd, lo, "valid")
            write(os.path.join(fdir, "DATA.na"), data, summary, "na_valid")
            write(os.path.join(fdir, "raw", "data.na"), na_1001(rnd, lo, "valid"), summary, "na_valid")
            summary["collisions"] = summary.get("collisions", 0) + 1
            made += 2
        if previous is not None and flight % 6 == 0:
            with open(previous, "rb") as f:
                dup = f.read()
            write(os.path.join(fdir, "copy_of_earlier.na"), dup, summary, "duplicates")
            made += 1
        previous = os.path.join(fdir, f"o3_{flight:03d}_03.na") if n > 3 else previous
        if previous and not os.path.exists(previous):
            previous = None
        write(os.path.join(fdir, f"gps_{flight:03d}.nmea"), nmea(rnd, 50), summary, "gps")
        write(os.path.join(fdir, "README.doc"), b"notes\n", summary, "ignored")
        made += 2
    write(os.path.join(out, "DATB", "index.html"), b"<html></html>\n", summary, "unmatched")

    # DASB: campaign/target folders, and single observations.
    made = 0
    folder = 0
    while made < total - datb_files:
        folder += 1
        tdir = os.path.join(out, "DASB", "pilot2019", f"target{folder:02d}")
        summary["datasets_dasb"] += 1
        for k in range(rnd.randint(3, 8)):
            name = f"scan_{k:02d}.fits" if not (folder % 3 == 1 and k == 0) else f"Scan {k:02d} Crab.FITS"
            broken = folder % 5 == 2 and k == 1
            data = fits_image(rnd, rnd.randint(lo, hi), f"T{folder:02d}", "2019-09-1%d" % (k % 10), broken)
            write(os.path.join(tdir, name), data, summary, "fits_invalid" if broken else "fits_valid")
            made += 1
    for k in range(3):
        data = fits_image(rnd, lo, f"SINGLE{k}", f"2019-10-0{k + 1}")
        write(os.path.join(out, "DASB", "singles", f"obs{k}.fits"), data, summary, "fits_valid")
        summary["datasets_dasb"] += 1

    os.makedirs(os.path.join(out, "forms"), exist_ok=True)
    with open(os.path.join(out, "forms", "strato2004.yaml"), "w") as f:
        f.write("resourceTitle: {en: \"STRATO 2004 ozone soundings (recovered)\"}\n"
                "contacts:\n  - {name: Jane Doe, email: jane.doe@example.org, organisation: LATMOS,"
                " roles: [principalInvestigator]}\n")
    with open(os.path.join(out, "rules-datb.yaml"), "w") as f:
        f.write("# One dataset per flight: campaign/instrument/flight, deeper folders included.\n"
                "ignore: ['\\.doc$']\n"
                "rules:\n"
                "  - match: '^(?<campaign>[^/]+)/(?<instrument>[^/]+)/(?<flight>[^/]+)/'\n"
                "    dataset: regex\n"
                "    id: '{campaign}/{instrument}/{flight}'\n"
                "    collection: '{campaign}/{instrument}'\n"
                "    form: 'forms/{campaign}.yaml'\n")
    with open(os.path.join(out, "rules-dasb.yaml"), "w") as f:
        f.write("rules:\n"
                "  - match: '^singles/'\n"
                "    dataset: file\n"
                "    id: 'single/{header:OBJECT}/{header:DATE-OBS}'\n"
                "    collection: pilot2019/singles\n"
                "  - match: '^(?<campaign>[^/]+)/(?<target>[^/]+)/'\n"
                "    dataset: folder\n"
                "    collection: '{campaign}'\n")
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
