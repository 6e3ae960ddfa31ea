#!/usr/bin/python3
"""Render amphora-prometheus-agent.conf for the direct deployment.

    render.py [--template T] < loadbalancer.json > amphora-prometheus-agent.conf

The JSON is {"loadbalancer": {...}} with the fields the template names
(its header says which), as Octavia's amphora driver has them. Octavia
itself would render the template with its own Jinja environment; this is
for operators and tests. Needs python3-jinja2.
"""
import argparse
import json
import os
import sys

import jinja2


def render(context, template=None):
    template = template or os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "amphora-prometheus-agent.conf.j2")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.dirname(template)),
        autoescape=False, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template(os.path.basename(template)).render(context)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--template")
    a = p.parse_args()
    sys.stdout.write(render(json.load(sys.stdin), a.template))


if __name__ == "__main__":
    main()
