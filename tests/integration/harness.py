"""What the integration suites share: HTTP clients, HAProxy and the agent
as processes, a broken stats socket, network namespaces, and the runner.

A suite module collects its tests with `test = harness.collector(TESTS)`
and ends with `sys.exit(harness.run(sys.modules[__name__], __doc__))`;
run() parses the command line, starts the shared World (one HAProxy, one
agent), and sets ARGS and W in the harness and in the suite module.
"""
import argparse
import functools
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "tools")
# Debian's python3-* modules (python3-octavia) are for Debian's Python,
# which need not be the first python3 on PATH
OCTAVIA_PYTHON = "/usr/bin/python3"
sys.path.insert(0, TOOLS)
import expfmt  # noqa: E402
from testnet import ended_by_itself, free_port_block, stop, wait_for  # noqa: E402

ARGS = None
W = None


class Skip(Exception):
    """A test that cannot run in this build says why."""


def collector(tests):
    """A decorator that appends a test function to tests, in order."""
    def test(fn):
        tests.append(fn)
        return fn
    return test


def http_raw(host, port, request, family=socket.AF_INET, source=None,
             timeout=10):
    """Send raw bytes, return everything the server sends until close."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    try:
        s.sendall(request)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        data += b
    s.close()
    return data


class CurlError(Exception):
    """curl failed: its exit status and what it printed."""


def http_get(url, headers=None, source=None, timeout=10):
    """(status, headers dict lower-case, body) with curl, as a user would."""
    cmd = ["curl", "-sS", "-g", "-D", "-", "--max-time", str(timeout)]
    if source:
        cmd += ["--interface", source]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    r = subprocess.run(cmd + [url], capture_output=True)
    if r.returncode:
        raise CurlError(f"curl {url}: exit {r.returncode}: "
                        f"{r.stderr.decode(errors='replace').strip()}")
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


class Proc:
    def __init__(self, cmd, log, env=None):
        self.log = open(log, "wb")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=self.log,
                                  env=env)

    def stop(self):
        stop(self.p, f"{self.p.args[0]} (log {self.log.name})")
        self.log.close()
        return self.p.returncode


def octavia_render(what):
    """Octavia's own templater (tests/tools/octavia_render.py, Debian's
    python3-octavia) for the HAProxy under test: the command, up to the
    arguments of the shape."""
    return [OCTAVIA_PYTHON, os.path.join(TOOLS, "octavia_render.py"), what,
            "--haproxy-version", haproxy_version()]


@functools.lru_cache(maxsize=None)
def haproxy_version():
    """What the HAProxy under test says it is ("2.6.12"), as the amphora
    reports it to Octavia's controller."""
    out = subprocess.run(haproxy_cmd() + ["-v"], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"version (\d+\.\d+\.\d+)", out)
    assert m, out
    return m.group(1)


def haproxy_cmd():
    """HAProxy: Debian's here, or $HAPROXY (another release's, run in a
    chroot by the wrapper tests/tools/haproxy_chroot.sh makes)."""
    return shlex.split(os.environ.get("HAPROXY", "haproxy"))


class HAProxy:
    """HAProxy with an Octavia config: "mixed", rendered by Octavia's own
    templater for this HAProxy's version (tests/tools/octavia_render.py),
    or "states", the project's generator's (tests/tools/
    octavia_haproxy_cfg.py: tests/tools/haproxy_states.py drives it through
    a second stats socket of level admin, which Octavia never renders)."""

    def __init__(self, work, name="lb", socket_path=None, scenario="mixed"):
        self.work = work
        self.scenario = scenario
        self.sock = socket_path or os.path.join(work, f"{name}.sock")
        self.cfg = os.path.join(work, f"{name}.cfg")
        man = os.path.join(work, f"{name}.json")
        base = free_port_block(9)
        self.agent_port = free_port_block(1)
        args = ["--scenario", scenario, "--socket", self.sock,
                "--base-port", str(base), "--agent-port", str(self.agent_port),
                "--seed", str(random.randrange(1 << 30)),
                "--config", self.cfg, "--manifest", man]
        if scenario == "states":
            # a second socket of level admin: not a shape Octavia makes
            cmd = [sys.executable, os.path.join(TOOLS,
                   "octavia_haproxy_cfg.py"), "--admin-socket",
                   os.path.join(work, f"{name}-admin.sock")]
        else:
            cmd = octavia_render("haproxy")
        subprocess.run(cmd + args, check=True)
        self.m = json.load(open(man))
        self.pidfile = os.path.join(work, f"{name}.pid")
        self.proc = None

    def start(self):
        subprocess.run(haproxy_cmd() + ["-c", "-q", "-f", self.cfg],
                       check=True)
        self.proc = subprocess.Popen(haproxy_cmd() + ["-db", "-f", self.cfg],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(self.sock), 10, "stats socket")
        # checks: inter 2s (1s in "states"), fall 1, rise 1
        wait_for(self.checks_settled, 15, "health checks")

    def checks_settled(self):
        csv = subprocess.run([sys.executable, os.path.join(TOOLS,
                              "stats_query.py"), self.sock, "show stat"],
                             capture_output=True, check=True).stdout.decode()
        states = {}
        for line in csv.splitlines()[1:]:
            f = line.split(",")
            if len(f) > 17:
                states[f[1]] = f[17]
        r = self.m["member_roles"]
        if self.scenario == "tls":
            return (states.get(r["up"]) == "UP" and
                    states.get(r["tcp_up"]) == "UP")
        if self.scenario == "states":
            return (states.get(r["down"]) == "DOWN" and
                    states.get(r["rising"]) == "DOWN")
        return (states.get(r["up"]) == "UP" and
                states.get(r["down"]) == "DOWN" and
                states.get(r["l7bad"]) == "DOWN" and
                states.get(r["tcp_up"]) == "UP")

    def traffic(self):
        p = self.m["ports"]
        for _ in range(15):
            http_get(f"http://127.0.0.1:{p['http']}/")
        for _ in range(4):
            http_get(f"http://127.0.0.1:{p['http2']}/x")
        for _ in range(6):
            http_get(f"http://127.0.0.1:{p['tcp']}/")

    def promex(self):
        _, _, body = http_get(
            f"http://127.0.0.1:{self.m['ports']['promex']}/metrics")
        return body.decode()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def valgrind_prefix():
    """Under --valgrind DIR: memcheck, one log per process in DIR, every
    error and every definite or indirect leak counted as an error."""
    if not ARGS.valgrind:
        return []
    return ["valgrind", "--tool=memcheck", "--error-exitcode=97",
            "--leak-check=full", "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--track-origins=yes", "--num-callers=30",
            f"--log-file={ARGS.valgrind}/memcheck.%p.log"]


def agent_cmd(*args):
    """The agent's command line; without -f, an empty config file, so a
    default one installed on this machine never joins a test."""
    return valgrind_prefix() + [ARGS.agent] + (
        ["-f", os.devnull] if "-f" not in args else []) + list(args)


class Agent:
    def __init__(self, work, args, name="agent", env=None):
        self.logpath = os.path.join(work, f"{name}.log")
        self.proc = Proc(agent_cmd("-d", *args), self.logpath, env=env)

    def wait_listening(self, host, port, family=socket.AF_INET, source=None):
        def up():
            s = socket.socket(family)
            try:
                if source:
                    s.bind((source, 0))
                s.connect((host, port))
                return True
            finally:
                s.close()
        wait_for(up, 10, f"agent on {host}:{port}")

    def stop(self):
        return self.proc.stop()

    def log(self):
        return open(self.logpath).read()


class Prometheus:
    """A real Prometheus (or anything speaking its HTTP API and taking
    its flags, as VictoriaMetrics does not) on a loopback port."""

    def __init__(self, work, name, config, args=()):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port_block(1)
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write(config)
        self.proc = Proc(["prometheus", f"--config.file={self.config}",
                          f"--storage.tsdb.path={self.dir}/data",
                          f"--web.listen-address=127.0.0.1:{self.port}",
                          *args], os.path.join(self.dir, "prometheus.log"))
        wait_for(lambda: self.get("/-/ready") is not None, 30,
                 f"Prometheus {name} ready")

    def get(self, path, **params):
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read()
        return json.loads(body) if path.startswith("/api/") else body

    def query(self, q):
        """The result of an instant query; raises on an error answer."""
        try:
            ans = self.get("/api/v1/query", query=q)
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{q}: {e.read().decode()}") from None
        assert ans["status"] == "success", (q, ans)
        return ans["data"]["result"]

    def value(self, q):
        res = self.query(q)
        return float(res[0]["value"][1]) if res else None

    def log(self):
        return open(os.path.join(self.dir, "prometheus.log")).read()

    def stop(self):
        self.proc.stop()


def scrape(port, host="127.0.0.1", source=None, query=""):
    status, hdrs, body = http_get(f"http://{host}:{port}/metrics{query}",
                                  source=source)
    assert status == 200, status
    return expfmt.parse(body.decode()), hdrs, body.decode()


TOP = os.path.join(HERE, "..", "..")
RULES = os.path.join(TOP, "packaging", "prometheus", "octavia-rules.yml")
DASHBOARD = os.path.join(TOP, "packaging", "grafana", "octavia-amphora.json")
DASHBOARD_TLS_ROW = "TLS listeners"


def dashboard_queries(dash):
    """(row, title, expr) of every panel target; row is the title of the
    row the panel sits under (after it, or inside it when collapsed)."""
    out = []
    row = None
    for p in dash["panels"]:
        if p["type"] == "row":
            row = p["title"]
        for q in [p, *p.get("panels", [])]:
            for t in q.get("targets", []):
                out.append((row, q["title"], t["expr"]))
    return out


def dashboard_substitute(expr, values):
    """Grafana's variables in expr, as Grafana puts them in a regex match:
    the value's regex escapes, escaped again for the PromQL string."""
    expr = expr.replace("$__rate_interval", "15s")
    for k, v in values.items():
        expr = expr.replace("$" + k, re.escape(v).replace("\\", "\\\\"))
    assert "$" not in expr, expr
    return expr


def dashboard_answers(prom, queries, values):
    """Each (title, expr) with values for its variables answers with data
    from prom; returns {title: the results of its queries, together}."""
    empty, got = [], {}
    for title, expr in queries:
        r = prom.query(dashboard_substitute(expr, values))
        got.setdefault(title, []).extend(r)
        if not r:
            empty.append((title, expr))
    assert not empty, empty
    return got


def expiry_series(port):
    """{(listener, name, usage): value} of the certificate expiry and CRL
    next update families at port ("crl" the usage of the latter)."""
    fams, _, _ = scrape(port, query="?scope=listener")
    got = {}
    for fam, key in (("octavia_listener_certificate_expiry_timestamp_"
                      "seconds", "certificate"),
                     ("octavia_listener_crl_next_update_timestamp_"
                      "seconds", "issuer")):
        for smp in (fams[fam].samples if fam in fams else []):
            got[(smp.labels["listener"], smp.labels[key],
                 smp.labels.get("usage", "crl"))] = smp.value
    return got


def metrics_md():
    """[(family, type, promex name)] from METRICS.md, in order."""
    rows = []
    for line in open(ARGS.metrics_md):
        m = re.match(r"^\| (\d+) \| `([a-z_]+)` \| (\w+) \|", line)
        if m:
            cols = [c.strip() for c in line.split("|")]
            rows.append((m.group(2), m.group(3), cols[-2]))
    assert len(rows) == 144, len(rows)
    return rows


class World:
    """One HAProxy and one agent shared by the read-only tests."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="agent-it-")
        # a dropped user must traverse it to the stats socket and configs
        os.chmod(self.work, 0o755)
        self.hap = HAProxy(self.work)
        self.hap.start()
        self.hap.traffic()
        self.port = self.hap.agent_port
        self.agent = Agent(self.work, ["-s", self.hap.sock,
                                       "-l", f"127.0.0.1:{self.port}",
                                       "--loadbalancer-id",
                                       "b081ed89-f6f8-48cb-a498-5e12705e2cf9"])
        self.agent.wait_listening("127.0.0.1", self.port)

    def close(self):
        self.agent.stop()
        self.hap.stop()
        if os.environ.get("KEEP_WORK"):
            print(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


class BrokenStatsSocket:
    """A stats socket that answers like a dying HAProxy: it sends answer
    (the first part of a real one, garbage, too much), then closes; with
    stall it keeps the connection open after sending, never ending."""

    def __init__(self, path, answer, stall=False):
        self.path, self.answer, self.stall = path, answer, stall
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            c.recv(100)
            self.conns.append(c)
            try:
                c.sendall(self.answer)
            except OSError:         # the agent gave up first: fine
                pass
            if not self.stall:
                c.close()

    def close(self):
        self.srv.close()
        for c in self.conns:
            c.close()


def write_conf(name, text):
    path = os.path.join(W.work, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def wait_log(agent, text, timeout=5):
    # memcheck runs the agent 20 to 50 times slower: a reload that takes
    # 50 ms takes seconds, more on a busy machine
    if ARGS.valgrind:
        timeout *= 4
    wait_for(lambda: text in agent.log(), timeout, f"'{text}' in the log")


def proc_uids(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Uid:"):
            return [int(x) for x in line.split()[1:]]
    raise AssertionError("no Uid line")


def check_openmetrics(text):
    """What OpenMetrics 1.0 requires of us: TYPE names without _total for
    counters, samples named after their family, '# EOF' last; and what a
    strict client accepts: prometheus_client's parser (no NaN counters)."""
    r = subprocess.run(["/usr/bin/python3", os.path.join(
        TOOLS, "openmetrics_strict.py")], input=text.encode(),
        capture_output=True)
    assert r.returncode == 0, r.stdout.decode()[:500]
    lines = text.split("\n")
    assert lines[-2:] == ["# EOF", ""], lines[-3:]
    family, ftype, seen = None, None, set()
    for line in lines[:-2]:
        assert line, "blank line in OpenMetrics"
        if line.startswith("# TYPE "):
            family, ftype = line.split()[2:4]
            assert family not in seen, family
            seen.add(family)
            if ftype == "counter":
                assert not family.endswith("_total"), family
            continue
        if line.startswith("# HELP "):
            assert line.split()[2] not in seen or line.split()[2] == family
            continue
        name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        want = family + "_total" if ftype == "counter" else family
        assert name == want, (name, family, ftype)
    return seen


class Netns:
    """Two network namespaces, an amphora and a client, on a veth pair
    with TEST-NET-1 addresses that exist only inside them."""

    def __init__(self):
        tag = "%05d" % random.randrange(100000)
        self.amph, self.cli = f"apa-amph-{tag}", f"apa-cli-{tag}"
        self.va, self.vc = f"apa{tag}a", f"apa{tag}c"
        self.made = []
        try:
            self.setup()
        except BaseException:
            self.close()      # a half-made pair is still removed
            raise

    def setup(self):
        sh = lambda *c: subprocess.run(c, check=True)  # noqa: E731
        for ns in (self.amph, self.cli):
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
        sh("ip", "link", "add", self.va, "type", "veth", "peer", "name",
           self.vc)
        sh("ip", "link", "set", self.va, "netns", self.amph)
        sh("ip", "link", "set", self.vc, "netns", self.cli)
        sh("ip", "-n", self.amph, "addr", "add", "192.0.2.10/24", "dev",
           self.va)
        sh("ip", "-n", self.cli, "addr", "add", "192.0.2.20/24", "dev",
           self.vc)
        sh("ip", "-n", self.cli, "addr", "add", "192.0.2.21/24", "dev",
           self.vc)
        for ns, dev in ((self.amph, self.va), (self.cli, self.vc)):
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")

    def curl(self, source, url):
        r = subprocess.run(["ip", "netns", "exec", self.cli, "curl", "-sS",
                            "--max-time", "5", "--interface", source, "-o",
                            "-", "-w", "\n%{http_code}", url],
                           capture_output=True)
        body, _, code = r.stdout.rpartition(b"\n")
        return r.returncode, int(code or 0), body

    def close(self):
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns])
        self.made = []


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def split_responses(data, heads=()):
    """Splits back-to-back HTTP/1.1 responses with chunked or sized bodies
    into [(status, headers, body)]; those numbered in heads answer HEAD
    requests: no body, whatever their headers say (RFC 9112 6.3)."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        hdrs = {k.strip().lower(): v.strip() for k, _, v in
                (x.partition(":") for x in lines[1:])}
        body = b""
        if len(out) in heads:
            pass
        elif hdrs.get("transfer-encoding") == "chunked":
            while True:
                size, _, rest = rest.partition(b"\r\n")
                n = int(size, 16)
                body, rest = body + rest[:n], rest[n + 2:]
                if n == 0:
                    break
        else:
            n = int(hdrs.get("content-length", len(rest)))
            body, rest = rest[:n], rest[n:]
        out.append((int(lines[0].split()[1]), hdrs, body))
        data = rest
    return out


def run(module, description):
    """Runs module.TESTS against the shared World; 0 when all pass."""
    global ARGS, W
    p = argparse.ArgumentParser(description=description.splitlines()[0])
    p.add_argument("--agent", required=True)
    p.add_argument("--metrics-md", default=os.path.join(
        HERE, "..", "reference", "METRICS.md"))
    p.add_argument("--fault-lib", help="libfault.so, for the fault tests")
    p.add_argument("--sanitized", action="store_true",
                   help="the agent is built with ASan/UBSan")
    p.add_argument("--valgrind", metavar="DIR",
                   help="run the agent under memcheck, logs in DIR")
    p.add_argument("-k", help="run only tests whose name contains one of "
                   "these (comma-separated)")
    ARGS = p.parse_args()
    ARGS.agent = os.path.abspath(ARGS.agent)
    if ARGS.valgrind:
        os.makedirs(ARGS.valgrind, exist_ok=True)
        # the IPVS reader forks after dropping to the agent's user
        os.chmod(ARGS.valgrind, 0o1777)
    for tool in ["haproxy", "curl", "promtool", "prometheus"]:
        if shutil.which(tool) is None:
            print(f"missing {tool}: run tests/run.sh, which installs it")
            return 1
    W = World()
    module.ARGS, module.W = ARGS, W
    passed = failed = skipped = 0
    try:
        for t in module.TESTS:
            if ARGS.k and not any(k in t.__name__
                                  for k in ARGS.k.split(",")):
                continue
            t0 = time.time()
            try:
                t()
                passed += 1
                print(f"PASS {t.__name__} ({time.time() - t0:.1f}s)",
                      flush=True)
            except Skip as e:
                skipped += 1
                print(f"SKIP {t.__name__}: {e}", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__}\n{traceback.format_exc()}",
                      flush=True)
                why = ended_by_itself(W.agent.proc.p)
                if why:
                    print(f"the shared agent has ended: {why}", flush=True)
    finally:
        if failed:
            print("agent log:\n" + W.agent.log()[-3000:])
        W.close()
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if ARGS.valgrind and not memcheck_clean(ARGS.valgrind):
        failed += 1
    return 1 if failed else 0


def memcheck_clean(logdir):
    """Every agent process memcheck ran ended with no error, leaks of the
    definite and indirect kinds counted as errors; prints the tally."""
    logs = sorted(os.listdir(logdir))
    bad, lost = [], 0
    for name in logs:
        text = open(os.path.join(logdir, name)).read()
        if "ERROR SUMMARY: 0 errors" not in text:
            bad.append(name)
        for m in re.finditer(r"(?:definitely|indirectly) lost: ([\d,]+) "
                             r"bytes", text):
            lost += int(m.group(1).replace(",", ""))
    print(f"memcheck: {len(logs)} agent processes, {len(bad)} with errors, "
          f"{lost} bytes definitely or indirectly lost")
    for name in bad[:3]:
        print(open(os.path.join(logdir, name)).read()[-4000:])
    return len(logs) > 0 and not bad and lost == 0
