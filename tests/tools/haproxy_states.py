#!/usr/bin/env python3
"""Drive a HAProxy of octavia_haproxy_cfg.py's "states" scenario through
its admin socket into every state Octavia maps to an operating status.

  haproxy_states.py MANIFEST drive     drain "drain", move "falling" to a
                                       closed port and "rising" to a live
                                       one, then wait until both show their
                                       transitional status ("UP n/3",
                                       "DOWN n/3") in the same "show stat"
  haproxy_states.py MANIFEST pause ROLE  pause the listener of that role
                                       ("disable frontend": PAUSED; STOP
                                       in 2.2, OPEN in 2.4)
  haproxy_states.py MANIFEST stop ROLE  stop it for good ("shutdown
                                       frontend": STOP)

Imported by the integration test for finer steps (admin(), status()).
"""
import csv
import io
import json
import sys
import time

from stats_query import query


class States:
    def __init__(self, manifest):
        self.m = manifest
        lst, pools = manifest["listeners"], manifest["pool_roles"]
        self.backend = {k: f"{pools[k]}:{lst[k]}" for k in pools}
        self.roles = manifest["member_roles"]

    def admin(self, command):
        """Runs an admin command; HAProxy's answer, which must not be an
        error."""
        out = query(self.m["admin_socket"], command).decode()
        if any(w in out for w in ("Unknown", "No such", "Require", "denied",
                                  "expects", "Invalid", "invalid")):
            raise RuntimeError(f"{command}: {out.strip()}")
        return out

    def release(self):
        """(major, minor, ...) of the HAProxy behind the sockets."""
        for line in query(self.m["socket"], "show info").decode().split("\n"):
            if line.startswith("Version: "):
                return tuple(int(x) for x in
                             line[9:].split("-")[0].split(".") if x.isdigit())
        raise RuntimeError("no Version in show info")

    def server(self, role):
        """backend/server of a member role, for admin commands."""
        for k, be in self.backend.items():
            mid = self.roles[role]
            if any(m[0] == mid and f"{m[1]}:{m[2]}" == be
                   for m in self.m["members"]):
                return f"{be}/{mid}"
        raise KeyError(role)

    def status(self):
        """{member role or pool role or listener role: CSV status}."""
        text = query(self.m["socket"], "show stat").decode()
        rows = csv.DictReader(io.StringIO(text[2:]))
        by_id = {v: k for k, v in self.roles.items()}
        pools = {v: k for k, v in self.backend.items()}
        lst = {v: k for k, v in self.m["listeners"].items()}
        out = {}
        for r in rows:
            if r["svname"] == "FRONTEND" and r["pxname"] in lst:
                out["listener:" + lst[r["pxname"]]] = r["status"]
            elif r["svname"] == "BACKEND" and r["pxname"] in pools:
                out["pool:" + pools[r["pxname"]]] = r["status"]
            elif r["svname"] in by_id:
                out[by_id[r["svname"]]] = r["status"]
        return out

    def wait(self, pred, timeout=15.0, step=0.05):
        """Polls status() until pred(status) holds; returns that status."""
        end = time.monotonic() + timeout
        while True:
            st = self.status()
            if pred(st):
                return st
            if time.monotonic() > end:
                raise TimeoutError(f"states never reached: {st}")
            time.sleep(step)

    def settled(self):
        """Waits for the first checks: "down" and "rising" DOWN."""
        return self.wait(lambda s: s["down"] == "DOWN" and
                         s["rising"] == "DOWN")

    def drive(self):
        ports = self.m["ports"]
        self.settled()
        self.admin(f"set server {self.server('drain')} state drain")
        self.admin(f"set server {self.server('falling')} addr 127.0.0.1 "
                   f"port {ports['closed']}")
        self.admin(f"set server {self.server('rising')} addr 127.0.0.1 "
                   f"port {ports['target']}")
        return self.wait(lambda s: s["falling"].startswith("UP ") and
                         s["rising"].startswith("DOWN "))


def main():
    st = States(json.load(open(sys.argv[1])))
    if sys.argv[2] == "drive":
        for k, v in sorted(st.drive().items()):
            print(f"{k}: {v}")
    elif sys.argv[2] in ("pause", "stop"):
        # a paused frontend: PAUSED from 2.6, STOP in 2.2, and OPEN in 2.4,
        # whose "show stat" says STOP only for a stopped proxy
        cmd, done = {"pause": ("disable", ("PAUSED", "STOP")),
                     "stop": ("shutdown", ("STOP",))}[sys.argv[2]]
        if cmd == "disable" and st.release()[:2] in ((2, 3), (2, 4), (2, 5)):
            done = ("OPEN",)
        st.admin(f"{cmd} frontend {st.m['listeners'][sys.argv[3]]}")
        st.wait(lambda s: s.get("listener:" + sys.argv[3], "STOP") in done)


if __name__ == "__main__":
    main()
