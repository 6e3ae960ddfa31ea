#!/usr/bin/env python3
"""TLS listeners (the direct deployment) and the access log: certificates
made by the openssl CLI (tests/tools/tlscerts.py), clients that are
Python's ssl module, curl and a real Prometheus.

    test_tls.py --agent BIN [-k NAME]
"""
import atexit
import warnings
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import expfmt  # noqa: E402
import harness  # noqa: E402
import tlscerts  # noqa: E402
from harness import Agent, Prometheus, wait_log, write_conf  # noqa: E402
from testnet import free_port_block, wait_for  # noqa: E402

TESTS = []
test = harness.collector(TESTS)
ARGS = W = None     # set by harness.run() before the tests run

# TLS 1.1 is deprecated: testing that it is refused is the point
warnings.filterwarnings("ignore", category=DeprecationWarning)

PROJECT = "6f1e2a9c1b7d4e3f8a5b2c0d9e8f7a6b"
LB = "b081ed89-f6f8-48cb-a498-5e12705e2cf9"
_shared = {}


def certs():
    if "certs" not in _shared:
        _shared["certs"] = tlscerts.make(os.path.join(W.work, "certs"))
        os.chmod(os.path.join(W.work, "certs"), 0o755)
    return _shared["certs"]


class Syslog:
    """A syslog socket of the test's: the datagrams the agent sends."""

    def __init__(self, path):
        self.path, self.lines = path, []
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        os.chmod(path, 0o666)
        self.s.settimeout(0.2)
        self.stopped = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopped:
            try:
                self.lines.append(self.s.recv(65536).decode())
            except socket.timeout:
                continue
            except OSError:
                return


def shared_agent():
    """One agent with a listener per case, and a clear one to read its
    metrics from."""
    if "agent" in _shared:
        return _shared["agent"]
    c = certs()
    base = free_port_block(9)
    names = ["req", "opt", "plain", "v11", "h2only", "cidr", "clear",
             "noverify", "idle"]
    ports = {n: base + i for i, n in enumerate(names)}
    tls = (f"  tls-certificate {c['server.pem']}\n"
           f"  tls-certificate {c['sni.pem']}\n")
    log = Syslog(os.path.join(W.work, "syslog.sock"))
    conf = write_conf("tls.conf", f"""\
stats-socket {W.hap.sock}
loadbalancer-id {LB}
project-id {PROJECT}
log-socket {log.path}
log-facility local2
listener req {{
  bind 127.0.0.1:{ports['req']}
{tls}  tls-client-ca {c['client-ca.pem']}
  tls-crl {c['crl.pem']}
  tls-verify required
  log-requests yes
}}
listener opt {{
  bind 127.0.0.1:{ports['opt']}
{tls}  tls-client-ca {c['client-ca.pem']}
  tls-verify optional
}}
listener plain {{
  bind 127.0.0.1:{ports['plain']}
{tls}  timeout-http-request 700
  log-requests yes
}}
listener v11 {{
  bind 127.0.0.1:{ports['v11']}
{tls}  tls-versions TLSv1.1 TLSv1.2
  tls-ciphers DEFAULT:@SECLEVEL=0
}}
listener h2only {{
  bind 127.0.0.1:{ports['h2only']}
{tls}  tls-alpn h2
}}
listener cidr {{
  bind 127.0.0.1:{ports['cidr']}
  allowed-cidr 10.0.0.0/8
{tls}}}
listener noverify {{
  bind 127.0.0.1:{ports['noverify']}
{tls}  tls-client-ca {c['client-ca.pem']}
  tls-verify none
}}
listener idle {{
  bind 127.0.0.1:{ports['idle']}
{tls}  timeout-client-data 300
  timeout-http-request 5000
}}
listener clear {{
  bind 127.0.0.1:{ports['clear']}
  log-requests yes
}}
""")
    a = Agent(W.work, ["-f", conf], name="tls")
    # every one: under valgrind, binding them one by one takes seconds
    for p in ports.values():
        a.wait_listening("127.0.0.1", p)
    _shared["agent"] = (a, ports, log)
    return _shared["agent"]


def client_ctx(cert=None, alpn=None, maxver=None, seclevel0=False):
    ctx = ssl.create_default_context(cafile=certs()["ca.pem"])
    if cert:
        ctx.load_cert_chain(certs()[f"{cert}.crt"], certs()[f"{cert}.key"])
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if seclevel0:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if maxver:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = maxver
    return ctx


def tls_get(port, ctx, name="metrics.example", path="/metrics"):
    """(status line, peer certificate subject CN, version, alpn, body)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname=name) as s:
        cn = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {name}\r\n"
                  "Connection: close\r\n\r\n".encode())
        data = b""
        while True:
            try:
                b = s.recv(65536)
            except (ssl.SSLEOFError, ConnectionResetError):
                break
            if not b:
                break
            data += b
        return (data.split(b"\r\n", 1)[0].decode(), cn, s.version(),
                s.selected_alpn_protocol(), data)


def refused(port, ctx, name="metrics.example"):
    """The handshake, or the first read after it (TLS 1.3 client
    certificates are judged after the client's Finished), fails."""
    try:
        st, *_ = tls_get(port, ctx, name)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        return str(e)
    return None if st.startswith("HTTP/1.1 200") else st


def metrics():
    _, ports, _ = shared_agent()
    _, _, body = harness.http_get(f"http://127.0.0.1:{ports['clear']}"
                                  "/metrics?scope=exporter")
    return expfmt.parse(body.decode())


def value(fams, name, **labels):
    for s in fams[name].samples:
        if all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def failures(listener, reason):
    return value(metrics(), "octavia_exporter_tls_handshake_failures_total",
                 listener=listener, reason=reason)


@test
def handshake_chain_and_sni():
    _, ports, _ = shared_agent()
    p = ports["plain"]
    st, cn, ver, _, body = tls_get(p, client_ctx())
    # the client trusts the root only: the intermediate came with the leaf
    assert st == "HTTP/1.1 200 OK" and cn == "metrics.example", (st, cn)
    assert ver == "TLSv1.3", ver
    assert b"octavia_exporter_build_info" in body
    assert tls_get(p, client_ctx(), "other.example")[1] == "other.example"
    assert tls_get(p, client_ctx(), "a.wild.example")[1] == "other.example"
    # a name no certificate has gets the default (and fails verification)
    ctx = client_ctx()
    ctx.check_hostname = False
    assert tls_get(p, ctx, "unknown.example")[1] == "metrics.example"
    # curl, as a user would, by the address in the certificate
    r = subprocess.run(["curl", "-sS", "--cacert", certs()["ca.pem"],
                        "-o", "/dev/null", "-w", "%{http_code}",
                        f"https://127.0.0.1:{p}/metrics"],
                       capture_output=True, text=True)
    assert r.stdout == "200", r
    fams = metrics()
    assert value(fams, "octavia_exporter_tls_connections_total",
                 listener="plain", version="TLSv1.3") >= 5
    assert value(fams, "octavia_exporter_tls_connections_total",
                 listener="plain", version="TLSv1.2") == 0
    assert value(fams, "octavia_exporter_tls_connections_total",
                 listener="clear", version="TLSv1.3") is None


@test
def client_certificate_required():
    _, ports, _ = shared_agent()
    p = ports["req"]
    before = {r: failures("req", r) for r in
              ["no_client_certificate", "bad_client_certificate",
               "revoked_client_certificate"]}
    assert refused(p, client_ctx()) is not None
    assert refused(p, client_ctx("stranger")) is not None
    assert refused(p, client_ctx("revoked")) is not None
    st, *_ = tls_get(p, client_ctx("client"))
    assert st == "HTTP/1.1 200 OK", st
    wait_for(lambda: all(failures("req", r) == before[r] + 1
                         for r in before), 5, "each failure counted")


def junk_chain(n):
    """client.crt followed by n self-signed certificates of nobody's: a
    chain the client sends whole, made by the openssl CLI."""
    c = certs()
    d = os.path.join(W.work, "junk")
    path = os.path.join(d, f"chain-{n}.pem")
    if os.path.exists(path):
        return path
    os.makedirs(d, exist_ok=True)
    key = os.path.join(d, "junk.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", key], check=True,
                   capture_output=True)
    pems = [open(c["client.crt"]).read()]
    for i in range(n):
        pems.append(subprocess.run(
            ["openssl", "req", "-x509", "-new", "-key", key, "-subj",
             f"/O=Junk/CN=junk {i}", "-days", "1"], check=True,
            capture_output=True, text=True).stdout)
    with open(path, "w") as f:
        f.write("".join(pems))
    return path


@test
def long_client_chains_refused_early():
    """Defect: a client chain of 150 junk certificates (86 KB) cost 40 ms
    of the agent's CPU a handshake where tls-client-ca is set, 19 times a
    normal one (issue 19). A chain's message over 16 KiB is now refused
    at its header, before a certificate is parsed; a normal chain is
    unaffected. Prints the agent's CPU per handshake for both."""
    a, ports, _ = shared_agent()
    p = ports["req"]
    chain = junk_chain(149)
    assert 80_000 < os.path.getsize(chain) < 100_000
    long_ctx = client_ctx()
    long_ctx.load_cert_chain(chain, certs()["client.key"])
    before = failures("req", "bad_client_certificate")
    n = 20
    cpu = {}
    for name, ctx in (("normal", client_ctx("client")), ("long", long_ctx)):
        t0 = harness.cpu_seconds(a.proc.p.pid)
        for _ in range(n):
            if name == "normal":
                assert tls_get(p, ctx)[0] == "HTTP/1.1 200 OK"
            else:
                assert refused(p, ctx) is not None
        cpu[name] = (harness.cpu_seconds(a.proc.p.pid) - t0) / n * 1e3
    wait_for(lambda: failures("req", "bad_client_certificate") ==
             before + n, 5, "each long chain counted")
    # refused for its size, not after verifying it
    assert "excessive message size" in a.log(), a.log()[-800:]
    print(f"  agent CPU per handshake: {cpu['normal']:.2f} ms with the "
          f"client's own chain, {cpu['long']:.2f} ms with 150 certificates "
          f"({os.path.getsize(chain):,} bytes of PEM), refused")


@test
def certificate_expiry_and_crl_next_update():
    """Issue 20 (the direct deployment's own files): every certificate a
    TLS listener serves, its client CAs and its CRL, with the date the
    openssl CLI reads from the same file."""
    _, ports, _ = shared_agent()
    c = certs()
    got = harness.expiry_series(ports["clear"])
    want = {
        ("req", "metrics.example", "server"):
            tlscerts.openssl_date(["x509", "-enddate"], c["server.pem"]),
        ("req", "other.example", "server"):
            tlscerts.openssl_date(["x509", "-enddate"], c["sni.pem"]),
        ("req", "Test Client CA", "client_ca"):
            tlscerts.openssl_date(["x509", "-enddate"], c["client-ca.pem"]),
        ("req", "Test Client CA", "crl"):
            tlscerts.openssl_date(["crl", "-nextupdate"], c["crl.pem"]),
    }
    for k, v in want.items():
        assert got.get(k) == v, (k, got.get(k), v)
    # a listener without a client CA has server certificates only; a
    # clear one has none
    assert {k[2] for k in got if k[0] == "plain"} == {"server"}
    assert not any(k[0] == "clear" for k in got)
    print(f"  {len(got)} series; req's server certificate until "
          f"{time.strftime('%Y-%m-%d', time.gmtime(want[list(want)[0]]))}")
    # a certificate replaced by one ending in 2 days: the series follow
    # the file at the reload
    pem = own_copy(c["server.pem"], "expiry", "listener.pem")
    short = os.path.join(W.work, "expiry", "short.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj",
                    "/CN=soon.example", "-days", "2", "-keyout", short,
                    "-out", short + ".crt"], check=True, capture_output=True)
    a, port = tls_agent("expiry", pem)
    try:
        assert list(harness.expiry_series(port + 1)) == [
            ("x", "metrics.example", "server")]
        with open(pem, "w") as f:
            f.write(open(short + ".crt").read() + open(short).read())
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "reloaded:")
        got = harness.expiry_series(port + 1)
        until = tlscerts.openssl_date(["x509", "-enddate"], short + ".crt")
        assert got == {("x", "soon.example", "server"): until}, got
        assert 0 < until - time.time() <= 2 * 86400 + 60
    finally:
        a.stop()


@test
def client_certificate_optional_and_none():
    _, ports, _ = shared_agent()
    p = ports["opt"]
    assert tls_get(p, client_ctx())[0] == "HTTP/1.1 200 OK"
    assert tls_get(p, client_ctx("client"))[0] == "HTTP/1.1 200 OK"
    # one given must still be valid
    assert refused(p, client_ctx("stranger")) is not None
    # tls-verify none never asks
    assert tls_get(ports["noverify"], client_ctx("stranger"))[0] == \
        "HTTP/1.1 200 OK"


@test
def versions_as_configured():
    _, ports, _ = shared_agent()
    before = failures("plain", "protocol_version")
    # the default (TLSv1.2, TLSv1.3) refuses TLS 1.1 ...
    assert refused(ports["plain"], client_ctx(
        maxver=ssl.TLSVersion.TLSv1_1, seclevel0=True)) is not None
    wait_for(lambda: failures("plain", "protocol_version") == before + 1, 5,
             "protocol_version counted")
    # ... a listener allowing it (and OpenSSL's level 0) serves it
    st, _, ver, _, _ = tls_get(ports["v11"], client_ctx(
        maxver=ssl.TLSVersion.TLSv1_1, seclevel0=True))
    assert (st, ver) == ("HTTP/1.1 200 OK", "TLSv1.1"), (st, ver)
    # and that one refuses TLS 1.3, which it does not list
    ctx = client_ctx()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    assert refused(ports["v11"], ctx) is not None
    fams = metrics()
    assert value(fams, "octavia_exporter_tls_connections_total",
                 listener="v11", version="TLSv1.1") == 1
    assert value(fams, "octavia_exporter_tls_connections_total",
                 listener="v11", version="TLSv1.3") is None


@test
def alpn_selects_http11_never_h2():
    _, ports, _ = shared_agent()
    p = ports["plain"]
    assert tls_get(p, client_ctx(alpn=["h2", "http/1.1"]))[3] == "http/1.1"
    assert tls_get(p, client_ctx(alpn=["http/1.0"]))[3] == "http/1.0"
    st, _, _, proto, _ = tls_get(p, client_ctx(alpn=["h2"]))
    assert proto is None and st == "HTTP/1.1 200 OK", (proto, st)
    # Octavia's list without http/1.x: nothing selected, HTTP/1.1 served
    assert tls_get(ports["h2only"], client_ctx(
        alpn=["h2", "http/1.1"]))[3] is None
    # curl would speak h2 if it were offered back: it does not
    r = subprocess.run(["curl", "-sS", "--http2", "--cacert",
                        certs()["ca.pem"], "-o", "/dev/null", "-w",
                        "%{http_version}", f"https://127.0.0.1:{p}/metrics"],
                       capture_output=True, text=True)
    assert r.stdout == "1.1", r


@test
def plain_http_timeout_and_cidr():
    a, ports, _ = shared_agent()
    before_http = failures("plain", "plain_http")
    before_to = failures("plain", "timeout")
    # peers' lines are five a second at most: this one opens a second
    time.sleep(1.01 - time.time() % 1)
    data = harness.http_raw("127.0.0.1", ports["plain"],
                            b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"200 OK" not in data
    # a silent client: closed at timeout-http-request (700 ms)
    s = socket.create_connection(("127.0.0.1", ports["plain"]))
    s.settimeout(5)
    t0 = time.time()
    assert s.recv(10) == b""
    took = time.time() - t0
    s.close()
    assert 0.5 < took < 3, took
    wait_for(lambda: failures("plain", "plain_http") == before_http + 1 and
             failures("plain", "timeout") == before_to + 1, 5,
             "plain_http and timeout counted")
    # the idle timeout ends a handshake too, when it is the shorter
    s = socket.create_connection(("127.0.0.1", ports["idle"]))
    s.settimeout(5)
    assert s.recv(10) == b""
    s.close()
    wait_for(lambda: failures("idle", "timeout") == 1, 5,
             "an idle handshake counted as a timeout")
    # a peer outside allowed_cidrs is closed before any TLS byte
    s = socket.create_connection(("127.0.0.1", ports["cidr"]))
    s.settimeout(5)
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    s.close()
    assert got == b"", got
    assert value(metrics(), "octavia_exporter_denied_connections_total",
                 listener="cidr") >= 1
    assert failures("cidr", "closed") == 0
    # logged with OpenSSL's reason (at most five such lines a second:
    # which ones made it depends on the pace of the tests before)
    assert re.search(r"listener \w+: TLS handshake with 127\.0\.0\.1:\d+ "
                     r"failed: [a-z_]+ \(error:", a.log()), a.log()[-800:]


@test
def access_log_lines():
    _, ports, log = shared_agent()
    n = len(log.lines)
    st, *_ = tls_get(ports["req"], client_ctx("client"),
                     path="/metrics?scope=exporter")
    assert st == "HTTP/1.1 200 OK"
    raw = harness.http_raw("127.0.0.1", ports["clear"],
                           b"GET /nothing HTTP/1.0\r\n\r\n")
    harness.http_raw("127.0.0.1", ports["clear"], b"BAD\"\x01\r\n\r\n")
    # opt does not log
    tls_get(ports["opt"], client_ctx())
    wait_for(lambda: len(log.lines) >= n + 3, 5, "three log lines")
    time.sleep(0.3)
    new = log.lines[n:]
    assert len(new) == 3, new
    tls_line, nf, bad = new
    # <PRI> local2.info = 18*8+6
    assert tls_line.startswith("<150>"), tls_line
    head, _, msg = tls_line.partition(": ")
    assert head.split()[-1].startswith("amphora-prometheus-agent["), head
    f = msg.split(" ")
    assert f[:4] == [PROJECT, LB, "req", "127.0.0.1"], f
    assert f[6:9] == ['"GET', "/metrics?scope=exporter", 'HTTP/1.1"'], f
    assert f[9] == "200" and int(f[10]) > 100 and int(f[11]) > 30, f
    assert f[12] == "0", f            # the client certificate verified
    assert '"/CN=prometheus/O=Octavia test"' in msg, msg
    assert msg.endswith(" amphora-prometheus-agent - " + f[-3] +
                        " ---- TLSv1.3"), msg
    f = nf.partition(": ")[2].split(" ")
    assert f[2] == "clear" and f[9] == "404", f
    # what the client received, byte for byte
    assert int(f[10]) == len(raw), (f[10], len(raw))
    assert nf.endswith(" ---- -"), nf
    msg = bad.partition(": ")[2]
    assert '"<BADREQ>" 400 ' in msg and msg.endswith(" PR-- -"), msg


@test
def prometheus_scrapes_over_tls():
    _, ports, _ = shared_agent()
    c = certs()
    prom = Prometheus(W.work, "prom-tls", f"""\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: amphora
    scheme: https
    tls_config:
      ca_file: {c['ca.pem']}
      cert_file: {c['client.crt']}
      key_file: {c['client.key']}
      server_name: metrics.example
    static_configs:
      - targets: ['127.0.0.1:{ports['req']}']
""")
    try:
        wait_for(lambda: prom.value('up{job="amphora"}') == 1, 30,
                 "Prometheus scraping over TLS")
        wait_for(lambda: prom.value(
            'octavia_exporter_tls_connections_total{listener="req",'
            'version="TLSv1.3"}') >= 1, 15, "the TLS series in Prometheus")
        assert prom.value('octavia_exporter_haproxy_up{job="amphora"}') == 1
        assert prom.value("count(octavia_member_status)") > 0
    finally:
        prom.stop()


def own_copy(src, folder, name):
    """A copy of a test file the test may replace, in a folder of its own
    that any user can read."""
    d = os.path.join(W.work, folder)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    path = os.path.join(d, name)
    shutil.copy(src, path)
    os.chmod(path, 0o644)
    return path


def tls_agent(name, pem, extra=""):
    """An agent with one TLS listener, x, on port (pem its certificate,
    extra more of its keys) and a clear one on port + 1: (agent, port)."""
    port = free_port_block(2)
    conf = write_conf(f"{name}.conf", f"stats-socket {W.hap.sock}\n"
                      f"listen 127.0.0.1:{port + 1}\n"
                      f"listener x {{\n  bind 127.0.0.1:{port}\n"
                      f"  tls-certificate {pem}\n{extra}}}\n")
    a = Agent(W.work, ["-f", conf], name=name)
    try:
        a.wait_listening("127.0.0.1", port + 1)
        a.wait_listening("127.0.0.1", port)
    except Exception:
        a.stop()
        raise
    return a, port


@test
def rotation_on_sighup():
    c = certs()
    pem = own_copy(c["server.pem"], "rot", "listener.pem")
    port = free_port_block(1)
    conf = write_conf("rot.conf", f"stats-socket {W.hap.sock}\n"
                      f"listener rot {{\n  bind 127.0.0.1:{port}\n"
                      f"  tls-certificate {pem}\n}}\n")
    a = Agent(W.work, ["-f", conf], name="rot")
    try:
        a.wait_listening("127.0.0.1", port)
        ctx = client_ctx()
        ctx.check_hostname = False
        # a keep-alive connection opened before the rotation
        old = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                              server_hostname="metrics.example")
        first_cn = dict(x[0] for x in old.getpeercert()["subject"])
        assert first_cn["commonName"] == "metrics.example"
        shutil.copy(c["sni.pem"], pem)
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "reloaded:")
        assert tls_get(port, ctx)[1] == "other.example"
        # the old connection still answers, on its session
        old.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                    b"Connection: close\r\n\r\n")
        assert old.recv(12) == b"HTTP/1.1 200"
        old.close()
        # a bad file keeps everything as it was, and says why
        with open(pem, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbroken\n")
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "keeping the running configuration")
        assert f"listener rot: {pem}" in a.log(), a.log()[-600:]
        assert tls_get(port, ctx)[1] == "other.example"
    finally:
        a.stop()


@test
def crl_rotation_on_sighup():
    """A client certificate revoked by a new CRL is refused after a
    reload; the listener never stopped accepting."""
    c = certs()
    crl = own_copy(c["crl.pem"], "crlrot", "crl.pem")
    port, clear = free_port_block(2), None
    clear = port + 1
    conf = write_conf("crlrot.conf", f"stats-socket {W.hap.sock}\n"
                      f"listen 127.0.0.1:{clear}\n"
                      f"listener crl {{\n  bind 127.0.0.1:{port}\n"
                      f"  tls-certificate {c['server.pem']}\n"
                      f"  tls-client-ca {c['client-ca.pem']}\n"
                      f"  tls-crl {crl}\n}}\n")
    a = Agent(W.work, ["-f", conf], name="crlrot")

    def revoked_count():
        _, _, body = harness.http_get(f"http://127.0.0.1:{clear}/metrics"
                                      "?scope=exporter")
        return value(expfmt.parse(body.decode()),
                     "octavia_exporter_tls_handshake_failures_total",
                     listener="crl", reason="revoked_client_certificate")
    try:
        a.wait_listening("127.0.0.1", clear)
        a.wait_listening("127.0.0.1", port)
        assert tls_get(port, client_ctx("client"))[0] == "HTTP/1.1 200 OK"
        assert refused(port, client_ctx("revoked")) is not None
        wait_for(lambda: revoked_count() == 1, 5, "the revoked one counted")
        tlscerts.revoke(os.path.dirname(c["crl.pem"]), "client", crl)
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "reloaded:")
        why = refused(port, client_ctx("client"))
        assert why is not None, why
        wait_for(lambda: revoked_count() == 2, 5, "client counted revoked")
    finally:
        a.stop()


@test
def special_files_refused_without_blocking():
    """A FIFO where a certificate, CA or CRL file should be: refused at
    once by -n (it used to block in OpenSSL's open), and on a reload of a
    running agent, which keeps serving its old configuration."""
    c = certs()
    fifo = os.path.join(W.work, "cert.fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    for key in ("tls-certificate", "tls-client-ca", "tls-crl"):
        files = {"tls-certificate": c["server.pem"],
                 "tls-client-ca": c["client-ca.pem"]}
        files[key] = fifo
        body = "".join(f"{k} {v}\n" for k, v in files.items())
        conf = write_conf("fifo-tls.conf",
                          "listener x {\n  bind 127.0.0.1:1\n" + body + "}\n")
        r = subprocess.run(harness.agent_cmd("-n", "-f", conf),
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 1 and \
            f"{fifo}: not a regular file" in r.stderr, (key, r)

    pem = own_copy(c["server.pem"], "fiforot", "server.pem")
    a, port = tls_agent("fiforot", pem)
    try:
        os.unlink(pem)
        os.mkfifo(pem)
        a.proc.p.send_signal(signal.SIGHUP)
        wait_log(a, "not a regular file")
        t0 = time.monotonic()
        assert tls_get(port, client_ctx(None))[0] == "HTTP/1.1 200 OK"
        status, _, _ = harness.http_get(f"http://127.0.0.1:{port + 1}/metrics")
        assert status == 200 and time.monotonic() - t0 < 2
    finally:
        a.stop()


def counter(port, family, listener, reason):
    _, _, body = harness.http_get(f"http://127.0.0.1:{port}/metrics"
                                  "?scope=exporter")
    return value(expfmt.parse(body.decode()), family, listener=listener,
                 reason=reason) or 0


def closed_by_peer(s, timeout=5):
    """Whether the agent closed s (EOF or reset) within timeout, what it
    sent before read and dropped."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class MemoryClient:
    """A TLS client on a raw socket, through Python's MemoryBIO: its
    ClientHello is ours to cut, trickle or hold back."""

    def __init__(self, port):
        ctx = client_ctx()
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out,
                                server_hostname="metrics.example")
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(10)
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        self.hello = self.out.read()

    def finish(self):
        """The rest of the handshake, then a request: the status line."""
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.sock.sendall(self.out.read())
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("closed in the handshake")
                self.inc.write(data)
        self.obj.write(b"GET /metrics?scope=exporter HTTP/1.1\r\nHost: x"
                       b"\r\nConnection: close\r\n\r\n")
        self.sock.sendall(self.out.read())
        got = b""
        while b"\r\n" not in got:
            try:
                got += self.obj.read(4096)
            except ssl.SSLWantReadError:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.inc.write(data)
        return got.split(b"\r\n", 1)[0].decode()


def records(hello, frag):
    """A ClientHello's records cut again into records of frag bytes."""
    msg, pos = b"", 0
    while pos < len(hello):
        size = int.from_bytes(hello[pos + 3:pos + 5], "big")
        msg += hello[pos + 5:pos + 5 + size]
        pos += 5 + size
    return b"".join(b"\x16\x03\x01" + len(msg[i:i + frag]).to_bytes(2, "big")
                    + msg[i:i + frag] for i in range(0, len(msg), frag))


@test
def client_hellos_before_openssl():
    """Defect: OpenSSL had each connection from its first byte, 43 KiB for
    a part of a small ClientHello, 140 KiB for a large one (issue 19). The
    agent now peeks until the ClientHello is whole, holding no TLS state
    meanwhile; refuses one announcing more than 16 KiB at its header;
    and real hellos, cut into 1-byte records or trickled, still work."""
    a, port = tls_agent("hello", certs()["server.pem"])
    fam = "octavia_exporter_tls_handshake_failures_total"
    try:
        # 120,000 bytes announced: closed at the header, counted
        big = b"\x01" + (120_000).to_bytes(3, "big") + bytes(16380)
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"\x16\x03\x01\x40\x00" + big)
        assert closed_by_peer(s)
        s.close()
        wait_for(lambda: counter(port + 1, fam, "x",
                                 "oversized_client_hello") == 1, 5,
                 "an oversized ClientHello counted")
        # a real one cut into records of 1 and 7 bytes, and one trickled
        # a byte every 2 ms: each is whole in the end, and answered
        for frag in (1, 7):
            m = MemoryClient(port)
            m.sock.sendall(records(m.hello, frag))
            assert m.finish() == "HTTP/1.1 200 OK", frag
        m = MemoryClient(port)
        for i in range(len(m.hello)):
            m.sock.sendall(m.hello[i:i + 1])
            time.sleep(0.002)
        assert m.finish() == "HTTP/1.1 200 OK"
        # 200 parts of hellos: no TLS state, no handshake counted yet,
        # and once whole they complete
        held = [MemoryClient(port) for _ in range(200)]
        for m in held:
            m.sock.sendall(m.hello[:-10])
        assert tls_get(port, client_ctx())[0] == "HTTP/1.1 200 OK"
        for m in held[:20]:
            m.sock.sendall(m.hello[-10:])
            assert m.finish() == "HTTP/1.1 200 OK"
        for m in held:
            m.sock.close()
        assert counter(port + 1, "octavia_exporter_rejected_connections_"
                       "total", "x", "handshake_limit") == 0
    finally:
        a.stop()


@test
def handshake_limit_closes_the_oldest():
    """tls-handshake-limit: at it, the handshake OpenSSL has had longest
    (a client that sent its ClientHello and never its Finished) is closed
    for the new one, and counted; scrapers still get through."""
    a, port = tls_agent("hslimit", certs()["server.pem"],
                        "  tls-handshake-limit 4\n")
    fam = "octavia_exporter_rejected_connections_total"
    try:
        stuck = []
        for _ in range(10):
            m = MemoryClient(port)
            m.sock.sendall(m.hello)
            m.sock.settimeout(5)
            assert m.sock.recv(5)[:1] == b"\x16"   # the ServerHello
            stuck.append(m)
        wait_for(lambda: counter(port + 1, fam, "x", "handshake_limit")
                 == 6, 5, "six handshakes closed for newer ones")
        # the six oldest went, the four newest stay
        assert all(closed_by_peer(m.sock) for m in stuck[:6])
        assert not any(closed_by_peer(m.sock, 0.2) for m in stuck[6:])
        assert tls_get(port, client_ctx())[0] == "HTTP/1.1 200 OK"
        assert counter(port + 1, fam, "x", "handshake_limit") == 7
        assert "to admit another (handshake_limit)" in a.log()
        # the bound, from the configuration: said at start
        assert re.search(r"bounds: \d+ connections of about 15 KiB, 4 TLS "
                         r"handshakes of 13 KiB, 32 MiB of output, 32 MiB "
                         r"of coded pieces: \d+ MiB at most beside the "
                         r"snapshots", a.log()), a.log()
        for m in stuck:
            m.sock.close()
    finally:
        a.stop()


@test
def check_config_reads_the_files():
    c = certs()
    for body, want in [
            (f"tls-certificate {W.work}/missing.pem\n",
             "missing.pem: No such file or directory"),
            (f"tls-certificate {W.work}\n", f"{W.work}: not a regular file"),
            (f"tls-certificate {c['client-ca.key']}\n", "no certificate"),
            (f"tls-certificate {c['ca.pem']}\n", "no private key"),
            (f"tls-certificate {c['server.pem']}\ntls-ciphers NOPE\n",
             "tls-ciphers: none OpenSSL knows"),
            (f"tls-certificate {c['server.pem']}\ntls-client-ca "
             f"{c['client-ca.pem']}\ntls-crl {c['ca.pem']}\n", "no CRL")]:
        conf = write_conf("bad-tls.conf",
                          "listener x {\n  bind 127.0.0.1:1\n" + body + "}\n")
        r = subprocess.run(harness.agent_cmd("-n", "-f", conf),
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 1 and want in r.stderr, (want, r)
    # a key that is not the certificate's
    mixed = os.path.join(W.work, "mixed.pem")
    with open(mixed, "w") as f:
        f.write(open(c["server.crt"]).read() + open(c["sni.key"]).read())
    conf = write_conf("bad-tls.conf", "listener x {\n  bind 127.0.0.1:1\n"
                      f"  tls-certificate {mixed}\n}}\n")
    r = subprocess.run(harness.agent_cmd("-n", "-f", conf),
                       capture_output=True, text=True)
    assert r.returncode == 1 and "not the certificate's" in r.stderr, r


@test
def shared_agent_stops_cleanly():
    """Last: SIGTERM, exit 0 (under ASan, no leak; under memcheck its logs
    are whole before the harness reads them)."""
    if "agent" not in _shared:
        raise harness.Skip("the shared agent did not run")
    a, _, log = _shared.pop("agent")
    log.stopped = True
    assert a.stop() == 0, a.log()[-1000:]


@atexit.register
def _close():
    if "agent" in _shared:
        a, _, log = _shared["agent"]
        a.stop()
        log.stopped = True


if __name__ == "__main__":
    sys.exit(harness.run(sys.modules[__name__], __doc__))
