#!/usr/bin/env python3
"""The operator's side: Octavia's operating status driven through a real
HAProxy's admin socket.

    test_operator.py --agent BIN [-k NAME]
"""
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import harness  # noqa: E402
from harness import Agent, HAProxy, scrape, write_conf  # noqa: E402
from haproxy_states import States  # noqa: E402
from testnet import free_port_block, wait_for  # noqa: E402

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


if __name__ == "__main__":
    sys.exit(harness.run(sys.modules[__name__], __doc__))
