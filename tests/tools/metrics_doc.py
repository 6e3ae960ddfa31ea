#!/usr/bin/env python3
"""Print the README's table of metric families from a live exposition.

    metrics_doc.py http://127.0.0.1:8088/metrics > table.md

The integration tests check that README.md lists exactly the families the
agent serves, with their types, so regenerate it when the table changes.
"""
import sys
import urllib.request

import expfmt

ORDER = ["loadbalancer", "listener", "pool", "member"]


def table(text):
    rows = ["| family | type | labels | help |", "|---|---|---|---|"]
    for fam in expfmt.parse(text).values():
        keys = []
        for s in fam.samples:
            for k in s.labels:
                if k not in keys:
                    keys.append(k)
        rows.append(f"| `{fam.name}` | {fam.type} | {', '.join(keys)} | "
                    f"{fam.help} |")
    return "\n".join(rows) + "\n"


def readme_families(path):
    """(name, type) pairs from the README table."""
    out = []
    inside = False
    for line in open(path):
        if line.startswith("<!-- metrics:begin"):
            inside = True
        elif line.startswith("<!-- metrics:end"):
            inside = False
        elif inside and line.startswith("| `"):
            cols = [c.strip() for c in line.split("|")]
            out.append((cols[1].strip("`"), cols[2]))
    return out


if __name__ == "__main__":
    with urllib.request.urlopen(sys.argv[1]) as r:
        sys.stdout.write(table(r.read().decode()))
