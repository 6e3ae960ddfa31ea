#!/usr/bin/env python3
"""The drop-in deployment, as the installed Debian package runs it.

Needs root and the package installed (tests/package/run.sh does both). An
amphora in two network namespaces: `amphora-haproxy`, named as Octavia
names it, holding the VIP on eth1, and a client on the same network.
Inside, HAProxy with the configuration Octavia's own templater renders
(tests/tools/octavia_render.py) for a load balancer with a PROMETHEUS
listener on the VIP, which forwards to `prometheus-exporter-internal`
(127.0.0.1:9102), its stats socket in /var/lib/octavia named after the load
balancer; and the agent exactly as its unit starts it: the unit's user,
capabilities and namespace, the package's default configuration, no
flags. The agent starts first, as at boot, before the load balancer is
configured. A client outside scrapes through the VIP, as Prometheus would.
Then a reload turns it into the direct deployment on VIP:80, a port only
the unit's ambient CAP_NET_BIND_SERVICE lets it bind, with the agent
enforcing allowed_cidrs, and on VIP:443 over TLS with client certificates
and an access log; and every system call it made is checked against the
unit's SystemCallFilter=.

Prints one line per check and exits non-zero on the first failure; every
namespace, process and file it made is removed whatever happens.
"""
import argparse
import grp
import os
import pwd
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import expfmt  # noqa: E402
import tlscerts  # noqa: E402
from testnet import wait_for  # noqa: E402
from unit_like import UnitLike  # noqa: E402

NETNS = "amphora-haproxy"          # Octavia's name, which the unit joins
VIP, ALLOWED, DENIED = "203.0.113.10", "203.0.113.20", "203.0.113.21"
OCTAVIA_DIR = "/var/lib/octavia"
CONF = "/etc/octavia/amphora-prometheus-agent.conf"
USER = "_amphora-prometheus"


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def say(msg):
    print(msg, flush=True)


class Amphora:
    """Namespaces, a veth pair, /var/lib/octavia and the processes in
    them; close() undoes whatever of it was done."""

    def __init__(self, work):
        self.work = work
        self.undo = []
        self.client = "apa-client-%05d" % random.randrange(100000)
        self.hap = None
        self.restore_conf = None    # the packaged file, when changed

    def setup(self):
        if os.path.exists(f"/run/netns/{NETNS}"):
            raise SystemExit(f"/run/netns/{NETNS} exists: this test needs "
                             "the name Octavia uses, and it is taken")
        for ns in (NETNS, self.client):
            sh("ip", "netns", "add", ns)
            self.undo.append(["ip", "netns", "del", ns])
        tag = self.client[-5:]
        sh("ip", "link", "add", f"apa{tag}v", "type", "veth", "peer", "name",
           f"apa{tag}c")
        self.undo.insert(0, ["ip", "link", "del", f"apa{tag}v"])
        sh("ip", "link", "set", f"apa{tag}v", "netns", NETNS, "name", "eth1")
        sh("ip", "link", "set", f"apa{tag}c", "netns", self.client)
        sh("ip", "-n", NETNS, "addr", "add", f"{VIP}/24", "dev", "eth1")
        for a in (ALLOWED, DENIED):
            sh("ip", "-n", self.client, "addr", "add", f"{a}/24", "dev",
               f"apa{tag}c")
        for ns, dev in ((NETNS, "eth1"), (self.client, f"apa{tag}c")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        if not os.path.exists(OCTAVIA_DIR):
            # Debian's octavia-common: 0750, group octavia (which the
            # package's user joined); upstream's element makes it 0755
            os.makedirs(OCTAVIA_DIR, 0o750)
            os.chown(OCTAVIA_DIR, 0, grp.getgrnam("octavia").gr_gid)
            self.undo.append(["rm", "-rf", OCTAVIA_DIR])
        etc = os.stat("/etc/octavia")
        os.chown("/etc/octavia", 0, grp.getgrnam("octavia").gr_gid)
        os.chmod("/etc/octavia", 0o750)
        self.undo.append(["chown", f"{etc.st_uid}:{etc.st_gid}",
                          "/etc/octavia"])
        self.undo.append(["chmod", oct(etc.st_mode & 0o7777)[2:],
                          "/etc/octavia"])

    def start_haproxy(self, lb):
        """Octavia configures the load balancer: its haproxy.cfg in
        /var/lib/octavia/<lb>/, its socket /var/lib/octavia/<lb>.sock."""
        d = os.path.join(OCTAVIA_DIR, lb)
        os.mkdir(d)
        self.undo.insert(0, ["rm", "-rf", d, f"{d}.sock"])
        cfg, man = os.path.join(d, "haproxy.cfg"), os.path.join(
            self.work, "manifest.json")
        version = re.search(r"version (\d+\.\d+\.\d+)", subprocess.run(
            ["haproxy", "-v"], capture_output=True, text=True).stdout)[1]
        sh("/usr/bin/python3", os.path.join(HERE, "..", "tools",
                                            "octavia_render.py"),
           "haproxy", "--haproxy-version", version, "--scenario", "mixed",
           "--socket", f"{d}.sock", "--vip", VIP, "--base-port", "21000",
           "--agent-port", "9102", "--prometheus-listener", f"{VIP}:8088",
           "--allowed-cidr", f"{ALLOWED}/32", "--config", cfg,
           "--manifest", man)
        self.hap = subprocess.Popen(["ip", "netns", "exec", NETNS, "haproxy",
                                     "-db", "-f", cfg],
                                    stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(f"{d}.sock"), 10, "the stats socket")
        import json
        return json.load(open(man))

    def curl(self, source, url, *extra):
        r = subprocess.run(["ip", "netns", "exec", self.client, "curl", "-sS",
                            "--max-time", "10", "--interface", source,
                            *extra, "-o", "-", "-w", "\n%{http_code}", url],
                           capture_output=True)
        body, _, code = r.stdout.rpartition(b"\n")
        return r.returncode, int(code or 0), body

    def close(self):
        if self.restore_conf is not None:
            with open(CONF, "w") as f:
                f.write(self.restore_conf)
        if self.hap is not None and self.hap.poll() is None:
            self.hap.terminate()
            self.hap.wait(10)
        for cmd in self.undo:
            subprocess.run(cmd, stderr=subprocess.DEVNULL)


def proc_status(pid):
    st = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        st[k] = v.split()
    return st


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--unit", default="/lib/systemd/system/"
                   "amphora-prometheus-agent.service")
    a = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root: network namespaces and the unit's user")
    work = tempfile.mkdtemp(prefix="apa-deploy-")
    os.chmod(work, 0o755)
    amph = Amphora(work)
    unit = UnitLike(a.unit, work)
    lb = str(uuid.uuid4())
    if unit.user_processes():
        raise SystemExit(f"processes of {USER} are running already: "
                         f"{unit.user_processes()}")
    try:
        amph.setup()
        say(f"PASS namespace {NETNS} with the VIP {VIP} on eth1, a client "
            f"in {amph.client}")

        # boot: the unit starts once the namespace exists, before Octavia
        # has configured HAProxy
        pid = unit.start(os.path.join(work, "agent.log"),
                         strace=os.path.join(work, "strace.log"))
        st = proc_status(pid)
        uid = pwd.getpwnam(USER).pw_uid
        assert st["Uid"] == [str(uid)] * 4, st["Uid"]
        assert int(st["CapEff"][0], 16) == 1 << 10, st["CapEff"]  # bind <1024
        # the bounding set also has CAP_NET_ADMIN, for the IPVS reader,
        # and CAP_DAC_READ_SEARCH, for the file opener
        assert int(st["CapBnd"][0], 16) == 1 << 10 | 1 << 12 | 1 << 2, \
            st["CapBnd"]
        kids = {open(f"/proc/{c}/comm").read().strip(): int(c) for c in open(
            f"/proc/{pid}/task/{pid}/children").read().split()}
        assert sorted(kids) == ["file-opener", "ipvs-reader"], kids
        for name, cap in (("ipvs-reader", 1 << 12), ("file-opener", 1 << 2)):
            rst = proc_status(kids[name])
            assert int(rst["CapEff"][0], 16) == cap, (name, rst["CapEff"])
            assert rst["Uid"] == [str(uid)] * 4, (name, rst["Uid"])
        assert st["NoNewPrivs"] == ["1"], st["NoNewPrivs"]
        assert os.stat(f"/proc/{pid}/ns/net").st_ino == \
            os.stat(f"/run/netns/{NETNS}").st_ino
        say(f"PASS started as the unit says: uid {uid} ({USER}), only "
            f"CAP_NET_BIND_SERVICE, no new privileges, in {NETNS}, READY=1; "
            f"its IPVS reader has CAP_NET_ADMIN alone, its file opener "
            f"CAP_DAC_READ_SEARCH alone")
        r = subprocess.run(["ip", "netns", "exec", NETNS, "curl", "-sS",
                            "http://127.0.0.1:9102/metrics"],
                           capture_output=True, check=True)
        fams = expfmt.parse(r.stdout.decode())
        assert fams["octavia_exporter_haproxy_up"].value() == 0
        assert "octavia_loadbalancer_info" not in fams
        say("PASS before Octavia configures HAProxy: 200, _up 0, no "
            "load balancer invented")

        man = amph.start_haproxy(lb)
        prom = man["listeners"]["prometheus"]
        url = f"http://{VIP}:8088/metrics"

        def scraped_up():
            rc, code, body = amph.curl(ALLOWED, url)
            return code == 200 and expfmt.parse(body.decode())[
                "octavia_exporter_haproxy_up"].value() == 1
        wait_for(scraped_up, 10, "a scrape through the VIP with _up 1")
        rc, code, body = amph.curl(ALLOWED, url)
        fams = expfmt.parse(body.decode())
        info = fams["octavia_loadbalancer_info"].samples
        assert [s.labels["loadbalancer"] for s in info] == [lb], info
        members = {s.labels["member"] for s in
                   fams["octavia_member_weight"].samples}
        assert members == {m[0] for m in man["members"]}, members
        assert fams["octavia_listener_status"].value(listener=prom,
                                                     state="UP") == 1
        text = body.decode()
        assert "prometheus-exporter-internal" not in text
        say(f"PASS from {ALLOWED} through {VIP}:8088: _up 1, load balancer "
            f"{lb} from the socket's name, {len(members)} members by UUID, "
            f"the PROMETHEUS listener itself")
        rc, code, body = amph.curl(ALLOWED, url, "--compressed", "-H",
                                   "Accept: application/openmetrics-text")
        assert code == 200 and body.rstrip().endswith(b"# EOF"), body[-100:]
        say("PASS zstd (curl --compressed) and OpenMetrics through HAProxy")
        # Octavia 11 writes allowed_cidrs into the VIP port's security
        # group (Neutron's), not into haproxy.cfg: inside the amphora
        # nothing filters (tests/amphora enforces the group in front of a
        # real amphora)
        rc, code, body = amph.curl(DENIED, url)
        assert code == 200, (rc, code, body[:100])
        assert "allowed-cidr" not in open(os.path.join(
            OCTAVIA_DIR, lb, "haproxy.cfg")).read()
        say(f"PASS from {DENIED}, outside allowed_cidrs: answered, as in a "
            "real amphora (Octavia leaves allowed_cidrs to Neutron's "
            "security group on the VIP port; haproxy.cfg has no ACL)")

        unit.reload()
        rc, code, _ = amph.curl(ALLOWED, url)
        assert code == 200
        say("PASS ExecReload=: -n, then SIGHUP: RELOADING=1, READY=1, "
            "still serving")

        # direct mode on a port below 1024, added by a reload: the agent
        # owns the listener and its allowed_cidrs, with only the unit's
        # ambient CAP_NET_BIND_SERVICE
        with open(CONF) as f:
            packaged = f.read()
        amph.restore_conf = packaged
        # and a TLS listener on 443 that logs its requests: certificates
        # and the syslog socket the test's, read by the unit's user
        certs = tlscerts.make(os.path.join(work, "certs"))
        os.chmod(os.path.join(work, "certs"), 0o755)
        syslog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        syslog.bind(os.path.join(work, "syslog.sock"))
        os.chmod(os.path.join(work, "syslog.sock"), 0o666)
        syslog.settimeout(5)
        with open(CONF, "w") as f:
            f.write(f"log-socket {work}/syslog.sock\n" + packaged +
                    f"\nlistener {prom} {{\n    bind {VIP}:80\n"
                    f"    allowed-cidr {ALLOWED}/32\n}}\n"
                    f"listener tls {{\n    bind {VIP}:443\n"
                    f"    allowed-cidr {ALLOWED}/32\n"
                    f"    tls-certificate {certs['server.pem']}\n"
                    f"    tls-client-ca {certs['client-ca.pem']}\n"
                    f"    tls-crl {certs['crl.pem']}\n"
                    f"    log-requests yes\n}}\n")
        unit.reload()
        rc, code, body = amph.curl(ALLOWED, f"http://{VIP}:80/metrics")
        assert code == 200, (rc, code)
        fams = expfmt.parse(body.decode())
        assert fams["octavia_exporter_haproxy_up"].value() == 1
        rc, code, body = amph.curl(DENIED, f"http://{VIP}:80/metrics")
        assert code == 0 and body == b"", (rc, code)
        rc, code, body = amph.curl(ALLOWED, f"http://{VIP}:80/metrics")
        fams = expfmt.parse(body.decode())
        assert fams["octavia_exporter_denied_connections_total"].value(
            listener=prom) == 1
        say(f"PASS direct: reloaded with the listener on {VIP}:80, bound "
            f"as {USER}; {ALLOWED} scrapes it, {DENIED} is refused and "
            f"counted by the agent")
        rc, code, body = amph.curl(
            ALLOWED, "https://metrics.example/metrics", "--resolve",
            f"metrics.example:443:{VIP}", "--cacert", certs["ca.pem"],
            "--cert", certs["client.crt"], "--key", certs["client.key"])
        assert code == 200, (rc, code, body[:200])
        line = syslog.recv(65536).decode()
        assert f" tls {ALLOWED} " in line and '"GET /metrics HTTP/1.1" 200 ' \
            in line and line.endswith(" ---- TLSv1.3"), line
        rc, code, _ = amph.curl(
            ALLOWED, "https://metrics.example/metrics", "--resolve",
            f"metrics.example:443:{VIP}", "--cacert", certs["ca.pem"])
        assert code != 200 and rc != 0, (rc, code)
        say(f"PASS direct over TLS on {VIP}:443: certificates and CRL "
            f"read by {USER} at the reload, a client certificate required, "
            f"the request in the access log: {line[:60]}...")
        # 2 s without a response in flight: the agent hands free memory
        # back (MEMORY_QUIET_MS), so those calls are in the trace too
        time.sleep(2.5)
        assert unit.stop() == 0
        assert unit.left_running == [], \
            f"left running after the stop: {unit.left_running}"
        kinds = [k for k in unit.notify.kinds() if not k.startswith("STATUS")]
        assert kinds == ["READY=1"] + ["RELOADING=1", "READY=1"] * 2 + [
            "STOPPING=1"], unit.notify.got
        assert "READY=1\nSTATUS=serving 3 listeners" in unit.notify.got
        status = [m for m in unit.notify.got if "STATUS=" in m]
        assert any(f"HAProxy read from {OCTAVIA_DIR}/{lb}.sock" in m
                   for m in status), status
        log = open(os.path.join(work, "agent.log")).read()
        assert re.search(r"^<4>HAProxy not read: no HAProxy stats socket "
                         r"matches /var/lib/octavia/\*\.sock$", log, re.M), log
        assert re.search(r"^<6>HAProxy read: ", log, re.M), log
        say("PASS SIGTERM: STOPPING=1, exit 0; notifications "
            + " ".join(kinds) + "; the journal got the reasons, with "
            "priorities")

        # the unit's seccomp filter and address families, against every
        # system call the agent made through all of the above
        calls, families = unit.made_syscalls()
        allowed = unit.filtered_syscalls()
        assert calls.get("bind", 0) >= 1 and calls.get("connect", 0) >= 1, \
            sorted(calls)
        assert calls.get("madvise", 0) >= 1, sorted(calls)     # the trim
        blocked = sorted(set(calls) - allowed)
        assert not blocked, f"SystemCallFilter= would refuse {blocked}"
        wanted = {f.strip() for f in unit.get(
            "RestrictAddressFamilies").split()}
        assert families and families <= wanted, (families, wanted)
        say(f"PASS all {len(calls)} system calls the agent made "
            f"({sum(calls.values())} calls) pass the unit's "
            f"SystemCallFilter=; its sockets are {', '.join(sorted(families))}"
            f", within RestrictAddressFamilies=")
    except BaseException:
        log = os.path.join(work, "agent.log")
        if os.path.exists(log):
            print("agent log:\n" + open(log).read()[-3000:])
        raise
    finally:
        # every step, whatever the one before it did
        for step in (unit.stop, amph.close,
                     lambda: shutil.rmtree(work, ignore_errors=True)):
            try:
                step()
            except Exception as e:  # noqa: BLE001
                print(f"cleanup: {e!r}")
    assert not os.path.exists(f"/run/netns/{NETNS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
