#!/usr/bin/env python3
"""The project's own config generator against Octavia's templater, on a
shape both can make.

The suites render with Octavia's own templater (tests/tools/
octavia_render.py) wherever Octavia can make the shape; the project's
generator (tests/tools/octavia_haproxy_cfg.py) stays for what Octavia
cannot make: 10,000 members for the load and benchmark runs, a second
stats socket of level admin for the states scenario. So that what it
writes stays what Octavia writes, both render "scale" (N HTTP listeners of
M unchecked members), a real HAProxy runs each, and the agent's answer
(--once) must be the same in both: the same families, the same series
once each UUID is replaced by its place in the manifest, the same values
but where the two configurations differ on purpose, listed in DIFFER.

    test_render.py --agent BIN      (needs python3-octavia, haproxy)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "tools")
sys.path.insert(0, TOOLS)
import expfmt  # noqa: E402
from testnet import free_port_block, wait_for  # noqa: E402

# Values that differ because the two configurations do, and why.
DIFFER = {
    # Octavia sums its listeners' connection limits into global maxconn
    # (3 x 100); the generator sets 4000 (HAProxy refuses more than the
    # descriptor limit allows on a test machine)
    "octavia_loadbalancer_max_connections":
        "global maxconn: Octavia's sum of the listeners' limits",
    # Octavia sets each backend's fullconn to its listener's limit, which
    # HAProxy reports as the backend's session limit
    "octavia_pool_limit_sessions": "fullconn: the listener's limit",
}
# Values that move with time or with HAProxy's own activity.
MOVING = ("_seconds", "octavia_loadbalancer_", "octavia_memory_pool_",
          "octavia_exporter_")


def render(kind, tool, work, ports, agent_port, seed):
    cfg = os.path.join(work, f"{kind}.cfg")
    man = os.path.join(work, f"{kind}.json")
    sock = os.path.join(work, f"{kind}.sock")
    args = ["--scenario", "scale", "--listeners", "3", "--members", "4",
            "--socket", sock, "--base-port", str(ports),
            "--agent-port", str(agent_port), "--seed", str(seed),
            "--config", cfg, "--manifest", man]
    if kind == "octavia":
        version = subprocess.run(["haproxy", "-v"], capture_output=True,
                                 text=True).stdout.split()[2]
        cmd = ["/usr/bin/python3", tool, "haproxy",
               "--haproxy-version", version] + args
    else:
        cmd = [sys.executable, tool] + args
    subprocess.run(cmd, check=True)
    return cfg, json.load(open(man)), sock


def places(m):
    """UUID -> its place: listener i, pool i, member i.j."""
    out = {}
    for i, lid in sorted(m["listeners"].items()):
        out[lid] = f"listener{i}"
    for i, (pid, _) in enumerate(m["pools"]):
        out[pid] = f"pool{i}"
    seen = {}
    for mid, pid, _ in m["members"]:
        n = seen.setdefault(pid, 0)
        seen[pid] = n + 1
        out[mid] = f"{out[pid]}.member{n}"
    return out


def answer(agent, cfg, sock, m, work, kind):
    hap = subprocess.Popen(["haproxy", "-db", "-f", cfg],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(sock), 10, f"{kind}'s socket")
        time.sleep(0.5)
        out = subprocess.run([agent, "--once", "-s", sock,
                              "--loadbalancer-id", m.get(
                                  "loadbalancer",
                                  "00000000-0000-4000-8000-000000000000")],
                             capture_output=True, text=True, check=True)
    finally:
        hap.terminate()
        hap.wait()
    ids = places(m)
    series = {}
    for fam in expfmt.parse(out.stdout).values():
        for s in fam.samples:
            lab = tuple(sorted((k, ids.get(v, v)) for k, v in
                               s.labels.items() if k not in (
                                   "loadbalancer", "haproxy_version")))
            series[(fam.name, lab)] = s.value
    return series


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agent", required=True)
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="apa-render.")
    try:
        got = {}
        for kind, tool in (("octavia", "octavia_render.py"),
                           ("generator", "octavia_haproxy_cfg.py")):
            ports = free_port_block(20)
            cfg, m, sock = render(kind, os.path.join(TOOLS, tool), work,
                                  ports, free_port_block(1), 7)
            got[kind] = answer(a.agent, cfg, sock, m, work, kind)
        octavia, ours = got["octavia"], got["generator"]
        assert set(octavia) == set(ours), (
            f"only Octavia's: {sorted(set(octavia) - set(ours))[:4]}; "
            f"only the generator's: {sorted(set(ours) - set(octavia))[:4]}")
        compared, differ = 0, {}
        for key, v in octavia.items():
            name = key[0]
            if name not in DIFFER and (name.startswith(MOVING) or
                                       name.endswith(MOVING[0])):
                continue
            compared += 1
            w = ours[key]
            if v != w and not (v != v and w != w):      # NaN == NaN
                differ.setdefault(name, []).append((dict(key[1]), v, w))
        assert set(differ) == set(DIFFER), (
            {k: v[:2] for k, v in differ.items() if k not in DIFFER},
            sorted(set(DIFFER) - set(differ)))
        print(f"PASS Octavia's templater and tests/tools/"
              f"octavia_haproxy_cfg.py agree on 'scale' (3 listeners x 4 "
              f"members): {len(octavia)} series, the same set; "
              f"{compared} values compared, equal but in "
              f"{len(differ)} families the two configurations set "
              f"differently on purpose ({', '.join(sorted(differ))})")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
