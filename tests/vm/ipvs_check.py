#!/usr/bin/env python3
"""What the agent served in the VM (tests/vm/ipvs.sh), against ipvsadm's
own counters of the same IPVS: every UDP/SCTP listener, pool and member,
their labels, values and statuses; the reader's capabilities; a reader
restarted. Prints the comparison and one scrape's UDP lines.

    ipvs_check.py OUTDIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
import expfmt  # noqa: E402

PROTO = {"UDP", "TCP", "SCTP"}


def ipvsadm(out):
    """{(proto, vip): {"stats": [...5], "dests": {addr: [w, act, inact,
    ...5 stats]}}} from ipvsadm -Ln and -Ln --stats --exact."""
    svcs, cur = {}, None
    for line in open(f"{out}/ipvsadm.txt"):
        f = line.split()
        if f and f[0] in PROTO:
            cur = svcs.setdefault((f[0], f[1]), {"stats": None, "dests": {}})
        elif f and f[0] == "->" and f[1] != "RemoteAddress:Port":
            cur["dests"][f[1]] = [int(x) for x in f[3:6]]
    for line in open(f"{out}/ipvsadm-stats.txt"):
        f = line.split()
        if f and f[0] in PROTO:
            cur = svcs[(f[0], f[1])]
            cur["stats"] = [int(x) for x in f[2:7]]
        elif f and f[0] == "->" and f[1] != "RemoteAddress:Port":
            cur["dests"][f[1]] += [int(x) for x in f[2:7]]
    return svcs


def sample(fams, name, **labels):
    fam = fams.get(name)
    if fam is None:
        return None
    got = [s.value for s in fam.samples
           if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(got) <= 1, (name, labels, got)
    return got[0] if got else None


def status(fams, scope, kind, **labels):
    """The state (or operating status) whose series is 1."""
    fam = fams[f"octavia_{scope}_{kind}"]
    key = "state" if kind == "status" else "status"
    on = [s.labels[key] for s in fam.samples if s.value == 1 and
          all(s.labels.get(k) == v for k, v in labels.items())]
    return on[0] if on else None


def main():
    out = sys.argv[1]
    m = json.load(open(f"{out}/manifest.json"))
    for kind, objs in json.load(open(f"{out}/manifest-older.json")).items():
        if isinstance(objs, dict) and kind != "loadbalancer":
            m[kind].update(objs)
    fams = expfmt.parse(open(f"{out}/metrics.txt").read())
    after = expfmt.parse(open(f"{out}/metrics-after.txt").read())
    svcs = ipvsadm(out)
    L, P, M = m["listeners"], m["pools"], m["members"]
    checked = 0

    assert sample(fams, "octavia_exporter_haproxy_up") == 0
    assert sample(fams, "octavia_exporter_ipvs_up") == 1
    assert sample(after, "octavia_exporter_ipvs_up") == 1, \
        "IPVS not read again after the worker was killed"

    # listeners and pools: the sums of their services
    # Octavia puts a listener on every VIP of the load balancer
    every = ["192.0.2.10", "192.0.2.11", "[2001:db8::10]"]
    vips = {"udp": [("UDP", f"{v}:5353") for v in every],
            "plain": [("UDP", "192.0.2.10:5354")],
            "sctp": [("SCTP", f"{v}:5355") for v in every
                     if ("SCTP", f"{v}:5355") in svcs]}
    sctp = ("SCTP", "192.0.2.10:5355") in svcs
    if not sctp:
        del vips["sctp"]
        print("  (no SCTP in IPVS here: the SCTP listener is not compared)")
    names = ["sessions_total", "packets_in_total", "packets_out_total",
             "bytes_in_total", "bytes_out_total"]
    order = [0, 1, 2, 3, 4]     # ipvsadm: Conns InPkts OutPkts InBytes OutBytes
    print(f"{'object':<22} {'family':<18} {'agent':>8} {'ipvsadm':>8}")
    for role, vs in vips.items():
        want = [sum(svcs[v]["stats"][i] for v in vs) for i in order]
        for scope, labels in (("listener", {"listener": L[role]}),
                              ("pool", {"pool": P[role],
                                        "listener": L[role]})):
            for name, w in zip(names, want):
                got = sample(fams, f"octavia_{scope}_{name}", **labels)
                assert got == w, (scope, role, name, got, w)
                print(f"{scope + ' ' + role:<22} {name:<18} {got:>8.0f} "
                      f"{w:>8}")
                checked += 1
            assert status(fams, scope, "status", **labels) == "UP", \
                (scope, role)
    # members: their destinations, over every service they are in
    dests = {"up": "198.51.100.21:5354", "drained": "198.51.100.21:5364",
             "up6": "[2001:db8:1::21]:5354", "plain": "198.51.100.21:5356",
             "sctp": "198.51.100.21:5357"}
    pool_of = {"up": "udp", "fail": "udp", "disabled": "udp",
               "drained": "udp", "up6": "udp", "plain": "plain",
               "sctp": "sctp"}
    for role, addr in dests.items():
        if role == "sctp" and not sctp:
            continue
        lab = {"member": M[role], "pool": P[pool_of[role]],
               "listener": L[pool_of[role]]}
        rows = [s["dests"][addr] for v, s in svcs.items()
                if v in vips[pool_of[role]] and addr in s["dests"]]
        assert rows, (role, addr)
        want = [sum(r[3 + i] for r in rows) for i in order]
        for name, w in zip(names, want):
            got = sample(fams, f"octavia_member_{name}", **lab)
            assert got == w, (role, name, got, w)
            print(f"{'member ' + role:<22} {name:<18} {got:>8.0f} {w:>8}")
            checked += 1
        cur = sum(r[1] for r in rows)     # ActiveConn, as Octavia counts
        assert sample(fams, "octavia_member_current_sessions", **lab) == cur
        assert sample(fams, "octavia_member_weight", **lab) == rows[0][0]
        checked += 2
    want_status = {"up": ("UP", "ONLINE"), "up6": ("UP", "ONLINE"),
                   "drained": ("DRAIN", "DRAINING"),
                   "fail": ("DOWN", "ERROR"),
                   "disabled": ("MAINT", "OFFLINE"),
                   "plain": ("UP", "NO_MONITOR")}
    if sctp:
        want_status["sctp"] = ("UP", "NO_MONITOR")
    for role, (st, op) in want_status.items():
        lab = {"member": M[role], "pool": P[pool_of[role]]}
        got = (status(fams, "member", "status", **lab),
               status(fams, "member", "operating_status", **lab))
        assert got == (st, op), (role, got)
        checked += 2
    assert sample(fams, "octavia_pool_active_members", pool=P["udp"]) == 2
    assert status(fams, "pool", "operating_status", pool=P["udp"]) == \
        "DEGRADED"      # "fail" is in ERROR
    assert status(fams, "loadbalancer", "operating_status") == "DEGRADED"
    assert sample(fams, "octavia_member_sessions_total",
                  member=M["fail"]) is None
    # a disabled listener: not served
    assert L["off"] not in open(f"{out}/metrics.txt").read()
    # HAProxy-only families carry no UDP row (no NaN series)
    assert "NaN" not in "".join(
        line for line in open(f"{out}/metrics.txt")
        if "listener=\"" in line and not line.startswith("#"))
    caps = [int(line.split()[1], 16) for line in open(f"{out}/caps.txt")]
    assert caps[0] == 0 and all(c == 1 << 12 for c in caps[1:]), caps
    print(f"VM: {checked} values and statuses equal to IPVS's own; the "
          f"agent's CapEff {caps[0]:#x}, the reader's {caps[1]:#x}; a "
          "killed worker replaced, IPVS read again")
    print("one scrape, the UDP listener's lines:")
    for line in open(f"{out}/metrics.txt"):
        if L["udp"] in line and "member=" not in line and (
                "packets" in line or "sessions_total" in line):
            print("  " + line.rstrip())


if __name__ == "__main__":
    main()
