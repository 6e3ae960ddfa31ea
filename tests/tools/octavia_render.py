#!/usr/bin/python3
"""Octavia's own templaters write the test configurations.

Debian's python3-octavia (Octavia 11, Zed; /usr/bin/python3, whose
modules those are) renders, from Octavia data models built here:

  haproxy   haproxy.cfg by octavia.common.jinja.haproxy.combined_listeners
            .jinja_cfg.JinjaTemplater.build_config, for the HAProxy version
            given (Octavia changes what it writes by version, as for an
            amphora reporting it in /1.0/info)
  lvs       one keepalived configuration per UDP or SCTP listener, by
            octavia.common.jinja.lvs.jinja_cfg.LvsJinjaTemplater, as the
            amphora agent stores them (octavia-keepalivedlvs-<id>.conf)

and writes a manifest (JSON) of the UUIDs and ports, the same keys
tests/tools/octavia_haproxy_cfg.py writes, so the suites read either.

Shapes (--scenario):
  mixed   what the integration suites need, as Octavia makes it: HTTP
          listeners http and http2 sharing pool_a (HTTP health monitor)
          with a member in each role (up; down: its port is closed; maint:
          disabled; weight0; backup; l7bad: answers 503), both reaching
          pool_u (no monitor, member "unchecked") by an L7 policy on /u;
          a TCP listener on pool_b (TCP monitor, "tcp_up"), a second on
          pool_bu (none, "tcp_unchecked").
  scale   --listeners N HTTP listeners of --members M unchecked members,
          the shape octavia_haproxy_cfg.py's "scale" writes too
          (tests/integration/test_render.py checks the two agree).
  lvs     (the lvs command) a load balancer on --vip, --vip2 and --vip6:
          a UDP listener on --port with a health monitor and members "up",
          "fail" (its port closed), "drained" (weight 0), "disabled" and
          the IPv6 "up6"; an SCTP one on --port + 2 (--sctp) with "sctp";
          a disabled UDP listener "off". Octavia puts every listener on
          every VIP. The MISC_CHECK program is --check-script (Octavia's
          is /var/lib/octavia/lvs/check/udp_check.sh). The older
          single-VIP form Octavia wrote before comes from
          tests/tools/octavia_lvs_cfg.py.

Two departures from an amphora, both for running several HAProxies side by
side on one test machine: every frontend binds --vip (127.0.0.1 by
default) at a port of the --base-port block, and the two internal
Prometheus proxies Octavia pins to 127.0.0.1:9101 and :9102 move to the
block's "promex" port and --agent-port. The members point at proxies of
the test's own (member-target, member-target-bad, a stats page, and
HAProxy's exporter as the tests' reference where Octavia renders none),
appended after Octavia's text under a comment saying so; the agent must
hide them.
"""
import argparse
import json
import os
import random
import re
import sys
import uuid

from oslo_config import cfg

from octavia.common import config as octavia_config
from octavia.common import data_models as dm
from octavia.common.jinja.haproxy.combined_listeners import jinja_cfg
from octavia.common.jinja.lvs import jinja_cfg as lvs_jinja_cfg

from octavia_haproxy_cfg import target_proxies

CONF = cfg.CONF
VERSION = "octavia 11 (python3-octavia)"


class Model:
    """A load balancer of Octavia data models, built a listener, pool and
    member at a time; UUIDs from the seeded rng, so a seed gives the same
    configuration."""

    def __init__(self, rng, vip, project="apa-tests"):
        self.rng = rng
        lb_id = self.uid()
        self.amp = dm.Amphora(id=self.uid(), lb_network_ip=vip,
                              vrrp_ip=vip, status="ALLOCATED",
                              role="STANDALONE")
        self.lb = dm.LoadBalancer(
            id=lb_id, project_id=project, enabled=True, topology="SINGLE",
            listeners=[], pools=[], amphorae=[self.amp], additional_vips=[],
            vip=dm.Vip(load_balancer_id=lb_id, ip_address=vip))
        self.roles = {}
        self.tls_certs = {}     # the amphora driver's, by object id
        self.cert_files = {}    # where they are, for the manifest

    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def listener(self, protocol, port, pool=None, limit=1000):
        li = dm.Listener(
            id=self.uid(), project_id=self.lb.project_id,
            load_balancer=self.lb, load_balancer_id=self.lb.id,
            protocol=protocol, protocol_port=port, connection_limit=limit,
            enabled=True, provisioning_status="ACTIVE", default_pool=pool,
            default_pool_id=pool.id if pool else None,
            pools=[pool] if pool else [], l7policies=[], sni_containers=[],
            insert_headers={}, allowed_cidrs=[], peer_port=1025)
        if pool:
            pool.listeners.append(li)
        self.lb.listeners.append(li)
        return li

    def pool(self, protocol, monitor=None, delay=2, fall=1, rise=1):
        p = dm.Pool(id=self.uid(), project_id=self.lb.project_id,
                    protocol=protocol, lb_algorithm="ROUND_ROBIN",
                    enabled=True, provisioning_status="ACTIVE", members=[],
                    listeners=[], l7policies=[], load_balancer=self.lb,
                    tls_enabled=False)
        if monitor:
            http = monitor in ("HTTP", "HTTPS")
            p.health_monitor = dm.HealthMonitor(
                id=self.uid(), pool=p, pool_id=p.id, type=monitor,
                delay=delay, timeout=2, fall_threshold=fall,
                rise_threshold=rise, enabled=True,
                provisioning_status="ACTIVE",
                http_method="GET" if http else None,
                url_path="/" if http else None,
                expected_codes="200" if http else None)
        self.lb.pools.append(p)
        return p

    def member(self, pool, role, addr, port, weight=1, enabled=True,
               backup=False):
        m = dm.Member(id=self.uid(), project_id=self.lb.project_id,
                      pool=pool, pool_id=pool.id, ip_address=addr,
                      protocol_port=port, weight=weight, backup=backup,
                      enabled=enabled, provisioning_status="ACTIVE",
                      operating_status="NO_MONITOR")
        pool.members.append(m)
        if role:
            self.roles[role] = m.id
        return m

    def l7_to_pool(self, listener, pool, prefix):
        pol = dm.L7Policy(id=self.uid(), listener=listener,
                          listener_id=listener.id,
                          action="REDIRECT_TO_POOL", redirect_pool=pool,
                          redirect_pool_id=pool.id, position=1, enabled=True,
                          l7rules=[], provisioning_status="ACTIVE")
        pol.l7rules.append(dm.L7Rule(
            id=self.uid(), l7policy=pol, l7policy_id=pol.id, type="PATH",
            compare_type="STARTS_WITH", value=prefix, enabled=True,
            provisioning_status="ACTIVE"))
        listener.l7policies.append(pol)
        listener.pools.append(pool)
        pool.listeners.append(listener)
        pool.l7policies.append(pol)

    def manifest(self):
        pools, members = [], []
        for li in self.lb.listeners:
            for p in li.pools:
                pools.append([p.id, li.id])
                members += [[m.id, p.id, li.id] for m in p.members]
        return {"loadbalancer": self.lb.id, "pools": pools,
                "members": members, "member_roles": self.roles}


def configure():
    octavia_config.init([], default_config_files=[])


def render_haproxy(model, version, socket_path):
    """Octavia's haproxy.cfg for the model, as the amphora driver renders
    it for an amphora reporting HAProxy `version` ("2.6.12")."""
    base = os.path.dirname(socket_path)
    templater = jinja_cfg.JinjaTemplater(
        base_amp_path=base, base_crt_dir=os.path.join(base, "certs"),
        haproxy_template=CONF.haproxy_amphora.haproxy_template,
        connection_logging=CONF.haproxy_amphora.connection_logging)
    return templater.build_config(
        host_amphora=model.amp, listeners=model.lb.listeners,
        tls_certs=model.tls_certs,
        haproxy_versions=version.split(".")[:2], socket_path=socket_path)


def move_internal_ports(text, promex, agent):
    """Octavia pins the internal Prometheus proxies to 127.0.0.1:9101 and
    :9102; a test machine runs several HAProxies at once."""
    text, n1 = re.subn(r"(?m)^(\s+bind 127\.0\.0\.1:)9101$",
                       rf"\g<1>{promex}", text)
    text, n2 = re.subn(r"(?m)^(\s+server prometheus-internal 127\.0\.0\.1:)"
                       r"9102$", rf"\g<1>{agent}", text)
    if (n1, n2) not in ((0, 0), (1, 1)):
        raise SystemExit("octavia_render: Octavia's internal Prometheus "
                         f"proxies changed shape ({n1}, {n2})")
    return text


# what the members point at, and a stats page (target_proxies); the agent
# hides them
TARGETS = """
# ---- the test's own proxies, not Octavia's (tests/tools/octavia_render.py)
"""

# HAProxy's own exporter, the tests' reference, where Octavia renders none
# (it does only for a load balancer with a PROMETHEUS listener)
PROMEX = """
frontend promex-reference
    bind 127.0.0.1:{promex}
    mode http
    timeout client 50s
    http-request use-service prometheus-exporter if {{ path /metrics }}
"""


def mixed(a, model):
    ports = {k: a.base_port + i for i, k in enumerate(
        ["http", "tcp", "http2", "target", "target_bad", "closed", "stats",
         "promex", "tcp2"])}
    live, bad, closed = ports["target"], ports["target_bad"], ports["closed"]
    lo = "127.0.0.1"
    pool_a = model.pool("HTTP", "HTTP")
    model.member(pool_a, "up", lo, live)
    model.member(pool_a, "down", lo, closed)
    model.member(pool_a, "maint", lo, live, enabled=False)
    model.member(pool_a, "weight0", lo, live, weight=0)
    model.member(pool_a, "backup", lo, live, backup=True)
    model.member(pool_a, "l7bad", lo, bad)
    pool_u = model.pool("HTTP")
    model.member(pool_u, "unchecked", lo, live)
    lst = {}
    for name in ("http", "http2"):
        li = model.listener("HTTP", ports[name], pool_a)
        model.l7_to_pool(li, pool_u, "/u")
        lst[name] = li.id
    pool_b = model.pool("TCP", "TCP")
    model.member(pool_b, "tcp_up", lo, live)
    lst["tcp"] = model.listener("TCP", ports["tcp"], pool_b).id
    pool_bu = model.pool("TCP")
    model.member(pool_bu, "tcp_unchecked", lo, live)
    lst["tcp2"] = model.listener("TCP", ports["tcp2"], pool_bu).id
    return ports, lst


def scale(a, model):
    ports = {"target": a.base_port, "target_bad": a.base_port + 1,
             "promex": a.base_port + 2, "stats": a.base_port + 3}
    lst = {}
    for i in range(a.listeners):
        p = model.pool("HTTP")
        for _ in range(a.members):
            model.member(p, None, "127.0.0.1", ports["target"])
        lst[str(i)] = model.listener("HTTP", a.base_port + 10 + i, p,
                                     limit=100).id
    return ports, lst


def tls(a, model):
    """A TERMINATED_HTTPS listener as Octavia renders one: its certificate
    and an SNI one in a crt-list, a client CA and CRL, ALPN h2 and
    http/1.1; its default pool plain HTTP, a second (by an L7 policy on
    /s) re-encrypting to its member with ALPN h2; beside it an HTTP and a
    TCP listener. The certificate files are named as the amphora driver
    names them, under the certificate directory of --socket's folder."""
    names = ["https", "http", "tcp", "target", "target_bad", "closed",
             "stats", "promex", "target_tls"]
    ports = {k: a.base_port + i for i, k in enumerate(names)}
    lo = "127.0.0.1"
    certs = os.path.join(os.path.dirname(a.socket), "certs", model.lb.id)
    CONF.set_override("base_cert_dir", os.path.dirname(certs),
                      group="haproxy_amphora")
    pool_a = model.pool("HTTP", "HTTP")
    model.member(pool_a, "up", lo, ports["target"])
    pool_s = model.pool("HTTP")
    pool_s.tls_enabled = True
    pool_s.alpn_protocols = ["h2", "http/1.1"]
    pool_s.ca_tls_certificate_id = model.uid()
    model.member(pool_s, "tls_up", lo, ports["target_tls"])
    li = model.listener("TERMINATED_HTTPS", ports["https"], pool_a)
    li.tls_certificate_id = model.uid()
    li.sni_containers = [dm.SNI(listener_id=li.id, position=0,
                                tls_container_id=model.uid())]
    li.client_ca_tls_certificate_id = model.uid()
    li.client_authentication = "OPTIONAL"
    li.client_crl_container_id = model.uid()
    li.alpn_protocols = ["h2", "http/1.1"]
    model.l7_to_pool(li, pool_s, "/s")
    model.tls_certs = {
        li.client_ca_tls_certificate_id: "client_ca.pem",
        li.client_crl_container_id: "client_crl.pem",
        pool_s.id: {"ca_cert": os.path.join(certs, "pool_ca.pem")}}
    model.cert_files = {
        "crt_list": os.path.join(certs, f"{li.id}.pem"),
        "default": os.path.join(certs, f"{li.tls_certificate_id}.pem"),
        "sni": os.path.join(
            certs, f"{li.sni_containers[0].tls_container_id}.pem"),
        "client_ca": os.path.join(certs, "client_ca.pem"),
        "client_crl": os.path.join(certs, "client_crl.pem"),
        "pool_ca": os.path.join(certs, "pool_ca.pem")}
    lst = {"https": li.id}
    lst["http"] = model.listener("HTTP", ports["http"], pool_a).id
    pool_b = model.pool("TCP", "TCP")
    model.member(pool_b, "tcp_up", lo, ports["target"])
    lst["tcp"] = model.listener("TCP", ports["tcp"], pool_b).id
    return ports, lst


SCENARIOS = {"mixed": mixed, "scale": scale, "tls": tls}


def haproxy_main(a):
    model = Model(random.Random(a.seed), a.vip)
    ports, lst = SCENARIOS[a.scenario](a, model)
    if a.prometheus_listener:
        addr, port = a.prometheus_listener.rsplit(":", 1)
        if addr != a.vip:
            raise SystemExit("--prometheus-listener: Octavia binds every "
                             "listener on the VIP (--vip)")
        li = model.listener("PROMETHEUS", int(port))
        li.allowed_cidrs = [dm.ListenerCidr(listener_id=li.id, cidr=c)
                            for c in a.allowed_cidr]
        lst["prometheus"] = li.id
    text = render_haproxy(model, a.haproxy_version, a.socket)
    text = move_internal_ports(text, ports["promex"], a.agent_port)
    text += TARGETS + target_proxies(ports["target"], ports["target_bad"],
                                     ports["stats"], a.haproxy_version)
    if "prometheus-exporter-internal-endpoint" not in text:
        text += PROMEX.format(**ports)
    manifest = dict(model.manifest(), socket=a.socket, ports=ports,
                    listeners=lst, cert_files=model.cert_files, renderer=f"{VERSION}, HAProxy "
                    f"{a.haproxy_version}")
    with open(a.config, "w") as f:
        f.write(text)
    with open(a.manifest, "w") as f:
        json.dump(manifest, f, indent=1)


def lvs_main(a):
    """UDP and SCTP listeners, one keepalived file each, and a manifest
    with the keys tests/tools/octavia_lvs_cfg.py writes."""
    model = Model(random.Random(a.seed), a.vip)
    model.lb.additional_vips = [dm.AdditionalVip(ip_address=v)
                                for v in (a.vip2, a.vip6)]
    m = {"loadbalancer": {"id": model.lb.id}, "listeners": {}, "pools": {},
         "members": {}, "files": {}}
    udp = model.pool("UDP", "UDP-CONNECT", delay=a.delay, fall=1, rise=1)
    udp.health_monitor.timeout = a.delay
    for role, addr, port, more in (
            ("up", a.member, a.member_port, {}),
            ("fail", a.member, a.closed_port, {}),
            ("drained", a.member, a.member_port + 10, {"weight": 0}),
            ("disabled", a.member, a.member_port + 11, {"enabled": False}),
            ("up6", a.member6, a.member_port, {})):
        m["members"][role] = model.member(udp, role, addr, port, **more).id
    lists = [("udp", model.listener("UDP", a.port, udp, limit=-1), udp)]
    if a.sctp:
        p = model.pool("SCTP")
        m["members"]["sctp"] = model.member(p, "sctp", a.member,
                                            a.member_port + 3).id
        lists.append(("sctp", model.listener("SCTP", a.port + 2, p,
                                             limit=-1), p))
    p = model.pool("UDP")
    model.member(p, None, a.member, a.member_port)
    off = model.listener("UDP", a.port + 3, p, limit=-1)
    off.enabled = False
    lists.append(("off", off, p))
    os.makedirs(a.dir, exist_ok=True)
    t = lvs_jinja_cfg.LvsJinjaTemplater()
    for name, li, pool in lists:
        text = t.build_config(listener=li)
        if a.check_script:
            text = text.replace("/var/lib/octavia/lvs/check/udp_check.sh",
                                a.check_script)
        path = os.path.join(a.dir, f"octavia-keepalivedlvs-{li.id}.conf")
        with open(path, "w") as f:
            f.write(text)
        m["listeners"][name], m["pools"][name] = li.id, pool.id
        m["files"][name] = path
    m["renderer"] = VERSION
    with open(a.manifest, "w") as f:
        json.dump(m, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    h = sub.add_parser("haproxy")
    h.add_argument("--scenario", choices=sorted(SCENARIOS), default="mixed")
    h.add_argument("--socket", required=True)
    h.add_argument("--haproxy-version", required=True,
                   help="what the amphora reports, e.g. 2.6.12")
    h.add_argument("--vip", default="127.0.0.1")
    h.add_argument("--base-port", type=int, default=21000)
    h.add_argument("--agent-port", type=int, default=9102)
    h.add_argument("--listeners", type=int, default=3)
    h.add_argument("--members", type=int, default=3)
    h.add_argument("--seed", type=int, default=1)
    h.add_argument("--prometheus-listener", metavar="ADDR:PORT")
    h.add_argument("--allowed-cidr", action="append", default=[])
    h.add_argument("--config", required=True)
    h.add_argument("--manifest", required=True)
    v = sub.add_parser("lvs")
    v.add_argument("--dir", required=True)
    v.add_argument("--manifest", required=True)
    v.add_argument("--seed", type=int, default=1)
    v.add_argument("--vip", default="192.0.2.10")
    v.add_argument("--vip2", default="192.0.2.11")
    v.add_argument("--vip6", default="2001:db8::10")
    v.add_argument("--member", default="198.51.100.21")
    v.add_argument("--member6", default="2001:db8:1::21")
    v.add_argument("--port", type=int, default=5353)
    v.add_argument("--member-port", type=int, default=5354)
    v.add_argument("--closed-port", type=int, default=5355)
    v.add_argument("--check-script")
    v.add_argument("--sctp", action="store_true")
    v.add_argument("--delay", type=int, default=1,
                   help="the health monitor's delay and timeout, seconds")
    a = p.parse_args()
    configure()
    {"haproxy": haproxy_main, "lvs": lvs_main}[a.what](a)


if __name__ == "__main__":
    sys.exit(main())
