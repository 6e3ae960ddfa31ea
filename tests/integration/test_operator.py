#!/usr/bin/env python3
"""The operator's side: Octavia's operating status driven through a real
HAProxy's admin socket; the Grafana dashboard's every query against a real
Prometheus; the alert rules end to end through a real Alertmanager to a
webhook; a fleet sharded over two Prometheus servers into VictoriaMetrics.

    test_operator.py --agent BIN [-k NAME]
"""
import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import harness  # noqa: E402
from harness import (  # noqa: E402
    Agent, HAProxy, Proc, Prometheus, scrape, write_conf)
from haproxy_states import States  # noqa: E402
from testnet import free_port_block, wait_for  # noqa: E402

TOP = os.path.join(HERE, "..", "..")
RULES = harness.RULES
DASHBOARD = harness.DASHBOARD
SCRAPE_CONFIG = os.path.join(TOP, "packaging", "prometheus", "prometheus.yml")

TESTS = []
test = harness.collector(TESTS)
ARGS = W = None     # set by harness.run() before the tests run


def agent_on(name, sock):
    """An agent reading sock afresh at every scrape, on a port of its own."""
    port = free_port_block(1)
    conf = write_conf(f"{name}.conf", f"stats-socket {sock}\n"
                      f"min-scrape-interval 0\nlisten 127.0.0.1:{port}\n")
    a = Agent(W.work, ["-f", conf], name=name)
    a.wait_listening("127.0.0.1", port)
    return a, port


def operating_status(port, m):
    """{"lb"/role: status} of one scrape, by the roles of manifest m; a
    role whose every series is 0 is None."""
    fams, _, _ = scrape(port)
    ids = {}
    for role, mid in m["member_roles"].items():
        ids[("member", mid)] = role
    for role, pid in m["pool_roles"].items():
        ids[("pool", pid, m["listeners"][role])] = "pool:" + role
    for role, lid in m["listeners"].items():
        ids[("listener", lid)] = "listener:" + role
    out = {}
    for scope, keys in (("member", ("member",)), ("pool", ("pool", "listener")),
                        ("listener", ("listener",))):
        fam = fams[f"octavia_{scope}_operating_status"]
        for s in fam.samples:
            role = ids[(scope,) + tuple(s.labels[k] for k in keys)]
            out.setdefault(role, None)
            if s.value == 1:
                assert out[role] is None, (role, "two statuses")
                out[role] = s.labels["status"]
    lb = [s.labels["status"] for s in
          fams["octavia_loadbalancer_operating_status"].samples
          if s.value == 1]
    assert len(lb) == 1, lb
    out["lb"] = lb[0]
    return out


def until(port, m, want, timeout=15):
    """Scrapes until every role in want has its status; the last scrape."""
    last = {}

    def ok():
        last.update(operating_status(port, m))
        return all(last.get(k, "-") == v for k, v in want.items())
    try:
        wait_for(ok, timeout, "operating status")
    except Exception:
        raise AssertionError({k: (last.get(k), v) for k, v in want.items()
                              if last.get(k) != v})
    return dict(last)


@test
def operating_status_follows_haproxy():
    """Every operating status Octavia's health manager gives, from a HAProxy
    driven there through its admin socket, and back to ONLINE."""
    hap = HAProxy(W.work, name="states", scenario="states")
    hap.start()
    st = States(hap.m)
    a, port = agent_on("states", hap.sock)
    hold = None
    try:
        first = until(port, hap.m, {"down": "ERROR", "rising": "ERROR"})
        assert first == {
            "up": "ONLINE", "down": "ERROR", "maint": "OFFLINE",
            "weight0": "DRAINING", "drain": "ONLINE",
            "unchecked": "NO_MONITOR", "falling": "ONLINE",
            "rising": "ERROR", "disabled1": "OFFLINE",
            "disabled2": "OFFLINE", "full_up": "NO_MONITOR",
            "spare_up": "NO_MONITOR",
            "pool:http": "DEGRADED", "pool:tcp": "ERROR",
            "pool:full": "ONLINE", "pool:spare": "ONLINE",
            "listener:http": "ONLINE", "listener:tcp": "ONLINE",
            "listener:full": "ONLINE", "listener:spare": "ONLINE",
            "lb": "ERROR"}, first

        # drained, and weight 0 (which HAProxy still calls UP)
        st.admin(f"set server {st.server('drain')} state drain")
        st.admin(f"set weight {st.server('up')} 0")
        until(port, hap.m, {"drain": "DRAINING", "up": "DRAINING"})

        # a member whose port closes: ERROR once its checks fail (fall 3)
        st.admin(f"set server {st.server('falling')} addr 127.0.0.1 "
                 f"port {hap.m['ports']['closed']}")
        until(port, hap.m, {"falling": "ERROR"})

        # the pool with every member down, then one of them enabled
        st.admin(f"enable server {st.server('disabled1')}")
        until(port, hap.m, {"disabled1": "NO_MONITOR", "pool:tcp": "ONLINE",
                            "lb": "DEGRADED"})
        st.admin(f"disable server {st.server('disabled1')}")
        until(port, hap.m, {"disabled1": "OFFLINE", "pool:tcp": "ERROR",
                            "lb": "ERROR"})

        # a listener at its maxconn (1): HAProxy 2.6 prints OPEN, not the
        # FULL Octavia looks for, so Octavia and the agent say ONLINE
        hold = socket.create_connection(("127.0.0.1", hap.m["ports"]["full"]))
        fams = {}

        def full():
            fams.update(scrape(port)[0])
            return [s.value for s in
                    fams["octavia_listener_current_sessions"].samples
                    if s.labels["listener"] == hap.m["listeners"]["full"]
                    ] == [1]
        wait_for(full, 5, "a session on the listener of maxconn 1")
        assert operating_status(port, hap.m)["listener:full"] == "ONLINE"

        # paused: a word Octavia does not map, every series 0; stopped
        st.admin(f"disable frontend {hap.m['listeners']['spare']}")
        until(port, hap.m, {"listener:spare": None})
        st.admin(f"shutdown frontend {hap.m['listeners']['spare']}")
        until(port, hap.m, {"listener:spare": "OFFLINE"})

        # mended: no member in ERROR, every pool up, the load balancer
        # ONLINE (a stopped listener does not lower it)
        st.admin(f"disable server {st.server('down')}")
        st.admin(f"disable server {st.server('falling')}")
        st.admin(f"set server {st.server('rising')} addr 127.0.0.1 "
                 f"port {hap.m['ports']['target']}")
        st.admin(f"enable server {st.server('disabled2')}")
        last = until(port, hap.m, {"rising": "ONLINE", "pool:http": "ONLINE",
                                   "pool:tcp": "ONLINE", "lb": "ONLINE"})
        assert last["down"] == last["falling"] == "OFFLINE", last
    finally:
        if hold is not None:
            hold.close()
        a.stop()
        hap.stop()


@test
def dashboard_queries_return_data():
    """Every query of packaging/grafana/octavia-amphora.json, its variables
    set to a real load balancer, listener, pool and member, returns data
    from a Prometheus that scraped the agent (with the shipped rules); the
    TLS row's against a TERMINATED_HTTPS listener, in test_haproxy_tls."""
    dash = json.load(open(DASHBOARD))
    prom = Prometheus(W.work, "dash", f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ['{os.path.abspath(RULES)}']
scrape_configs:
  - job_name: octavia
    static_configs:
      - targets: ['127.0.0.1:{W.port}']
""")
    m = W.hap.m
    values = {"job": "octavia", "instance": f"127.0.0.1:{W.port}",
              "listener": m["listeners"]["http"], "pool": m["pools"][0][0],
              "member": m["member_roles"]["up"]}
    try:
        # traffic until rate() over 15 s and the recorded 5m ratios exist
        def ready():
            W.hap.traffic()
            return prom.query("octavia:listener_http_5xx:ratio_rate5m") and \
                len(prom.query("octavia_listener_http_requests_total"
                               "[15s]")[0]["values"]) >= 4
        wait_for(ready, 60, "a Prometheus with rates to show")
        # the variables' own queries: label_values(metric{...}, label)
        for v in dash["templating"]["list"]:
            if v["type"] != "query":
                continue
            q = v["query"]["query"]
            mt = re.fullmatch(r"label_values\((.*), (\w+)\)", q)
            assert mt, q
            sel = harness.dashboard_substitute(
                mt.group(1), {k: values[k] for k in values
                              if "$" + k in mt.group(1)})
            got = {r["metric"][mt.group(2)] for r in
                   prom.query(f"group by ({mt.group(2)}) ({sel})")}
            assert values[v["name"]] in got, (v["name"], got)
        queries = [(t, e) for row, t, e in harness.dashboard_queries(dash)
                   if row != harness.DASHBOARD_TLS_ROW]
        harness.dashboard_answers(prom, queries, values)
        print(f"  dashboard: {len(queries)} queries in "
              f"{len({t for t, _ in queries})} panels answered with data, "
              f"{sum(v['type'] == 'query' for v in dash['templating']['list'])}"
              " variables resolved")
    finally:
        prom.stop()


class Webhook:
    """Alertmanager's webhook receiver: (arrival time, alert) of every
    alert every notification carries."""

    def __init__(self):
        self.alerts = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.monotonic()
                for a in json.loads(body)["alerts"]:
                    hook.alerts.append((now, a))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass
        self.srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def first(self, since, pred):
        for t, a in self.alerts:
            if t >= since and pred(a):
                return t, a
        return None

    def close(self):
        self.srv.shutdown()


@test
def member_alert_round_trip_through_alertmanager():
    """A member whose service goes away: OctaviaMemberError reaches a
    webhook through a real Alertmanager with the member, pool and listener
    UUIDs, then resolves once it is back. The shipped rules, their for:
    durations cut to a second (a test-only override)."""
    hap = HAProxy(W.work, name="alerting", scenario="states")
    hap.start()
    st = States(hap.m)
    a, port = agent_on("alerting", hap.sock)
    hook = Webhook()
    work = os.path.join(W.work, "am")
    os.makedirs(work)
    rules = os.path.join(work, "rules.yml")
    with open(rules, "w") as f:
        f.write(re.sub(r"\bfor: \d+m", "for: 1s", open(RULES).read()))
    am_port = free_port_block(1)
    with open(os.path.join(work, "am.yml"), "w") as f:
        f.write(f"""route:
  receiver: hook
  group_by: [alertname, member]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{hook.port}/
        send_resolved: true
""")
    am = Proc(["prometheus-alertmanager", f"--config.file={work}/am.yml",
               f"--storage.path={work}/data",
               f"--web.listen-address=127.0.0.1:{am_port}",
               "--cluster.listen-address="], os.path.join(work, "am.log"))
    prom = None
    try:
        prom = Prometheus(W.work, "alerting-prom", f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ['{rules}']
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:{am_port}']
scrape_configs:
  - job_name: octavia
    static_configs:
      - targets: ['127.0.0.1:{port}']
""")
        member = hap.m["member_roles"]["up"]
        pool, listener = hap.m["pool_roles"]["http"], hap.m["listeners"]["http"]

        def is_up_alert(status):
            return lambda x: (x["labels"].get("alertname") ==
                              "OctaviaMemberError" and
                              x["labels"].get("member") == member and
                              x["status"] == status)
        # the members already in ERROR reach the webhook; ours does not
        wait_for(lambda: hook.first(0, lambda x: x["labels"].get(
            "member") == hap.m["member_roles"]["down"]), 30,
            "the first alerts at the webhook")
        assert hook.first(0, is_up_alert("firing")) is None

        def move(port, status):
            """Points the member at port; when its alert in status
            arrived, how long after, and the alert."""
            t = time.monotonic()
            st.admin(f"set server {st.server('up')} addr 127.0.0.1 "
                     f"port {hap.m['ports'][port]}")
            wait_for(lambda: hook.first(t, is_up_alert(status)), 60,
                     f"OctaviaMemberError {status} at the webhook")
            arrived, alert = hook.first(t, is_up_alert(status))
            return arrived - t, alert

        down, fired = move("closed", "firing")
        lab = fired["labels"]
        assert (lab["pool"], lab["listener"], lab["severity"]) == (
            pool, listener, "warning"), lab
        assert "runbook" in fired["annotations"], fired
        up, _ = move("target", "resolved")
        # disabled (OFFLINE) and weight-0 (DRAINING) members never alerted
        for role in ("maint", "weight0", "unchecked"):
            assert hook.first(0, lambda x: x["labels"].get("alertname") ==
                              "OctaviaMemberError" and x["labels"].get(
                                  "member") == hap.m["member_roles"][role]
                              ) is None, role
        print(f"  alert round trip: member down -> webhook {down:.1f} s, "
              f"back up -> resolved {up:.1f} s")
    finally:
        if prom is not None:
            prom.stop()
        am.stop()
        hook.close()
        a.stop()
        hap.stop()


def hashmod(value, modulus):
    """Prometheus's hashmod relabel action."""
    digest = hashlib.md5(value.encode()).digest()
    return int.from_bytes(digest[8:], "big") % modulus


def shard_config(k, shards, sd_file, vm_port):
    """packaging/prometheus/prometheus.yml as shard k of shards would run
    it, file_sd in place of openstack_sd (Debian's Prometheus 2.42 has no
    loadbalancer role; the relabelling is the shipped one, untouched),
    scraping every second and writing to VictoriaMetrics."""
    text = open(SCRAPE_CONFIG).read()
    edits = [
        (r"scrape_interval: 30s", "scrape_interval: 1s"),
        (r"scrape_timeout: 10s", "scrape_timeout: 1s"),
        (r'shard: "0"( +# this shard)', f'shard: "{k}"\\1'),
        (r"modulus: 1( +# shards)", f"modulus: {shards}\\1"),
        (r'regex: "0"( +# this shard)', f'regex: "{k}"\\1'),
        (r"rule_files:\n  - octavia-rules.yml\n", ""),
        (r"alerting:\n(    .*\n|  .*\n)*", ""),
        (r"    openstack_sd_configs:\n(      .*\n)*",
         f"    file_sd_configs:\n      - files: ['{sd_file}']\n"),
    ]
    for pattern, repl in edits:
        text, n = re.subn(pattern, repl, text)
        assert n == 1, f"{SCRAPE_CONFIG} no longer has {pattern!r}"
    return text + f"""
remote_write:
  - url: http://127.0.0.1:{vm_port}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
"""


@test
def fleet_sharded_into_victoriametrics():
    """Three load balancers, discovered with the __meta_openstack_ labels
    openstack_sd gives, split by the shipped relabelling over two
    Prometheus servers, both writing into VictoriaMetrics: each load
    balancer's series are there exactly once, labelled with its id, name
    and project."""
    work = os.path.join(W.work, "fleet")
    os.makedirs(work)
    vm_port = free_port_block(1)
    vm = Proc(["victoria-metrics", f"-httpListenAddr=127.0.0.1:{vm_port}",
               f"-storageDataPath={work}/vm", "-retentionPeriod=1d",
               "-search.latencyOffset=1s", "-search.disableCache"],
              os.path.join(work, "vm.log"))
    lbs, proms = [], []
    try:
        # ids that the two shards split, as hashmod will
        ids = []
        while len({hashmod(i, 2) for i in ids}) < 2:
            ids = [str(uuid.uuid4()) for _ in range(3)]
        targets = []
        for n, lb_id in enumerate(ids):
            hap = HAProxy(work, name=f"lb{n}")
            hap.start()
            a, port = agent_on(f"fleet{n}", hap.sock)
            lbs.append((lb_id, hap, a, port))
            vip = "192.0.2.1" if n == 2 else "127.0.0.1"  # n=2: a FIP
            targets.append({"targets": [f"{vip}:{port}"], "labels": {
                "__meta_openstack_loadbalancer_id": lb_id,
                "__meta_openstack_loadbalancer_name": f"web-{n}",
                "__meta_openstack_loadbalancer_operating_status": "ONLINE",
                "__meta_openstack_loadbalancer_provisioning_status": "ACTIVE",
                "__meta_openstack_loadbalancer_availability_zone": "az1",
                "__meta_openstack_loadbalancer_floating_ip":
                    "127.0.0.1" if n == 2 else "",
                "__meta_openstack_loadbalancer_vip": vip,
                "__meta_openstack_loadbalancer_provider": "amphora",
                "__meta_openstack_loadbalancer_tags": "",
                "__meta_openstack_project_id": f"project-{n % 2}"}})
        # one being deleted: never a target
        gone = str(uuid.uuid4())
        targets.append({"targets": [f"127.0.0.1:{free_port_block(1)}"],
                        "labels": {
                            "__meta_openstack_loadbalancer_id": gone,
                            "__meta_openstack_loadbalancer_provisioning_status":
                                "PENDING_DELETE"}})
        sd = os.path.join(work, "targets.json")
        with open(sd, "w") as f:
            json.dump(targets, f)
        for k in range(2):
            proms.append(Prometheus(work, f"shard{k}",
                                    shard_config(k, 2, sd, vm_port)))

        def vm_query(q):
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{vm_port}/api/v1/query?" +
                    urllib.parse.urlencode({"query": q, "nocache": "1"}),
                    timeout=10) as r:
                return json.load(r)["data"]["result"]

        q = ("count by (loadbalancer_id, loadbalancer_name, project_id) "
             "(octavia_exporter_haproxy_up)")
        wait_for(lambda: len(vm_query(q)) == 3, 60,
                 "three load balancers in VictoriaMetrics")
        got = {r["metric"]["loadbalancer_id"]: (
            r["metric"]["loadbalancer_name"], r["metric"]["project_id"],
            r["value"][1]) for r in vm_query(q)}
        assert got == {i: (f"web-{n}", f"project-{n % 2}", "1")
                       for n, i in enumerate(ids)}, got

        # each scraped by the shard hashmod names, and only by it
        for k, prom in enumerate(proms):
            active = prom.get("/api/v1/targets")["data"]["activeTargets"]
            mine = {t["labels"]["loadbalancer_id"]: t for t in active}
            assert set(mine) == {i for i in ids if hashmod(i, 2) == k}, (
                k, set(mine))
            for lb_id, t in mine.items():
                assert t["labels"]["instance"] == lb_id, t["labels"]
                assert not any(x.startswith("__") for x in t["labels"])
            assert gone not in json.dumps(active)
        fip = [t for p in proms for t in p.get("/api/v1/targets")["data"][
            "activeTargets"] if t["labels"]["loadbalancer_id"] == ids[2]][0]
        assert fip["scrapeUrl"].startswith("http://127.0.0.1:"), fip

        # every series once: as many member series as members, no copy
        # from the other shard (which would differ only in "shard")
        members = len(lbs[0][1].m["members"])
        mq = "count by (loadbalancer_id) (octavia_member_weight)"
        wait_for(lambda: all(r["value"][1] == str(members)
                             for r in vm_query(mq)) and
                 len(vm_query(mq)) == 3, 30, "every member series")
        dup = vm_query("count by (loadbalancer_id, member, pool, listener) "
                       "(octavia_member_weight) > 1")
        assert dup == [], dup
        print(f"  VictoriaMetrics: {q} -> " + ", ".join(
            f"{v[0]} ({v[1]}): {v[2]}" for v in got.values()) +
              f"; {members} member series each, none twice; shards " +
              "/".join(str(sum(hashmod(i, 2) == k for i in ids))
                       for k in range(2)))
    finally:
        for p in proms:
            p.stop()
        for _, hap, a, _ in lbs:
            a.stop()
            hap.stop()
        vm.stop()


if __name__ == "__main__":
    sys.exit(harness.run(sys.modules[__name__], __doc__))
