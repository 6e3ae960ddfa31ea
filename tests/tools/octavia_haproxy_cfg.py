#!/usr/bin/env python3
"""Write an Octavia-shaped haproxy.cfg and a manifest of its UUIDs: the
project's own generator, for the shapes Octavia's templater cannot make
(tests/tools/octavia_render.py renders the rest with Octavia's own code,
and tests/integration/test_render.py checks that the two agree on "scale").

Octavia renders `frontend <listener_id>`, `backend <pool_id>:<listener_id>`
and `server <member_id> ...`, plus the internal prometheus proxies when a
PROMETHEUS listener exists. The shapes:

  --scenario mixed     every kind of member state the agent must map
                       (HTTP and TCP listeners, a pool shared by two
                       listeners, UP, DOWN, MAINT, weight 0, backup,
                       unchecked) and proxies that must stay hidden.
  --scenario scale     --listeners N x --members M, for benchmarks.
  --scenario states    a member, pool and listener for every Octavia
                       operating status, set up to be driven there through
                       the admin socket (--admin-socket): members that will
                       be drained, that will fail or pass checks with fall
                       or rise 3 ("UP 1/3", "DOWN 1/3"), a pool whose
                       members are all disabled, a listener of maxconn 1
                       and a spare one to pause or stop.

"mixed" puts an unchecked member in a checked pool and a hand-written
stats page beside them, which Octavia never renders (its health monitor
is per pool); the unit fixtures are captured from it, and the demo and the
image test run it because they need no python3-octavia. "scale" reaches
10,000 members faster than Octavia's templater, "states" needs a second
stats socket of level admin. All addresses are on loopback. The manifest
(JSON) lists the UUIDs and the ports, so tests never hard-code them.
"""
import argparse
import json
import uuid

GLOBAL = """global
    maxconn 4000
    stats socket {sock} mode 0666 level user{admin}
    stats timeout 30s

defaults
    mode http
    timeout connect 2s
    timeout client 50s
    timeout server 50s
    option http-server-close

"""

# What Octavia adds when a listener has protocol PROMETHEUS (upstream's
# internal endpoint is where HAProxy's own exporter answers).
PROMETHEUS_INTERNAL = """frontend prometheus-exporter-internal-endpoint
    bind 127.0.0.1:{promex}
    mode http
    no log
    http-request use-service prometheus-exporter if {{ path /metrics }}
    http-request reject

backend prometheus-exporter-internal
    mode http
    no log
    timeout connect 5s
    timeout server 5s
    server prometheus-internal 127.0.0.1:{agent}

"""


def global_section(a):
    admin = ""
    if a.admin_socket:
        admin = f"\n    stats socket {a.admin_socket} mode 0600 level admin"
    out = GLOBAL.format(sock=a.socket, admin=admin)
    if getattr(a, "keep_alive", False):
        out = out.replace("option http-server-close", "option http-keep-alive")
    return out


def uid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def target_proxies(port, bad_port, stats_port, haproxy_version=""):
    """Hand-written proxies the members point at; hidden by the agent.
    Before 2.2 HAProxy has neither 'http-request return' nor a reason
    phrase to set: the answers are deny_status ones."""
    if haproxy_version and tuple(
            map(int, haproxy_version.split(".")[:2])) < (2, 2):
        ok = "http-request deny deny_status 200"
        bad = "http-request deny deny_status 503"
    else:
        ok = "http-request return status 200 content-type text/plain string ok"
        bad = ("http-request return status 503 content-type text/plain "
               "string down\n    http-after-response set-status 503 reason "
               '"Down, \\"really\\" down"')
    return f"""frontend member-target
    bind 127.0.0.1:{port}
    mode http
    timeout client 50s
    {ok}

frontend member-target-bad
    bind 127.0.0.1:{bad_port}
    mode http
    timeout client 50s
    {bad}

listen stats
    bind 127.0.0.1:{stats_port}
    mode http
    timeout client 50s
    stats enable
    stats uri /

"""


def helpers(a, ports):
    """What every scenario ends with: the proxies members point at and
    the internal prometheus proxies."""
    return (target_proxies(ports["target"], ports["target_bad"],
                           ports["stats"], a.haproxy_version) +
            PROMETHEUS_INTERNAL.format(promex=ports["promex"],
                                       agent=a.agent_port))


def mixed(a, rng):
    ports = {k: a.base_port + i for i, k in enumerate(
        ["http", "tcp", "http2", "target", "target_bad", "closed", "stats",
         "promex"])}
    lst = {"http": uid(rng), "tcp": uid(rng), "http2": uid(rng)}
    pool_a, pool_b = uid(rng), uid(rng)
    m = {k: uid(rng) for k in
         ["up", "down", "maint", "weight0", "backup", "unchecked", "l7bad",
          "tcp_up", "tcp_unchecked"]}
    live = f"127.0.0.1:{ports['target']}"
    bad = f"127.0.0.1:{ports['target_bad']}"
    closed = f"127.0.0.1:{ports['closed']}"
    servers_a = (
        f"    server {m['up']} {live} weight 1 check inter 2s fall 1 rise 1\n"
        f"    server {m['down']} {closed} weight 1 check inter 2s fall 1 rise 1\n"
        f"    server {m['maint']} {live} weight 1 disabled check inter 2s\n"
        f"    server {m['weight0']} {live} weight 0 check inter 2s fall 1 rise 1\n"
        f"    server {m['backup']} {live} weight 1 backup\n"
        f"    server {m['unchecked']} {live} weight 1\n"
        f"    server {m['l7bad']} {bad} weight 1 check inter 2s fall 1 rise 1\n")
    out = [global_section(a)]
    for name, port, pool in (("http", ports["http"], pool_a),
                             ("http2", ports["http2"], pool_a)):
        out.append(f"frontend {lst[name]}\n    mode http\n"
                   f"    bind 127.0.0.1:{port}\n    maxconn 1000\n"
                   f"    default_backend {pool}:{lst[name]}\n\n")
        out.append(f"backend {pool}:{lst[name]}\n    mode http\n"
                   f"    balance roundrobin\n"
                   f"    option httpchk GET /\n    http-check expect status 200\n"
                   + servers_a + "\n")
    out.append(f"frontend {lst['tcp']}\n    mode tcp\n"
               f"    bind 127.0.0.1:{ports['tcp']}\n    maxconn 1000\n"
               f"    default_backend {pool_b}:{lst['tcp']}\n\n")
    out.append(f"backend {pool_b}:{lst['tcp']}\n    mode tcp\n"
               f"    balance roundrobin\n"
               f"    server {m['tcp_up']} {live} weight 1 check inter 2s fall 1 rise 1\n"
               f"    server {m['tcp_unchecked']} {live} weight 1\n\n")
    out.append(helpers(a, ports))
    manifest = {
        "socket": a.socket, "ports": ports,
        "listeners": lst,
        "pools": [[pool_a, lst["http"]], [pool_a, lst["http2"]],
                  [pool_b, lst["tcp"]]],
        "members": ([[x, pool_a, lst["http"]] for x in
                     [m[k] for k in ["up", "down", "maint", "weight0",
                                     "backup", "unchecked", "l7bad"]]] +
                    [[x, pool_a, lst["http2"]] for x in
                     [m[k] for k in ["up", "down", "maint", "weight0",
                                     "backup", "unchecked", "l7bad"]]] +
                    [[m["tcp_up"], pool_b, lst["tcp"]],
                     [m["tcp_unchecked"], pool_b, lst["tcp"]]]),
        "member_roles": m,
    }
    return "".join(out), manifest


def scale(a, rng):
    ports = {"target": a.base_port, "target_bad": a.base_port + 1,
             "promex": a.base_port + 2, "stats": a.base_port + 3}
    if a.promex_port:
        ports["promex"] = a.promex_port
    live = a.member_address or f"127.0.0.1:{ports['target']}"
    out = [global_section(a)]
    manifest = {"socket": a.socket, "ports": ports, "listeners": {},
                "pools": [], "members": []}
    for i in range(a.listeners):
        lid, pid = uid(rng), uid(rng)
        port = a.base_port + 10 + i
        manifest["listeners"][str(i)] = lid
        manifest["pools"].append([pid, lid])
        out.append(f"frontend {lid}\n    mode http\n"
                   f"    bind 127.0.0.1:{port}\n    maxconn 100\n"
                   f"    default_backend {pid}:{lid}\n\n")
        out.append(f"backend {pid}:{lid}\n    mode http\n"
                   f"    balance roundrobin\n")
        if a.keep_alive:
            out.append("    http-reuse safe\n")
        for _ in range(a.members):
            mid = uid(rng)
            manifest["members"].append([mid, pid, lid])
            out.append(f"    server {mid} {live} weight 1\n")
        out.append("\n")
    out.append(helpers(a, ports))
    return "".join(out), manifest


def states(a, rng):
    ports = {k: a.base_port + i for i, k in enumerate(
        ["http", "tcp", "full", "target", "target_bad", "closed", "stats",
         "promex", "spare"])}
    names = ["http", "tcp", "full", "spare"]
    lst = {k: uid(rng) for k in names}
    pools = {k: uid(rng) for k in names}
    live = f"127.0.0.1:{ports['target']}"
    closed = f"127.0.0.1:{ports['closed']}"
    check = "check inter 1s"
    # role: (address, server options); "falling" and "rising" are moved
    # to the other address by the driver, "drain" is set to drain
    http = {
        "up": (live, f"weight 1 {check} fall 1 rise 1"),
        "down": (closed, f"weight 1 {check} fall 1 rise 1"),
        "maint": (live, f"weight 1 disabled {check}"),
        "weight0": (live, f"weight 0 {check} fall 1 rise 1"),
        "drain": (live, f"weight 1 {check} fall 1 rise 1"),
        "unchecked": (live, "weight 1"),
        "falling": (live, f"weight 1 {check} fall 3 rise 1"),
        "rising": (closed, f"weight 1 {check} fall 1 rise 3"),
    }
    tcp = {"disabled1": (live, "weight 1 disabled"),
           "disabled2": (live, f"weight 1 disabled {check}")}
    full = {"full_up": (live, "weight 1")}
    spare = {"spare_up": (live, "weight 1")}
    out = [global_section(a)]
    roles, members = {}, []
    for name, mode, maxconn, servers in (("http", "http", 1000, http),
                                         ("tcp", "tcp", 1000, tcp),
                                         ("full", "http", 1, full),
                                         ("spare", "http", 1000, spare)):
        out.append(f"frontend {lst[name]}\n    mode {mode}\n"
                   f"    bind 127.0.0.1:{ports[name]}\n"
                   f"    maxconn {maxconn}\n"
                   f"    default_backend {pools[name]}:{lst[name]}\n\n")
        out.append(f"backend {pools[name]}:{lst[name]}\n    mode {mode}\n"
                   f"    balance roundrobin\n")
        if mode == "http":
            out.append("    option httpchk GET /\n"
                       "    http-check expect status 200\n")
        for role, (addr, opts) in servers.items():
            mid = uid(rng)
            roles[role] = mid
            members.append([mid, pools[name], lst[name]])
            out.append(f"    server {mid} {addr} {opts}\n")
        out.append("\n")
    out.append(helpers(a, ports))
    manifest = {
        "socket": a.socket, "admin_socket": a.admin_socket, "ports": ports,
        "listeners": lst,
        "pools": [[pools[k], lst[k]] for k in names],
        "pool_roles": pools,
        "members": members,
        "member_roles": roles,
    }
    return "".join(out), manifest


SCENARIOS = {"mixed": mixed, "scale": scale, "states": states}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default="mixed")
    p.add_argument("--socket", required=True)
    p.add_argument("--admin-socket", help="a second stats socket, level admin")
    p.add_argument("--base-port", type=int, default=21000)
    p.add_argument("--agent-port", type=int, default=9102)
    p.add_argument("--listeners", type=int, default=3)
    p.add_argument("--members", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--member-address", help="scale: where every member "
                   "points (default: a proxy of this HAProxy's own)")
    p.add_argument("--keep-alive", action="store_true", help="scale: "
                   "connections kept alive and reused, as Octavia's "
                   "templates do")
    p.add_argument("--promex-port", type=int, help="scale: HAProxy's "
                   "exporter here (Octavia's is 9101)")
    p.add_argument("--haproxy-version", default="",
                   help="the HAProxy that will run it, e.g. 2.0.0 "
                   "(default: 2.2 or later)")
    p.add_argument("--config", required=True)
    p.add_argument("--manifest", required=True)
    a = p.parse_args()
    import random
    rng = random.Random(a.seed)
    cfg, manifest = SCENARIOS[a.scenario](a, rng)
    with open(a.config, "w") as f:
        f.write(cfg)
    with open(a.manifest, "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
