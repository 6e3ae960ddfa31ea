#!/usr/bin/env python3
"""Benchmark: the agent against HAProxy's own exporter, the Go
haproxy_exporter and the raw stats-socket read, on a real HAProxy with
Octavia-shaped configs at three scales. Prints figures and ratios; asserts
nothing (tests/run.sh runs --smoke to check that it still runs).

    tests/bench/bench.py --agent build/amphora-agent/amphora-prometheus-agent \\
                         --rawread build/tests/bench_rawread

Every scrape of the agent reads HAProxy afresh (min-scrape-interval 0),
except in the throughput run, which uses the default 1 s and counts the
socket queries it made.
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "tools")
sys.path.insert(0, TOOLS)
sys.path.insert(0, HERE)
import tlscerts  # noqa: E402
from testnet import free_port_block, stop_all, wait_port  # noqa: E402
import cost  # noqa: E402

SCALES = [("3x3", 3, 3), ("50x20", 50, 20), ("200x50", 200, 50)]
TLS_SCALES = ("3x3", "50x20", "2x2")     # S and M (and the smoke run's)


def free_port():
    return free_port_block(1)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def curl_times(url, n, gzip=False, cacert=None):
    """n scrapes, each on a new connection (a TLS handshake each, over
    https); (times in ms, bytes)."""
    times, size = [], 0
    cmd = ["curl", "-s", "-o", "/dev/null", "-w",
           "%{time_total} %{size_download} %{http_code}"]
    if cacert:
        cmd += ["--cacert", cacert]
    if gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    for _ in range(n):
        out = subprocess.run(cmd + [url], capture_output=True,
                             check=True).stdout.decode().split()
        if out[2] != "200":
            raise RuntimeError(f"{url}: HTTP {out[2]}")
        times.append(float(out[0]) * 1e3)
        size = int(out[1])
    return times, size


def samples(body):
    """Samples in one scrape: what a load balancer costs a Prometheus."""
    return sum(1 for line in body.decode().split("\n")
               if line and not line.startswith("#"))


class BodyServer(threading.Thread):
    """One body over HTTP/1.1 from memory, a connection a request: what
    receiving the agent's body costs the client, without the agent (the
    exposition format groups a family's lines, and every family needs the
    last row of HAProxy's answer, so the body cannot go out before the
    read ends)."""

    def __init__(self, body):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/metrics"
        self.reply = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                      % len(body)) + body

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return                  # closed
            with c:
                c.recv(65536)
                c.sendall(self.reply)

    def close(self):
        self.sock.close()


def vmhwm_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def anon_kb(pid):
    """Anonymous memory now: the agent's own, without the libraries'
    file pages (libcrypto's alone are 1.4 MB of RSS, which an amphora's
    HAProxy maps too)."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return 0


def metric(url, name):
    body = subprocess.run(["curl", "-s", url], capture_output=True,
                          check=True).stdout.decode()
    m = re.search(rf"^{name} (\S+)$", body, re.M)
    return float(m.group(1))


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c20", f"-d{seconds}s", url],
                         capture_output=True, check=True).stdout.decode()
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


class Stack:
    """HAProxy + agent (+ haproxy_exporter) for one scale."""

    def __init__(self, work, listeners, members, min_interval="0"):
        self.procs = []
        self.work = work
        self.sock = os.path.join(work, "lb.sock")
        base = free_port_block(listeners + 20)
        self.agent_port = free_port()
        cfg = os.path.join(work, "haproxy.cfg")
        man = os.path.join(work, "manifest.json")
        subprocess.run([sys.executable, os.path.join(TOOLS,
                        "octavia_haproxy_cfg.py"), "--scenario", "scale",
                        "--listeners", str(listeners), "--members",
                        str(members), "--socket", self.sock, "--base-port",
                        str(base), "--agent-port", str(self.agent_port),
                        "--config", cfg, "--manifest", man], check=True)
        self.m = json.load(open(man))
        self.start(["haproxy", "-db", "-f", cfg])
        deadline = time.time() + 30
        while not os.path.exists(self.sock) and time.time() < deadline:
            time.sleep(0.05)
        wait_port(self.m["ports"]["promex"])
        self.agent = None
        self.exporter_port = None

    def start(self, cmd, log=None):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                             stderr=open(log, "w") if log else
                             subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def start_agent(self, binary, min_interval, port=None, tls_port=None):
        """The agent; with tls_port, a second listener there over TLS
        (certificates made here), the same snapshots behind both."""
        port = port or self.agent_port
        conf = os.path.join(self.work, f"agent-{port}.conf")
        tls = ""
        if tls_port:
            self.certs = tlscerts.make(os.path.join(self.work, "certs"))
            tls = (f"listener bench-tls {{\n  bind 127.0.0.1:{tls_port}\n"
                   f"  tls-certificate {self.certs['server.pem']}\n}}\n")
        with open(conf, "w") as f:
            f.write(f"stats-socket {self.sock}\n"
                    f"min-scrape-interval {min_interval}\n"
                    f"scrape-timeout 30s\n"
                    f"listener bench {{\n  bind 127.0.0.1:{port}\n}}\n" + tls)
        p = self.start([binary, "-d", "-f", conf],
                       os.path.join(self.work, f"agent-{port}.log"))
        wait_port(port)
        if tls_port:
            wait_port(tls_port)
            return (p, f"http://127.0.0.1:{port}/metrics",
                    f"https://127.0.0.1:{tls_port}/metrics")
        return p, f"http://127.0.0.1:{port}/metrics"

    def start_exporter(self):
        if shutil.which("prometheus-haproxy-exporter") is None:
            return None
        port = free_port()
        self.start(["prometheus-haproxy-exporter",
                    f"--haproxy.scrape-uri=unix:{self.sock}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--haproxy.timeout=60s"])
        wait_port(port)
        return f"http://127.0.0.1:{port}/metrics"

    def stop(self):
        stop_all(self.procs)


def fmt_ms(x):
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def run(args):
    scales = [("2x2", 2, 2)] if args.smoke else [
        s for s in SCALES if not args.scales or s[0] in args.scales]
    n = 3 if args.smoke else args.iterations
    rows, extra = [], {}
    for name, nl, nm in scales:
        work = tempfile.mkdtemp(prefix=f"bench-{name}-")
        st = Stack(work, nl, nm)
        try:
            agent, agent_url = st.start_agent(args.agent, "0")
            exp_url = st.start_exporter()
            promex_url = f"http://127.0.0.1:{st.m['ports']['promex']}/metrics"
            iters = max(3, n // 4) if nl * nm >= 10000 else n
            r = {"scale": name, "members": nl * nm}
            out = subprocess.run([args.rawread, st.sock, str(iters)],
                                 capture_output=True, check=True
                                 ).stdout.decode().split("\n")
            raw = [float(line.split()[0]) for line in out if line]
            r["raw_bytes"] = int(out[0].split()[1])
            r["raw"] = raw
            curl_times(agent_url, 2)                       # warm up
            r["agent"], r["agent_bytes"] = curl_times(agent_url, iters)
            r["rss_identity_kb"] = vmhwm_kb(agent.pid)
            r["agent_gz"], r["agent_gz_bytes"] = curl_times(
                agent_url, iters, gzip=True)
            r["pieces_kb"] = metric(
                agent_url, "octavia_exporter_coded_pieces_bytes") / 1024
            body = subprocess.run(["curl", "-s", agent_url],
                                  capture_output=True, check=True).stdout
            r["samples"] = samples(body)
            mem = BodyServer(body)
            mem.start()
            curl_times(mem.url, 1)
            r["memory"], _ = curl_times(mem.url, iters)
            mem.close()
            curl_times(promex_url, 1)
            r["promex"], r["promex_bytes"] = curl_times(promex_url, iters)
            if exp_url:
                curl_times(exp_url, 1)
                r["exporter"], _ = curl_times(
                    exp_url, max(3, iters // 2) if nl * nm >= 1000 else iters)
            r["rss_kb"] = vmhwm_kb(agent.pid)
            r["anon_kb"] = anon_kb(agent.pid)
            rows.append(r)

            if name in TLS_SCALES:
                tls_run(args, st, r, n)
            if nl * nm < 100 and shutil.which("wrk"):
                secs = 1 if args.smoke else args.wrk_seconds
                port = free_port()
                a2, url2 = st.start_agent(args.agent, "1s", port)
                q0 = metric(url2, "octavia_exporter_socket_queries_total")
                t0 = time.time()
                extra["agent_rps"] = wrk(url2, secs)
                elapsed = time.time() - t0
                q1 = metric(url2, "octavia_exporter_socket_queries_total")
                extra["queries"] = int(q1 - q0)
                extra["wrk_seconds"] = elapsed
                extra["promex_rps"] = wrk(promex_url, secs)
                extra["wrk_rss_kb"] = vmhwm_kb(a2.pid)
        finally:
            st.stop()
            shutil.rmtree(work, ignore_errors=True)
    report(rows, extra, run_cost(args))


# cost.py's amphora: a network namespace of its own, where Octavia's ports
# are free, named amphora-haproxy in a mount namespace of its own (upstream's
# proxy enters that namespace by name).
NETNS = ("ip link set lo up && mkdir -p /run/netns && "
         "mount -t tmpfs netns /run/netns && "
         ": > /run/netns/amphora-haproxy && "
         "mount --bind /proc/self/ns/net /run/netns/amphora-haproxy && "
         'exec "$@"')


def run_cost(args):
    """What monitoring costs the load balancer (cost.py), or None."""
    if args.no_cost:
        return None
    if os.geteuid() != 0 or len(os.sched_getaffinity(0)) < 2 or \
            shutil.which("wrk") is None:
        print("cost: skipped (needs root for namespaces, two CPUs and wrk)")
        return None
    scales = ["2x2"] if args.smoke else args.cost_scales
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(["unshare", "--mount", "--net", "sh", "-c", NETNS,
                        "sh", sys.executable, os.path.join(HERE, "cost.py"),
                        "--agent", args.agent, "--rawread", args.rawread,
                        "--scales", *scales, "--json", out.name,
                        "--scrapes", "2" if args.smoke else
                        str(args.cost_scrapes),
                        "--window", "2" if args.smoke else
                        str(args.cost_window),
                        "--rounds", "1" if args.smoke else
                        str(args.cost_rounds)], check=True)
        return json.load(open(out.name))


def tls_run(args, st, r, n):
    """Clear text and TLS on one agent: latency with a new connection (and
    handshake) per scrape, then wrk's keep-alive throughput on each (min
    scrape interval 1 s, as Prometheus and the throughput run above)."""
    p, clear, tls = st.start_agent(args.agent, "0", free_port(), free_port())
    ca = st.certs["ca.pem"]
    curl_times(tls, 2, cacert=ca)
    r["tls_clear"], _ = curl_times(clear, n)
    r["tls"], _ = curl_times(tls, n, cacert=ca)
    r["tls_gz"], _ = curl_times(tls, n, gzip=True, cacert=ca)
    r["tls_rss_kb"] = vmhwm_kb(p.pid)
    if shutil.which("wrk"):
        secs = 1 if args.smoke else max(2, args.wrk_seconds // 2)
        _, clear1, tls1 = st.start_agent(args.agent, "1s", free_port(),
                                         free_port())
        r["tls_clear_rps"] = wrk(clear1, secs)
        r["tls_rps"] = wrk(tls1, secs)


def report_tls(rows):
    rows = [r for r in rows if "tls" in r]
    if not rows:
        return
    print()
    print("TLS vs clear text, one agent with a listener of each (TLS 1.3, "
          "ECDSA P-256)")
    print(f"{'members':>8} | {'clear p50 / p99':>18} | {'TLS p50 / p99':>18} "
          f"| {'TLS gzip p50/p99':>18} | {'TLS/clear p50':>13} | "
          f"{'clear req/s':>11} | {'TLS req/s':>9} | {'TLS/clear':>9}")
    for r in rows:
        c, t = statistics.median(r["tls_clear"]), statistics.median(r["tls"])
        cells = [f"{fmt_ms(pct(r[k], 50)):>8} / {fmt_ms(pct(r[k], 99)):>7}"
                 for k in ("tls_clear", "tls", "tls_gz")]
        rps = ""
        if "tls_rps" in r:
            rps = (f" | {r['tls_clear_rps']:>11.0f} | {r['tls_rps']:>9.0f} | "
                   f"{r['tls_rps'] / r['tls_clear_rps']:>9.2f}")
        print(f"{r['members']:>8} | " + " | ".join(cells) +
              f" | {t / c:>13.2f}" + rps)
    print("  latency: curl, a new connection (and handshake) each scrape; "
          "req/s: wrk, 20 keep-alive connections")


def report(rows, extra, costs):
    print()
    print("scrape latency, ms (p50 / p99), fresh HAProxy read every scrape")
    cols = [("raw read (floor)", "raw"), ("body from memory", "memory"),
            ("agent", "agent"), ("agent gzip", "agent_gz"),
            ("HAProxy promex", "promex"), ("haproxy_exporter", "exporter")]
    head = f"{'members':>8} | " + " | ".join(f"{c:>18}" for c, _ in cols)
    print(head)
    print("-" * len(head))
    for r in rows:
        cells = []
        for _, k in cols:
            if k in r:
                cells.append(f"{fmt_ms(pct(r[k], 50)):>8} / "
                             f"{fmt_ms(pct(r[k], 99)):>7}")
            else:
                cells.append(f"{'-':>18}")
        print(f"{r['members']:>8} | " + " | ".join(cells))
    print("  body from memory: the agent's identity body served whole from "
          "memory to the same client (curl): what receiving it costs, "
          "apart from reading HAProxy")
    print()
    print(f"{'members':>8} | {'RSS identity':>12} | {'with gzip':>10} | "
          f"{'pieces':>9} | {'anon':>8} | {'CSV bytes':>10} | "
          f"{'body':>11} | {'gzip body':>10} | {'promex body':>11} | "
          f"{'samples':>9} | {'per member':>10}")
    for r in rows:
        print(f"{r['members']:>8} | {r['rss_identity_kb'] / 1024:>9.1f} MB | "
              f"{r['rss_kb'] / 1024:>7.1f} MB | "
              f"{r['pieces_kb'] / 1024:>6.1f} MB | "
              f"{r['anon_kb'] / 1024:>5.1f} MB | "
              f"{r['raw_bytes']:>10} | {r['agent_bytes']:>11} | "
              f"{r['agent_gz_bytes']:>10} | {r['promex_bytes']:>11} | "
              f"{r['samples']:>9} | {r['samples'] / r['members']:>10.1f}")
    print()
    print("ratios (same run)")
    checks = []
    for r in rows:
        a = statistics.median(r["agent"])
        p = statistics.median(r["promex"])
        raw = statistics.median(r["raw"])
        gz = statistics.median(r["agent_gz"])
        mem = statistics.median(r["memory"])
        line = (f"  {r['members']:>6} members: agent/promex {a / p:.2f}, "
                f"agent/raw {a / raw:.2f} (raw read + body from memory: "
                f"{(raw + mem) / raw:.2f}), gzip/identity time {gz / a:.2f}, "
                f"gzip/identity bytes {r['agent_gz_bytes'] / r['agent_bytes']:.3f}")
        checks.append((f"p50 below promex at {r['members']}", a < p))
        if r["members"] >= 1000:
            checks.append((f"p50 <= 1.5x raw read at {r['members']}",
                           a <= 1.5 * raw))
        if r["members"] >= 10000:
            # gzip keeps the coded pieces for the next scrapes (README,
            # HTTP): memory traded for CPU, bounded apart
            checks.append((f"RSS <= 16 MB at {r['members']}, identity",
                           r["rss_identity_kb"] <= 16 * 1024))
            checks.append((f"RSS with gzip <= that + 2x the coded pieces "
                           f"kept at {r['members']}", r["rss_kb"] <=
                           16 * 1024 + 2 * r["pieces_kb"]))
        if r["members"] < 100:
            # linking OpenSSL (TLS listeners) added 1.7 MB of clean
            # library pages to RSS; the agent's own memory is the anon part
            checks.append((f"RSS <= 6 MB at {r['members']}",
                           r["rss_kb"] <= 6 * 1024))
            checks.append((f"anonymous memory <= 2 MB at {r['members']}",
                           r["anon_kb"] <= 2 * 1024))
        if "exporter" in r:
            e = statistics.median(r["exporter"])
            line += f", haproxy_exporter/agent {e / a:.1f}"
            if r["members"] >= 1000:
                checks.append((f">= 10x faster than haproxy_exporter at "
                               f"{r['members']}", e / a >= 10))
        checks.append((f"gzip <= 15% of identity at {r['members']}",
                       r["agent_gz_bytes"] <= 0.15 * r["agent_bytes"]))
        if 500 <= r["members"] < 5000:
            checks.append((f"gzip scrape <= 3x identity at {r['members']}",
                           gz <= 3 * a))
        print(line)
    if extra:
        print(f"  throughput ({extra['wrk_seconds']:.0f} s, wrk 20 "
              f"connections): agent {extra['agent_rps']:.0f} req/s, promex "
              f"{extra['promex_rps']:.0f} req/s, ratio "
              f"{extra['agent_rps'] / extra['promex_rps']:.1f}; "
              f"{extra['queries']} socket queries with min-scrape-interval "
              f"1s; agent RSS {extra['wrk_rss_kb'] / 1024:.1f} MB")
        checks.append(("throughput >= 2x promex",
                       extra["agent_rps"] >= 2 * extra["promex_rps"]))
        checks.append(("socket queried at most once a second",
                       extra["queries"] <= extra["wrk_seconds"] + 2))
    report_tls(rows)
    if costs:
        checks += cost.report(costs)
    print()
    print("targets")
    for what, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {what}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agent", required=True)
    p.add_argument("--rawread", required=True)
    p.add_argument("--iterations", type=int, default=40)
    p.add_argument("--wrk-seconds", type=int, default=10)
    p.add_argument("--scales", nargs="*", help="e.g. 3x3 50x20 200x50")
    p.add_argument("--no-cost", action="store_true",
                   help="leave out what monitoring costs the load balancer")
    p.add_argument("--cost-scales", nargs="+", default=["50x20", "200x50"])
    p.add_argument("--cost-window", type=int, default=15,
                   help="seconds: the scrape interval of the two clients")
    p.add_argument("--cost-rounds", type=int, default=2)
    p.add_argument("--cost-scrapes", type=int, default=10)
    p.add_argument("--smoke", action="store_true",
                   help="tiny scale, few scrapes: check that it runs")
    args = p.parse_args()
    for tool in ["haproxy", "curl"]:
        if shutil.which(tool) is None:
            sys.exit(f"missing {tool}")
    run(args)


if __name__ == "__main__":
    main()
