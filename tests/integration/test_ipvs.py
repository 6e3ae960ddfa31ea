#!/usr/bin/env python3
"""UDP and SCTP listeners, on this machine (no ip_vs in its kernel): the
reader that alone keeps CAP_NET_ADMIN, its restarts, and what is served
when IPVS cannot be read. Real IPVS values are tested in a VM
(tests/vm/ipvs.sh).

    test_ipvs.py --agent BIN [-k NAME]
"""
import os
import shutil
import signal
import socket
import stat
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import harness  # noqa: E402
from harness import Agent, scrape, wait_log, write_conf  # noqa: E402
from testnet import free_port_block, wait_for  # noqa: E402

TESTS = []
test = harness.collector(TESTS)
ARGS = W = None     # set by harness.run() before the tests run

FIXTURES = os.path.join(HERE, "..", "fixtures", "keepalived")
CAP_NET_ADMIN = 1 << 12


def lvs_dir():
    """Octavia's keepalived configs (the captured ones), readable by any
    user, in a directory of the test's."""
    d = os.path.join(W.work, "lvs")
    if not os.path.isdir(d):
        shutil.copytree(FIXTURES, d)
        os.chmod(d, 0o755)
    return d


def agent_with(name, extra=""):
    port = free_port_block(1)
    conf = write_conf(f"{name}.conf", f"stats-socket {W.hap.sock}\n"
                      f"min-scrape-interval 0\nlisten 127.0.0.1:{port}\n"
                      + extra)
    a = Agent(W.work, ["-f", conf], name=name)
    a.wait_listening("127.0.0.1", port)
    return a, port


def value(fams, name):
    fam = fams.get(name)
    return None if fam is None else fam.samples[0].value


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def children(pid, name=None):
    """pid's children, those named name (their comm) when given."""
    path = f"/proc/{pid}/task/{pid}/children"
    kids = [int(x) for x in open(path).read().split()]
    return [k for k in kids if name is None or
            open(f"/proc/{k}/comm").read().strip() == name]


@test
def no_udp_listeners_nothing_served():
    """No keepalived directory: no UDP/SCTP listener, no ipvs_up, no
    complaint in the log; HAProxy's metrics as ever."""
    a, port = agent_with("noudp", f"keepalived-dir {W.work}/absent\n")
    try:
        fams, _, _ = scrape(port)
        assert value(fams, "octavia_exporter_haproxy_up") == 1
        assert "octavia_exporter_ipvs_up" not in fams
        assert "IPVS" not in a.log()
    finally:
        a.stop()


@test
def ipvs_unreadable_is_said_not_fatal():
    """Configs but no IPVS (this kernel): ipvs_up 0, the reason logged,
    no UDP row invented, HAProxy's rows still served."""
    a, port = agent_with("noipvs", f"keepalived-dir {lvs_dir()}\n")
    try:
        fams, _, body = scrape(port)
        assert value(fams, "octavia_exporter_ipvs_up") == 0
        assert value(fams, "octavia_exporter_haproxy_up") == 1
        assert "packets_in_total" not in body
        wait_log(a, "IPVS not read: the kernel has no IPVS")
        assert "keepalived configs: 4 UDP or SCTP listeners" in a.log()
    finally:
        a.stop()


@test
def configs_read_again_when_they_change():
    """A UDP listener Octavia adds after the start, one it removes: read
    at the next scrape, no restart, no reload."""
    d = os.path.join(W.work, "lvs-changing")
    os.makedirs(d)
    a, port = agent_with("rescan", f"keepalived-dir {d}\n")
    try:
        fams, _, _ = scrape(port)
        assert "octavia_exporter_ipvs_up" not in fams
        names = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".conf"))
        shutil.copy(os.path.join(FIXTURES, names[0]), d)
        fams, _, _ = scrape(port)
        assert value(fams, "octavia_exporter_ipvs_up") == 0
        wait_log(a, "keepalived configs: 1 UDP or SCTP listeners")
        shutil.copy(os.path.join(FIXTURES, names[1]), d)
        scrape(port)
        wait_log(a, "keepalived configs: 2 UDP or SCTP listeners")
        for n in names[:2]:
            os.unlink(os.path.join(d, n))
        fams, _, _ = scrape(port)
        assert "octavia_exporter_ipvs_up" not in fams
        wait_log(a, "keepalived configs: 0 UDP or SCTP listeners")
    finally:
        a.stop()


@test
def special_files_named_like_configs_are_skipped():
    """A FIFO, a socket, a device, a directory, a symlink loop and a link
    to a real config, each named as Octavia names a keepalived config:
    none is read (a FIFO once blocked the loop in open() for good), each
    is logged once, and every scrape answers at once."""
    d = os.path.join(W.work, "lvs-special")
    shutil.copytree(FIXTURES, d)
    real = sorted(f for f in os.listdir(d) if f.endswith(".conf"))
    name = "octavia-keepalivedlvs-{}.conf".format
    fifo, sock, dev, sub, loop, link = (
        os.path.join(d, name(f"00000000-0000-4000-8000-00000000000{i}"))
        for i in range(6))
    os.mkfifo(fifo)
    s = socket.socket(socket.AF_UNIX)
    s.bind(sock)
    os.mknod(dev, 0o644 | stat.S_IFCHR, os.makedev(1, 5))   # /dev/zero
    os.mkdir(sub)
    os.symlink(loop, loop)
    os.symlink(os.path.join(d, real[0]), link)
    a, port = agent_with("special", f"keepalived-dir {d}\n")
    try:
        for _ in range(3):
            t0 = time.monotonic()
            fams, _, _ = scrape(port)
            assert time.monotonic() - t0 < 2
            assert value(fams, "octavia_exporter_haproxy_up") == 1
        wait_log(a, f"keepalived configs: {len(real)} UDP or SCTP listeners")
        log = a.log()
        for path, why in ((fifo, "not a regular file"),
                          (sock, "No such device or address"),
                          (dev, "not a regular file"),
                          (sub, "not a regular file"),
                          (loop, "Too many levels of symbolic links"),
                          (link, "Too many levels of symbolic links")):
            line = f"keepalived config {os.path.basename(path)}: {why}"
            assert log.count(line) == 1, (line, log[-2000:])
    finally:
        a.stop()
        s.close()


@test
def only_the_reader_keeps_cap_net_admin():
    """Dropped to nobody, the serving process has no capability left; the
    reader (a supervisor and its worker, children of the agent) has
    CAP_NET_ADMIN and nothing else, as nobody too."""
    a, port = agent_with("caps", f"keepalived-dir {lvs_dir()}\n"
                         "user nobody\n")
    try:
        scrape(port)
        agent = status(a.proc.p.pid)
        assert int(agent["CapEff"], 16) == 0, agent["CapEff"]
        assert int(agent["CapPrm"], 16) == 0, agent["CapPrm"]
        sup = children(a.proc.p.pid, "ipvs-reader")
        assert len(sup) == 1, sup
        wait_for(lambda: len(children(sup[0])) == 1, 5, "the worker")
        for pid in sup + children(sup[0]):
            st = status(pid)
            assert int(st["CapEff"], 16) == CAP_NET_ADMIN, st["CapEff"]
            assert int(st["CapPrm"], 16) == CAP_NET_ADMIN, st["CapPrm"]
            assert st["Uid"].split()[0] == "65534", st["Uid"]
    finally:
        a.stop()


@test
def a_dead_reader_is_restarted_and_said():
    """The worker killed: the supervisor forks another and says why; the
    agent serves on, ipvs_up 0 meanwhile. The supervisor killed: the
    agent serves on, IPVS said gone. The agent gone: the reader too."""
    a, port = agent_with("restart", f"keepalived-dir {lvs_dir()}\n")
    try:
        scrape(port)
        sup = children(a.proc.p.pid, "ipvs-reader")[0]
        wait_for(lambda: len(children(sup)) == 1, 5, "the worker")
        worker = children(sup)[0]
        os.kill(worker, signal.SIGKILL)
        fams, _, _ = scrape(port)
        assert value(fams, "octavia_exporter_ipvs_up") == 0
        wait_log(a, "IPVS reader: worker died (signal 9), started again")
        wait_for(lambda: children(sup) and children(sup)[0] != worker, 5,
                 "a new worker")
        time.sleep(0.2)
        scrape(port)
        wait_log(a, "IPVS not read: the kernel has no IPVS")
        os.kill(sup, signal.SIGKILL)
        wait_log(a, "IPVS reader: gone")
        fams, _, _ = scrape(port)
        assert value(fams, "octavia_exporter_ipvs_up") == 0
        assert value(fams, "octavia_exporter_haproxy_up") == 1
        assert a.proc.p.poll() is None
        a.stop()
        wait_for(lambda: not os.path.exists(f"/proc/{worker}"), 5,
                 "the reader gone with the agent")
    finally:
        a.stop()


if __name__ == "__main__":
    sys.exit(harness.run(sys.modules[__name__], __doc__))
