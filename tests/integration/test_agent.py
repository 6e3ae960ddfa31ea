#!/usr/bin/env python3
"""End-to-end tests: the real agent binary against a real HAProxy.

Starts the Debian HAProxy on loopback with an Octavia-shaped config
(tests/tools/octavia_haproxy_cfg.py), runs amphora-prometheus-agent, and
checks what real clients see: raw sockets and curl for HTTP, HAProxy's own
Prometheus exporter as the reference for values, promtool for the format,
and a real Prometheus server scraping the agent.

Prints one line per test and closes with "N passed, N failed".
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "tools")
sys.path.insert(0, HERE)
sys.path.insert(0, TOOLS)
import expfmt  # noqa: E402
import harness  # noqa: E402
import promexcmp  # noqa: E402
from harness import (  # noqa: E402
    Agent, BrokenStatsSocket, HAProxy, Netns, Proc, agent_cmd,
    check_openmetrics, cpu_seconds, http_get, http_raw, metrics_md,
    proc_uids, scrape, split_responses, wait_log, write_conf)
from sdnotify import NotifySocket  # noqa: E402
from testnet import free_port_block, wait_for, wait_port  # noqa: E402

TESTS = []
test = harness.collector(TESTS)
ARGS = W = None     # set by harness.run() before the tests run



# ---------------------------------------------------------------- fixture



# ---------------------------------------------------------------- tests

@test
def all_144_families_with_their_types():
    fams, hdrs, _ = scrape(W.port)
    assert hdrs["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    missing, wrong = [], []
    for name, typ, _ in metrics_md():
        if name not in fams:
            missing.append(name)
        elif fams[name].type != typ:
            wrong.append((name, fams[name].type, typ))
    assert not missing, f"missing families: {missing}"
    assert not wrong, f"wrong types: {wrong}"
    for own in ["octavia_exporter_haproxy_up", "octavia_loadbalancer_info",
                "octavia_exporter_socket_queries_total",
                "octavia_exporter_denied_connections_total"]:
        assert own in fams, own
    assert fams["octavia_exporter_haproxy_up"].value() == 1


@test
def labels_are_exactly_the_config_uuids():
    promexcmp.labels_are_the_config_uuids(W.port, W.hap.m)


@test
def values_equal_haproxy_own_exporter():
    r = promexcmp.compare(W.port, W.hap, metrics_md())
    assert not r.bad, f"{len(r.bad)} differ, e.g. {r.bad[:5]}"
    assert not r.only_agent, r.only_agent
    r.assert_meaningful()


@test
def readme_lists_every_family():
    import metrics_doc
    fams, _, _ = scrape(W.port)
    served = [(f.name, f.type) for f in fams.values()]
    readme = os.path.join(HERE, "..", "..", "README.md")
    assert metrics_doc.readme_families(readme) == served, (
        "README.md's metric table is stale: regenerate it with "
        "tests/tools/metrics_doc.py")


@test
def promtool_check_metrics_is_clean():
    _, _, body = scrape(W.port)
    r = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                       capture_output=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == b"" and r.stderr.strip() == b"", (
        r.stdout + r.stderr)


@test
def prometheus_scrapes_the_agent():
    work = os.path.join(W.work, "prom")
    os.makedirs(work)
    port = free_port_block(1)
    cfg = os.path.join(work, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: amphora\n"
                f"    static_configs:\n      - targets: ['127.0.0.1:{W.port}']\n")
    prom = Proc(["prometheus", f"--config.file={cfg}",
                 f"--storage.tsdb.path={work}/data",
                 f"--web.listen-address=127.0.0.1:{port}"],
                os.path.join(work, "prometheus.log"))

    def query(q):
        url = (f"http://127.0.0.1:{port}/api/v1/query?" +
               urllib.parse.urlencode({"query": q}))
        with urllib.request.urlopen(url, timeout=5) as r:
            res = json.load(r)["data"]["result"]
        return float(res[0]["value"][1]) if res else None

    try:
        wait_for(lambda: query('up{job="amphora"}') == 1, 60,
                 "Prometheus to scrape the agent")
        # Prometheus asks for OpenMetrics and gzip first, and gets them
        assert "as openmetrics, gzip" in W.agent.log()
        members = len(W.hap.m["members"])
        wait_for(lambda: query("count(octavia_member_weight)") == members,
                 20, f"{members} member series in Prometheus")
        assert query('count(octavia_member_status{state="DOWN"} == 1)') == 4
    finally:
        prom.stop()


@test
def allowed_cidrs_at_accept():
    port = free_port_block(1)
    lid = "127.0.0.1:%d" % port
    a = Agent(W.work, ["-s", W.hap.sock, "-l", lid,
                       "-l", f"[::1]:{port}", "-a", "127.0.0.2/32"],
              name="cidr")
    b_port = free_port_block(1)
    b = Agent(W.work, ["-s", W.hap.sock, "-l", f"[::1]:{b_port}",
                       "-l", f"[::ffff:127.0.0.1]:{b_port}",
                       "-a", "::1/128", "-a", "127.0.0.2/32"], name="cidr6")
    try:
        a.wait_listening("127.0.0.1", port, source="127.0.0.2")
        b.wait_listening("::1", b_port, socket.AF_INET6)
        req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        # denied peers: closed before one byte
        for _ in range(3):
            assert http_raw("127.0.0.1", port, req) == b""
        assert http_raw("::1", port, req, socket.AF_INET6) == b""
        # allowed peers: 200
        assert http_raw("127.0.0.1", port, req,
                        source="127.0.0.2").startswith(b"HTTP/1.1 200 ")
        assert http_raw("::1", b_port, req, socket.AF_INET6).startswith(
            b"HTTP/1.1 200 ")
        # an IPv4 peer on a v4-mapped bind matches IPv4 CIDRs
        assert http_raw("127.0.0.1", b_port, req,
                        source="127.0.0.2").startswith(b"HTTP/1.1 200 ")
        assert http_raw("127.0.0.1", b_port, req) == b""
        status, _, _ = http_get(f"http://127.0.0.1:{port}/metrics",
                                source="127.0.0.2")
        assert status == 200
        fams, _, _ = scrape(port, source="127.0.0.2")
        denied = {s.labels["listener"]: s.value for s in
                  fams["octavia_exporter_denied_connections_total"].samples}
        assert denied[lid] == 3, denied
        assert denied[f"[::1]:{port}"] == 1, denied
        assert "refused 127.0.0.1" in a.log()
    finally:
        a.stop()
        b.stop()


@test
def haproxy_absent_then_started():
    hap = HAProxy(W.work, name="late")
    port = free_port_block(1)
    a = Agent(W.work, ["-s", hap.sock, "-l", f"127.0.0.1:{port}"],
              name="late-agent")
    try:
        a.wait_listening("127.0.0.1", port)
        def no_snapshot(fams):
            """No snapshot is served: its age and read time are unknown
            (NaN), not 0, which would look fresh."""
            for f in ("octavia_exporter_snapshot_age_seconds",
                      "octavia_exporter_scrape_duration_seconds"):
                v = fams[f].value()
                assert v != v, (f, v)
        fams, _, body = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 0
        assert "octavia_listener_" not in body
        assert "octavia_exporter_build_info" in fams
        no_snapshot(fams)
        hap.start()
        time.sleep(1.1)
        fams, _, _ = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 1
        assert len(fams["octavia_member_weight"].samples) == len(
            hap.m["members"])
        assert 0 <= fams["octavia_exporter_snapshot_age_seconds"].value() < 1
        assert 0 < fams["octavia_exporter_scrape_duration_seconds"].value() < 1
        hap.stop()
        time.sleep(1.1)
        fams, _, _ = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 0
        no_snapshot(fams)
    finally:
        a.stop()
        hap.stop()


@test
def broken_answers_are_never_half_served():
    real = subprocess.run([sys.executable, os.path.join(TOOLS,
                           "stats_query.py"), W.hap.sock,
                           "show info;show stat"],
                          capture_output=True, check=True).stdout
    path = os.path.join(W.work, "broken.sock")
    port = free_port_block(1)
    a = Agent(W.work, ["-s", path, "-l", f"127.0.0.1:{port}"],
              name="broken")
    cut = real[:len(real) * 2 // 3]        # mid-CSV: rows, but no end
    brk = BrokenStatsSocket(path, cut)
    try:
        a.wait_listening("127.0.0.1", port)
        fams, _, body = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 0
        assert "octavia_member_" not in body
        assert "octavia_listener_" not in body
        assert "truncated" in a.log()
        brk.close()
        os.unlink(path)
        brk = BrokenStatsSocket(path, b"", stall=True)
        time.sleep(1.1)
        t0 = time.time()
        fams, _, body = scrape(port)
        took = time.time() - t0
        assert fams["octavia_exporter_haproxy_up"].value() == 0
        assert 4 <= took < 9, took              # the 5 s scrape-timeout
        assert "timed out" in a.log()
    finally:
        a.stop()
        brk.close()


@test
def concurrent_scrapes_share_one_query():
    """40 scrapes at once are answered from one query (two if one starts
    while it ends). min-scrape-interval 10s: 40 curls under ASan on a
    busy machine took over 2 s to arrive, and a 1 s interval let a third
    query in (CI failed on it)."""
    port = free_port_block(1)
    conf = write_conf("flood.conf", f"stats-socket {W.hap.sock}\n"
                      f"min-scrape-interval 10s\nlisten 127.0.0.1:{port}\n")
    a = Agent(W.work, ["-f", conf], name="flood")
    results, errors = [], []

    def one():
        try:
            fams, _, _ = scrape(port)
            results.append(
                fams["octavia_exporter_socket_queries_total"].value())
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    try:
        a.wait_listening("127.0.0.1", port)
        threads = [threading.Thread(target=one) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        alive = a.proc.p.poll() is None
        assert not errors, (f"{len(errors)} of 40 failed, agent "
                            f"{'running' if alive else 'exited'}: "
                            f"{errors[:3]}\n{a.log()[-2000:]}")
        assert len(results) == 40
        assert max(results) <= 2, f"{max(results)} socket queries"
    finally:
        a.stop()


@test
def http_semantics():
    p = W.port
    st, h, body = http_get(f"http://127.0.0.1:{p}/")
    assert st == 200 and h["content-type"].startswith("text/html")
    assert b'href="/metrics"' in body and b"b081ed89" in body
    assert http_get(f"http://127.0.0.1:{p}/nope")[0] == 404
    assert http_get(f"http://127.0.0.1:{p}/metrics?scope=bogus")[0] == 400

    r = http_raw("127.0.0.1", p, b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 3\r\n\r\nabc")
    assert r.startswith(b"HTTP/1.1 405 ") and b"\r\nAllow: GET, HEAD\r\n" in r

    r = http_raw("127.0.0.1", p, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
                 b"Connection: close\r\n\r\n")
    head, _, rest = r.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and rest == b""
    assert b"Transfer-Encoding: chunked" in head

    big = b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    assert http_raw("127.0.0.1", p, big).startswith(b"HTTP/1.1 431 ")
    long_uri = b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\n\r\n"
    assert http_raw("127.0.0.1", p, long_uri).startswith(b"HTTP/1.1 414 ")
    assert http_raw("127.0.0.1", p, b"\x16\x03\x01garbage\r\n\r\n"
                    ).startswith(b"HTTP/1.1 400 ")
    assert http_raw("127.0.0.1", p, b"GET / HTTP/9.9\r\n\r\n").startswith(
        b"HTTP/1.1 505 ")
    # HTTP/2's preface, sent to an HTTP/1 server: 505, as README says
    assert http_raw("127.0.0.1", p, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                    ).startswith(b"HTTP/1.1 505 ")
    # HTTP/1.1 needs Host; control bytes in a value are refused
    assert http_raw("127.0.0.1", p, b"GET / HTTP/1.1\r\n\r\n").startswith(
        b"HTTP/1.1 400 ")
    assert http_raw("127.0.0.1", p, b"GET / HTTP/1.1\r\nHost: x\r\n"
                    b"X-A: a\x00b\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    # absolute-form, as a proxy would send it
    r = http_raw("127.0.0.1", p, b"GET http://lb:8088/metrics?scope=exporter"
                 b" HTTP/1.1\r\nHost: lb:8088\r\nConnection: close\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 200 ") and b"\noctavia_exporter_haproxy_up" \
        b" 1\n" in r and b"octavia_member_" not in r
    # HTTP/1.9 is served as 1.1 (RFC 9110 2.5): chunked, kept alive
    r = http_raw("127.0.0.1", p, b"GET /metrics?scope=exporter HTTP/1.9\r\n"
                 b"Host: x\r\nConnection: close\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 200 ") and b"chunked" in r
    # every answer is dated (RFC 9110 6.6.1)
    import email.utils
    for path, code in (("/", 200), ("/metrics", 200), ("/nope", 404)):
        st, h, _ = http_get(f"http://127.0.0.1:{p}{path}")
        assert st == code
        when = email.utils.parsedate_to_datetime(h["date"]).timestamp()
        assert abs(when - time.time()) < 5, h["date"]
    r = http_raw("127.0.0.1", p, b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 405 ") and b"\r\nDate: " in r

    # keep-alive and pipelining: three answers on one connection
    r = http_raw("127.0.0.1", p, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"GET /metrics?scope=exporter HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    codes = re.findall(rb"HTTP/1.1 (\d{3}) ", r)
    assert codes == [b"200", b"200", b"404"], codes
    assert b"octavia_exporter_haproxy_up 1" in r
    assert b"octavia_member_" not in r   # scope=exporter

    # one request after another on a keep-alive connection, the later
    # ones answered from the snapshot the first one fetched
    ka = socket.create_connection(("127.0.0.1", p))
    ka.settimeout(5)
    for _ in range(3):
        ka.sendall(b"GET /metrics?scope=exporter HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"octavia_exporter_build_info" not in data:
            chunk = ka.recv(65536)
            assert chunk, "keep-alive connection closed"
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 ")
    ka.close()

    # HTTP/1.0 closes unless asked not to
    r = http_raw("127.0.0.1", p, b"GET / HTTP/1.0\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in r

    # and after all that, it still serves
    scrape(p)


@test
def http10_keep_alive_is_kept():
    """Defect: HTTP/1.0 with Connection: keep-alive was closed after each
    /metrics, its body having no length (1.0 has no chunks). The body is
    now held until complete and goes out with its Content-Length, plain
    or gzip; the connection stays for the next request."""
    import gzip
    ka = b"Connection: keep-alive\r\n"
    req = (b"GET /metrics HTTP/1.0\r\n" + ka + b"\r\n"
           b"GET /metrics HTTP/1.0\r\nAccept-Encoding: gzip\r\n" + ka +
           b"\r\n"
           b"HEAD /metrics HTTP/1.0\r\n" + ka + b"\r\n"
           b"GET /metrics?scope=exporter HTTP/1.0\r\n" + ka + b"\r\n"
           b"GET /metrics HTTP/1.0\r\n\r\n")    # this one closes
    got = split_responses(http_raw("127.0.0.1", W.port, req), heads=(2,))
    assert [g[0] for g in got] == [200] * 5, [g[0] for g in got]
    conn = [h.get("connection") for _, h, _ in got]
    assert conn == ["keep-alive"] * 4 + ["close"], conn
    for i in (0, 1, 3):
        assert int(got[i][1]["content-length"]) == len(got[i][2])
    assert "content-length" not in got[4][1]    # ended by the close
    assert "transfer-encoding" not in got[4][1]
    plain = expfmt.parse(got[0][2].decode())
    zipped = expfmt.parse(gzip.decompress(got[1][2]).decode())
    last = expfmt.parse(got[4][2].decode())
    for fams in (plain, zipped, last):
        assert len(fams["octavia_member_weight"].samples) == len(
            W.hap.m["members"])
        assert len(fams) == len(plain)
    scoped = expfmt.parse(got[3][2].decode())
    assert "octavia_member_weight" not in scoped and \
        scoped["octavia_exporter_haproxy_up"].value() == 1


@test
def once_prints_one_scrape():
    r = subprocess.run(agent_cmd("--once", "-s", W.hap.sock),
                       capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stderr == b"", r.stderr        # says only what went wrong
    fams = expfmt.parse(r.stdout.decode())
    assert len(fams["octavia_member_weight"].samples) == len(
        W.hap.m["members"])
    r = subprocess.run(agent_cmd("--once", "-s",
                                 os.path.join(W.work, "absent.sock")),
                       capture_output=True, timeout=20)
    assert r.returncode == 1 and r.stdout == b""
    assert b"absent.sock" in r.stderr, r.stderr


@test
def bad_command_lines():
    for args, word in [(["-l", "nonsense"], b"-l"),
                       (["-a", "10.0.0.0/33", "-l", "127.0.0.1:1"], b"-a"),
                       (["--bogus"], b"bogus"),
                       (["-s", "/x.sock"], b"nothing to serve")]:
        r = subprocess.run(agent_cmd(*args), capture_output=True,
                           timeout=10)
        assert r.returncode == 1, (args, r.returncode)
        assert word in r.stderr and b"usage:" in r.stderr, (args, r.stderr)
    r = subprocess.run([ARGS.agent, "-V"], capture_output=True)
    assert r.returncode == 0 and r.stdout.startswith(
        b"amphora-prometheus-agent ")


@test
def sigterm_drains_then_exits():
    """SIGTERM: no new connections, idle ones closed, a response in flight
    still delivered, exit 0."""
    path = os.path.join(W.work, "stall.sock")
    brk = BrokenStatsSocket(path, b"", stall=True)
    port = free_port_block(1)
    conf = os.path.join(W.work, "drain.conf")
    with open(conf, "w") as f:
        f.write(f"stats-socket {path}\nscrape-timeout 2s\n"
                f"listener drain {{\n  bind 127.0.0.1:{port}\n}}\n")
    a = Agent(W.work, ["-f", conf], name="drain")
    try:
        a.wait_listening("127.0.0.1", port)
        idle = socket.create_connection(("127.0.0.1", port))
        busy = socket.create_connection(("127.0.0.1", port))
        busy.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)                  # the scrape now waits on HAProxy
        a.proc.p.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        idle.settimeout(3)
        assert idle.recv(100) == b""     # idle: closed at once
        try:                             # new connections: refused
            socket.create_connection(("127.0.0.1", port), timeout=1)
            raise AssertionError("still accepting after SIGTERM")
        except ConnectionRefusedError:
            pass
        busy.settimeout(10)
        data = b""
        while True:
            b = busy.recv(65536)
            if not b:
                break
            data += b
        assert data.startswith(b"HTTP/1.1 200 "), data[:100]
        assert b"Connection: close" in data
        assert b"octavia_exporter_haproxy_up 0" in data
        assert a.proc.p.wait(10) == 0
        assert "stopping" in a.log() and "stopped" in a.log()
    finally:
        a.stop()
        brk.close()


@test
def config_file_with_two_listeners():
    p1, p2 = free_port_block(1), free_port_block(1)
    l1, l2 = W.hap.m["listeners"]["http"], W.hap.m["listeners"]["tcp"]
    conf = write_conf("two.conf", f"""# two PROMETHEUS listeners
stats-socket {W.hap.sock}
loadbalancer-id b081ed89-f6f8-48cb-a498-5e12705e2cf9
listener {l1} {{
    bind 127.0.0.1:{p1}
}}
listener {l2} {{
    bind 127.0.0.1:{p2}
    allowed-cidr 127.0.0.2/32
    connection-limit -1
    timeout-client-data 50000
}}
""")
    r = subprocess.run([ARGS.agent, "-n", "-f", conf], capture_output=True)
    assert r.returncode == 0 and r.stdout == b"configuration OK\n", r
    a = Agent(W.work, ["-f", conf], name="two")
    try:
        a.wait_listening("127.0.0.1", p1)
        a.wait_listening("127.0.0.1", p2, source="127.0.0.2")
        req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        assert http_raw("127.0.0.1", p1, req).startswith(b"HTTP/1.1 200 ")
        assert http_raw("127.0.0.1", p2, req) == b""
        ok = http_raw("127.0.0.1", p2, req, source="127.0.0.2")
        assert ok.startswith(b"HTTP/1.1 200 ")
        fams, _, _ = scrape(p1)
        denied = {s.labels["listener"]: s.value for s in
                  fams["octavia_exporter_denied_connections_total"].samples}
        assert denied == {l1: 0, l2: 1}, denied
    finally:
        a.stop()


@test
def check_config_names_file_and_line():
    bad = write_conf("bad.conf", "stats-socket /x.sock\n\nlistener a {\n"
                     "  bind 127.0.0.1:1\n  allowed-cidr 10.0.0.0/33\n}\n")
    r = subprocess.run([ARGS.agent, "-n", "-f", bad], capture_output=True)
    assert r.returncode == 1 and r.stdout == b""
    assert f"{bad}:5: allowed-cidr: not a CIDR".encode() in r.stderr, r
    # the daemon refuses to start on it, with the same message
    r = subprocess.run([ARGS.agent, "-f", bad], capture_output=True,
                       timeout=10)
    assert r.returncode == 1 and f"{bad}:5:".encode() in r.stderr
    # a named file that is missing is an error; flags alone are fine
    r = subprocess.run([ARGS.agent, "-n", "-f", bad + ".missing"],
                       capture_output=True)
    assert r.returncode == 1 and b"No such file" in r.stderr
    r = subprocess.run(agent_cmd("-n", "-s", W.hap.sock, "-l",
                                 "127.0.0.1:1"), capture_output=True)
    assert r.returncode == 0 and r.stdout == b"configuration OK\n"


@test
def drops_to_user_nobody():
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    port = free_port_block(1)
    conf = write_conf("nobody.conf", f"stats-socket {W.hap.sock}\n"
                      f"user nobody\nlistener l {{\n"
                      f"  bind 127.0.0.1:{port}\n}}\n")
    a = Agent(W.work, ["-f", conf], name="nobody")
    try:
        a.wait_listening("127.0.0.1", port)
        wait_log(a, "running as nobody")
        assert proc_uids(a.proc.p.pid) == [nobody] * 4
        fams, _, _ = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 1
        assert len(fams["octavia_member_weight"].samples) == len(
            W.hap.m["members"])
        # a reload as nobody still works for unprivileged binds, and says
        # so for a privileged one
        p2 = free_port_block(1)
        write_conf("nobody.conf", f"stats-socket {W.hap.sock}\n"
                   f"user nobody\nlistener l {{\n"
                   f"  bind 127.0.0.1:{port}\n  bind 127.0.0.1:{p2}\n}}\n"
                   f"listener low {{\n  bind 127.0.0.1:81\n}}\n")
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "reloaded")
        assert "bind 127.0.0.1:81 needs privileges" in a.log()
        scrape(p2)
    finally:
        a.stop()


@test
def sighup_as_soon_as_the_port_answers():
    """A SIGHUP sent the moment the agent's port accepts reloads it: the
    listeners are bound before the signal handlers are in, and the
    signals are held between the two (a found bug: under memcheck the
    default action of SIGHUP ended the agent there)."""
    port = free_port_block(1)
    conf = write_conf("early.conf", f"stats-socket {W.hap.sock}\n"
                      f"listen 127.0.0.1:{port}\n")
    for i in range(5):
        a = Agent(W.work, ["-f", conf], name=f"early{i}")
        try:
            deadline = time.monotonic() + 60
            while True:
                assert time.monotonic() < deadline, "never listened"
                assert a.proc.p.poll() is None, a.log()
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    time.sleep(0.001)
            a.proc.p.send_signal(signal.SIGHUP)
            wait_log(a, "reloaded")
            assert a.proc.p.poll() is None
            scrape(port)
        finally:
            a.stop()


@test
def sighup_reload_keeps_connections():
    port, p_new = free_port_block(1), free_port_block(1)
    text = ("stats-socket {sock}\nlistener reload {{\n  bind 127.0.0.1:{p}\n"
            "  allowed-cidr {cidr}\n}}\n{extra}")
    conf = write_conf("reload.conf", text.format(
        sock=W.hap.sock, p=port, cidr="127.0.0.2/32", extra=""))
    a = Agent(W.work, ["-f", conf], name="reload")
    req = b"GET /metrics?scope=exporter HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        a.wait_listening("127.0.0.1", port, source="127.0.0.2")
        assert http_raw("127.0.0.1", port, req) == b""
        kept = socket.socket()
        kept.bind(("127.0.0.2", 0))
        kept.connect(("127.0.0.1", port))
        kept.settimeout(5)

        def ask(sock):
            sock.sendall(req)
            data = b""
            while b"octavia_exporter_build_info" not in data:
                b = sock.recv(65536)
                assert b, "connection closed"
                data += b
            return data

        assert ask(kept).startswith(b"HTTP/1.1 200 ")
        # widen allowed-cidr and add a listener
        write_conf("reload.conf", text.format(
            sock=W.hap.sock, p=port, cidr="127.0.0.0/8",
            extra=f"listener added {{\n  bind 127.0.0.1:{p_new}\n}}\n"))
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "reloaded")
        # the new rule applies to new connections
        r = http_raw("127.0.0.1", port, req.replace(b"\r\n\r\n",
                     b"\r\nConnection: close\r\n\r\n"))
        assert r.startswith(b"HTTP/1.1 200 "), r[:80]
        assert ask(kept).startswith(b"HTTP/1.1 200 ")   # same socket
        scrape(p_new)
        # a broken file: logged, the running configuration stays
        write_conf("reload.conf", "listener broken {\n")
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "keeping the running configuration")
        assert "reload.conf:1: listener broken: no closing }" in a.log()
        assert a.proc.p.poll() is None
        assert ask(kept).startswith(b"HTTP/1.1 200 ")
        scrape(p_new)
        # a FIFO in its place: refused at once, not waited on in the loop
        os.unlink(conf)
        os.mkfifo(conf)
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "reload.conf: not a regular file")
        t0 = time.monotonic()
        assert ask(kept).startswith(b"HTTP/1.1 200 ")
        scrape(p_new)
        assert time.monotonic() - t0 < 2
        os.unlink(conf)
        # removing a listener closes its socket
        write_conf("reload.conf", text.format(
            sock=W.hap.sock, p=port, cidr="127.0.0.0/8", extra=""))
        a.proc.p.send_signal(signal.SIGHUP)
        wait_for(lambda: a.log().count("reloaded") == 2, 5, "reload")
        try:
            socket.create_connection(("127.0.0.1", p_new), timeout=1)
            raise AssertionError("removed listener still accepts")
        except ConnectionRefusedError:
            pass
        assert ask(kept).startswith(b"HTTP/1.1 200 ")
        kept.close()
    finally:
        a.stop()


def rejected(port, listener):
    """{reason: count} of octavia_exporter_rejected_connections_total."""
    fams, _, _ = scrape(port, query="?scope=exporter")
    return {smp.labels["reason"]: smp.value for smp in
            fams["octavia_exporter_rejected_connections_total"].samples
            if smp.labels["listener"] == listener}


def closed(sock, within):
    """Whether the peer closes sock (EOF or reset) within seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


@test
def connection_limit_evicts_the_longest_waiting():
    """At connection-limit the connection waiting longest for a request
    (idle, or trickling one) makes room for the new one; only when every
    connection is being answered is the new one refused. Idle ones go after
    timeout-client-data. Each counted in rejected_connections_total."""
    port, other = free_port_block(1), free_port_block(1)
    conf = write_conf("limit.conf", f"stats-socket {W.hap.sock}\n"
                      f"listen 127.0.0.1:{other}\n"
                      f"listener lim {{\n  bind 127.0.0.1:{port}\n"
                      "  connection-limit 2\n  timeout-client-data 700\n}\n")
    a = Agent(W.work, ["-f", conf], name="limit")
    try:
        a.wait_listening("127.0.0.1", port)
        time.sleep(1)    # the probe's connection has timed out
        held = [socket.create_connection(("127.0.0.1", port))
                for _ in range(2)]
        time.sleep(0.1)
        req = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        assert http_raw("127.0.0.1", port, req).startswith(b"HTTP/1.1 200 ")
        assert closed(held[0], 1), "the oldest idle one was not evicted"
        assert not closed(held[1], 0.2)
        assert rejected(other, "lim")["evicted"] == 1
        # idle connections are closed after timeout-client-data
        assert closed(held[1], 2)
        # 2,000 attempts past the limit leave the agent serving
        for _ in range(2000):
            socket.create_connection(("127.0.0.1", port)).close()
        wait_for(lambda: http_raw("127.0.0.1", port, req).startswith(
            b"HTTP/1.1 200 "), 10, "a 200 after the flood")
        assert a.proc.p.poll() is None
    finally:
        a.stop()

    # every connection busy answering: the new one is refused
    path = os.path.join(W.work, "limit-stall.sock")
    brk = BrokenStatsSocket(path, b"", stall=True)
    conf = write_conf("limit2.conf", f"stats-socket {path}\n"
                      f"scrape-timeout 2s\nlisten 127.0.0.1:{other}\n"
                      f"listener lim {{\n  bind 127.0.0.1:{port}\n"
                      "  connection-limit 2\n}\n")
    a = Agent(W.work, ["-f", conf], name="limit2")
    try:
        a.wait_listening("127.0.0.1", port)
        time.sleep(0.2)
        busy = [socket.create_connection(("127.0.0.1", port))
                for _ in range(2)]
        for b in busy:
            b.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        third = socket.create_connection(("127.0.0.1", port))
        assert closed(third, 1), "refused at the limit"
        for b in busy:      # still answered, after the scrape-timeout
            b.settimeout(5)
            assert b.recv(20).startswith(b"HTTP/1.1 200 ")
        counts = rejected(other, "lim")
        assert counts["connection_limit"] == 1 and counts["evicted"] == 0, \
            counts
    finally:
        a.stop()
        brk.close()


@test
def request_head_has_a_deadline():
    """Defect: the idle timer restarted on every byte, so a client sending
    a byte a second held its connection forever. The whole head must come
    within timeout-http-request (HAProxy's model): a partial one gets 408,
    a silent connection is closed; the deadline of a later request on a
    kept-alive connection starts with its first byte."""
    port, other = free_port_block(1), free_port_block(1)
    conf = write_conf("head.conf", f"stats-socket {W.hap.sock}\n"
                      f"listen 127.0.0.1:{other}\n"
                      f"listener head {{\n  bind 127.0.0.1:{port}\n"
                      "  timeout-http-request 1000\n"
                      "  timeout-client-data 10000\n}\n")
    a = Agent(W.work, ["-f", conf], name="head")
    try:
        a.wait_listening("127.0.0.1", other)
        a.wait_listening("127.0.0.1", port)     # both: memcheck is slow
        slow = socket.create_connection(("127.0.0.1", port))
        silent = socket.create_connection(("127.0.0.1", port))
        t0 = time.time()
        slow.sendall(b"GET /metrics HTTP/1.1\r\n")
        slow.settimeout(0.25)
        answer = b""
        while time.time() - t0 < 4 and not answer:
            try:
                slow.sendall(b"X-Slow: 1\r\n")
                answer = slow.recv(100)
            except socket.timeout:
                pass
        took = time.time() - t0
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert 0.9 < took < 2, took
        assert closed(silent, 1)
        assert rejected(other, "head")["request_timeout"] == 2
        # kept alive: idle past the head deadline, then a request works
        def page(sock):
            data = b""
            while not data.endswith(b"</html>\n"):
                data += sock.recv(4096)
            return data
        ka = socket.create_connection(("127.0.0.1", port))
        ka.settimeout(2)
        ka.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert page(ka).startswith(b"HTTP/1.1 200 ")
        time.sleep(1.5)
        ka.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close"
                   b"\r\n\r\n")
        assert page(ka).startswith(b"HTTP/1.1 200 ")
    finally:
        a.stop()


# a body of one snapshot is two frames when its head was kept (RFC 8878:
# one or more frames); across=0 reads the first alone
ZSTD_DECODE = """import io, sys, zstandard
body = sys.stdin.buffer.read()
d = zstandard.ZstdDecompressor()
if len(sys.argv) > 1 and sys.argv[1] == "0":
    sys.stdout.buffer.write(d.decompressobj().decompress(body))
else:
    sys.stdout.buffer.write(d.stream_reader(io.BytesIO(body),
                                            read_across_frames=True).read())
"""


@test
def zstd_for_clients_that_name_it():
    """zstd when the client names it (curl --compressed does): curl decodes
    it, Python's zstandard (Debian's, for /usr/bin/python3) decodes the
    raw body and checks its checksum, promtool accepts the text; gzip for
    Prometheus and for "*"."""
    p = W.port
    url = f"http://127.0.0.1:{p}/metrics"
    r = subprocess.run(["curl", "-sS", "--compressed", "-D", "-", "-o",
                        os.path.join(W.work, "curl-zstd.txt"), url],
                       capture_output=True, text=True, check=True)
    assert "content-encoding: zstd" in r.stdout.lower(), r.stdout
    text = open(os.path.join(W.work, "curl-zstd.txt"), "rb").read()
    promtool = subprocess.run(["promtool", "check", "metrics"], input=text,
                              capture_output=True)
    assert promtool.returncode == 0, promtool.stdout + promtool.stderr
    st, h, body = http_get(url, headers={"Accept-Encoding": "zstd"})
    assert st == 200 and h.get("content-encoding") == "zstd", h
    assert body[:4] == b"\x28\xb5\x2f\xfd", body[:4]    # a zstd frame
    dec = subprocess.run(["/usr/bin/python3", "-c", ZSTD_DECODE],
                         input=body, capture_output=True, check=True).stdout
    assert set(expfmt.parse(dec.decode())) == set(expfmt.parse(
        text.decode()))
    # a flipped byte in the body: the frame's checksum refuses it
    bad = body[:-6] + bytes([body[-6] ^ 0x40]) + body[-5:]
    assert subprocess.run(["/usr/bin/python3", "-c", ZSTD_DECODE],
                          input=bad, capture_output=True).returncode != 0
    assert len(body) < len(dec) / 5
    for ae, want in (("gzip", "gzip"), ("*", "gzip"),
                     ("zstd;q=0.5, gzip", "gzip"), ("zstd;q=0", None)):
        _, h, _ = http_get(url, headers={"Accept-Encoding": ae})
        assert h.get("content-encoding") == want, (ae, h)
    print(f"  zstd: {len(body):,} bytes for {len(dec):,} of text")


def http10_keep_alive(port, headers):
    """An HTTP/1.0 scrape kept alive: its body, which has a length."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n" +
              headers + b"\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    assert m and b" 200 " in head.split(b"\r\n")[0], head
    while len(body) < int(m.group(1)):
        body += s.recv(65536)
    s.close()
    return body


def haproxy_part(text):
    """The lines of a body that come from HAProxy (not the agent's own
    families, whose values are the response's)."""
    return [line for line in text.split("\n") if line and not line.startswith(
        ("octavia_exporter", "octavia_loadbalancer", "# HELP octavia_exporter",
         "# TYPE octavia_exporter", "# HELP octavia_loadbalancer",
         "# TYPE octavia_loadbalancer", "# EOF"))]


def agent_serving_snapshots_for(name, life):
    """An agent on a port of its own whose snapshots serve life seconds
    (min-scrape-interval): the agent, its port and its /metrics URL."""
    port = free_port_block(1)
    conf = write_conf(f"{name}.conf", f"stats-socket {W.hap.sock}\n"
                      f"min-scrape-interval {life}s\n"
                      f"listen 127.0.0.1:{port}\n")
    return (Agent(W.work, ["-f", conf], name=name), port,
            f"http://127.0.0.1:{port}/metrics")


@test
def coded_once_per_snapshot():
    """The responses of one snapshot code its HAProxy families once: the
    first tees its coded head, the snapshot keeps it (min-scrape-interval
    > 0) and the next ones send it and code only the agent's own families
    after it. gzip stays one member (zlib finds nothing after it), zstd is
    frames (the head's alone decode to the HAProxy families); every body
    decodes to what
    identity serves, in text and OpenMetrics, chunked and HTTP/1.0 with a
    length; a head is per coding, format and scope; once the snapshot is
    too old to serve, the next read codes its own."""
    import zlib
    life = 20 if ARGS.valgrind else 6 if ARGS.sanitized else 3
    a, port, url = agent_serving_snapshots_for("heads", life)
    om = "application/openmetrics-text;version=1.0.0"
    try:
        a.wait_listening("127.0.0.1", port)
        for attempt in range(5):        # all within one snapshot's life
            t0 = time.monotonic()
            _, _, plain = http_get(url)
            _, _, om_plain = http_get(url, headers={"Accept": om})
            bodies = {}
            for enc in ("gzip", "zstd"):
                for fmt in ("text", "om"):
                    hdr = {"Accept-Encoding": enc}
                    if fmt == "om":
                        hdr["Accept"] = om
                    bodies[enc, fmt] = [http_get(url, headers=hdr)
                                        for _ in range(2)]
            old = http10_keep_alive(port, b"Accept-Encoding: gzip\r\n")
            if time.monotonic() - t0 < life - 0.5:
                break
        else:
            raise AssertionError(f"the scrapes never fit in {life - 0.5} s")
        log = a.log()
        want = {"text": haproxy_part(plain.decode()),
                "om": haproxy_part(om_plain.decode())}
        for (enc, fmt), pair in bodies.items():
            for st, h, body in pair:
                assert st == 200 and h.get("content-encoding") == enc, h
                if enc == "gzip":
                    d = zlib.decompressobj(wbits=31)
                    text = d.decompress(body)
                    assert d.eof and d.unused_data == b"", (enc, fmt)
                else:
                    text = subprocess.run(
                        ["/usr/bin/python3", "-c", ZSTD_DECODE], input=body,
                        capture_output=True, check=True).stdout
                assert haproxy_part(text.decode()) == want[fmt], (enc, fmt)
                if fmt == "om":
                    check_openmetrics(text.decode())
            # the second's head is the first's, byte for byte
            name = "openmetrics" if fmt == "om" else "text"
            n = int(re.findall(rf"{enc} head of {name} kept by the "
                               r"snapshot, (\d+) bytes", log)[-1])
            assert pair[0][2][:n] == pair[1][2][:n]
        # the kept head alone: zstd frames of the HAProxy families
        n = int(re.findall(r"zstd head of text kept by the snapshot, "
                           r"(\d+) bytes", log)[-1])
        head = subprocess.run(["/usr/bin/python3", "-c", ZSTD_DECODE],
                              input=bodies["zstd", "text"][1][2][:n],
                              capture_output=True, check=True).stdout
        assert haproxy_part(head.decode()) == want["text"]
        assert b"octavia_exporter" not in head
        kept = log.count("kept by the snapshot")
        assert kept >= 5, log[-2000:]     # 4 second responses + HTTP/1.0
        text = zlib.decompress(old, wbits=31)
        assert haproxy_part(text.decode()) == want["text"]
        # too old to serve: the next read codes a head of its own
        time.sleep(life + 0.5)
        q = scrape(port)[0]["octavia_exporter_socket_queries_total"].value()
        http_get(url, headers={"Accept-Encoding": "gzip"})
        assert a.log().count("kept by the snapshot") == kept
        http_get(url, headers={"Accept-Encoding": "gzip"})
        assert a.log().count("kept by the snapshot") == kept + 1
        assert scrape(port)[0][
            "octavia_exporter_socket_queries_total"].value() == q
        print(f"  {kept} responses sent a head another coded; zstd head "
              f"{len(head):,} bytes of text")
    finally:
        a.stop()


@test
def pieces_coded_once_across_snapshots():
    """A piece of the HAProxy families whose text did not change since an
    earlier body of the same coding is not coded again: the agent kept
    its coding and sends it by reference. Every gzip and zstd body, text
    and OpenMetrics, decodes to exactly what identity serves from the same
    snapshot (gzip one member, zstd a frame per piece), on the snapshot's
    first coded response as on the next snapshot's, whose pieces come from
    the cache where their text did not change; the first body of a coding
    codes all of its pieces, and the listeners' pieces, which nothing here
    changes, are all found coded (the members' and pools' check timers
    tick every second; at 10,000 idle members most pieces are found:
    tests/bench/cost.py)."""
    import zlib
    life = 6 if ARGS.valgrind else 3 if ARGS.sanitized else 2
    a, port, url = agent_serving_snapshots_for("pieces", life)
    om = "application/openmetrics-text;version=1.0.0"

    def queries(text):
        return re.findall(r"^octavia_exporter_socket_queries_total (\S+)$",
                          text, re.M)

    def decoded(enc, body):
        if enc == "gzip":
            d = zlib.decompressobj(wbits=31)
            text = d.decompress(body)
            assert d.eof and d.unused_data == b""
            return text.decode()
        return subprocess.run(["/usr/bin/python3", "-c", ZSTD_DECODE],
                              input=body, capture_output=True,
                              check=True).stdout.decode()

    try:
        a.wait_listening("127.0.0.1", port)
        for _ in range(2):              # a snapshot each
            for enc in ("gzip", "zstd"):
                for fmt in ("text", "om"):
                    hdr = {"Accept": om} if fmt == "om" else {}
                    for attempt in range(5):
                        plain = http_get(url, headers=hdr)[2].decode()
                        st, h, body = http_get(url, headers=dict(
                            hdr, **{"Accept-Encoding": enc}))
                        assert st == 200 and h["content-encoding"] == enc
                        text = decoded(enc, body)
                        if queries(plain) == queries(text):
                            break       # one snapshot served both
                    else:
                        raise AssertionError("never one snapshot for two")
                    assert haproxy_part(text) == haproxy_part(plain), \
                        (enc, fmt)
                    if fmt == "om":
                        check_openmetrics(text)
            time.sleep(life + 0.3)      # the next round, the next snapshot
        # listeners alone, which nothing here changes: all found coded
        for enc in ("gzip", "zstd"):
            for _ in range(2):
                st, h, body = http_get(url + "?scope=listener",
                                       headers={"Accept-Encoding": enc})
                assert st == 200 and h["content-encoding"] == enc
                time.sleep(life + 0.3)
        heads = re.findall(r"(gzip|zstd) head of (text|openmetrics): "
                           r"(\d+) pieces, (\d+) of them coded before",
                           a.log())
        assert len(heads) >= 12, heads
        for enc, fmt, n, kept in heads[-3::2]:
            assert int(n) >= 1 and kept == n, heads[-4:]
        first = {}
        for enc, fmt, n, kept in heads[:-4]:
            n, kept = int(n), int(kept)
            assert n >= 3 and kept <= n, heads
            first.setdefault(enc, kept)
        assert first == {"gzip": 0, "zstd": 0}, heads
        print("  pieces coded before: " + ", ".join(
            f"{e} {f} {k}/{n}" for e, f, n, k in heads[-8:-4]))
    finally:
        a.stop()


@test
def negotiation_gzip_openmetrics_scopes():
    import gzip
    p = W.port
    st, h, body = http_get(f"http://127.0.0.1:{p}/metrics",
                           headers={"Accept-Encoding": "gzip"})
    assert st == 200 and h.get("content-encoding") == "gzip"
    assert "Accept-Encoding" in h.get("vary", "")
    text = gzip.decompress(body)
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(body) < len(text) / 5
    st, h, body = http_get(f"http://127.0.0.1:{p}/metrics",
                           headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in h and body.startswith(b"# HELP")

    st, h, body = http_get(f"http://127.0.0.1:{p}/metrics", headers={
        "Accept": "application/openmetrics-text;version=1.0.0,"
                  "text/plain;version=0.0.4;q=0.5"})
    assert h["content-type"] == ("application/openmetrics-text; "
                                 "version=1.0.0; charset=utf-8")
    fams = check_openmetrics(body.decode())
    assert "octavia_listener_bytes_in" in fams
    assert len(fams) == len(expfmt.parse(text.decode()))
    for scope in ("pool", "member", "listener", "loadbalancer", "exporter"):
        st, h, body = http_get(f"http://127.0.0.1:{p}/metrics?scope={scope}",
                               headers={"Accept":
                                        "application/openmetrics-text"})
        check_openmetrics(body.decode())

    fams, _, _ = scrape(p, query="?scope=member&scope=exporter")
    prefixes = {f.split("_")[1] for f in fams}
    assert prefixes == {"member", "exporter"}, prefixes


@test
def scrape_timeout_header_bounds_the_wait():
    path = os.path.join(W.work, "slow.sock")
    brk = BrokenStatsSocket(path, b"", stall=True)
    port = free_port_block(1)
    a = Agent(W.work, ["-s", path, "-l", f"127.0.0.1:{port}"], name="slow")
    try:
        a.wait_listening("127.0.0.1", port)
        t0 = time.time()
        st, _, body = http_get(f"http://127.0.0.1:{port}/metrics",
                               headers={"X-Prometheus-Scrape-Timeout-Seconds":
                                        "1.5"})
        took = time.time() - t0
        assert st == 200 and b"octavia_exporter_haproxy_up 0" in body
        assert 1.0 < took < 3.0, took     # not the 5 s scrape-timeout
    finally:
        a.stop()
        brk.close()


@test
def amphora_topology_in_network_namespaces():
    if os.geteuid() != 0:
        raise AssertionError("needs root for ip netns")
    n = Netns()
    a = None
    try:
        conf = write_conf("amphora.conf", f"""stats-socket {W.hap.sock}
netns {n.amph}
user nobody
listener {W.hap.m["listeners"]["http"]} {{
    bind 192.0.2.10:8088
    bind 192.0.2.100:8088   # the VIP keepalived has not moved here yet
    allowed-cidr 192.0.2.20/32
}}
""")
        a = Agent(W.work, ["-f", conf], name="amphora")
        wait_log(a, "running as nobody")
        rc, code, body = n.curl("192.0.2.20", "http://192.0.2.10:8088/metrics")
        assert code == 200, (rc, code)
        assert b"octavia_exporter_haproxy_up 1" in body
        rc, code, body = n.curl("192.0.2.21", "http://192.0.2.10:8088/metrics")
        assert code == 0 and body == b"" and rc in (52, 56), (rc, code)
        # failover: the VIP arrives, the agent answers without a restart
        subprocess.run(["ip", "-n", n.amph, "addr", "add", "192.0.2.100/24",
                        "dev", n.va], check=True)
        rc, code, _ = n.curl("192.0.2.20", "http://192.0.2.100:8088/metrics")
        assert code == 200, (rc, code)
        assert "entered network namespace" in a.log()
    finally:
        if a is not None:
            a.stop()
        n.close()


@test
def man_pages_cover_every_flag_and_keyword():
    top = os.path.join(HERE, "..", "..")
    man8 = os.path.join(top, "packaging", "man", "amphora-prometheus-agent.8")
    man5 = os.path.join(top, "packaging", "man",
                        "amphora-prometheus-agent.conf.5")
    r = subprocess.run(["mandoc", "-Tlint", "-Wwarning", man8, man5],
                       capture_output=True)
    assert r.returncode == 0, r.stdout + r.stderr
    usage = subprocess.run([ARGS.agent, "--help"], capture_output=True,
                           check=True).stdout.decode()
    flags = set(re.findall(r"--([a-z][a-z-]+)", usage))
    assert {"config", "check-config", "once", "listen"} <= flags, flags
    page8 = open(man8).read()
    readme = open(os.path.join(top, "README.md")).read()
    def has(text, word):   # whole words: "listen" is not "listener"
        return re.search(re.escape(word) + r"(?![\w-])", text) is not None
    for f in flags:
        assert has(page8, f"Fl Fl {f}"), f"--{f} not in the man page"
        assert has(readme, f"--{f}"), f"--{f} not in README.md"
    src = open(os.path.join(top, "lib", "config.c")).read()
    keywords = set(re.findall(r'strcmp\(w\[0\], "([a-z][a-z-]+)"\)', src))
    assert {"listener", "bind", "netns", "user"} <= keywords, keywords
    page5 = open(man5).read()
    for k in keywords:
        assert has(page5, f"Ic {k}"), f"{k} not in the .conf(5) page"
        # as code: a line of an example file, or `quoted`
        assert re.search(r"(^\s*|`)" + re.escape(k) + r"(?![\w-])", readme,
                         re.M), f"{k} not in README.md"


@test
def out_of_descriptors_backs_off():
    port = free_port_block(1)
    a = Agent(W.work, ["-s", W.hap.sock, "-l", f"127.0.0.1:{port}"],
              name="emfile")
    try:
        a.wait_listening("127.0.0.1", port)
        # lowered after start, so accept() hits it before the agent's own
        # cap (derived from the limit at start) does
        subprocess.run(["prlimit", f"--pid={a.proc.p.pid}",
                        "--nofile=40:40"], check=True)
        held = []
        for _ in range(60):
            s = socket.socket()
            s.connect(("127.0.0.1", port))   # the kernel's backlog takes it
            held.append(s)
        time.sleep(0.5)
        t0 = cpu_seconds(a.proc.p.pid)
        time.sleep(2)
        used = cpu_seconds(a.proc.p.pid) - t0
        assert used < 0.5, f"{used:.2f} s of CPU in 2 s: spinning on accept"
        assert "Too many open files" in a.log()
        for s in held:
            s.close()
        time.sleep(1.5)                       # the backoff timer fires
        fams, _, _ = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 1
    finally:
        a.stop()


@test
def reload_does_not_fail_a_scrape_in_flight():
    path = os.path.join(W.work, "inflight.sock")
    brk = BrokenStatsSocket(path, b"", stall=True)
    port = free_port_block(1)
    text = (f"stats-socket {path}\nscrape-timeout 1500ms\n"
            f"listener x {{\n  bind 127.0.0.1:{port}\n  allowed-cidr {{c}}\n}}\n")
    conf = write_conf("inflight.conf", text.replace("{c}", "127.0.0.0/8"))
    a = Agent(W.work, ["-f", conf], name="inflight")
    try:
        a.wait_listening("127.0.0.1", port)
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close"
                  b"\r\n\r\n")
        time.sleep(0.3)
        write_conf("inflight.conf", text.replace("{c}", "127.0.0.1/32"))
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "reloaded")
        s.settimeout(5)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        assert data.startswith(b"HTTP/1.1 200 ")
        assert b"octavia_exporter_haproxy_up 0" in data
    finally:
        a.stop()
        brk.close()


@test
def missing_netns_is_a_clear_error():
    port = free_port_block(1)
    conf = write_conf("nonet.conf", f"stats-socket {W.hap.sock}\n"
                      f"netns apa-absent-namespace\nlistener x {{\n"
                      f"  bind 127.0.0.1:{port}\n}}\n")
    r = subprocess.run([ARGS.agent, "-d", "-f", conf], capture_output=True,
                       timeout=10)
    assert r.returncode == 1
    assert (b"netns apa-absent-namespace: /run/netns/apa-absent-namespace: "
            b"No such file") in r.stderr, r.stderr


@test
def drop_in_behind_octavia_haproxy():
    """Stock Octavia: the PROMETHEUS listener is an HAProxy frontend that
    forwards to prometheus-exporter-internal, 127.0.0.1:9102 in an amphora;
    the agent answers there in place of the Python proxy."""
    lid = "0f4b6e2a-9c1d-4e8f-a6b5-3d2c1b0a9f8e"
    front, agent_port = free_port_block(1), free_port_block(1)
    sock = os.path.join(W.work, "dropin.sock")
    cfg = os.path.join(W.work, "dropin.cfg")
    with open(cfg, "w") as f:
        f.write(f"""global
    maxconn 100
    stats socket {sock} mode 0666 level user
defaults
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend {lid}
    mode http
    bind 127.0.0.1:{front}
    default_backend prometheus-exporter-internal
backend prometheus-exporter-internal
    mode http
    server prometheus-internal 127.0.0.1:{agent_port}
""")
    hap = subprocess.Popen(["haproxy", "-db", "-f", cfg],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    a = Agent(W.work, ["-s", sock, "-l", f"127.0.0.1:{agent_port}"],
              name="dropin")
    try:
        a.wait_listening("127.0.0.1", agent_port)
        wait_for(lambda: os.path.exists(sock), 10, "stats socket")
        for hdrs in ({}, {"Accept-Encoding": "gzip"}):
            st, h, body = http_get(f"http://127.0.0.1:{front}/metrics",
                                   headers=hdrs)
            assert st == 200, st
        st, h, body = http_get(f"http://127.0.0.1:{front}/metrics")
        fams = expfmt.parse(body.decode())
        assert fams["octavia_exporter_haproxy_up"].value() == 1
        # the PROMETHEUS listener itself is one of the load balancer's
        assert fams["octavia_listener_status"].value(
            listener=lid, state="UP") == 1
        # and the scrapes that came through it are counted on it, in the
        # next snapshot (those within a second share one)
        time.sleep(1.1)
        st, h, body = http_get(f"http://127.0.0.1:{front}/metrics")
        fams = expfmt.parse(body.decode())
        assert fams["octavia_listener_sessions_total"].value(
            listener=lid) >= 3
    finally:
        a.stop()
        hap.terminate()
        hap.wait(10)


LB_A = "9a0b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
LB_B = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"


def info_ids(fams):
    f = fams.get("octavia_loadbalancer_info")
    return [x.labels["loadbalancer"] for x in f.samples] if f else []


@test
def boot_before_haproxy_then_follows_the_socket():
    """An amphora at boot: Octavia has not configured HAProxy yet. The agent
    starts anyway, serves _up 0 without inventing a load balancer, finds the
    socket when HAProxy creates it, takes the id from its name, and follows
    it when another HAProxy replaces it."""
    d = os.path.join(W.work, "octavia")
    os.mkdir(d, 0o755)
    pattern = os.path.join(d, "*.sock")
    port = free_port_block(1)
    conf = write_conf("boot.conf", f"stats-socket {pattern}\n"
                      f"min-scrape-interval 0\nlisten 127.0.0.1:{port}\n")
    r = subprocess.run(agent_cmd("-n", "-f", conf), capture_output=True)
    assert r.returncode == 0 and r.stdout == b"configuration OK\n", r
    a = Agent(W.work, ["-f", conf], name="boot")
    haps = []
    try:
        a.wait_listening("127.0.0.1", port)
        for _ in range(5):
            fams, _, body = scrape(port)
            assert fams["octavia_exporter_haproxy_up"].value() == 0
            assert info_ids(fams) == [], body
            assert '=""' not in body
        assert fams["octavia_exporter_socket_queries_total"].value() == 5
        # the reason is logged, once for five reads
        assert a.log().count(f"no HAProxy stats socket matches {pattern}") \
            == 1, a.log()
        r = subprocess.run(agent_cmd("--once", "-s", pattern),
                           capture_output=True, timeout=20)
        assert r.returncode == 1 and r.stdout == b"", r
        assert b"no HAProxy stats socket matches" in r.stderr

        # Octavia configures the load balancer
        haps.append(HAProxy(W.work, "boot-a", os.path.join(d, LB_A + ".sock")))
        haps[-1].start()
        fams, _, _ = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 1
        assert info_ids(fams) == [LB_A]
        assert len(fams["octavia_member_weight"].samples) == len(
            haps[-1].m["members"])
        wait_log(a, "HAProxy read: ")
        status, _, page = http_get(f"http://127.0.0.1:{port}/")
        assert LB_A.encode() in page
        r = subprocess.run(agent_cmd("--once", "-s", pattern),
                           capture_output=True, timeout=20)
        assert r.returncode == 0 and LB_A.encode() in r.stdout, r.stderr

        # another HAProxy replaces the file: the agent follows it
        haps[-1].stop()
        if os.path.exists(haps[-1].sock):
            os.unlink(haps[-1].sock)
        haps.append(HAProxy(W.work, "boot-b", os.path.join(d, LB_B + ".sock")))
        haps[-1].start()
        fams, _, _ = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 1
        assert info_ids(fams) == [LB_B]

        # two sockets: which one is the load balancer? Neither, and why
        stray = socket.socket(socket.AF_UNIX)
        stray.bind(os.path.join(d, LB_A + ".sock"))
        try:
            fams, _, body = scrape(port)
            assert fams["octavia_exporter_haproxy_up"].value() == 0
            assert info_ids(fams) == [] and '=""' not in body
            wait_log(a, f"2 HAProxy stats sockets match {pattern}")
        finally:
            stray.close()
            os.unlink(os.path.join(d, LB_A + ".sock"))
        fams, _, _ = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 1
        assert a.proc.p.poll() is None
    finally:
        a.stop()
        for h in haps:
            h.stop()


@test
def configured_id_wins_over_the_socket_name():
    port = free_port_block(1)
    sock = os.path.join(W.work, LB_A + ".sock")
    os.symlink(W.hap.sock, sock)
    a = Agent(W.work, ["-s", sock, "-l", f"127.0.0.1:{port}",
                       "--loadbalancer-id", LB_B], name="idwins")
    try:
        a.wait_listening("127.0.0.1", port)
        fams, _, _ = scrape(port)
        assert info_ids(fams) == [LB_B]
    finally:
        a.stop()
        os.unlink(sock)


@test
def systemd_notify_ready_reloading_stopping_watchdog():
    for abstract in (False, True):
        n = NotifySocket(W.work, abstract)
        port = free_port_block(1)
        env = dict(os.environ, NOTIFY_SOCKET=n.env, WATCHDOG_USEC="200000")
        a = Agent(W.work, ["-s", W.hap.sock, "-l", f"127.0.0.1:{port}"],
                  name="notify", env=env)
        try:
            ready = n.collect(lambda m: m.startswith("READY=1"))
            assert "STATUS=serving 1 listeners" in ready, ready
            # bound before READY: a scrape works at once
            fams, _, _ = scrape(port)
            assert fams["octavia_exporter_haproxy_up"].value() == 1
            t0 = time.time()
            for _ in range(4):
                n.collect(lambda m: m == "WATCHDOG=1")
            assert time.time() - t0 < 1.0, "watchdog slower than 100 ms"
            a.proc.p.send_signal(signal.SIGHUP)
            rel = n.collect(lambda m: m.startswith("RELOADING=1"))
            assert re.search(r"^MONOTONIC_USEC=\d+$", rel, re.M), rel
            n.collect(lambda m: m.startswith("READY=1"))
            a.proc.p.send_signal(signal.SIGTERM)
            n.collect(lambda m: m == "STOPPING=1")
            assert a.proc.p.wait(10) == 0
            kinds = [k for k in n.kinds() if not k.startswith("STATUS=")]
            assert kinds == ["READY=1", "RELOADING=1", "READY=1",
                             "STOPPING=1"], n.got
            assert "HAProxy read from " + W.hap.sock in "".join(n.got)
        finally:
            a.stop()
            n.close()

    # WATCHDOG_PID names another process: no keep-alives from us
    n = NotifySocket(W.work)
    port = free_port_block(1)
    env = dict(os.environ, NOTIFY_SOCKET=n.env, WATCHDOG_USEC="100000",
               WATCHDOG_PID="1")
    a = Agent(W.work, ["-s", W.hap.sock, "-l", f"127.0.0.1:{port}"],
              name="notify-pid", env=env)
    try:
        n.collect(lambda m: m.startswith("READY=1"))
        time.sleep(0.5)
        n.s.settimeout(0.05)
        try:
            while True:
                n.got.append(n.s.recv(4096).decode())
        except socket.timeout:
            pass
        assert "WATCHDOG=1" not in n.got, n.got
    finally:
        a.stop()
        n.close()


@test
def logs_to_the_journal_stream_with_priorities():
    """Under systemd, stderr is the journal when $JOURNAL_STREAM names it:
    lines carry their syslog priority as "<N>". A JOURNAL_STREAM naming
    another stream is not ours: then syslog, and stderr stays empty."""
    for matching in (True, False):
        port = free_port_block(1)
        path = os.path.join(W.work, "journal.log")
        with open(path, "wb") as f:
            st = os.fstat(f.fileno())
            stream = f"{st.st_dev}:{st.st_ino}" if matching else "1:1"
            p = subprocess.Popen(agent_cmd("-s", "/nonexistent/lb.sock", "-l",
                                           f"127.0.0.1:{port}"),
                                 stdout=f, stderr=f, env=dict(
                                     os.environ, JOURNAL_STREAM=stream))
        try:
            wait_port(port, 10)
            scrape(port)
        finally:
            p.terminate()
            p.wait(10)
        text = open(path).read()
        if matching:
            assert re.search(r"^<6>listener 127\.0\.0\.1:\d+: serving on ",
                             text, re.M), text
            assert "\n<4>HAProxy not read: stats socket /nonexistent/lb.sock: "\
                "No such file or directory\n" in text, text
            assert re.search(r"^<6>stopped$", text, re.M), text
            assert "debug" not in text and "as text" not in text
        else:
            assert text == "", text


@test
def pipelined_scrapes_each_get_a_whole_snapshot():
    """Defect: with min-scrape-interval 0, the first of two pipelined
    requests is answered at once and the second starts a new query, which
    freed the snapshot the remaining waiters were being handed."""
    port = free_port_block(1)
    conf = write_conf("pipeline.conf", f"stats-socket {W.hap.sock}\n"
                      f"min-scrape-interval 0\nlisten 127.0.0.1:{port}\n")
    a = Agent(W.work, ["-f", conf], name="pipeline")
    try:
        a.wait_listening("127.0.0.1", port)
        for n in (2, 3, 8):
            req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * (n - 1) + \
                b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close" \
                b"\r\n\r\n"
            got = split_responses(http_raw("127.0.0.1", port, req))
            assert len(got) == n, (n, len(got))
            for status, _, body in got:
                assert status == 200
                fams = expfmt.parse(body.decode())
                assert fams["octavia_exporter_haproxy_up"].value() == 1
                age = fams["octavia_exporter_snapshot_age_seconds"].value()
                assert 0 <= age < 5, age
                assert len(fams["octavia_member_weight"].samples) == len(
                    W.hap.m["members"])
        assert a.proc.p.poll() is None, a.log()
    finally:
        a.stop()


@test
def closing_with_unread_input_loses_nothing():
    """Defect: closing a connection with input unread makes the kernel
    send a reset, which destroyed the part of the response still on its
    way: a body sent after the request (never read), and a slow reader.
    Now the agent half-closes and hears the peer out (lingering close)."""
    for _ in range(3):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # slow
        s.connect(("127.0.0.1", W.port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 10\r\n\r\n")
        time.sleep(0.1)             # answered; the agent reads no more
        s.sendall(b"0123456789")    # the body it never reads
        got = split_responses(b"".join(iter(lambda: s.recv(4096), b"")))
        s.close()
        assert len(got) == 1 and got[0][0] == 200
        fams = expfmt.parse(got[0][2].decode())
        assert len(fams["octavia_member_weight"].samples) == len(
            W.hap.m["members"])
    # a refused POST with a large body still gets its 405 whole
    s = socket.create_connection(("127.0.0.1", W.port))
    s.sendall(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
              b"1000000\r\n\r\n" + b"x" * 1000)
    time.sleep(0.1)
    try:
        s.sendall(b"x" * 200000)
    except OSError:
        pass
    r = b"".join(iter(lambda: s.recv(4096), b""))
    s.close()
    assert r.startswith(b"HTTP/1.1 405 ") and r.endswith(b"\n"), r[-50:]


@test
def started_as_its_user_it_does_not_drop_again():
    """systemd's User= starts the agent unprivileged; 'user' naming that
    same user is then already done, not an error."""
    port = free_port_block(1)
    conf = write_conf("asuser.conf", f"stats-socket {W.hap.sock}\n"
                      f"user nobody\nlisten 127.0.0.1:{port}\n")
    log = os.path.join(W.work, "asuser.log")
    p = Proc(["setpriv", "--reuid=nobody", "--regid=nogroup",
              "--clear-groups", ARGS.agent, "-d", "-f", conf], log)
    try:
        wait_for(lambda: "already running as nobody" in open(log).read(),
                 5, "the agent to start as nobody")
        fams, _, _ = scrape(port)
        assert fams["octavia_exporter_haproxy_up"].value() == 1
    finally:
        p.stop()


# ---------------------------------------------------------------- main

if __name__ == "__main__":
    sys.exit(harness.run(sys.modules[__name__], __doc__))
