#!/usr/bin/env python3
"""The agent against the HAProxy an amphora image happens to carry: the
config Octavia's own templater renders for that release (tests/tools/
octavia_render.py, given the version as an amphora reports it) under
HAProxy 2.6 (bookworm, this machine's), 2.2 (Debian bullseye) and 3.0
(trixie) from chroots (tests/tools/haproxy_chroot.sh), and 2.0
(Ubuntu focal's), 2.4 (jammy's), 2.8 (noble's), 3.2 and 3.4 built from
upstream's tarballs (tests/tools/haproxy_source.sh); tests/run.sh makes
and caches them. Run once per release, with $HAPROXY naming its binary:

    HAPROXY=build-gcc/haproxy-chroots/bullseye/haproxy \\
        test_versions.py --agent BIN

Each run prints what the release gave: families served, series compared
with that release's own exporter, and the differences, which must be
exactly the known ones (KNOWN) for the test to pass.
"""
import math
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import harness  # noqa: E402
import promexcmp  # noqa: E402
import expfmt  # noqa: E402
from harness import http_get, metrics_md, scrape  # noqa: E402

TESTS = []
test = harness.collector(TESTS)
ARGS = W = None     # set by harness.run() before the tests run

# What a release's own exporter gives otherwise than the agent, by family,
# and why (README "HAProxy versions" says the same).
#
# Each entry is why, and what every differing series must be for it.
#
# HAProxy 2.2's exporter writes a number where the CSV leaves a field empty
# (not applicable): 0 for no session or queue limit and for the check
# counters of a member without checks, 100 for the throttle of one not in
# slow start. The agent serves NaN there for every release, as the 2.6 and
# 3.0 exporters do, so a dashboard reads one meaning whatever the image.


def empty_is_nan(said):
    """A number from promex where the agent serves NaN."""
    return (f"the CSV field is empty: promex says {said}, the agent NaN",
            lambda labels, want, a, b: not math.isnan(want) and
            math.isnan(a) and math.isnan(b))


EMPTY_2_2 = {
    "octavia_member_limit_sessions": empty_is_nan("0"),
    "octavia_member_queue_limit": empty_is_nan("0"),
    "octavia_member_check_failures_total": empty_is_nan("0"),
    "octavia_member_check_up_down_total": empty_is_nan("0"),
    "octavia_member_current_throttle": empty_is_nan("100"),
}
# HAProxy 2.0's exporter has one status bit per server, 1 for UP and 0 for
# anything else: a member in maintenance is 0 there, DOWN by its HELP's
# words, MAINT in the CSV and for the agent.
MAINT_IS_DOWN = (
    "promex 2.0's server status is 1 or 0: maintenance is 0 (DOWN), the "
    "agent says MAINT",
    lambda labels, want, a, b: a == b and (labels["state"], want, a) in (
        ("DOWN", 1.0, 0.0), ("MAINT", 0.0, 1.0)))
KNOWN = {
    "2.0": dict(EMPTY_2_2, octavia_member_status=MAINT_IS_DOWN),
    "2.2": EMPTY_2_2,
    "2.4": {},
    "2.6": {},
    "2.8": {},
    "3.0": {},
    "3.2": {},
    "3.4": {},
}
# Families the agent serves from the CSV that a release's exporter lacks
# (nothing to compare them with). 2.0's exporter names the averages
# http_*_time_average_seconds and the SSL reuse frontent_ssl_reuse (sic),
# and has no maxima and no idle connections (nor has its CSV: the agent
# serves them NaN).
AFTER_2_0 = {f"octavia_{scope}_{what}" for scope in ("pool", "member")
             for what in ("queue_time_average_seconds",
                          "connect_time_average_seconds",
                          "response_time_average_seconds",
                          "total_time_average_seconds",
                          "max_queue_time_seconds", "max_connect_time_seconds",
                          "max_response_time_seconds",
                          "max_total_time_seconds")}
NO_REFERENCE = {
    "2.0": AFTER_2_0 | {"octavia_loadbalancer_frontend_ssl_reuse",
                        "octavia_member_idle_connections_current",
                        "octavia_member_idle_connections_limit"},
    "2.2": {"octavia_member_idle_connections_current",
            "octavia_member_idle_connections_limit"},
    "2.4": set(),
    "2.6": set(),
    "2.8": set(),
    "3.0": set(),
    "3.2": set(),
    "3.4": set(),
}


def numeric_statuses(short):
    """Before 2.4 a release's exporter gives a status as one number, which
    the comparison maps to the agent's one series per state."""
    return tuple(map(int, short.split("."))) < (2, 4)


def release():
    """"2.2.9-2+deb11u6" and "2.2" of the HAProxy under test."""
    out = subprocess.run(harness.haproxy_cmd() + ["-v"], capture_output=True,
                         check=True, text=True).stdout
    full = re.search(r"version (\S+)", out).group(1)
    return full, ".".join(full.split(".")[:2])


@test
def families_and_labels():
    full, _ = release()
    fams, _, _ = scrape(W.port)
    missing = [n for n, _, _ in metrics_md() if n not in fams]
    wrong = [n for n, t, _ in metrics_md() if n in fams and fams[n].type != t]
    series = sum(len(f.samples) for f in fams.values())
    print(f"  HAProxy {full}: {144 - len(missing)}/144 families served, "
          f"{series} series in one scrape")
    assert not missing, f"families not served: {missing}"
    assert not wrong, f"wrong types: {wrong}"
    assert fams["octavia_exporter_haproxy_up"].value() == 1
    assert fams["octavia_exporter_csv_errors_total"].value() == 0
    info = fams["octavia_loadbalancer_info"].samples[0].labels
    assert full.startswith(info["haproxy_version"]), (info, full)
    promexcmp.labels_are_the_config_uuids(W.port, W.hap.m)


@test
def values_equal_own_promex():
    full, short = release()
    by_meaning = numeric_statuses(short)
    r = promexcmp.compare(W.port, W.hap, metrics_md(), by_meaning=by_meaning)
    differ = {}
    for key, want, a, b in r.bad:
        differ.setdefault(key[0], []).append((dict(key[1]), want, a, b))
    print(f"  HAProxy {full}: {r.compared} series compared with its own "
          f"exporter{' (statuses by meaning)' if by_meaning else ''}; "
          f"{sum(len(v) for v in differ.values())} differ, in "
          f"{sorted(differ) or 'no family'}; no reference for "
          f"{r.only_agent or 'none'}")
    assert short in KNOWN and short in NO_REFERENCE, \
        f"HAProxy {short} is new here: say what differs (KNOWN, NO_REFERENCE)"
    known = KNOWN[short]
    for fam, rows in sorted(differ.items()):
        print(f"    {fam}: e.g. promex {rows[0][1]}, agent {rows[0][2]} "
              f"({known[fam][0] if fam in known else 'UNEXPECTED'})")
    assert set(differ) == set(known), (
        f"differences: {sorted(differ)}, known: {sorted(known)}")
    # and each is that one
    for fam, rows in differ.items():
        for labels, want, a, b in rows:
            assert known[fam][1](labels, want, a, b), \
                (fam, labels, want, a, b)
    assert set(r.only_agent) == NO_REFERENCE[short], r.only_agent
    r.assert_meaningful()


# The label a column of HAProxy's extra counters has in a family of
# several (lib/expo.c's ext_tails).
EXT_LABEL = {
    "h2_headers_rcvd": ("type", "headers"), "h2_data_rcvd": ("type", "data"),
    "h2_settings_rcvd": ("type", "settings"),
    "h2_rst_stream_rcvd": ("type", "rst_stream"),
    "h2_goaway_rcvd": ("type", "goaway"),
    "h2_rst_stream_resp": ("type", "rst_stream"),
    "h2_goaway_resp": ("type", "goaway"),
    "h2_detected_conn_protocol_errors": ("level", "connection"),
    "h2_detected_strm_protocol_errors": ("level", "stream"),
}


def extra_table():
    """[(family, type, CSV columns, promex names)]: METRICS.md's rows E1
    on, the families of HAProxy's extra counters."""
    rows = []
    for line in open(ARGS.metrics_md):
        m = re.match(r"^\| E\d+ \| `([a-z0-9_]+)` \| (\w+) \|", line)
        if m:
            cols = [c.strip() for c in line.split("|")]
            rows.append((m.group(1), m.group(2),
                         [x.strip(" `") for x in cols[5].split(",")],
                         [x.strip(" `") for x in cols[6].split(",")]))
    assert len(rows) == 39, len(rows)
    return rows


def promex_extra(text, table):
    """HAProxy's exporter's extra counters in the agent's names."""
    fams = expfmt.parse(text)
    out = {}
    for name, _, csv, pms in table:
        for col, pm in zip(csv, pms):
            for smp in (fams[pm].samples if pm in fams else []):
                lab = promexcmp._labels(pm, {k: v for k, v in
                                             smp.labels.items() if k != "mod"})
                if lab is None:
                    continue
                if col in EXT_LABEL:
                    lab[EXT_LABEL[col][0]] = EXT_LABEL[col][1]
                out[(name, tuple(sorted(lab.items())))] = smp.value
    return out


@test
def extra_counters_as_the_release_prints_them():
    """Issue 20: the extra counters each release prints (2.4: TLS and
    HTTP/2; 2.6 on: HTTP/1 too; 2.0 and 2.2: none) as the agent's
    families, for the objects with the layer (this shape: HTTP listeners
    and pools, no TLS); from 3.0 equal to the release's own exporter's
    ?extra-counters series by series."""
    full, short = release()
    ver = tuple(map(int, short.split(".")))
    table = extra_table()
    W.hap.traffic()
    fams, _, _ = scrape(W.port)
    served = sorted(n for n, _, _, _ in table if n in fams)
    want = []
    for n, t, _, _ in table:
        if ver >= (2, 4) and n.startswith("octavia_listener_http2_") or \
                ver >= (2, 6) and re.match(
                    r"octavia_(listener|pool)_http1_", n):
            want.append(n)
            assert fams[n].type == t, (n, fams[n].type, t)
    assert served == sorted(want), (served, want)
    if ver < (3, 0):
        print(f"  HAProxy {full}: {len(served)} families of extra counters "
              f"(its exporter has none to compare with)")
        return
    names = {n for n, _, _, _ in table}
    time.sleep(1.1)     # a fresh snapshot on each side of the reference
    a1 = {k: v for k, v in promexcmp.agent_flat(scrape(W.port)[0]).items()
          if k[0] in names}
    _, _, body = http_get(f"http://127.0.0.1:{W.hap.m['ports']['promex']}"
                          "/metrics?extra-counters")
    ref = promex_extra(body.decode(), table)
    time.sleep(1.1)
    a2 = promexcmp.agent_flat(scrape(W.port)[0])
    missing = sorted(k for k in a1 if k not in ref)
    assert not missing, missing[:5]
    bad = [(k, ref[k], a1[k], a2[k]) for k in a1
           if not min(a1[k], a2[k]) <= ref[k] <= max(a1[k], a2[k])]
    moved = sum(1 for k in a1 if ref[k] > 0)
    print(f"  HAProxy {full}: {len(served)} families of extra counters, "
          f"{len(a1)} series equal to its exporter's ?extra-counters "
          f"({moved} non-zero); {len(bad)} differ")
    assert not bad, bad[:5]
    assert moved > 0


@test
def statuses_mapped_alike():
    """Each member of the mixed scenario has the status and Octavia
    operating status its role says, whatever words the release uses."""
    fams, _, _ = scrape(W.port)
    roles = W.hap.m["member_roles"]
    want = {"up": ("UP", "ONLINE"), "down": ("DOWN", "ERROR"),
            "maint": ("MAINT", "OFFLINE"), "weight0": ("UP", "DRAINING"),
            "backup": ("UP", "ONLINE"),   # Octavia checks backups too
            "unchecked": ("UP", "NO_MONITOR"),
            "l7bad": ("DOWN", "ERROR"), "tcp_up": ("UP", "ONLINE"),
            "tcp_unchecked": ("UP", "NO_MONITOR")}
    seen = 0
    for role, (status, op) in want.items():
        mid = roles[role]
        st = [s.labels["state"] for s in fams["octavia_member_status"].samples
              if s.labels["member"] == mid and s.value == 1]
        ops = [s.labels["status"] for s in
               fams["octavia_member_operating_status"].samples
               if s.labels["member"] == mid and s.value == 1]
        # a member in each HTTP pool: every series of it says the same
        assert st and set(st) == {status} and len(ops) == len(st) and \
            set(ops) == {op}, (role, st, ops)
        seen += 1
    assert seen == len(want)


if __name__ == "__main__":
    sys.exit(harness.run(sys.modules[__name__], __doc__))
