#!/usr/bin/python3
"""Parses OpenMetrics text (stdin) with prometheus_client's parser, the
strict one Debian ships (python3-prometheus-client), as a client would.
Exits 0 and prints "families samples", or prints the parser's complaint
and exits 1. Run with Debian's /usr/bin/python3."""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families = samples = 0
    try:
        for fam in text_string_to_metric_families(text):
            families += 1
            samples += len(fam.samples)
    except Exception as e:  # noqa: BLE001 - the parser raises ValueError
        print(f"{type(e).__name__}: {e}")
        return 1
    print(families, samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
