#!/usr/bin/env bash
# The shipped Prometheus rules: "promtool check rules" on them as shipped,
# then "promtool test rules" (octavia-rules.test.yml: every alert fires
# when it must, stays silent when it must not) on a copy whose alerts keep
# only their summary annotation, so the tests check the labels and the
# templated summary, not the wording of runbooks.
#
#   tests/prometheus/run.sh        (tests/run.sh runs it)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
rules=$here/../../packaging/prometheus/octavia-rules.yml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

promtool check rules "$rules"
/usr/bin/python3 - "$rules" "$work/octavia-rules.yml" <<'PY'
import sys
import yaml

doc = yaml.safe_load(open(sys.argv[1]))
for group in doc["groups"]:
    for rule in group["rules"]:
        if "alert" in rule:
            rule["annotations"] = {"summary": rule["annotations"]["summary"]}
yaml.safe_dump(doc, open(sys.argv[2], "w"), sort_keys=False)
PY
cp "$here/octavia-rules.test.yml" "$work/"
promtool test rules "$work/octavia-rules.test.yml"
