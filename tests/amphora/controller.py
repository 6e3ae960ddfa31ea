#!/usr/bin/python3
"""The amphora stage's controller: Octavia's own code drives a booted
amphora, and what it serves is checked from outside through the VIP.

Runs in the test cloud's network namespace (tests/amphora/run.sh makes
it: the management and VIP bridges, the tenant's SCTP VM) with Debian's
python3-octavia. In the controller's order:

 1. Octavia's GenerateServerPEMTask and CertComputeCreate tasks create the
    amphora (compute.py's QemuCompute stands in for Nova: the config
    drive cloud-init reads, with the user data Octavia renders); the amphora
    driver waits for GET / and /1.0/info.
 2. The driver's post_vip_plug (plug_vip), then update (certificates, the
    HAProxy configuration, the UDP/SCTP keepalived configurations, reload)
    for a load balancer of every protocol (lbmodel.py).
 3. Checks through the VIP: systemd runs the agent as its unit says; every
    UUID and no other; statuses by role; values moving with traffic on
    every protocol; a real Prometheus; allowed_cidrs; the heartbeats
    against the metrics; upstream's prometheus-proxy side by side.
 4. Lifecycle through the driver: members, listeners, a certificate
    rotated, reloads, a broken agent configuration, the load balancer
    deleted and another created, a reboot; the package purged.

Prints a line per check; the last line begins "amphora:" and sums it up.
Exits non-zero on the first failure, after printing the amphora's console
and the agent's journal.
"""
import argparse
import http.client
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import cloud  # noqa: E402
import expfmt  # noqa: E402
import lbmodel  # noqa: E402
import upstream  # noqa: E402
from amphora_shell import Shell  # noqa: E402
from cloud import Net  # noqa: E402
from compute import Port, QemuCompute  # noqa: E402
from members import Members  # noqa: E402
from neutron import Neutron  # noqa: E402

UNIT = "amphora-prometheus-agent"
PROM_PORT = 8088
BOOT_WAIT = {"req_conn_timeout": 5, "req_read_timeout": 60,
             "conn_max_retries": 200, "conn_retry_interval": 3}


T0 = time.monotonic()


def say(msg):
    """A line of the stage's output, after the minutes it has run."""
    t = time.monotonic() - T0
    print(f"[{int(t // 60):2d}:{int(t % 60):02d}] {msg}", flush=True)


class Stage:
    def __init__(self):
        self.t0 = time.monotonic()
        self.figures = {}
        self.lifecycle = []

    def elapsed(self):
        return time.monotonic() - self.t0


# ---------------------------------------------------------------- the VIP

def vip_get(port, path="/", source=Net.SCRAPER, tls=None, timeout=30):
    """(status, body) of GET VIP:port/path from a tenant address; tls: an
    SSL context for HTTPS."""
    if tls:
        c = http.client.HTTPSConnection(Net.VIP, port, timeout=timeout,
                                        source_address=(source, 0),
                                        context=tls)
    else:
        c = http.client.HTTPConnection(Net.VIP, port, timeout=timeout,
                                       source_address=(source, 0))
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def scrape_vip(source=Net.SCRAPER):
    status, body = vip_get(PROM_PORT, "/metrics", source=source)
    assert status == 200, f"GET /metrics through the VIP: {status}"
    return expfmt.parse(body), body


def flat(fams):
    return {(f.name, tuple(sorted(s.labels.items()))): s.value
            for f in fams.values() for s in f.samples}


def value(fams, name, **labels):
    return fams[name].value(**labels)


def wait_for(what, pred, timeout, every=1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            r = pred()
            if r:
                return r
        except Exception as e:   # not yet
            last = e
        time.sleep(every)
    raise AssertionError(f"timed out ({timeout} s) waiting for {what}"
                         + (f": {last}" if last else ""))


def tcp_echo(port, n, size=100):
    sent = 0
    for i in range(n):
        with socket.create_connection((Net.VIP, port), timeout=10,
                                      source_address=(Net.SCRAPER, 0)) as s:
            msg = bytes([65 + i % 26]) * size
            s.sendall(msg)
            got = b""
            while len(got) < size:
                chunk = s.recv(size - len(got))
                if not chunk:
                    break
                got += chunk
            assert got == msg, f"TCP echo through the VIP: {got[:20]!r}"
            sent += size
    return sent


def udp_echo(port, n):
    good = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((Net.SCRAPER, 0))
        s.settimeout(2)
        for i in range(n):
            msg = b"udp %d" % i
            s.sendto(msg, (Net.VIP, port))
            try:
                good += s.recvfrom(100)[0] == msg
            except socket.timeout:
                pass
    return good


def tenant(command, timeout=120):
    with socket.create_connection((Net.TENANT, Net.TENANT_CONTROL),
                                  timeout=timeout) as s:
        s.sendall(command.encode() + b"\n")
        return s.makefile().readline().split()


# ------------------------------------------------------------ the metrics

def labelled(fams, scope):
    keys = {"listener": ("listener",), "pool": ("pool", "listener"),
            "member": ("member", "pool", "listener")}[scope]
    seen = set()
    for f in fams.values():
        if f.name.startswith(f"octavia_{scope}_"):
            for s in f.samples:
                seen.add(tuple(s.labels.get(k) for k in keys))
    return seen


def check_objects(fams, model):
    """Every listener, pool and member UUID the controller sent, and no
    other; returns how many objects matched."""
    want = model.expected()
    for scope, w in zip(("listener", "pool", "member"), want):
        got = labelled(fams, scope)
        want_t = {(x,) if isinstance(x, str) else x for x in w}
        assert got == want_t, (
            f"{scope}s: missing {sorted(want_t - got)[:3]}, "
            f"unknown {sorted(got - want_t)[:3]}")
    lbs = {s.labels["loadbalancer"] for s in
           fams["octavia_loadbalancer_info"].samples}
    assert lbs == {model.lb.id}, lbs
    return sum(len(w) for w in want) + 1


def opstatus(fams, scope, **labels):
    f = fams[f"octavia_{scope}_operating_status"]
    on = [s.labels["status"] for s in f.samples if s.value == 1 and
          all(s.labels.get(k) == v for k, v in labels.items())]
    return on[0] if len(on) == 1 else on


def check_roles(fams, model):
    """Each member's operating status as its role says."""
    for m_id, role in model.roles.items():
        m = next(x for x in model.members.values() if x.id == m_id)
        for li in m.pool.listeners:
            got = opstatus(fams, "member", member=m_id, pool=m.pool.id,
                           listener=li.id)
            want = lbmodel.ROLE_STATUS[role]
            assert got == want, f"member {m.name} ({role}): {got}, " \
                f"want {want}"
    return len(model.roles)


def settled(model):
    """The load balancer as its roles say, through the VIP (health
    checks need a few rounds after a reload)."""
    def ok():
        fams, _ = scrape_vip()
        if value(fams, "octavia_exporter_haproxy_up") != 1:
            return False
        check_objects(fams, model)
        check_roles(fams, model)
        return fams
    return wait_for("the load balancer's objects and statuses through "
                    "the VIP", ok, 120, every=2)


# ------------------------------------------------------------------ steps

def create_amphora(st, args, compute):
    from octavia.common import data_models as dm
    from octavia.controller.worker.v2.tasks import cert_task, compute_tasks
    amp = dm.Amphora(id=lbmodel.uid(), status="ALLOCATED",
                     lb_network_ip=Net.AMPHORA, vrrp_ip=Net.VRRP,
                     ha_ip=Net.VIP, vrrp_port_id=lbmodel.uid(),
                     ha_port_id=lbmodel.uid(), role="STANDALONE",
                     vrrp_interface="eth1")
    pem = cert_task.GenerateServerPEMTask().execute(amp.id)
    task = compute_tasks.CertComputeCreate()
    task.compute = compute
    amp.compute_id = task.execute(amp.id, pem, server_group_id=None)
    say(f"PASS Octavia's CertComputeCreate booted amphora {amp.id} "
        "(server certificate CN = the amphora id, agent configuration and "
        "rsyslog rendered by Octavia, delivered as cloud-init user data)")
    return amp


def wait_amphora(st, driver, amp, compute, what):
    t0 = time.monotonic()
    info = driver.get_info(amp, timeout_dict=BOOT_WAIT)
    secs = time.monotonic() - t0
    say(f"PASS {what}: GET / (api_version {amp.api_version}) and "
        f"/1.0/info (HAProxy {info['haproxy_version']}, amphora agent "
        f"{info['api_version']}, host {info['hostname']}) in {secs:.0f} s")
    return info, secs


def check_before_plug(sh):
    props = sh.unit(f"{UNIT}.service", "ActiveState", "ConditionResult")
    assert props["ActiveState"] == "inactive", props
    path = sh.unit(f"{UNIT}.path", "ActiveState", "SubState")
    assert (path["ActiveState"], path["SubState"]) == ("active", "waiting"), \
        path
    assert sh.run("test -e /run/netns/amphora-haproxy && echo yes || "
                  "echo no").strip() == "no"
    # beside octavia-agent: its own user, Octavia's directories untouched,
    # no port of its own in the root namespace
    users = sh.run("getent passwd _amphora-prometheus octavia")
    assert "_amphora-prometheus:" in users and "octavia:" in users, users
    listen = sh.run("ss -Hltunp")
    assert ":9443" in listen and "amphora-prometh" not in listen, listen
    units = sh.run("systemctl is-enabled octavia-agent "
                   f"{UNIT}.service {UNIT}.path prometheus-proxy "
                   "haproxy || true").split()
    assert units == ["enabled", "enabled", "enabled", "masked", "masked"], \
        units
    say(f"PASS before plug_vip: {UNIT}.service inactive, its path unit "
        "waiting for /run/netns/amphora-haproxy; user _amphora-prometheus "
        "beside octavia; the amphora agent alone on 9443; upstream's "
        "prometheus-proxy and the stock haproxy.service masked")


def plug_vip(driver, amp, model):
    from octavia.network import data_models as nm
    subnet = nm.Subnet(id=model.lb.vip.subnet_id, cidr=Net.VIP_CIDR,
                       gateway_ip=Net.GATEWAY, ip_version=4, host_routes=[])
    port = nm.Port(id=amp.vrrp_port_id, mac_address=Net.VIP_MAC,
                   network=nm.Network(id=model.lb.vip.network_id, mtu=1500),
                   fixed_ips=[nm.FixedIP(subnet_id=subnet.id,
                                         ip_address=Net.VRRP)])
    config = {amp.id: nm.AmphoraNetworkConfig(
        amphora=amp, vip_subnet=subnet, vip_port=port, vrrp_subnet=subnet,
        vrrp_port=port, additional_vip_data=[])}
    driver.post_vip_plug(amp, model.lb, config)


def check_unit(sh, st):
    """systemd runs the agent as its unit says."""
    def up():
        p = sh.unit(f"{UNIT}.service", "ActiveState", "SubState")
        return p["ActiveState"] == "active" and p["SubState"] == "running"
    wait_for(f"{UNIT}.service started by its path unit", up, 60)
    p = sh.unit(f"{UNIT}.service", "Type", "MainPID", "WatchdogUSec",
                "NRestarts", "TriggeredBy")
    assert p["Type"] == "notify" and p["WatchdogUSec"] == "30s", p
    assert p["NRestarts"] == "0", p
    assert p["TriggeredBy"] == f"{UNIT}.path", p
    pid = p["MainPID"]
    user = sh.run(f"ps -o user= -p {pid}").strip()
    assert user == "_amphora-prometheus", user
    ns_agent = sh.run(f"readlink /proc/{pid}/ns/net").strip()
    ns_octavia = sh.run("ip netns exec amphora-haproxy readlink "
                        "/proc/self/ns/net").strip()
    assert ns_agent == ns_octavia, (ns_agent, ns_octavia)
    status = sh.run(f"grep -E '^(NoNewPrivs|Seccomp|CapEff):' "
                    f"/proc/{pid}/status")
    fields = dict(line.split(":\t") for line in status.splitlines())
    assert fields["NoNewPrivs"].strip() == "1", fields
    assert fields["Seccomp"].strip() == "2", fields
    cap = int(fields["CapEff"], 16)
    assert cap == 1 << 10, f"CapEff {cap:#x}: only CAP_NET_BIND_SERVICE"
    errors = sh.run(f"journalctl -b -o cat -p err -u {UNIT}.service")
    assert not errors.strip(), errors
    ready = sh.run(f"journalctl -b -o cat -u {UNIT}.service")
    say(f"PASS systemd started {UNIT}.service when the amphora agent made "
        f"the namespace (TriggeredBy {p['TriggeredBy']}); "
        f"active/running, Type=notify READY, watchdog 30s, "
        f"0 restarts; PID {pid} as _amphora-prometheus in amphora-haproxy "
        f"(NoNewPrivs 1, seccomp filter, CapEff CAP_NET_BIND_SERVICE "
        f"only); journal: {len(ready.splitlines())} lines, no error")
    return pid


class Traffic:
    """Traffic through the VIP on every protocol, and what each must have
    moved in the metrics."""

    def __init__(self, model, tls_ctx):
        self.model, self.tls = model, tls_ctx

    def send(self):
        n = {}
        web = api = 0
        for i in range(20):
            status, body = vip_get(80, f"/page{i}")
            assert status == 200, status
            web += Net.MEMBERS[0] in body
        for i in range(10):
            status, body = vip_get(80, f"/api/{i}")
            assert status == 200 and Net.MEMBERS[4] in body, body
            api += 1
        n["http"] = (web, api)
        n["tcp_bytes"] = tcp_echo(7000, 5)
        for i in range(8):
            status, body = vip_get(443, f"/secure{i}", tls=self.tls)
            assert status == 200 and Net.MEMBERS[6] in body, body
        n["udp"] = udp_echo(5353, 10)
        good, bad = map(int, wait_for(
            "the tenant's SCTP host", lambda: tenant(
                f"sctp {Net.VIP} 5357 4")[1:], 60))
        n["sctp"] = good
        assert good == 4, f"SCTP through the VIP: {good} of 4 echoed"
        assert n["udp"] == 10, f"UDP through the VIP: {n['udp']} of 10"
        assert web == 20, f"HTTP: {web} of 20 reached the up member"
        self.sent = n
        return n

    def check(self, before, after):
        """The counters each protocol's traffic must have moved."""
        m = self.model

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name,
                                                        **labels)

        def listener(name, li):
            return delta(f"octavia_listener_{name}",
                         listener=m.listeners[li].id)

        def member(name, who, **more):
            x = m.members[who]
            return delta(f"octavia_member_{name}", member=x.id,
                         pool=x.pool.id, listener=x.pool.listeners[0].id,
                         **more)
        checks = [
            ("HTTP: up member 2xx", member("http_responses_total", "web-up",
                                           code="2xx"), 20),
            ("HTTP L7 /api member 2xx", member(
                "http_responses_total", "api-unchecked", code="2xx"), 10),
            ("HTTP listener sessions", listener("sessions_total", "http"),
             30),
            ("TCP listener sessions", listener("sessions_total", "tcp"), 5),
            ("TCP member bytes in", member("bytes_in_total", "tcp-up"),
             self.sent["tcp_bytes"]),
            ("HTTPS listener sessions", listener("sessions_total", "https"),
             8),
            ("HTTPS member 2xx", member("http_responses_total", "tls-up",
                                        code="2xx"), 8),
            # each request a connection, each a handshake (HAProxy's
            # extra counters: the agent read Octavia's haproxy.cfg)
            ("HTTPS listener TLS handshakes", listener(
                "tls_sessions_total", "https") + listener(
                "tls_reused_sessions_total", "https"), 8),
            ("UDP listener packets in", listener("packets_in_total", "udp"),
             10),
            ("UDP member packets in", member("packets_in_total", "udp-up"),
             10),
            ("SCTP listener sessions", listener("sessions_total", "sctp"),
             4),
        ]
        for what, got, want in checks:
            assert got == want, f"{what}: moved {got}, want {want}"
        sctp_pk = listener("packets_in_total", "sctp")
        assert sctp_pk >= 4 * 4, f"SCTP packets in: {sctp_pk}"
        return [f"{what} +{int(want)}" for what, _, want in checks] + \
            [f"SCTP packets in +{int(sctp_pk)}"]


def cert_until(pem):
    """A PEM certificate's notAfter, in seconds since the epoch."""
    import calendar
    from cryptography import x509
    c = x509.load_pem_x509_certificate(pem.encode())
    return calendar.timegm(c.not_valid_after.utctimetuple())


def listener_cert_dates(fams, li):
    """{(certificate, usage): date} the agent serves for listener li."""
    fam = fams.get("octavia_listener_certificate_expiry_timestamp_seconds")
    return {(s.labels["certificate"], s.labels["usage"]): s.value
            for s in (fam.samples if fam else [])
            if s.labels["listener"] == li}


def check_tls(fams, model, pem):
    """The TERMINATED_HTTPS listener: the date of its certificate, which
    the agent read from the files Octavia's amphora agent wrote for root
    alone (through its file opener), is the notAfter of the certificate
    the controller uploaded; it alone has TLS series."""
    li = model.listeners["https"].id
    got = listener_cert_dates(fams, li)
    until = cert_until(pem)
    assert got == {("www.example.test", "server"): until}, (got, until)
    tls = {s.labels["listener"] for s in
           fams["octavia_listener_tls_sessions_total"].samples}
    assert tls == {li}, tls
    assert value(fams, "octavia_exporter_certificate_file_errors_total") == 0
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(until))


def prometheus_scrape(args, work, model):
    """A real Prometheus scrapes the VIP; its database holds every member
    and its up is 1. Returns the number of member series it stored."""
    d = tempfile.mkdtemp(dir=work, prefix="prometheus-")
    port = 19090
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n"
                "scrape_configs:\n  - job_name: amphora\n"
                f"    static_configs:\n      - targets: ['{Net.VIP}:"
                f"{PROM_PORT}']\n")
    log = open(os.path.join(d, "log"), "w")
    p = subprocess.Popen([args.prometheus, f"--config.file={d}/prometheus.yml",
                          f"--storage.tsdb.path={d}/data",
                          f"--web.listen-address=127.0.0.1:{port}"],
                         stdout=log, stderr=subprocess.STDOUT)

    def query(q):
        import urllib.parse
        import urllib.request
        u = f"http://127.0.0.1:{port}/api/v1/query?" + \
            urllib.parse.urlencode({"query": q})
        with urllib.request.urlopen(u, timeout=5) as r:
            return json.load(r)["data"]["result"]
    try:
        def scraped():
            r = query('up{job="amphora"}')
            return r and r[0]["value"][1] == "1" and \
                query("count(octavia_member_operating_status)")
        r = wait_for("Prometheus to scrape the VIP", scraped, 60)
        members = {x["metric"]["member"] for x in
                   query("octavia_member_operating_status")}
        want = {x[0] for x in model.expected()[2]}
        assert members == want, (members ^ want)
        return int(r[0]["value"][1])
    finally:
        p.terminate()
        p.wait()


def heartbeat_check(sh, hb, model, since, stage_name):
    """The amphora agent's heartbeats, decoded by Octavia, against the
    agent's metrics: per listener, the sums of the deltas (this release's
    health daemon sends deltas of bin, bout, stot and ereq) equal the
    counters, conns the current sessions; per member, the status word
    maps to the operating status. Returns the comparisons made."""
    t = time.monotonic()
    hb.next_after(t + 3)   # IPVS folds its counters every 2 s
    text = sh.agent_metrics()
    msgs = hb.since(since)
    fams = expfmt.parse(text)
    sums = {}
    for msg in msgs:
        for lid, li in msg["listeners"].items():
            s = sums.setdefault(lid, {"tx": 0, "rx": 0, "totconns": 0,
                                      "ereq": 0})
            for k in s:
                s[k] += li["stats"][k]
    last = msgs[-1]
    n = 0
    for li in model.lb.listeners:
        s = sums[li.id]
        got = {
            "tx": value(fams, "octavia_listener_bytes_out_total",
                        listener=li.id),
            "rx": value(fams, "octavia_listener_bytes_in_total",
                        listener=li.id),
            "totconns": value(fams, "octavia_listener_sessions_total",
                              listener=li.id),
        }
        if li.protocol not in ("UDP", "SCTP"):
            got["ereq"] = value(fams, "octavia_listener_request_errors_total",
                                listener=li.id)
        for k, v in got.items():
            assert s[k] == v, (f"listener {li.name}: heartbeats sum {k} "
                               f"{s[k]}, metrics {v}")
            n += 1
        conns = last["listeners"][li.id]["stats"]["conns"]
        cur = value(fams, "octavia_listener_current_sessions",
                    listener=li.id)
        assert conns == cur, (li.name, conns, cur)
        n += 1
    word = {"UP": "ONLINE", "DOWN": "ERROR", "DRAIN": "DRAINING",
            "MAINT": "OFFLINE", "no check": "NO_MONITOR"}
    for key, pool in last["pools"].items():
        pool_id, _, listener_id = key.partition(":")
        for mid, status in pool["members"].items():
            lids = [listener_id] if listener_id else [
                li.id for li in model.lb.listeners
                if any(p.id == pool_id for p in li.pools)]
            for lid in lids:
                got = opstatus(fams, "member", member=mid, pool=pool_id,
                               listener=lid)
                assert word[status] == got, (
                    f"member {mid}: heartbeat {status!r}, metrics {got}")
                n += 1
    say(f"PASS {stage_name}: {len(msgs)} heartbeats (HMAC checked, decoded "
        f"by Octavia's status_message), {n} comparisons: per listener the "
        "summed deltas of bytes in/out, sessions and request errors and "
        "the current sessions equal the agent's metrics; every member's "
        "status word maps to its operating status")
    return n


# ------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--image", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--ssh-key", required=True)
    ap.add_argument("--prometheus", default="prometheus")
    ap.add_argument("--promtool", default="promtool")
    ap.add_argument("--summary", help="write the summary line here too")
    args = ap.parse_args()
    st = Stage()
    work = args.work
    # Octavia's own logging (the driver's retries while the amphora boots)
    logging.basicConfig(filename=os.path.join(work, "octavia.log"),
                        level=logging.DEBUG,
                        format="%(asctime)s %(name)s %(levelname)s "
                               "%(message)s")
    key = "amphora-stage-heartbeat-key"
    cloud.configure(work, key)
    pki = cloud.Pki(work)
    hb = cloud.Heartbeats(key)
    members = Members()
    for i, addr in enumerate(Net.MEMBERS[:6]):
        if i in (3,):        # the failing member: nothing listens
            continue
        members.http(addr, 8080)
    members.tcp_echo(Net.MEMBERS[5], 7000)
    members.http(Net.MEMBERS[6], 8443,
                 tls=pki.member_certificate("member.example.test"))
    members.udp_echo(Net.MEMBERS[0], 5353)

    with open(args.ssh_key + ".pub") as f:
        pub = f.read().strip()
    compute = QemuCompute(args.image, work,
                          [Port("br-mgmt", Net.MGMT_MAC, Net.AMPHORA),
                           Port("br-vip", Net.VIP_MAC)], pub)
    sh = Shell(Net.AMPHORA, args.ssh_key)
    neutron = Neutron(Net.VIP)
    try:
        run(st, args, work, pki, hb, compute, sh, neutron)
    except BaseException:
        say("---- amphora console (last lines)")
        say(compute.console_tail())
        try:
            say("---- the amphora's units, namespace and warnings")
            say(sh.run(
                "systemctl --failed --no-legend; ip netns; "
                "ip -n amphora-haproxy -br addr; systemctl status "
                "--no-pager -n 8 amphora-netns amphora-prometheus-agent "
                "amphora-prometheus-agent.path 'haproxy-*' "
                "'octavia-keepalivedlvs-*' 2>&1 | head -n 100; "
                "journalctl -b --no-pager -o short-monotonic -p warning | "
                "tail -n 40", check=False, timeout=60))
        except Exception as e:
            say(f"(no shell in the amphora: {e})")
        raise
    finally:
        compute.stop()
        members.close()


def run(st, args, work, pki, hb, compute, sh, neutron):
    from octavia.amphorae.drivers.haproxy import rest_api_driver
    driver = rest_api_driver.HaproxyAmphoraLoadBalancerDriver()
    hb_t0 = time.monotonic()

    # 1. the amphora, as Octavia creates it
    amp = create_amphora(st, args, compute)
    info, boot = wait_amphora(st, driver, amp, compute, "amphora booted")
    st.figures["boot"] = boot
    st.figures["versions"] = info
    sh.wait()
    check_before_plug(sh)
    hb.next_after(time.monotonic())
    say(f"PASS heartbeats arrive at {Net.CONTROLLER}:{Net.HEALTH_PORT}, "
        "HMAC-signed with the key Octavia rendered into the agent's "
        f"configuration ({hb.rejected} rejected)")

    # 2. the load balancer, as the controller's flows configure it
    ref, pem = pki.listener_certificate("www.example.test")
    project = lbmodel.uid()
    model = lbmodel.LB(amp, ref, project)
    neutron.plug(compute.taps[1])
    neutron.update_vip_sg(model.lb)
    say("PASS Octavia's network driver wrote the VIP's security group "
        f"({len(neutron.ingress())} ingress rules; allowed_cidrs "
        f"{Net.ALLOWED} for the PROMETHEUS listener), enforced in front of "
        "the VIP port")
    plug_vip(driver, amp, model)
    pid = check_unit(sh, st)
    listening = sh.run("ip netns exec amphora-haproxy ss -Hltnp")
    assert "127.0.0.1:9102" in listening and "amphora-prometh" in \
        listening, listening
    say("PASS before any listener: the agent already listens on "
        "127.0.0.1:9102 in the namespace (whose lo the amphora agent brings "
        "up with the first HAProxy configuration)")
    t = time.monotonic()
    driver.update(model.lb)
    driver_secs = time.monotonic() - t
    say(f"PASS driver.update: certificates, haproxy.cfg and "
        f"{sum(li.protocol in ('UDP', 'SCTP') for li in model.lb.listeners)}"
        f" keepalived configurations uploaded, listeners reloaded "
        f"({driver_secs:.0f} s)")
    fams = settled(model)
    objects = check_objects(fams, model)
    roles = check_roles(fams, model)
    p = sh.unit(f"{UNIT}.service", "MainPID", "WatchdogTimestampMonotonic")
    assert p["MainPID"] == pid, p
    assert int(p["WatchdogTimestampMonotonic"]) > 0, \
        f"no watchdog ping in {driver_secs:.0f} s: {p}"
    say(f"PASS the watchdog pinged (every WatchdogSec/2), same PID {pid}")
    say(f"PASS through the VIP (http://{Net.VIP}:{PROM_PORT}/metrics from "
        f"{Net.SCRAPER}): {objects} objects, every listener, pool and member "
        f"UUID the controller sent and no other; {roles} members' operating "
        "statuses as their roles say (up ONLINE, disabled OFFLINE, drained "
        "DRAINING, failing ERROR, unchecked NO_MONITOR; UDP and SCTP from "
        "IPVS)")
    st.figures["objects"] = objects

    # 3. traffic on every protocol, and what it moved
    tls = ssl.create_default_context(cafile=pki.path("tenant_ca.pem"))
    tls.check_hostname = False
    traffic = Traffic(model, tls)
    # keepalived schedules to a UDP member once its check has passed again
    # after the upload: the first counted datagrams once found "no
    # destination available" (the amphora's kernel log) and went unanswered.
    # A probe answered first, then the counters read.
    wait_for("a UDP echo through the VIP", lambda: udp_echo(5353, 1) == 1,
             120)
    # IPVS's counters move every 2 s or so: the probe's packet must be in
    # them before they are read (a run read them first and moved 11)
    time.sleep(4)
    before, _ = scrape_vip()
    traffic.send()
    time.sleep(3)       # IPVS folds its per-CPU counters every 2 s
    after, body = scrape_vip()
    moved = traffic.check(before, after)
    say("PASS traffic through the VIP moved exactly what it sent: " +
        "; ".join(moved))
    until = check_tls(after, model, pem)
    say(f"PASS TERMINATED_HTTPS listener {model.listeners['https'].id}: "
        f"its certificate's date through the VIP is the uploaded one's "
        f"notAfter ({until} UTC), read from Octavia's 0600 files by the "
        "agent's file opener; TLS series on that listener alone")
    with open(os.path.join(work, "vip-metrics.txt"), "w") as f:
        f.write(body)
    r = subprocess.run([args.promtool, "check", "metrics"], input=body,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    say(f"PASS promtool check metrics accepts the VIP's page "
        f"({len(body.splitlines())} lines, {len(after)} families)")
    try:
        vip_get(PROM_PORT, "/metrics", source=Net.STRANGER, timeout=5)
        raise AssertionError("a peer outside allowed_cidrs got an answer")
    except (ConnectionError, OSError, http.client.HTTPException) as e:
        status, _ = vip_get(80, "/", source=Net.STRANGER)
        assert status == 200
        say(f"PASS {Net.STRANGER}, outside allowed_cidrs {Net.ALLOWED}, gets "
            f"nothing from the PROMETHEUS listener ({type(e).__name__}: the "
            "security group drops it before the amphora) while port 80, "
            "open to all, serves it")
    n = prometheus_scrape(args, work, model)
    say(f"PASS a real Prometheus scraped the VIP: up 1, {n} member "
        "operating-status series, every member UUID in its database")

    # Octavia's own view
    st.figures["heartbeat"] = heartbeat_check(sh, hb, model, hb_t0,
                                              "Octavia's view agrees")

    # upstream side by side, same amphora, same load balancer
    st.figures["upstream"] = upstream.side_by_side(sh, model, scrape_vip,
                                                   say)

    # 4. lifecycle
    lifecycle(st, driver, amp, model, sh, pki, hb, neutron)

    # the package purged: the amphora agent and HAProxy untouched
    purge(sh, driver, amp, st)
    line = summary(st)
    say(line)
    if args.summary:
        with open(args.summary, "w") as f:
            f.write(line + "\n")


def step(st, name, fn):
    t = time.monotonic()
    detail = fn()
    st.lifecycle.append(name)
    say(f"PASS lifecycle {len(st.lifecycle)}, {name}: {detail} "
        f"({time.monotonic() - t:.0f} s)")


def hap_worker(sh, lb_id):
    """HAProxy's newest worker for the load balancer (the amphora agent
    runs HAProxy master-worker under haproxy-<lb>.service), or ''."""
    return sh.run(f"m=$(systemctl show -p MainPID --value haproxy-{lb_id}); "
                  f"[ \"$m\" -gt 0 ] && pgrep -n -P $m || true").strip()


def first_scrape(sh, model, worker):
    """The first answer through the VIP once HAProxy's new worker runs
    (the amphora agent's reload returns before it does): it must hold
    exactly the model's objects. Returns (families, new worker)."""
    new = wait_for("HAProxy's new worker", lambda: (
        lambda w: w if w and w != worker else None)(
            hap_worker(sh, model.lb.id)), 120, every=0.5)

    def answered():
        try:
            return scrape_vip()[0]
        except (OSError, http.client.HTTPException, AssertionError):
            return None      # HAProxy still binding, or its backend
    fams = wait_for("an answer through the VIP", answered, 60, every=0.5)
    check_objects(fams, model)
    return fams, new


def lifecycle(st, driver, amp, model, sh, pki, hb, neutron):
    pid = sh.unit(f"{UNIT}.service", "MainPID")["MainPID"]
    worker = [hap_worker(sh, model.lb.id)]

    def reloaded_with(change):
        """Runs change() (the driver's call), then the first scrape after
        HAProxy reloaded must have the new objects, and the statuses
        settle as the roles say, all from the same agent process."""
        before = worker[0]
        change()
        fams, worker[0] = first_scrape(sh, model, before)
        settled(model)
        assert sh.unit(f"{UNIT}.service", "MainPID")["MainPID"] == pid
        return fams, before

    def members():
        new = model.member("web", "up", Net.MEMBERS[4], 8080,
                           name="web-added")
        gone = model.members["web-failing"].id
        model.remove_member("web-failing")
        fams, _ = reloaded_with(lambda: driver.update(model.lb))
        ids = {x[0] for x in labelled(fams, "member")}
        assert new.id in ids and gone not in ids
        return f"member {new.id} in, {gone} out, both in the first scrape " \
            "after HAProxy reloaded"

    def listener_added():
        p = model.pool("extra", "TCP", hm=("TCP",))
        model.member("extra", "up", Net.MEMBERS[5], 7000, name="extra-up")
        li = model.listener("extra", "TCP", 7001, default_pool=p)

        def change():
            driver.update(model.lb)
            neutron.update_vip(model.lb)
        reloaded_with(change)
        assert tcp_echo(7001, 2) == 200
        return f"TCP listener {li.id} on port 7001 in the first scrape " \
            "after, and serving"

    def listener_deleted():
        li = model.listeners["extra"]
        model.remove_member("extra-up")
        model.pools.pop("extra")

        def change():
            driver.delete(li)
            model.remove_listener("extra")
            model.lb.pools = [p for p in model.lb.pools
                              if p.id != li.pools[0].id]
            neutron.update_vip(model.lb)
        reloaded_with(change)
        return f"listener {li.id} gone from the first scrape after"

    def cert_rotated():
        old = served_cert(443)
        ref, pem = pki.listener_certificate("www.example.test")
        model.listeners["https"].tls_certificate_id = ref
        reloaded_with(lambda: driver.update(model.lb))
        new = served_cert(443)
        assert new != old, "the old certificate is still served"
        li = model.listeners["https"].id
        wait_for("the new certificate's date", lambda: listener_cert_dates(
            scrape_vip()[0], li) == {("www.example.test", "server"):
                                     cert_until(pem)}, 30)
        return f"VIP:443 serves the new certificate (serial {new[:12]}…, " \
            f"was {old[:12]}…), its date served; the same objects in the " \
            "first scrape after"

    def reloaded():
        sock = f"/var/lib/octavia/{model.lb.id}.sock"
        ino = sh.run(f"stat -c %i {sock}").strip()
        for i in range(3):      # counted by this worker, gone with it
            assert vip_get(80, f"/before-reload{i}")[0] == 200
        time.sleep(1.2)         # past the agent's min-scrape-interval
        sessions = value(scrape_vip()[0], "octavia_listener_sessions_total",
                         listener=model.listeners["http"].id)
        assert sessions >= 3, sessions
        fams, before = reloaded_with(lambda: driver.reload(model.lb))
        after = value(fams, "octavia_listener_sessions_total",
                      listener=model.listeners["http"].id)
        assert after < sessions, (sessions, after)
        ino2 = sh.run(f"stat -c %i {sock}").strip()
        how = "replaced" if ino2 != ino else \
            "kept: the master hands the listening socket to the new worker"
        return f"the amphora agent's reload: HAProxy worker {before} -> " \
            f"{worker[0]}, socket file {how}; the agent read the new " \
            f"worker at once (HTTP listener's sessions_total {sessions:.0f}" \
            f" -> {after:.0f})"

    def broken_reload():
        conf = "/etc/octavia/amphora-prometheus-agent.conf"
        sh.run(f"cp {conf} /root/agent.conf.good && "
               f"echo 'no-such-keyword 1' >> {conf}")
        code, _, err = sh.status(f"systemctl reload {UNIT}")
        assert code != 0, "a broken configuration reloaded"
        p = sh.unit(f"{UNIT}.service", "ActiveState", "MainPID")
        assert p["ActiveState"] == "active" and p["MainPID"] == pid, p
        check_objects(scrape_vip()[0], model)
        log = sh.run(f"journalctl -b -o cat -u {UNIT}.service | "
                     "grep -m1 no-such-keyword || true").strip()
        sh.run(f"cp /root/agent.conf.good {conf} && systemctl reload {UNIT}")
        return "systemctl reload refused it (" + (log or "no log") + \
            "); the same process kept serving; the good file reloads"

    def lb_replaced():
        for li in list(model.lb.listeners):
            if li.protocol in ("UDP", "SCTP"):
                driver.delete(li)
                model.lb.listeners.remove(li)
        for li in list(model.lb.listeners):
            driver.delete(li)
        old = model.lb.id
        neutron.delete_vip_sg(model.lb)

        def down():
            return "octavia_exporter_haproxy_up 0" in sh.agent_metrics()
        wait_for("_up 0 with no load balancer", down, 60)
        gone = sh.run("ls /var/lib/octavia/*.sock "
                      "/var/lib/octavia/lvs/*.conf 2>/dev/null || true")
        assert not gone.strip(), gone
        new = lbmodel.LB(amp, pki.listener_certificate(
            "www.example.test")[0], lbmodel.uid())
        model.__dict__.update(new.__dict__)
        neutron.update_vip_sg(model.lb)
        fams, _ = reloaded_with(lambda: driver.update(model.lb))
        assert not [s for f in fams.values() for s in f.samples
                    if old in s.labels.values()]
        return f"every listener deleted: _up 0 inside, no socket, no " \
            f"keepalived file; load balancer {model.lb.id} created on the " \
            "same amphora, whole in the first scrape after, from the same " \
            "agent process"

    def rebooted():
        sh.status("systemctl reboot", timeout=30)
        time.sleep(10)
        amp.api_version = None
        info, secs = wait_amphora(st, driver, amp, None, "amphora rebooted")
        sh.wait()

        def answered():
            try:
                return scrape_vip()[0]
            except (OSError, http.client.HTTPException, AssertionError):
                return None
        fams = wait_for("an answer through the VIP", answered, 180, every=1)
        check_objects(fams, model)
        settled(model)
        p = sh.unit(f"{UNIT}.service", "ActiveState", "NRestarts",
                    "TriggeredBy")
        assert p["ActiveState"] == "active" and p["NRestarts"] == "0", p
        return f"the amphora agent back in {secs:.0f} s; systemd brought " \
            "back the namespace, HAProxy, keepalived and the agent; the " \
            f"first answer through the VIP had all {len(model.roles)} members"

    step(st, "member added and one removed", members)
    step(st, "listener added", listener_added)
    step(st, "listener deleted", listener_deleted)
    step(st, "certificate rotated", cert_rotated)
    step(st, "HAProxy reloaded by the amphora agent", reloaded)
    step(st, "broken configuration reload", broken_reload)
    step(st, "load balancer deleted and another created", lb_replaced)
    step(st, "amphora rebooted", rebooted)


def served_cert(port):
    with socket.create_connection((Net.VIP, port), timeout=10,
                                  source_address=(Net.SCRAPER, 0)) as s:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(s, server_hostname="www.example.test") as t:
            der = t.getpeercert(binary_form=True)
    from cryptography import x509
    return format(x509.load_der_x509_certificate(der).serial_number, "x")


def purge(sh, driver, amp, st):
    sh.run("DEBIAN_FRONTEND=noninteractive apt-get purge -y "
           "amphora-prometheus-agent", timeout=300)
    left = sh.run("getent passwd _amphora-prometheus; ls "
                  "/etc/octavia/amphora-prometheus-agent.conf "
                  "/lib/systemd/system/amphora-prometheus-agent.* "
                  "2>/dev/null; true")
    assert not left.strip(), left
    active = sh.run("systemctl list-units --no-legend --plain "
                    "--state=active octavia-agent.service 'haproxy-*' "
                    "'octavia-keepalivedlvs-*'").split("\n")
    names = sorted(line.split()[0] for line in active if line.strip())
    assert len(names) == 4 and names[0].startswith("haproxy-") and \
        names[1] == "octavia-agent.service", names
    driver.get_info(amp)
    status, body = vip_get(80, "/after-purge")
    assert status == 200, status
    st.lifecycle.append("package purged")
    say(f"PASS lifecycle {len(st.lifecycle)}, package purged: user, "
        "configuration and units gone; still active: "
        f"{', '.join(n.split('.')[0][:24] for n in names)}; /1.0/info "
        "answers, HTTP through the VIP still served")


def summary(st):
    f = st.figures
    up = f["upstream"]
    return (f"amphora: {f['objects']} objects matched through the VIP, "
            f"{up['compared']} series compared with upstream's "
            f"prometheus-proxy ({up['known']} known differences), "
            f"{f['heartbeat']} heartbeat comparisons, "
            f"{len(st.lifecycle)}/{len(st.lifecycle)} lifecycle steps "
            f"passed; boot {f['boot']:.0f} s, stage "
            f"{st.elapsed() / 60:.1f} min")


if __name__ == "__main__":
    main()
