#!/usr/bin/env python3
"""HAProxy's TLS, HTTP/2 and HTTP/1 counters (its "extra counters"): a
TERMINATED_HTTPS listener as Octavia's templater renders it (Debian's
python3-octavia, tests/tools/octavia_render.py --scenario tls), with a
crt-list of a default and an SNI certificate, a client CA and CRL, ALPN h2
and http/1.1, and a pool re-encrypting to a TLS member; certificates made
by the openssl CLI (tests/tools/tlscerts.py); clients that are curl,
openssl s_client and Python's ssl, each doing a known thing; the agent
reads the configuration where Octavia puts it, beside the socket.

    test_haproxy_tls.py --agent BIN [-k NAME]
"""
import atexit
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import harness  # noqa: E402
import tlscerts  # noqa: E402
from harness import Agent, HAProxy, scrape  # noqa: E402
from testnet import free_port_block, wait_for  # noqa: E402

TESTS = []
test = harness.collector(TESTS)
ARGS = W = None     # set by harness.run() before the tests run
_lb = {}


class TLSMember:
    """The re-encrypting pool's member: HTTPS on its port, ALPN
    http/1.1, the certificate HAProxy verifies against the pool's CA."""

    def __init__(self, port, c):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(c["server.pem"])
        ctx.set_alpn_protocols(["http/1.1"])

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                   Handler)
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()


def lb():
    """HAProxy with Octavia's TERMINATED_HTTPS configuration, laid out as
    in an amphora (<dir>/<lb>.sock, <dir>/<lb>/haproxy.cfg, the
    certificates under certs/<lb>/), and an agent told only the socket."""
    if _lb:
        return _lb
    hap = HAProxy(W.work, name="tls", scenario="tls")
    m = hap.m
    c = tlscerts.make(os.path.join(W.work, "tlscerts"))
    # Octavia's layout under d: <lb>.sock, <lb>/haproxy.cfg, certs/<lb>/
    d = os.path.join(W.work, "octavia")
    rendered = os.path.dirname(m["cert_files"]["crt_list"])
    certs = os.path.join(d, "certs", m["loadbalancer"])
    f = {k: os.path.join(certs, os.path.basename(v))
         for k, v in m["cert_files"].items()}
    os.makedirs(certs)
    os.makedirs(os.path.join(d, m["loadbalancer"]))
    for src, dst in (("server.pem", "default"), ("sni.pem", "sni"),
                     ("client-ca.pem", "client_ca"), ("crl.pem", "client_crl"),
                     ("ca.pem", "pool_ca")):
        shutil.copy(c[src], f[dst])
    with open(f["crt_list"], "w") as out:
        out.write(f"{f['default']}\n{f['sni']}\n")
    sock = os.path.join(d, f"{m['loadbalancer']}.sock")
    cfg = os.path.join(d, m["loadbalancer"], "haproxy.cfg")
    text = open(hap.cfg).read()
    assert f"stats socket {hap.sock} " in text and rendered in text
    with open(cfg, "w") as out:
        out.write(text.replace(f"stats socket {hap.sock} ",
                               f"stats socket {sock} ")
                  .replace(rendered + "/", certs + "/"))
    hap.cfg, hap.sock = cfg, sock
    TLSMember(m["ports"]["target_tls"], c)
    hap.start()
    port = free_port_block(1)
    a = Agent(W.work, ["-s", sock, "-l", f"127.0.0.1:{port}"],
              name="tls-agent")
    a.wait_listening("127.0.0.1", port)
    _lb.update(hap=hap, m=m, c=c, port=port, agent=a, cfg=cfg, files=f)
    return _lb


def series(fams, name):
    """{labels tuple: value} of a family, {} when it is not served."""
    fam = fams.get(name)
    if fam is None:
        return {}
    return {tuple(sorted(s.labels.items())): s.value for s in fam.samples}


def value(fams, name, **labels):
    for s in fams[name].samples:
        if all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise AssertionError(f"{name}{labels}: no such series")


def curl(url, *args):
    """curl as a user would run it, through the listener's name."""
    port = url.split(":")[2].split("/")[0]
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                        "%{http_version} %{http_code}", "--resolve",
                        f"metrics.example:{port}:127.0.0.1", "--cacert",
                        _lb["c"]["ca.pem"], *args, url],
                       capture_output=True, text=True)
    return r.stdout


def s_client(port, *args):
    """openssl s_client: its output, the handshake done or refused."""
    return subprocess.run(["openssl", "s_client", "-connect",
                           f"127.0.0.1:{port}", "-servername",
                           "metrics.example", *args],
                          input="", stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          timeout=20).stdout


def h2_protocol_error(port):
    """HTTP/2 done wrong: after the preface and SETTINGS, a DATA frame on
    stream 0, which RFC 9113 6.1 makes a connection PROTOCOL_ERROR."""
    ctx = ssl.create_default_context(cafile=_lb["c"]["ca.pem"])
    ctx.set_alpn_protocols(["h2"])
    with socket.create_connection(("127.0.0.1", port), 5) as raw:
        with ctx.wrap_socket(raw, server_hostname="metrics.example") as s:
            assert s.selected_alpn_protocol() == "h2"
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" +
                      bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]) +
                      bytes([0, 0, 0, 0, 0, 0, 0, 0, 0]))
            data = b""
            s.settimeout(5)
            try:
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
            except (socket.timeout, ssl.SSLError, ConnectionError):
                pass
    # a GOAWAY (type 7) with PROTOCOL_ERROR (1) came back
    assert b"\x00\x00\x00\x01" in data and len(data) > 9, data


@test
def terminated_https_counters_equal_what_clients_did():
    """Each client does one known thing; each counter of the listener
    moves by exactly what they did, and only the objects with the layer
    have its series."""
    b = lb()
    m, a = b["m"], b["agent"]
    https = m["ports"]["https"]
    li = m["listeners"]
    url = f"https://metrics.example:{https}"
    before, _, _ = scrape(b["port"])
    for name in ("tls_sessions_total", "tls_reused_sessions_total",
                 "tls_failed_handshakes_total"):
        assert value(before, f"octavia_listener_{name}",
                     listener=li["https"]) == 0, name
    # HTTP/2: three clients, a request each
    for _ in range(3):
        assert curl(url + "/", "--http2") == "2 200"
    # HTTP/1.1: two, and three more to the re-encrypting pool (/s)
    for _ in range(2):
        assert curl(url + "/", "--http1.1") == "1.1 200"
    for _ in range(3):
        assert curl(url + "/s/x", "--http1.1") == "1.1 200"
    # a session made, then resumed (TLS 1.2 session ids)
    sess = os.path.join(W.work, "tls.sess")
    out = s_client(https, "-tls1_2", "-sess_out", sess)
    assert "New, TLSv1.2" in out, out[-400:]
    out = s_client(https, "-tls1_2", "-sess_in", sess)
    assert "Reused, TLSv1.2" in out, out[-400:]
    # four handshakes that fail: a refused version, no shared cipher
    # (RSA key exchange against an ECDSA certificate), a client
    # certificate of a CA nobody trusts, and a revoked one
    assert curl(url + "/", "--tls-max", "1.1").startswith("0 ")
    assert "Cipher is (NONE)" in s_client(https, "-tls1_2", "-cipher",
                                          "AES128-SHA")
    c = b["c"]
    for who in ("stranger", "revoked"):
        out = s_client(https, "-tls1_2", "-cert", c[f"{who}.crt"], "-key",
                       c[f"{who}.key"])
        assert {"stranger": "alert unknown ca", "revoked":
                "alert certificate revoked"}[who] in out, out[-400:]
    # and HTTP/2 done wrong
    h2_protocol_error(https)

    # HAProxy counts at its own pace: the last handshake is in
    def settled():
        f, _, _ = scrape(b["port"])
        return value(f, "octavia_listener_tls_failed_handshakes_total",
                     listener=li["https"]) == 4
    wait_for(settled, 10, "the failed handshakes counted")
    fams, _, _ = scrape(b["port"])
    got = {n: value(fams, f"octavia_listener_{n}", listener=li["https"],
                    **kw) for n, kw in (
        ("tls_sessions_total", {}), ("tls_reused_sessions_total", {}),
        ("tls_failed_handshakes_total", {}),
        ("http2_connections_total", {}), ("http2_streams_total", {}),
        ("http2_frames_received_total", {"type": "headers"}),
        ("http2_protocol_errors_total", {"level": "connection"}),
        ("http2_frames_sent_total", {"type": "goaway"}),
        ("http1_connections_total", {}), ("http1_streams_total", {}))}
    want = {
        # full handshakes: 3 h2, 5 h1.1, the first s_client, the bad h2
        "tls_sessions_total": 10, "tls_reused_sessions_total": 1,
        "tls_failed_handshakes_total": 4,
        "http2_connections_total": 4, "http2_streams_total": 3,
        "http2_frames_received_total": 3,
        "http2_protocol_errors_total": 1, "http2_frames_sent_total": 1,
        # HTTP/1 carries curl's five and s_client's two (no ALPN)
        "http1_connections_total": 7, "http1_streams_total": 5}
    assert got == want, (got, want)
    print(f"  TERMINATED_HTTPS listener {li['https']}: " + ", ".join(
        f"{k} {v:g}" for k, v in got.items()))

    # the layers: TLS only where TLS is, HTTP only where HTTP is
    tls_l = series(fams, "octavia_listener_tls_sessions_total")
    assert [dict(k)["listener"] for k in tls_l] == [li["https"]]
    h1_l = {dict(k)["listener"] for k in series(
        fams, "octavia_listener_http1_connections_total")}
    assert h1_l == {li["https"], li["http"]}, h1_l
    tls_m = series(fams, "octavia_member_tls_sessions_total")
    reused_m = series(fams, "octavia_member_tls_reused_sessions_total")
    tls_up = m["member_roles"]["tls_up"]
    assert [dict(k)["member"] for k in tls_m] == [tls_up], tls_m
    made = sum(tls_m.values()) + sum(reused_m.values())
    assert 1 <= made <= 3, (tls_m, reused_m)    # http-reuse safe pools
    tls_p = series(fams, "octavia_pool_tls_sessions_total")
    assert list(tls_p.values()) == list(tls_m.values()), (tls_p, tls_m)
    assert len(series(fams, "octavia_pool_http2_streams_total")) == 1
    # the HTTP pools: the TLS listener's two, the HTTP listener's one
    assert len(series(fams, "octavia_pool_http1_streams_total")) == 3
    print(f"  the re-encrypting pool's member: {made:g} handshakes for 3 "
          f"requests ({sum(reused_m.values()):g} resumed)")
    assert "HAProxy configuration" in a.log()
    assert "1 TLS listeners, 1 members over TLS" in a.log()


@test
def configuration_read_again_when_it_changes():
    b = lb()
    a = b["agent"]
    n = a.log().count("HAProxy configuration")
    time.sleep(0.01)
    with open(b["cfg"], "a") as f:
        f.write("# touched\n")
    # read at the next query of HAProxy (min-scrape-interval 1s)
    wait_for(lambda: scrape(b["port"]) and a.log().count(
        "HAProxy configuration") == n + 1, 10, "a second read")
    time.sleep(1.1)
    scrape(b["port"])
    assert a.log().count("HAProxy configuration") == n + 1


def expiry_want(li, c):
    """The TERMINATED_HTTPS listener's certificates and CRL, each with
    the date the openssl CLI reads from the file the test wrote."""
    date = tlscerts.openssl_date
    return {
        (li, "metrics.example", "server"):
            date(["x509", "-enddate"], c["server.pem"]),
        (li, "other.example", "server"):
            date(["x509", "-enddate"], c["sni.pem"]),
        (li, "Test Client CA", "client_ca"):
            date(["x509", "-enddate"], c["client-ca.pem"]),
        (li, "Test Client CA", "crl"):
            date(["crl", "-nextupdate"], c["crl.pem"]),
    }


def file_errors(port):
    fams, _, _ = scrape(port)
    return fams["octavia_exporter_certificate_file_errors_total"].value()


@test
def listener_certificates_expire_when_openssl_says():
    """The files the TERMINATED_HTTPS listener's bind names (its
    crt-list's default and SNI certificates, its ca-file, its crl-file),
    as Octavia lays them out: each date as the openssl CLI reads it,
    labelled with Octavia's listener UUID; no other listener has one."""
    b = lb()
    li = b["m"]["listeners"]["https"]
    got = harness.expiry_series(b["port"])
    want = expiry_want(li, b["c"])
    assert got == want, (got, want)
    assert file_errors(b["port"]) == 0
    assert "HAProxy's certificates: 5 files of 1 TLS listeners read" in \
        b["agent"].log()
    soonest = min(want.values())
    print(f"  listener {li}: {len(got)} series equal to openssl's dates; "
          f"the soonest {time.strftime('%Y-%m-%d', time.gmtime(soonest))}")


@test
def certificate_rotated_in_place_and_broken_file():
    """A certificate file rewritten (Octavia rewrites one in place at a
    rotation): its series follows at the next scrape, with neither the
    configuration nor HAProxy touched. A CRL file that is not PEM: counted,
    said, its series gone, the others kept; put back, served again."""
    b = lb()
    a, port, f, c = b["agent"], b["port"], b["files"], b["c"]
    li = b["m"]["listeners"]["https"]
    keep = {k: open(f[k], "rb").read() for k in ("sni", "client_crl")}
    soon = os.path.join(W.work, "soon")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj",
                    "/CN=soon.example", "-days", "2", "-keyout", soon + ".key",
                    "-out", soon + ".crt"], check=True, capture_output=True)
    until = tlscerts.openssl_date(["x509", "-enddate"], soon + ".crt")
    try:
        with open(f["sni"], "r+b") as out:    # in place: no new inode
            out.write(open(soon + ".crt", "rb").read() +
                      open(soon + ".key", "rb").read())
            out.truncate()
        wait_for(lambda: (li, "soon.example", "server") in
                 harness.expiry_series(port), 10, "the new certificate")
        got = harness.expiry_series(port)
        assert got[(li, "soon.example", "server")] == until
        assert (li, "other.example", "server") not in got
        assert 0 < until - time.time() <= 2 * 86400 + 60
        errors = file_errors(port)
        with open(f["client_crl"], "w") as out:
            out.write("not a CRL\n")
        wait_for(lambda: file_errors(port) == errors + 1, 10,
                 "the broken CRL counted")
        got = harness.expiry_series(port)
        assert not any(k[2] == "crl" for k in got), got
        assert (li, "metrics.example", "server") in got
        assert f"{f['client_crl']}: no CRL in it" in a.log()
        # counted at each read, not at each scrape
        time.sleep(1.1)
        assert file_errors(port) == errors + 1
    finally:
        for k, v in keep.items():
            with open(f[k], "wb") as out:
                out.write(v)
    wait_for(lambda: harness.expiry_series(port) == expiry_want(li, c), 10,
             "the files put back")


@test
def dashboard_tls_row_against_prometheus():
    """The dashboard's TLS row, its variables set to the TERMINATED_HTTPS
    listener, answers every query from a real Prometheus that scraped the
    agent with the shipped rules; the days left are the certificates'."""
    import json
    b = lb()
    li = b["m"]["listeners"]["https"]
    dash = json.load(open(harness.DASHBOARD))
    queries = [(t, e) for row, t, e in harness.dashboard_queries(dash)
               if row == harness.DASHBOARD_TLS_ROW]
    assert len(queries) >= 10, queries
    prom = harness.Prometheus(W.work, "tls-prom", f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ['{os.path.abspath(harness.RULES)}']
scrape_configs:
  - job_name: octavia
    static_configs:
      - targets: ['127.0.0.1:{b["port"]}']
""")
    values = {"job": "octavia", "instance": f"127.0.0.1:{b['port']}",
              "listener": li}
    try:
        # a handshake of each kind inside the rate window
        def ready():
            curl(f"https://metrics.example:{b['m']['ports']['https']}/",
                 "--http2")
            r = prom.query("rate(octavia_listener_tls_sessions_total"
                           "[15s]) > 0")
            return bool(r) and prom.query(
                "octavia_exporter_certificate_file_errors_total")
        wait_for(ready, 60, "a Prometheus with TLS rates to show")
        got = harness.dashboard_answers(prom, queries, values)
        days = {(r["metric"].get("certificate", r["metric"].get("issuer")),
                 r["metric"].get("usage", "crl")): float(r["value"][1])
                for r in got["Days left: certificates and CRLs"]}
        want = expiry_want(li, b["c"])
        assert set(days) == {k[1:] for k in want}, days
        now = time.time()
        for (_, name, usage), until in want.items():
            assert abs(days[name, usage] - (until - now) / 86400) < 0.01, \
                (name, usage, days[name, usage])
        print(f"  dashboard TLS row: {len(queries)} queries in "
              f"{len({t for t, _ in queries})} panels answered with data; "
              "days left " + ", ".join(
                  f"{k[0]} ({k[1]}) {v:.1f}" for k, v in days.items()))
    finally:
        prom.stop()


CAP_DAC_READ_SEARCH = 1 << 2


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def opener_of(pid):
    kids = [int(x) for x in open(f"/proc/{pid}/task/{pid}/children").read()
            .split()]
    found = [k for k in kids
             if open(f"/proc/{k}/comm").read().strip() == "file-opener"]
    assert len(found) == 1, kids
    return found[0]


def nobody_agent(name):
    port = free_port_block(1)
    conf = harness.write_conf(f"{name}.conf", "user nobody\n")
    a = Agent(W.work, ["-s", _lb["hap"].sock, "-l", f"127.0.0.1:{port}",
                       "-f", conf], name=name)
    a.wait_listening("127.0.0.1", port)
    return a, port


def reads_again(a, port, what, n=None):
    """Scrapes until the log says what once more (the file is looked at
    when HAProxy is read, at most every min-scrape-interval, 1s)."""
    n = a.log().count(what) if n is None else n
    wait_for(lambda: scrape(port) and a.log().count(what) > n, 15,
             f"'{what}' in the log")


def tls_served(port):
    fams, _, _ = scrape(port)
    return bool(series(fams, "octavia_listener_tls_sessions_total"))


@test
def the_opener_alone_reads_octavia_files():
    """Octavia writes haproxy.cfg for root alone (0600): the agent, dropped
    to nobody with no capability, cannot open it, and reads it through its
    file opener, a child that keeps CAP_DAC_READ_SEARCH alone."""
    b = lb()
    for path in [b["cfg"], *b["files"].values()]:
        os.chmod(path, 0o600)
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                            "--clear-groups", "cat", path],
                           capture_output=True, text=True)
        assert r.returncode != 0 and "Permission denied" in r.stderr, r
    a, port = nobody_agent("nobody")
    try:
        assert tls_served(port)
        assert "1 TLS listeners, 1 members over TLS" in a.log()
        li = b["m"]["listeners"]["https"]
        assert harness.expiry_series(port) == expiry_want(li, b["c"])
        st = status(a.proc.p.pid)
        assert int(st["CapEff"], 16) == 0 and int(st["CapPrm"], 16) == 0, st
        op = status(opener_of(a.proc.p.pid))
        assert int(op["CapEff"], 16) == CAP_DAC_READ_SEARCH, op["CapEff"]
        assert int(op["CapPrm"], 16) == CAP_DAC_READ_SEARCH, op["CapPrm"]
        assert op["Uid"].split()[0] == "65534", op["Uid"]
        print("  the agent as nobody, CapEff 0; its file-opener as nobody, "
              "CapEff CAP_DAC_READ_SEARCH alone; haproxy.cfg and the "
              "certificates 0600 read")
    finally:
        a.stop()


@test
def the_opener_refuses_links_fifos_and_other_files():
    """A symbolic link or a FIFO where haproxy.cfg is: refused, said, no
    TLS series; the file back: served again. A path outside Octavia's
    two kinds of files is refused by the opener itself."""
    b = lb()
    cfg = b["cfg"]
    keep = cfg + ".keep"
    a, port = nobody_agent("links")
    try:
        assert tls_served(port)
        os.rename(cfg, keep)
        os.symlink(keep, cfg)
        reads_again(a, port, "symbolic links: the TLS counters")
        assert not tls_served(port)
        os.unlink(cfg)
        os.mkfifo(cfg)
        t0 = time.monotonic()
        reads_again(a, port, "not a regular file: the TLS counters")
        assert not tls_served(port)
        assert time.monotonic() - t0 < 10
        os.unlink(cfg)
        os.rename(keep, cfg)
        reads_again(a, port, "1 TLS listeners, 1 members over TLS")
        assert tls_served(port)
        # a link where the SNI certificate was: refused, counted
        sni = b["files"]["sni"]
        errors = file_errors(port)
        os.rename(sni, sni + ".keep")
        os.symlink(b["c"]["sni.pem"], sni)
        reads_again(a, port, f"{sni}: Too many levels of symbolic links")
        assert file_errors(port) == errors + 1
        assert not any(k[1] == "other.example" for k in
                       harness.expiry_series(port))
        os.unlink(sni)
        os.rename(sni + ".keep", sni)
        wait_for(lambda: any(k[1] == "other.example" for k in
                             harness.expiry_series(port)), 10, "SNI again")
    finally:
        sni = b["files"]["sni"]
        if os.path.exists(sni + ".keep"):
            if os.path.lexists(sni):
                os.unlink(sni)
            os.rename(sni + ".keep", sni)
        a.stop()
        if os.path.exists(keep):
            if os.path.lexists(cfg):
                os.unlink(cfg)
            os.rename(keep, cfg)
    # asked for another file, the opener says no: haproxy-config names
    # /etc/shadow, which is neither the one given at start nor Octavia's
    port = free_port_block(1)
    conf = harness.write_conf("shadow.conf", "user nobody\n")
    a = Agent(W.work, ["-s", b["hap"].sock, "-l", f"127.0.0.1:{port}",
                       "-f", conf], name="shadow")
    try:
        a.wait_listening("127.0.0.1", port)
        scrape(port)
        with open(conf, "a") as f:
            f.write("haproxy-config /etc/shadow\n")
        a.proc.p.send_signal(harness.signal.SIGHUP)
        reads_again(a, port, "/etc/shadow: not a file of Octavia's", 0)
    finally:
        a.stop()


@test
def the_opener_killed_the_agent_serves_on():
    """The opener killed: the agent serves every family but those its
    files gave, and says why at the next change of the file."""
    b = lb()
    a, port = nobody_agent("killed")
    try:
        assert tls_served(port) and harness.expiry_series(port)
        # SIGTERM: its death as any; memcheck, if there, writes its log
        os.kill(opener_of(a.proc.p.pid), harness.signal.SIGTERM)
        time.sleep(0.2)
        with open(b["cfg"], "a") as f:
            f.write("# changed\n")
        reads_again(a, port, "the file opener is gone")
        fams, _, _ = scrape(port)
        assert not series(fams, "octavia_listener_tls_sessions_total")
        assert not series(
            fams, "octavia_listener_certificate_expiry_timestamp_seconds")
        assert series(fams, "octavia_listener_http2_streams_total")
        assert a.proc.p.poll() is None
    finally:
        a.stop()


@test
def shared_agent_stops_cleanly():
    """Last: SIGTERM, exit 0 (under ASan, no leak; under memcheck its logs
    are whole before the harness reads them); HAProxy goes too."""
    if not _lb:
        raise harness.Skip("the shared agent did not run")
    assert _lb["agent"].stop() == 0, _lb["agent"].log()[-1000:]
    _lb["hap"].stop()
    _lb.clear()


@atexit.register
def _close():
    if _lb:
        _lb["agent"].stop()
        _lb["hap"].stop()


if __name__ == "__main__":
    sys.exit(harness.run(sys.modules[__name__], __doc__))
