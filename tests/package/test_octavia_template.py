#!/usr/bin/python3
"""The direct deployment's template, packaging/octavia/*.conf.j2.

Renders it, with python3-jinja2, from load balancers shaped like the
objects Octavia's amphora driver hands its templates (listeners of every
protocol, VIP and additional VIPs, allowed_cidrs as Octavia's ListenerCidr
dicts or plain strings, unlimited and limited connections), checks every
result with `amphora-prometheus-agent -n`, and runs the agent on one
rendered for loopback against a real HAProxy: allowed and denied peers,
the load balancer id, both VIPs.

    test_octavia_template.py --agent BUILD/amphora-agent/amphora-prometheus-agent
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(TOP, "tests", "tools"))
sys.path.insert(0, os.path.join(TOP, "packaging", "octavia"))
import expfmt  # noqa: E402
from render import render  # noqa: E402
from testnet import free_port_block, wait_for, wait_port  # noqa: E402

ARGS = None


def listener(protocol, port, **kw):
    """A listener as Octavia's templates get it."""
    d = {"id": str(uuid.uuid4()), "protocol": protocol, "protocol_port": port,
         "enabled": True, "connection_limit": -1,
         "timeout_client_data": 50000, "allowed_cidrs": []}
    d.update(kw)
    return d


def cidrs(lid, *nets):
    """allowed_cidrs as Octavia's ListenerCidr.to_dict() gives them."""
    return [{"listener_id": lid, "cidr": n} for n in nets]


def check(name, lb, work, **ctx):
    """Renders, writes, runs -n; returns the text."""
    text = render(dict(ctx, loadbalancer=lb))
    path = os.path.join(work, name + ".conf")
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([ARGS.agent, "-n", "-f", path], capture_output=True)
    assert r.returncode == 0 and r.stdout == b"configuration OK\n", \
        (name, r.stderr.decode(), text)
    return text


def directives(text):
    """[(keyword, value)] of the rendered file, comments and braces out."""
    out = []
    for line in text.splitlines():
        words = line.split("#")[0].split()
        if len(words) == 2:
            out.append((words[0], words[1]))
        elif len(words) == 3 and words[0] == "listener":
            out.append(("listener", words[1]))
    return out


def test_one_listener_two_vips(work):
    lb_id = str(uuid.uuid4())
    p = listener("PROMETHEUS", 8088)
    p["allowed_cidrs"] = cidrs(p["id"], "198.51.100.0/24", "2001:db8:1::/48")
    lb = {"id": lb_id, "vip_address": "192.0.2.10",
          "additional_vips": [{"ip_address": "2001:db8::10",
                               "subnet_id": str(uuid.uuid4())}],
          "listeners": [listener("HTTP", 80), p, listener("UDP", 53),
                        listener("TCP", 443)]}
    d = directives(check("one", lb, work))
    assert d == [("loadbalancer-id", lb_id),
                 ("stats-socket", f"/var/lib/octavia/{lb_id}.sock"),
                 ("log-socket", "/dev/log"),
                 ("log-facility", "local0"),
                 ("listener", p["id"]),
                 ("bind", "192.0.2.10:8088"),
                 ("bind", "[2001:db8::10]:8088"),
                 ("allowed-cidr", "198.51.100.0/24"),
                 ("allowed-cidr", "2001:db8:1::/48"),
                 ("connection-limit", "-1"),
                 ("timeout-client-data", "50000"),
                 ("log-requests", "yes")], d


def test_limits_disabled_and_defaults(work):
    a = listener("PROMETHEUS", 9100, connection_limit=100,
                 timeout_client_data=None, allowed_cidrs=None)
    b = listener("PROMETHEUS", 9101, connection_limit=None,
                 allowed_cidrs=["10.0.0.0/8"])
    off = listener("PROMETHEUS", 9102, enabled=False)
    lb = {"id": str(uuid.uuid4()), "vip_address": "2001:db8::1",
          "listeners": [a, off, b]}
    d = directives(check("limits", lb, work,
                         stats_socket="/run/haproxy/lb.sock"))
    assert ("stats-socket", "/run/haproxy/lb.sock") in d
    assert [v for k, v in d if k == "listener"] == [a["id"], b["id"]], d
    assert [v for k, v in d if k == "bind"] == ["[2001:db8::1]:9100",
                                                "[2001:db8::1]:9101"], d
    assert [v for k, v in d if k == "connection-limit"] == ["100", "-1"], d
    # a's None is not written: the agent's default is Octavia's, 50 s
    assert [v for k, v in d if k == "timeout-client-data"] == ["50000"], d
    assert [v for k, v in d if k == "allowed-cidr"] == ["10.0.0.0/8"], d


def test_no_prometheus_listener(work):
    lb = {"id": str(uuid.uuid4()), "vip_address": "192.0.2.10",
          "listeners": [listener("HTTP", 80)]}
    d = directives(check("none", lb, work))
    assert ("listen", "127.0.0.1:9102") in d, d
    assert not any(k == "listener" for k, _ in d), d


def test_bad_data_is_refused(work):
    """Octavia validates CIDRs; should a bad one get through, -n says where."""
    p = listener("PROMETHEUS", 8088, allowed_cidrs=["10.0.0.0/33"])
    text = render({"loadbalancer": {"id": str(uuid.uuid4()),
                                    "vip_address": "192.0.2.10",
                                    "listeners": [p]}})
    path = os.path.join(work, "bad.conf")
    open(path, "w").write(text)
    r = subprocess.run([ARGS.agent, "-n", "-f", path], capture_output=True)
    assert r.returncode == 1, r
    line = next(i for i, t in enumerate(text.splitlines(), 1)
                if "allowed-cidr" in t)
    assert f"{path}:{line}: allowed-cidr: not a CIDR: \"10.0.0.0/33\"".encode() \
        in r.stderr, (r.stderr, text)


def tls_listener(lb_id, port, c, **kw):
    """A TERMINATED_HTTPS-shaped PROMETHEUS listener: the TLS fields
    Octavia's amphora driver has, pointing at certificates made here."""
    d = listener("PROMETHEUS", port, default_tls_path=c["server.pem"],
                 sni_tls_paths=[c["sni.pem"]],
                 client_ca_tls_path=c["client-ca.pem"],
                 client_auth="MANDATORY", client_crl_path=c["crl.pem"],
                 tls_ciphers="ECDHE-ECDSA-AES256-GCM-SHA384:"
                             "ECDHE-ECDSA-AES128-GCM-SHA256",
                 tls_versions=["TLSv1.2", "TLSv1.3"],
                 alpn_protocols=["h2", "http/1.1", "http/1.0"])
    d.update(kw)
    return d


def test_tls_fields(work):
    """Every TLS field becomes its key; files -n loads; the logging
    context of Octavia's HAProxy template becomes the access log's."""
    import tlscerts
    c = tlscerts.make(os.path.join(work, "certs"))
    lb_id = str(uuid.uuid4())
    t = tls_listener(lb_id, 9443, c)
    opt = tls_listener(lb_id, 9444, c, client_auth="optional",
                       client_crl_path=None, sni_tls_paths=[],
                       tls_ciphers=None, tls_versions=None,
                       alpn_protocols=None)
    clear = listener("PROMETHEUS", 9445)
    lb = {"id": lb_id, "project_id": "6f1e2a9c1b7d4e3f8a5b2c0d9e8f7a6b",
          "vip_address": "192.0.2.10", "listeners": [t, opt, clear]}
    text = check("tls", lb, work, connection_logging=True,
                 log_http="/run/rsyslog/octavia/log", user_log_facility=3)
    lines = [ln.split() for ln in text.splitlines()]
    def keys(lid):
        start = lines.index(["listener", lid, "{"])
        end = lines.index(["}"], start)
        return [(w[0], " ".join(w[1:])) for w in lines[start + 1:end]]
    assert ["project-id", lb["project_id"]] in lines, text
    assert ["log-socket", "/run/rsyslog/octavia/log"] in lines, text
    assert ["log-facility", "local3"] in lines, text
    assert [kv for kv in keys(t["id"]) if kv[0].startswith("tls-")] == [
        ("tls-certificate", c["server.pem"]),
        ("tls-certificate", c["sni.pem"]),
        ("tls-client-ca", c["client-ca.pem"]),
        ("tls-verify", "required"),
        ("tls-crl", c["crl.pem"]),
        ("tls-ciphers", t["tls_ciphers"]),
        ("tls-versions", "TLSv1.2 TLSv1.3"),
        ("tls-alpn", "h2 http/1.1 http/1.0")], text
    assert [kv for kv in keys(opt["id"]) if kv[0].startswith("tls-")] == [
        ("tls-certificate", c["server.pem"]),
        ("tls-client-ca", c["client-ca.pem"]),
        ("tls-verify", "optional")], text
    assert not any(k.startswith("tls-") for k, _ in keys(clear["id"]))
    assert ("log-requests", "yes") in keys(clear["id"])
    # connection_logging off: no access log, as HAProxy's "no log"
    text = check("nolog", lb, work, connection_logging=False)
    assert ["log-requests", "no"] in [ln.split() for ln in
                                      text.splitlines()], text
    return c


def curl(url, source):
    r = subprocess.run(["curl", "-sS", "-g", "--max-time", "5", "--interface",
                        source, "-o", "-", "-w", "\n%{http_code}", url],
                       capture_output=True)
    body, _, code = r.stdout.rpartition(b"\n")
    return r.returncode, int(code or 0), body


def test_rendered_config_serves(work):
    """On loopback: VIP 127.0.0.1, additional VIP ::1, only 127.0.0.2 may
    scrape; a real HAProxy behind its Octavia-named socket."""
    lb_id = str(uuid.uuid4())
    sock = os.path.join(work, f"{lb_id}.sock")
    cfg = os.path.join(work, "haproxy.cfg")
    subprocess.run([sys.executable, os.path.join(TOP, "tests", "tools",
                                                 "octavia_haproxy_cfg.py"),
                    "--socket", sock, "--base-port", str(free_port_block(8)),
                    "--agent-port", str(free_port_block(1)), "--config", cfg,
                    "--manifest", os.path.join(work, "m.json")], check=True)
    hap = subprocess.Popen(["haproxy", "-db", "-f", cfg],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port_block(1)
    p = listener("PROMETHEUS", port)
    p["allowed_cidrs"] = cidrs(p["id"], "127.0.0.2/32")
    lb = {"id": lb_id, "vip_address": "127.0.0.1",
          "additional_vips": ["::1"], "listeners": [p]}
    conf = os.path.join(work, "live.conf")
    with open(conf, "w") as f:
        f.write(render({"loadbalancer": lb, "stats_socket": sock}))
    log = open(os.path.join(work, "agent.log"), "wb")
    agent = subprocess.Popen([ARGS.agent, "-d", "-f", conf], stdout=log,
                             stderr=log)
    try:
        wait_for(lambda: os.path.exists(sock), 10, "the stats socket")
        wait_port(port)
        url = f"http://127.0.0.1:{port}/metrics"
        rc, code, body = curl(url, "127.0.0.2")
        assert code == 200, (rc, code)
        fams = expfmt.parse(body.decode())
        assert fams["octavia_exporter_haproxy_up"].value() == 1
        assert fams["octavia_loadbalancer_info"].samples[0].labels[
            "loadbalancer"] == lb_id
        rc, code, body = curl(url, "127.0.0.3")
        assert code == 0 and body == b"", (rc, code)
        # the additional VIP is bound too, and filtered the same way
        s = socket.create_connection(("::1", port), timeout=5)
        s.settimeout(5)
        assert s.recv(100) == b""
        s.close()
        denied = fams["octavia_exporter_denied_connections_total"].value(
            listener=p["id"])          # wait_port's probe from 127.0.0.1
        rc, code, body = curl(url, "127.0.0.2")
        fams = expfmt.parse(body.decode())
        assert fams["octavia_exporter_denied_connections_total"].value(
            listener=p["id"]) == denied + 2     # 127.0.0.3 and ::1
    finally:
        agent.terminate()
        agent.wait(10)
        hap.terminate()
        hap.wait(10)
        log.close()


def test_rendered_tls_serves(work):
    """The rendered TLS listener on loopback, through curl: the client
    certificate it requires, its allowed_cidrs before the handshake."""
    import tlscerts
    c = tlscerts.make(os.path.join(work, "certs"))
    port = free_port_block(1)
    p = tls_listener("lb", port, c, allowed_cidrs=["127.0.0.2/32"])
    conf = os.path.join(work, "tls.conf")
    with open(conf, "w") as f:
        f.write(render({"loadbalancer": {"id": str(uuid.uuid4()),
                                         "vip_address": "127.0.0.1",
                                         "listeners": [p]},
                        "stats_socket": os.path.join(work, "none.sock")}))
    log = open(os.path.join(work, "agent.log"), "wb")
    agent = subprocess.Popen([ARGS.agent, "-d", "-f", conf], stdout=log,
                             stderr=log)
    try:
        wait_port(port)
        base = ["curl", "-sS", "--max-time", "5", "--cacert", c["ca.pem"],
                "-o", "/dev/null", "-w", "%{http_code}"]
        url = f"https://127.0.0.1:{port}/metrics"
        mine = ["--cert", c["client.crt"], "--key", c["client.key"]]
        r = subprocess.run(base + mine + ["--interface", "127.0.0.2", url],
                           capture_output=True, text=True)
        assert r.stdout == "200", r
        r = subprocess.run(base + ["--interface", "127.0.0.2", url],
                           capture_output=True, text=True)
        assert r.stdout != "200" and r.returncode != 0, r
        r = subprocess.run(base + mine + ["--interface", "127.0.0.3", url],
                           capture_output=True, text=True)
        assert r.stdout == "000" and r.returncode != 0, r
    finally:
        agent.terminate()
        agent.wait(10)
        log.close()


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--agent", required=True)
    ARGS = p.parse_args()
    ARGS.agent = os.path.abspath(ARGS.agent)
    failed = 0
    for name, fn in list(globals().items()):
        if not name.startswith("test_"):
            continue
        work = tempfile.mkdtemp(prefix="apa-tmpl-")
        try:
            fn(work)
            print(f"PASS {name}", flush=True)
        except Exception as e:  # noqa: BLE001
            failed += 1
            import traceback
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
            agent_log = os.path.join(work, "agent.log")
            if os.path.exists(agent_log):
                print(open(agent_log).read()[-2000:])
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{failed} failed" if failed else "all passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
