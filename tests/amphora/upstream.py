"""Upstream's prometheus-proxy and the agent, side by side in one amphora.

Both answer on 127.0.0.1:9102 in the amphora-haproxy namespace, behind
the PROMETHEUS listener's HAProxy frontend, so they take turns: the agent
is scraped through the VIP, stopped (its path unit first, or the path
would start it again), upstream's unit (the one Octavia's image element
installs, running Debian's /usr/bin/prometheus-proxy) unmasked and
started, scraped through the VIP, stopped and masked again, and the agent
started and scraped once more. With no traffic meanwhile, every series
upstream serves must be the agent's, equal in value (between the agent's
two scrapes), but for the differences KNOWN lists, each with its reason;
the test fails on any other difference, and on a known one that is gone.
"""
import math
import re
import time

import expfmt

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Values that move between the turns without traffic, or by definition.
TIME_DEPENDENT = re.compile(r"_(check_last_change_seconds|"
                            r"downtime_seconds_total|last_session_seconds|"
                            r"check_duration_seconds)$")
# The PROMETHEUS listener counts the scrapes (and HAProxy's process the
# connections of both exporters to its internals); upstream's proxy reads
# HAProxy's exporter through HAProxy itself.
SCRAPE_COUNTED = re.compile(r"^octavia_loadbalancer_(current|max)_"
                            r"(connection|session)_rate$|"
                            r"^octavia_loadbalancer_(connections|requests)"
                            r"_total$|^octavia_loadbalancer_current_"
                            r"connections$|^octavia_memory_pool_")

# Differences that hold, each with why: (kind, family pattern, always,
# reason). kind: "family only ours", "family only upstream", "series only
# ours" (the family followed by " [UDP/SCTP]" or " [HAProxy]": the objects
# the series are of), "series only upstream", "value". always: the run
# fails when it is not seen (values that differ by timing may happen to
# agree). The README lists the same.
KNOWN = [
    ("family only ours", r"octavia_exporter_\w+", True,
     "the agent's own: its reads of HAProxy and IPVS, refusals, build"),
    ("family only ours", r"octavia_loadbalancer_info", True,
     "the agent's own: the load balancer's id and HAProxy's version"),
    ("family only ours",
     r"octavia_(loadbalancer|listener|pool|member)_operating_status", True,
     "beyond upstream: the operating status Octavia's API shows"),
    ("family only ours", r"octavia_(listener|pool|member)_packets_(in|out)"
     r"_total", True, "UDP and SCTP from IPVS, which upstream does not read"),
    ("family only ours", r"octavia_loadbalancer_frontend_ssl_reuse", True,
     "Zed's proxy looks for HAProxy's old misspelling "
     "haproxy_process_frontent_ssl_reuse: with HAProxy 2.6 it serves none"),
    ("family only ours", r"octavia_member_idle_connections_(current|limit)",
     True, "Zed's proxy looks for haproxy_server_server_idle_connections_*,"
     " which HAProxy 2.6 names haproxy_server_idle_connections_*: it serves "
     "none"),
    ("family only ours", r"octavia_(listener|pool|member)_(tls|http1|http2)"
     r"_\w+", True, "HAProxy's extra counters (TLS, HTTP/2, HTTP/1), which "
     "upstream drops; the TLS ones read through the file opener, Octavia's "
     "haproxy.cfg being root's alone"),
    ("family only ours",
     r"octavia_listener_certificate_expiry_timestamp_seconds", True,
     "the TERMINATED_HTTPS listener's certificate date, read from the files "
     "Octavia writes for root alone through the file opener; upstream reads "
     "no certificate"),
    ("series only ours", r"octavia_\w+ \[UDP/SCTP\]", True,
     "UDP and SCTP listeners, pools and members, from IPVS"),
    ("value", r"octavia_loadbalancer_cpu", False,
     "upstream: the 1-minute load average over the CPU count (120% on a busy"
     " 2-CPU amphora); the agent: the busy share of /proc/stat between "
     "scrapes"),
    ("value", r"octavia_loadbalancer_memory", False,
     "the same definition (MemAvailable), another instant: upstream's own "
     "Python process is one of the users at its scrape"),
    ("value", r"octavia_loadbalancer_current_ssl_connections", False,
     "an instant's count: the TLS member's health checks (every 2 s) are "
     "SSL connections of a moment, open at one scrape and not the other"),
    ("value", r"octavia_(pool|member)_\w+_time_average_seconds", False,
     "HAProxy's exporter, which upstream renames, divides by a fixed 1,024 "
     "samples, the CSV by the samples seen (METRICS.md): equal only after "
     "1,024 requests"),
]


def known(kind, name):
    for k, pattern, _, reason in KNOWN:
        if k == kind and re.fullmatch(pattern, name):
            return reason
    return None


def normalise(text):
    """Upstream's page in the agent's labels: pool="<pool>:<listener>"
    split into pool and listener (the point of the agent's mapping)."""
    out = {}
    for fam in expfmt.parse(text).values():
        for s in fam.samples:
            lab = dict(s.labels)
            pool = lab.get("pool", "")
            if re.fullmatch(f"{UUID}:{UUID}", pool):
                lab["pool"], lab["listener"] = pool.split(":")
            out[(fam.name, tuple(sorted(lab.items())))] = s.value
    return out


def flat(text):
    return {(f.name, tuple(sorted(s.labels.items()))): s.value
            for f in expfmt.parse(text).values() for s in f.samples}


def lvs_ids(model):
    return {x for li in model.lb.listeners if li.protocol in ("UDP", "SCTP")
            for x in [li.id] + [p.id for p in li.pools] +
            [m.id for p in li.pools for m in p.members]}


def compare(ours1, theirs, ours2, model, prom_listener):
    """The differences found, as {key: detail}, and the series compared."""
    a1, a2, up = flat(ours1), flat(ours2), normalise(theirs)
    ours_fams = {k[0] for k in a1}
    their_fams = {k[0] for k in up}
    found = {}
    for name in sorted(ours_fams - their_fams):
        found[("family only ours", name)] = ""
    for name in sorted(their_fams - ours_fams):
        found[("family only upstream", name)] = ""
    lvs = lvs_ids(model)
    compared = 0
    for key in sorted(set(a1) | set(up)):
        name, labels = key
        if name not in ours_fams or name not in their_fams:
            continue
        if key not in up:
            ids = set(dict(labels).values())
            kind = "UDP/SCTP" if ids & lvs else "HAProxy"
            found.setdefault(("series only ours", f"{name} [{kind}]"),
                             set()).add(str(dict(labels))[:80])
            continue
        if key not in a1:
            found.setdefault(("series only upstream", name), set()).add(
                str(dict(labels)))
            continue
        if TIME_DEPENDENT.search(name):
            continue
        want, lo, hi = up[key], *sorted((a1[key], a2.get(key, a1[key])))
        compared += 1
        if math.isnan(want):
            ok = math.isnan(lo) and math.isnan(hi)
        elif SCRAPE_COUNTED.search(name) or \
                dict(labels).get("listener") == prom_listener:
            ok = abs(want - lo) <= 100 + 0.1 * abs(lo) or lo <= want <= hi
        else:
            ok = lo <= want <= hi
        if not ok:
            found.setdefault(("value", name), []).append(
                (dict(labels), want, lo, hi))
    return found, compared


def side_by_side(sh, model, scrape_vip, say):
    unit = "amphora-prometheus-agent"
    prom = model.listeners["prometheus"].id
    time.sleep(1.2)
    ours1 = scrape_vip()[1]
    sh.run(f"systemctl stop {unit}.path {unit}.service && "
           "systemctl unmask prometheus-proxy && "
           "systemctl start prometheus-proxy")

    def upstream_page():
        text = scrape_vip()[1]
        return "octavia_exporter_" not in text and text
    try:
        theirs = wait_for_page(upstream_page)
    finally:
        sh.run("systemctl stop prometheus-proxy && "
               "systemctl mask prometheus-proxy && "
               f"systemctl start {unit}.path")

    def ours_page():
        text = scrape_vip()[1]
        return "octavia_exporter_haproxy_up 1" in text and text
    ours2 = wait_for_page(ours_page)
    found, compared = compare(ours1, theirs, ours2, model, prom)
    unexpected = [k for k in found if known(*k) is None]
    gone = [(k, p) for k, p, always, _ in KNOWN if always and
            not any(f[0] == k and re.fullmatch(p, f[1]) for f in found)]
    for k, v in sorted(found.items()):
        say(f"     upstream difference, {k[0]}: {k[1]} {_brief(v)}: "
            f"{known(*k) or 'NOT KNOWN'}")
    assert not unexpected, f"{len(unexpected)} differences not known"
    assert not gone, f"known differences not seen: {gone}"
    say(f"PASS upstream's prometheus-proxy side by side in the amphora: "
        f"{compared} series compared through the VIP, equal but for "
        f"{len(found)} known differences (README, 'Tested in a real "
        "amphora')")
    return {"compared": compared, "known": len(found)}


def wait_for_page(pred, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = pred()
            if r:
                return r
        except Exception:
            pass
        time.sleep(1)
    raise AssertionError("the exporter did not answer through the VIP")


def _brief(v):
    if isinstance(v, set):
        return f"({len(v)} series, e.g. {sorted(v)[0]})"
    if isinstance(v, list):
        lab, want, lo, hi = v[0]
        return f"({len(v)} series; e.g. upstream {want}, ours {lo}..{hi})"
    return ""
