#!/usr/bin/env python3
"""Write keepalived configs shaped like the ones Octavia renders for UDP
and SCTP listeners (octavia-keepalivedlvs-<listener>.conf), and a manifest
of their UUIDs and addresses.

One file per listener, in --dir:

  udp      UDP, the VIP and an additional VIP (virtual_server_group
           ipv4-group), an IPv6 VIP (ipv6-group), a pool with a health
           monitor: a member that passes its check ("up"), one that fails
           it ("fail", its port closed), a disabled one ("disabled"), one
           of weight 0 ("drained"), an IPv6 one ("up6")
  plain    UDP, one VIP written the older way (virtual_server ADDR PORT),
           no health monitor, one member ("plain")
  sctp     SCTP (--sctp), one member ("sctp")
  off      a disabled listener: its comments, no virtual server

--check-script is the MISC_CHECK script (Octavia's udp_check.sh calls
nc); addresses are arguments so the VM test can place them; --shapes
writes only some. Octavia's own templater makes udp, sctp and off
(tests/tools/octavia_render.py lvs, which the VM test uses); "plain" is
the form older Octavia releases wrote, which only this generator makes.
"""
import argparse
import json
import os
import random
import uuid


def uid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def real(member_id, addr, port, weight, check, delay=1):
    out = [f"    # Configuration for Member {member_id}\n",
           f"    real_server {addr} {port} {{\n",
           f"        weight {weight}\n"]
    if check:
        out += [f"        delay_before_retry {delay}\n",
                "        retry 1\n",
                "        MISC_CHECK {\n",
                f"            misc_path \"{check} {addr} {port}\"\n",
                f"            misc_timeout {delay}\n",
                "        }\n"]
    out.append("    }\n")
    return "".join(out)


def server(head, proto, pool, hm, reals, disabled=(), delay=1):
    out = [f"virtual_server {head} {{\n",
           "    lb_algo rr\n    lb_kind NAT\n",
           f"    protocol {proto}\n"]
    if hm:
        out.append(f"    delay_loop {delay}\n    delay_before_retry {delay}\n"
                   "    retry 1\n")
    out.append(f"\n    # Configuration for Pool {pool}\n")
    if hm:
        out.append(f"    # Configuration for HealthMonitor {hm}\n")
    out += reals
    out += [f"    # Member {m} is disabled\n" for m in disabled]
    out.append("}\n\n")
    return "".join(out)


def header(lb, listener, disabled=False):
    what = (f"# Listener {listener} is disabled" if disabled else
            f"# Configuration for Listener {listener}")
    return (f"# Configuration for Loadbalancer {lb}\n{what}\n\n"
            "net_namespace amphora-haproxy\n\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--manifest", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--vip", default="192.0.2.10")
    p.add_argument("--vip2", default="192.0.2.11")
    p.add_argument("--vip6", default="2001:db8::10")
    p.add_argument("--member", default="198.51.100.21")
    p.add_argument("--member6", default="2001:db8:1::21")
    p.add_argument("--port", type=int, default=5353)
    p.add_argument("--member-port", type=int, default=5354)
    p.add_argument("--closed-port", type=int, default=5355)   # member + 1
    p.add_argument("--check-script",
                   default="/var/lib/octavia/lvs/check/udp_check.sh")
    p.add_argument("--sctp", action="store_true")
    p.add_argument("--delay", type=int, default=1,
                   help="the health monitor's delay and timeout, seconds")
    p.add_argument("--shapes", default="udp,plain,sctp,off",
                   help="which listeners to write (comma-separated)")
    a = p.parse_args()
    shapes = set(a.shapes.split(","))
    rng = random.Random(a.seed)
    lb = uid(rng)
    os.makedirs(a.dir, exist_ok=True)
    m = {"loadbalancer": {"id": lb}, "listeners": {},
         "pools": {}, "members": {}, "files": {}}

    def new(kind, name):
        m[kind][name] = uid(rng)
        return m[kind][name]

    def write(name, text):
        if name not in shapes:  # its UUIDs drawn all the same: a seed
            return              # names the same objects whatever is written
        path = os.path.join(a.dir,
                            f"octavia-keepalivedlvs-{m['listeners'][name]}.conf")
        with open(path, "w") as f:
            f.write(text)
        m["files"][name] = path

    # udp: two groups, five members
    lid, pool, hm = new("listeners", "udp"), new("pools", "udp"), uid(rng)
    up, fail, dis, drained, up6 = (new("members", k) for k in
                                   ("up", "fail", "disabled", "drained", "up6"))
    chk = a.check_script
    text = header(lb, lid)
    text += (f"virtual_server_group ipv4-group {{\n    {a.vip} {a.port}\n"
             f"    {a.vip2} {a.port}\n}}\n\n")
    text += f"virtual_server_group ipv6-group {{\n    {a.vip6} {a.port}\n}}\n\n"
    d = a.delay
    text += server("group ipv4-group", "UDP", pool, hm, [
        real(up, a.member, a.member_port, 1, chk, d),
        real(fail, a.member, a.closed_port, 1, chk, d),
        real(drained, a.member, a.member_port + 10, 0, chk, d)], [dis], d)
    text += server("group ipv6-group", "UDP", pool, hm, [
        real(up6, a.member6, a.member_port, 1, chk, d)], [dis], d)
    write("udp", text)

    # plain: the older single-VIP form, no health monitor
    lid, pool = new("listeners", "plain"), new("pools", "plain")
    plain = new("members", "plain")
    write("plain", header(lb, lid) + server(
        f"{a.vip} {a.port + 1}", "UDP", pool, None,
        [real(plain, a.member, a.member_port + 2, 3, None)]))

    if a.sctp:
        lid, pool = new("listeners", "sctp"), new("pools", "sctp")
        sctp = new("members", "sctp")
        write("sctp", header(lb, lid) + server(
            f"{a.vip} {a.port + 2}", "SCTP", pool, None,
            [real(sctp, a.member, a.member_port + 3, 1, None)]))

    lid = new("listeners", "off")
    write("off", header(lb, lid, disabled=True))

    members = {"udp": ("up", "fail", "disabled", "drained", "up6"),
               "plain": ("plain",), "sctp": ("sctp",), "off": ()}
    for shape, roles in members.items():
        if shape not in shapes:
            for kind, names in (("listeners", (shape,)), ("pools", (shape,)),
                                ("members", roles)):
                for n in names:
                    m[kind].pop(n, None)
    with open(a.manifest, "w") as f:
        json.dump(m, f, indent=1)


if __name__ == "__main__":
    main()
