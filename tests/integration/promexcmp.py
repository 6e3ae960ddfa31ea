"""The agent against HAProxy's own Prometheus exporter (promex), series by
series, for the HAProxy running under the test: 2.6 and 3.0 by name, and
2.2, whose exporter names the same figures but gives statuses as numbers
instead of one series per state, by meaning; and the agent's labels
against the config's UUIDs. Shared by test_agent.py and test_versions.py.
"""
import math
import re
import time

import expfmt
from harness import scrape

# Families whose values move with time, not with HAProxy's state.
TIME_DEPENDENT = re.compile(
    r"_(check_last_change_seconds|downtime_seconds_total|"
    r"last_session_seconds)$")
# HAProxy 2.6's exporter divides by a fixed 1024-sample window while the
# CSV divides by the samples seen (METRICS.md): equal only after 1024.
WINDOWED = re.compile(r"_time_average_seconds$")
# Process-wide figures that our own scrapes of HAProxy move.
SELF_COUNTED = {
    "octavia_loadbalancer_current_connections",
    "octavia_loadbalancer_connections_total",
    "octavia_loadbalancer_requests_total",
    "octavia_loadbalancer_current_connection_rate",
    "octavia_loadbalancer_max_connection_rate",
    "octavia_loadbalancer_current_session_rate",
    "octavia_loadbalancer_max_session_rate",
    "octavia_memory_pool_allocated_bytes",
    "octavia_memory_pool_used_bytes",
}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{12}$")

# HAProxy 2.2's exporter: a status is one number (its HELP says which).
STATUS_2_2 = {
    "haproxy_frontend_status": {0: "DOWN", 1: "UP", 2: "UP"},  # STOP, UP, FULL
    "haproxy_backend_status": {0: "DOWN", 1: "UP"},
    "haproxy_server_status": {0: "DOWN", 1: "UP", 2: "MAINT", 3: "DRAIN",
                              4: "NOLB"},
}
# HCHK_STATUS_* (HAProxy's checks.h) by number, as the CSV names them
CHECK_2_2 = ["UNK", "INI", "", "", "HANA", "SOCKERR", "L4OK", "L4TOUT",
             "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP", "",
             "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"]


def _labels(fam_name, lab):
    """promex's proxy/server labels as the agent's, or None (not ours)."""
    lab = dict(lab)
    if "proxy" in lab:
        px = lab.pop("proxy")
        if fam_name.startswith("haproxy_frontend_"):
            if not UUID.match(px):
                return None
            lab["listener"] = px
        else:
            pool, _, listener = px.partition(":")
            if not (UUID.match(pool) and UUID.match(listener)):
                return None
            lab["pool"], lab["listener"] = pool, listener
    if "server" in lab:
        srv = lab.pop("server")
        if not UUID.match(srv):
            return None
        lab["member"] = srv
    return lab


def promex_renamed(text, table, states=None):
    """HAProxy's exporter output in the agent's names and labels. states,
    {family: [state label values]} of the agent, turns 2.2's numeric
    statuses into the agent's one series per state."""
    rename = {pm: name for name, _, pm in table if pm != "-"}
    out = {}
    for fam in expfmt.parse(text).values():
        if fam.name not in rename:
            continue
        new = rename[fam.name]
        for s in fam.samples:
            lab = _labels(fam.name, s.labels)
            if lab is None:
                continue
            numeric = "state" not in lab and states is not None and \
                new in states
            if not numeric:
                out[(new, tuple(sorted(lab.items())))] = s.value
                continue
            if fam.name == "haproxy_server_check_status":
                word = CHECK_2_2[int(s.value)] if 0 <= s.value < len(
                    CHECK_2_2) else "?"
            else:
                word = STATUS_2_2[fam.name].get(int(s.value), "?")
            for st in states[new]:
                key = tuple(sorted(dict(lab, state=st).items()))
                out[(new, key)] = 1.0 if st == word else 0.0
    return out


def agent_flat(fams):
    return {(f.name, tuple(sorted(s.labels.items()))): s.value
            for f in fams.values() for s in f.samples}


def state_sets(fams):
    """The state label values the agent serves, by family."""
    out = {}
    for f in fams.values():
        vals = sorted({s.labels["state"] for s in f.samples
                       if "state" in s.labels})
        if vals:
            out[f.name] = vals
    return out


class Result:
    """compared: series compared; bad: (key, promex value, agent before,
    agent after) of those that differ; only_agent: the agent's families
    promex has no series of; ref: promex's series, renamed."""

    def __init__(self, compared, bad, only_agent, ref):
        self.compared, self.bad = compared, bad
        self.only_agent, self.ref = only_agent, ref

    def assert_meaningful(self):
        """Enough series compared, and traffic went through: not a
        comparison of zeros only."""
        assert self.compared > 500, self.compared
        moved = [k for k, v in self.ref.items()
                 if k[0] == "octavia_member_http_responses_total" and v > 0]
        assert moved, "no traffic counted"


def compare(port, hap, table, by_meaning=False):
    """Scrapes the agent on each side of one promex read and compares every
    series promex has (a Result). Raises when the series differ in their
    sets, other than the agent's families promex lacks."""
    names = {n for n, _, pm in table if pm != "-"}
    time.sleep(1.1)  # a fresh snapshot on each side of the reference
    fams = scrape(port)[0]
    a1 = agent_flat(fams)
    ref = promex_renamed(hap.promex(), table,
                         state_sets(fams) if by_meaning else None)
    time.sleep(1.1)
    a2 = agent_flat(scrape(port)[0])
    a1 = {k: v for k, v in a1.items() if k[0] in names}
    a2 = {k: v for k, v in a2.items() if k[0] in names}
    ref_fams = {k[0] for k in ref}
    only_agent = sorted({k[0] for k in a1} - ref_fams)
    a1 = {k: v for k, v in a1.items() if k[0] in ref_fams}
    assert set(a1) == set(ref), (
        f"only agent: {sorted(set(a1) - set(ref))[:5]} "
        f"only promex: {sorted(set(ref) - set(a1))[:5]}")
    compared, bad = 0, []
    for key, want in ref.items():
        name = key[0]
        if TIME_DEPENDENT.search(name) or WINDOWED.search(name):
            continue
        lo, hi = sorted((a1[key], a2[key]))
        if math.isnan(want):
            ok = math.isnan(lo) and math.isnan(hi)
        elif name in SELF_COUNTED:
            ok = lo - 50 <= want <= hi + 50 or "pool" in name
        else:
            ok = lo <= want <= hi
        compared += 1
        if not ok:
            bad.append((key, want, a1[key], a2[key]))
    return Result(compared, bad, only_agent, ref)


def labels_are_the_config_uuids(port, m):
    """Every listener, pool and member series is labelled with the UUIDs
    of the config (manifest m) and nothing else; no HAProxy name leaks."""
    fams, _, body = scrape(port)
    want = {
        "listener": {(v,) for v in m["listeners"].values()},
        "pool": {tuple(p) for p in m["pools"]},
        "member": {tuple(x) for x in m["members"]},
    }
    keys = {"listener": ("listener",), "pool": ("pool", "listener"),
            "member": ("member", "pool", "listener")}
    for scope in want:
        seen = set()
        for fam in fams.values():
            if not fam.name.startswith(f"octavia_{scope}_"):
                continue
            kind = {"state", "code", "type", "level"}
            if fam.name.endswith("_operating_status"):
                kind = {"status"}
            for s in fam.samples:
                extra = set(s.labels) - set(keys[scope]) - kind
                assert not extra, (fam.name, s.labels)
                seen.add(tuple(s.labels[k] for k in keys[scope]))
        assert seen == want[scope], (scope, seen ^ want[scope])
    # no HAProxy names leak, and pools are split, never "pool:listener"
    for leak in ["member-target", "prometheus-exporter", "prometheus-internal",
                 'proxy="', 'server="', "stats\"", "FRONTEND", "BACKEND"]:
        assert leak not in body, leak
    for fam in fams.values():
        for s in fam.samples:
            for v in s.labels.values():
                # "-l" listeners are named by their address
                assert ":" not in v or fam.name.startswith((
                    "octavia_exporter_denied", "octavia_exporter_rejected")
                    ), (fam.name, v)
