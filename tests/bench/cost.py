#!/usr/bin/env python3
"""What monitoring costs the load balancer: a one-vCPU amphora's HAProxy
at saturation while it is scraped. bench.py runs this in a network
namespace of its own (unshare --net), where Octavia's ports are free, and
prints what it measured beside its other tables.

CPU 0 is the amphora: HAProxy (an Octavia-shaped config, the scale
scenario) and whatever answers the scrapes (the agent, or HAProxy's own
exporter, or upstream's prometheus-proxy in front of it). CPU 1 is the
rest of the world: wrk driving listener 0 at saturation, the members'
backend (a second HAProxy answering 200), and the scrapers.

Two measurements:
  cost per scrape  no traffic; CPU time (/proc/<pid>/task/*/schedstat, in
                   ns) each process spends per scrape, per encoding, and
                   HAProxy's for one bare `show stat` (bench_rawread) and
                   for its exporter: the kinds taking turns, a second
                   apart, the median of each.
  throughput lost  wrk on listener 0 for a few scrape intervals, scraped
                   by two Prometheus-like clients (an HA pair: Prometheus's
                   captured headers, gzip, a 10 s timeout) half an interval
                   apart; listener 0's request count read every 0.25 s,
                   each interval's rate against the quiet ones around it
                   (wrk's rate drifts by 20% over minutes on this VM, more
                   than any scrape costs). Beside it, the same from CPU
                   accounting: the answering process's CPU, plus
                   HAProxy's per scrape, over the interval.

    cost.py --agent A --rawread R --scales 50x20 200x50 --json out.json
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "tools")
sys.path.insert(0, TOOLS)
from testnet import stop_all, wait_port  # noqa: E402

AMPHORA, WORLD = 0, 1                   # CPUs
PROMEX, PROXY = 9101, 9102              # Octavia's ports for the chain
AGENT, AGENT_FRESH, AGENT_PAIR, BACKEND, BASE = 9200, 9201, 9202, 9300, 20000
PROXY_BIN = "/usr/bin/prometheus-proxy"
PROM_REQ = os.path.join(HERE, "..", "fixtures", "http", "prometheus.req")
ENCODINGS = ("identity", "gzip", "zstd")


def prometheus_headers():
    """The headers Prometheus sends (captured: tests/fixtures/http), but
    its scrape timeout's."""
    out = []
    for line in open(PROM_REQ, newline="").read().split("\r\n")[1:]:
        if line and not line.lower().startswith(("host:", "x-prometheus")):
            out += ["-H", line]
    return out + ["-H", "X-Prometheus-Scrape-Timeout-Seconds: 10"]


TICK_NS = 1e9 / os.sysconf("SC_CLK_TCK")


def cpu_ns(pid):
    """CPU time of pid so far: its live threads' in ns (schedstat), or
    the whole process's in clock ticks when threads have come and gone
    (upstream's proxy has one a request), whichever says more."""
    live = 0
    for f in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            live += int(open(f).read().split()[0])
        except (OSError, IndexError, ValueError):
            pass                        # a thread gone meanwhile
    stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = (int(stat[11]) + int(stat[12])) * TICK_NS   # utime, stime
    return max(live, ticks)


def scrape(url, headers, timeout):
    """One scrape on a new connection: (HTTP code, bytes, seconds)."""
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time",
                          str(timeout), "-w",
                          "%{http_code} %{size_download} %{time_total}"] +
                         headers + [url], capture_output=True).stdout.split()
    return int(out[0]), int(out[1]), float(out[2])


class Amphora:
    """HAProxy, the agent, and upstream's chain, pinned to CPU 0."""

    def __init__(self, work, args, listeners, members):
        self.procs, self.work, self.args = [], work, args
        try:
            self.setup(listeners, members)
        except BaseException:
            self.stop()         # nothing started may outlive a failure
            raise

    def setup(self, listeners, members):
        work, args = self.work, self.args
        self.sock = os.path.join(work, "lb.sock")
        backend = os.path.join(work, "backend.cfg")
        with open(backend, "w") as f:
            f.write("global\n    maxconn 4000\n    nbthread 1\n"
                    "defaults\n    mode http\n    timeout client 50s\n"
                    "    timeout connect 2s\n    timeout server 50s\n"
                    f"frontend members\n    bind 127.0.0.1:{BACKEND}\n"
                    "    http-request return status 200 content-type "
                    "text/plain string ok\n")
        self.start(["haproxy", "-db", "-f", backend], WORLD)
        cfg = os.path.join(work, "haproxy.cfg")
        man = os.path.join(work, "manifest.json")
        subprocess.run([sys.executable, os.path.join(
            TOOLS, "octavia_haproxy_cfg.py"), "--scenario", "scale",
            "--listeners", str(listeners), "--members", str(members),
            "--socket", self.sock, "--base-port", str(BASE),
            "--promex-port", str(PROMEX), "--agent-port", str(PROXY),
            "--member-address", f"127.0.0.1:{BACKEND}", "--keep-alive",
            "--config", cfg,
            "--manifest", man], check=True)
        self.m = json.load(open(man))
        self.haproxy = self.start(["haproxy", "-db", "-f", cfg], AMPHORA)
        wait_port(PROMEX, 60)
        wait_port(BACKEND)
        self.lb_url = f"http://127.0.0.1:{BASE + 10}/"
        self.agent = self.start_agent(AGENT, "1s")
        self.fresh = self.start_agent(AGENT_FRESH, "0")
        # an HA pair half an interval apart shares one read, and one
        # coding of it, when the snapshot may serve the second client
        self.pair = self.start_agent(AGENT_PAIR,
                                     f"{args.window * 1000 // 2 + 500}ms")
        self.proxy = None
        if os.path.exists(PROXY_BIN):
            self.proxy = self.start([PROXY_BIN], AMPHORA)
            wait_port(PROXY)

    def start(self, cmd, cpu, log=None):
        p = subprocess.Popen(["taskset", "-c", str(cpu)] + cmd,
                             stdout=subprocess.DEVNULL,
                             stderr=open(log, "w") if log else
                             subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def start_agent(self, port, min_interval):
        conf = os.path.join(self.work, f"agent-{port}.conf")
        with open(conf, "w") as f:
            f.write(f"stats-socket {self.sock}\n"
                    f"min-scrape-interval {min_interval}\n"
                    "scrape-timeout 30s\n"
                    f"listener bench {{\n  bind 127.0.0.1:{port}\n}}\n")
        p = self.start([self.args.agent, "-d", "-f", conf], AMPHORA,
                       os.path.join(self.work, f"agent-{port}.log"))
        wait_port(port)
        return p

    def stop(self):
        stop_all(self.procs)


def per_scrape(procs, n, do, gap=0.0):
    """CPU ms each of procs spends per call of do(), over n calls, gap
    seconds apart."""
    do()                                                # warm up
    before = [cpu_ns(p.pid) for p in procs]
    for _ in range(n):
        time.sleep(gap)
        do()
    return [(cpu_ns(p.pid) - b) / n / 1e6 for p, b in zip(procs, before)]


def taking_turns(kinds, n, gap):
    """kinds: name -> (procs, do). CPU ms each proc spends per call of its
    kind's do(), the median of n rounds in which the kinds take turns, gap
    seconds before each call. This VM's speed drifts by a third over
    minutes (HAProxy's own show stat took 47 to 96 ms within one, as
    scrapes 15 s apart see it), so kinds measured one block after another
    would be ratios between different machines."""
    for _, do in kinds.values():
        do()                                            # warm up
    got = {name: [[] for _ in procs] for name, (procs, _) in kinds.items()}
    for _ in range(n):
        for name, (procs, do) in kinds.items():
            time.sleep(gap)
            before = [cpu_ns(p.pid) for p in procs]
            do()
            for xs, p, b in zip(got[name], procs, before):
                xs.append((cpu_ns(p.pid) - b) / 1e6)
    return {name: [statistics.median(xs) for xs in lists]
            for name, lists in got.items()}


def cost_per_scrape(amp, n):
    r = {}
    h = amp.haproxy
    url = f"http://127.0.0.1:{AGENT_FRESH}/metrics"

    def agent_scrape(enc):
        return lambda: scrape(url, ["-H", f"Accept-Encoding: {enc}"], 60)
    # a second apart, as scrapes 15 s apart see it: what HAProxy counts
    # in seconds (its check timers) has changed, so the pieces holding it
    # are coded again; HAProxy's bare read and its exporter the same way
    kinds = {enc: ([amp.fresh, h], agent_scrape(enc)) for enc in ENCODINGS}
    kinds["show_stat"] = ([h], lambda: subprocess.run(
        [amp.args.rawread, amp.sock, "1"], capture_output=True, check=True))
    kinds["promex"] = ([h], lambda: scrape(
        f"http://127.0.0.1:{PROMEX}/metrics", [], 60))
    cpu = taking_turns(kinds, n, 1.1)
    for enc in ENCODINGS:
        r[f"cpu_agent_{enc}"], r[f"cpu_agent_{enc}_haproxy"] = cpu[enc]
        r[f"bytes_{enc}"] = agent_scrape(enc)()[1]
    r["cpu_show_stat"], = cpu["show_stat"]
    r["cpu_promex"], = cpu["promex"]
    shared = f"http://127.0.0.1:{AGENT_PAIR}/metrics"
    hdr = prometheus_headers()
    scrape(shared, hdr, 60)             # the read, and the head kept
    r["cpu_agent_shared"], = per_scrape([amp.pair], n, lambda: scrape(
        shared, hdr, 60))
    if amp.proxy:
        ok = []
        r["cpu_upstream_proxy"], r["cpu_upstream_haproxy"] = per_scrape(
            [amp.proxy, h], max(1, n // 5), lambda: ok.append(scrape(
                f"http://127.0.0.1:{PROXY}/metrics", [], 120)[0] == 200))
        r["cpu_upstream_ok"] = all(ok)
    return r


def frontend_requests(sock, name):
    """Listener name's request count (req_tot) from HAProxy's socket."""
    import socket
    c = socket.socket(socket.AF_UNIX)
    c.connect(sock)
    c.sendall(f"show stat {name} 1 -1\n".encode())
    data = b""
    while chunk := c.recv(65536):
        data += chunk
    c.close()
    lines = data.decode().split("\n")
    col = lines[0].lstrip("# ").split(",").index("req_tot")
    return int(lines[1].split(",")[col])


class Sampler(threading.Thread):
    """Listener 0's requests and the answering process's CPU every SAMPLE
    seconds, from CPU 1: wrk's throughput as a time series."""
    SAMPLE = 0.25

    def __init__(self, amp, proc):
        super().__init__()
        self.amp, self.proc, self.stop = amp, proc, threading.Event()
        self.samples = []           # (t, requests, exporter CPU ns)

    def run(self):
        name = self.amp.m["listeners"]["0"]
        t = time.monotonic()
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), frontend_requests(
                self.amp.sock, name), cpu_ns(self.proc.pid)
                if self.proc else 0))
            t += self.SAMPLE
            self.stop.wait(max(0, t - time.monotonic()))


def scraped_run(amp, seconds, url, proc, window, clients=2):
    """wrk on listener 0 for seconds, scraped by clients every window
    seconds, evenly spaced; the rate series, the scrapes' (start, end,
    code) and the exporter's CPU over the run."""
    hdr, scrapes, timers = prometheus_headers(), [], []

    def one():
        t0 = time.monotonic()
        code = scrape(url, hdr, 10)[0]
        scrapes.append((t0, time.monotonic(), code))
    start = time.monotonic()
    if url:
        for k in range(int(seconds // window)):
            for i in range(clients):
                timers.append(threading.Timer(
                    2 + k * window + i * window / clients, one))
    sampler = Sampler(amp, proc)
    took0 = cpu_ns(proc.pid) if proc else 0
    sampler.start()
    for t in timers:
        t.start()
    subprocess.run(["wrk", "-t1", "-c32", f"-d{seconds + 2}s", amp.lb_url],
                   capture_output=True, check=True)
    for t in timers:
        t.join()
    sampler.stop.set()
    sampler.join()
    took = (cpu_ns(proc.pid) - took0) / 1e6 if proc else 0
    return sampler.samples, [(a - start, b - start, c) for a, b, c in
                             scrapes], took, start


def deficit(samples, scrapes, start):
    """The share of listener 0's requests the scrapes cost: each interval's
    rate against the median of the quiet ones within 4 s of it (quiet: no
    scrape under way or ended less than 1 s before, the exporter idle)."""
    rates = []
    for (t0, r0, c0), (t1, r1, c1) in zip(samples, samples[1:]):
        m = (t0 + t1) / 2 - start
        busy = any(a - 0.25 <= m <= b + 1 for a, b, _ in scrapes) or \
            c1 - c0 > 1e6
        rates.append((m, (r1 - r0) / (t1 - t0), not busy))
    rates = rates[4:-4]                         # wrk's ramp and end
    quiet = [r for _, r, q in rates if q]
    if len(quiet) < len(rates) / 4:
        return None                             # never quiet: no baseline
    got = want = 0
    for m, r, _ in rates:
        near = [x for t, x, q in rates if q and abs(t - m) <= 4] or quiet
        got += r
        want += statistics.median(near)
    return 1 - got / want, statistics.median(quiet)


def queries(url):
    """The agent's reads of HAProxy so far (this one included)."""
    body = subprocess.run(["curl", "-s", url], capture_output=True,
                          check=True).stdout.decode()
    for line in body.split("\n"):
        if line.startswith("octavia_exporter_socket_queries_total "):
            return float(line.split()[1])
    raise RuntimeError(f"{url}: no socket queries")


def settle(proc, quiet_ms=5, limit=300):
    """Waits until proc spends less than quiet_ms of CPU in half a second."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_ns(proc.pid)
        time.sleep(0.5)
        if cpu_ns(proc.pid) - before < quiet_ms * 1e6:
            return


def throughput_lost(amp, window, rounds):
    """For each of the agent, promex and upstream's chain: listener 0 at
    saturation for rounds scrape intervals, scraped by two clients."""
    who = [("agent", f"http://127.0.0.1:{AGENT}/metrics", amp.agent),
           ("pair", f"http://127.0.0.1:{AGENT_PAIR}/metrics", amp.pair),
           ("promex", f"http://127.0.0.1:{PROMEX}/metrics", None)]
    if amp.proxy:
        who.append(("upstream", f"http://127.0.0.1:{PROXY}/metrics",
                    amp.proxy))
    subprocess.run(["wrk", "-t1", "-c32", "-d2s", amp.lb_url],
                   capture_output=True, check=True)    # warm up
    r = {"window": window}
    base, _, _, start = scraped_run(amp, max(6, window), None, None, window)
    r["base"] = deficit(base, [], start)[1]
    for name, url, proc in who:
        # HAProxy's reads an interval, from the agent's count: each count
        # read once its snapshot is too old to serve the run or be served
        # by it (which would hide a read)
        counted = proc in (amp.agent, amp.pair)
        age = window / 2 + 1 if proc is amp.pair else 1.5
        if counted:
            # Prometheus scraped it before: what the agent keeps from one
            # scrape to the next (its coded pieces) is there, as it is
            # past the first scrape of its life
            scrape(url, prometheus_headers(), 60)
            q0 = queries(url)
            time.sleep(age)
        samples, scrapes, took, start = scraped_run(
            amp, rounds * window, url, proc, window)
        if proc:                # a scrape given up on may still be working
            settle(proc)
            took = max(took, (cpu_ns(proc.pid) - samples[0][2]) / 1e6)
        if counted:             # (a scrape of its own: after the CPU read)
            time.sleep(age)
            r[f"reads_{name}"] = (queries(url) - q0 - 1) / rounds
        d = deficit(samples, scrapes, start)
        r[f"lost_{name}"] = d[0] if d else None
        r[f"took_{name}"] = took / rounds        # exporter CPU ms a window
        r[f"answered_{name}"] = sum(1 for s in scrapes if s[2] == 200)
        r[f"scrapes_{name}"] = len(scrapes)
    return r


def cpu_lost(r, name, clients=2):
    """The share of CPU 0 a scraped window took from HAProxy's traffic:
    the answering process's CPU in it, plus HAProxy's for each read."""
    haproxy = {"agent": "cpu_agent_gzip_haproxy",
               "pair": "cpu_agent_gzip_haproxy", "promex": "cpu_promex",
               "upstream": "cpu_upstream_haproxy"}[name]
    reads = r.get(f"reads_{name}", clients)
    return (r[f"took_{name}"] + reads * r[haproxy]) / (r["window"] * 1e3)


def fmt_ms(x):
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def report(results):
    """Prints the two tables; returns the targets as (what, met)."""
    print()
    print("what a scrape costs the amphora: CPU ms per scrape, no traffic "
          "(HAProxy and the exporter on one CPU)")
    print(f"{'members':>8} | {'show stat':>9} | {'agent':>13} | "
          f"{'agent gzip':>13} | {'agent zstd':>13} | {'2nd, kept':>9} | "
          f"{'promex':>8} | {'upstream chain':>18}")
    for r in results:
        cells = [f"{fmt_ms(r[f'cpu_agent_{e}']):>6} +{fmt_ms(r[f'cpu_agent_{e}_haproxy']):>5}"
                 for e in ENCODINGS]
        up = "-"
        if "cpu_upstream_proxy" in r:
            up = (f"{fmt_ms(r['cpu_upstream_proxy'])} +"
                  f"{fmt_ms(r['cpu_upstream_haproxy'])}"
                  + ("" if r["cpu_upstream_ok"] else " (failed)"))
        print(f"{r['members']:>8} | {fmt_ms(r['cpu_show_stat']):>9} | " +
              " | ".join(cells) + f" | {fmt_ms(r['cpu_agent_shared']):>9} | "
              f"{fmt_ms(r['cpu_promex']):>8} | {up:>18}")
    print("  agent cells: the agent's CPU + HAProxy's for that scrape (a "
          "fresh read each); 2nd, kept: Prometheus's request (OpenMetrics, "
          "gzip) served from a snapshot whose coded head a scrape before it "
          "kept; promex: HAProxy's; upstream: prometheus-proxy's + "
          "HAProxy's")
    for r in results:
        b = r["bytes_identity"]
        print(f"  {r['members']:>6} members: gzip/show stat "
              f"{r['cpu_agent_gzip'] / r['cpu_show_stat']:.2f}, zstd/show "
              f"stat {r['cpu_agent_zstd'] / r['cpu_show_stat']:.2f}, "
              f"identity/show stat "
              f"{r['cpu_agent_identity'] / r['cpu_show_stat']:.2f}; body "
              f"{b / 1e6:.1f} MB, gzip {r['bytes_gzip'] / b * 100:.1f}%, "
              f"zstd {r['bytes_zstd'] / b * 100:.1f}%")
    print()
    print("throughput lost: listener 0 at saturation (wrk, 32 connections), "
          "scraped by two Prometheus (OpenMetrics, gzip) once each window")
    names = [n for n in ("agent", "pair", "promex", "upstream")
             if f"lost_{n}" in results[0]]
    print(f"{'members':>8} | {'LB req/s':>8} | " +
          " | ".join(f"{n + ' CPU / wrk':>20}" for n in names))
    checks = []
    for r in results:
        cells = []
        for n in names:
            w = r[f"lost_{n}"]
            ans = ""
            if r[f"answered_{n}"] < r[f"scrapes_{n}"]:
                ans = f" {r[f'answered_{n}']}/{r[f'scrapes_{n}']} ok"
            cells.append(f"{cpu_lost(r, n) * 100:>5.2f}% / " +
                         (f"{w * 100:>5.2f}%" if w is not None else "    -")
                         + ans)
        print(f"{r['members']:>8} | {r['base']:>8.0f} | " +
              " | ".join(f"{c:>20}" for c in cells))
        if r["members"] >= 10000:
            a, p = cpu_lost(r, "agent"), cpu_lost(r, "promex")
            checks += [
                (f"agent CPU per gzip scrape <= 2.0x HAProxy's show stat at "
                 f"{r['members']}",
                 r["cpu_agent_gzip"] <= 2.0 * r["cpu_show_stat"]),
                (f"agent CPU per zstd scrape <= 1.2x HAProxy's show stat at "
                 f"{r['members']}",
                 r["cpu_agent_zstd"] <= 1.2 * r["cpu_show_stat"]),
                (f"throughput lost to two gzip scrapes every {r['window']} s "
                 f"<= 1% at {r['members']}", a <= 0.01),
                (f"throughput lost <= 1/3 of promex's at {r['members']}",
                 a <= p / 3)]
            pair = cpu_lost(r, "pair")
            checks += [
                (f"throughput lost to the HA pair sharing snapshots <= 1% at "
                 f"{r['members']}", pair <= 0.01),
                (f"throughput lost to the HA pair sharing snapshots <= 1/3 of "
                 f"promex's at {r['members']}", pair <= p / 3)]
    print("  pair: the agent with min-scrape-interval half the interval "
          "and 0.5 s, so the second client of the pair is served the "
          "first's snapshot and coded head; HAProxy reads an interval: " +
          ", ".join(f"{r['members']}: agent {r.get('reads_agent', 0):.1f}, "
                    f"pair {r.get('reads_pair', 0):.1f}" for r in results))
    print("  the agent's CPU an interval in the run, ms: " + ", ".join(
        f"{r['members']}: agent {r.get('took_agent', 0):.1f}, pair "
        f"{r.get('took_pair', 0):.1f}" for r in results) +
        " (two scrapes each; against the table above)")
    print(f"  CPU: the answering process's CPU in an interval plus HAProxy's "
          f"per read (table above), over the interval "
          f"({results[0]['window']} s); wrk: listener 0's requests every "
          f"{Sampler.SAMPLE} s against the quiet intervals within 4 s "
          f"(- when never quiet)")
    floor = [f"{r['members']}: {2 * r['cpu_show_stat'] / r['window'] / 10:.2f}%"
             for r in results]
    print(f"  HAProxy's own share for two show stat reads a window, which any "
          f"exporter reading it pays: {', '.join(floor)}")
    return checks


def run(args):
    os.sched_setaffinity(0, {WORLD})
    results = []
    for name in args.scales:
        nl, nm = map(int, name.split("x"))
        work = tempfile.mkdtemp(prefix=f"cost-{name}-")
        amp = Amphora(work, args, nl, nm)
        try:
            r = {"members": nl * nm}
            r.update(cost_per_scrape(amp, args.scrapes))
            r.update(throughput_lost(amp, args.window, args.rounds))
            results.append(r)
        finally:
            amp.stop()
            shutil.rmtree(work, ignore_errors=True)
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agent", required=True)
    p.add_argument("--rawread", required=True)
    p.add_argument("--scales", nargs="+", default=["50x20", "200x50"])
    p.add_argument("--scrapes", type=int, default=10,
                   help="scrapes per encoding for the CPU table")
    p.add_argument("--window", type=int, default=15,
                   help="seconds, the scrape interval")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--json", required=True)
    args = p.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("cost: needs two CPUs")
    json.dump(run(args), open(args.json, "w"))


if __name__ == "__main__":
    main()
