"""Start a service the way its systemd unit file says, without systemd.

systemd is not PID 1 on the test machines, so a unit cannot be started.
This reads the unit's [Service] section and reproduces what decides whether
the service works: User= (with its group and no others), the network
namespace of NetworkNamespacePath=, CapabilityBoundingSet= and
AmbientCapabilities=, NoNewPrivileges=, ExecStartPre=, Type=notify (READY=1
on $NOTIFY_SOCKET before it counts as started), ExecReload= with $MAINPID,
StandardError=journal ($JOURNAL_STREAM names the log file), and a stop by
SIGTERM. The file-system sandbox (ProtectSystem= and the rest)
is not reproduced; `systemd-analyze security` and `verify` check the file.
"""
import functools
import grp
import os
import pwd
import re
import shlex
import signal
import subprocess
import time

from sdnotify import NotifySocket


def read_unit(path):
    """{section: [(key, value)]}, keys in order and repeatable."""
    sections, cur = {}, None
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = sections.setdefault(line[1:-1], [])
        else:
            k, _, v = line.partition("=")
            cur.append((k.strip(), v.strip()))
    return sections


@functools.lru_cache(None)
def expand_syscalls(name):
    """A system call, or a systemd set (@system-service) and its subsets."""
    if not name.startswith("@"):
        return frozenset([name])
    out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                         capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        w = line.strip().split()[0] if line.strip() else ""
        if w and not w.startswith("#"):
            names |= expand_syscalls(w)
    return frozenset(names)


def caps(value):
    """'CAP_NET_BIND_SERVICE CAP_X' -> 'net_bind_service,x' for setpriv."""
    return ",".join(c.lower().removeprefix("cap_") for c in value.split())


class UnitLike:
    def __init__(self, unit_path, work):
        self.svc = read_unit(unit_path)["Service"]
        self.work = work
        self.proc = None
        self.notify = None
        self.log = None
        self.strace = None
        self.main_pid = None
        self.left_running = []      # killed by stop(): should stay empty

    def get(self, key, default=None):
        vals = [v for k, v in self.svc if k == key]
        return vals[-1] if vals else default

    def all(self, key):
        return [v for k, v in self.svc if k == key]

    def prefix(self):
        """nsenter and setpriv, as systemd would set the process up."""
        user = self.get("User")
        pw = pwd.getpwnam(user)
        group = grp.getgrgid(pw.pw_gid).gr_name
        cmd = []
        netns = self.get("NetworkNamespacePath")
        if netns:
            cmd += ["nsenter", f"--net={netns}"]
        cmd += ["setpriv", f"--reuid={user}", f"--regid={group}",
                "--init-groups"]
        bounding = self.get("CapabilityBoundingSet")
        if bounding is not None:
            cmd.append("--bounding-set=-all" +
                       "".join(",+" + c for c in caps(bounding).split(",")
                               if c))
        ambient = self.get("AmbientCapabilities")
        if ambient:
            plus = ",".join("+" + c for c in caps(ambient).split(","))
            cmd += [f"--inh-caps={plus}", f"--ambient-caps={plus}"]
        if self.get("NoNewPrivileges") == "yes":
            cmd.append("--no-new-privs")
        return cmd + ["--"]

    def command(self, line, **subst):
        line = line.lstrip("-@:+!")
        for k, v in subst.items():
            line = line.replace("$" + k, str(v))
        return self.prefix() + shlex.split(line)

    def start(self, log_path, timeout=10, strace=None):
        """ExecStartPre=, then ExecStart= until it says READY=1; with
        strace, a file that records every system call it makes."""
        for pre in self.all("ExecStartPre"):
            subprocess.run(self.command(pre), check=True, capture_output=True)
        self.notify = NotifySocket(self.work)
        self.log = open(log_path, "wb")
        # StandardError=journal: systemd says which stream is the journal
        st = os.fstat(self.log.fileno())
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.env,
                   JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        cmd = self.command(self.get("ExecStart"))
        if strace:
            self.strace = strace
            cmd = ["strace", "-f", "-qq", "-o", strace] + cmd
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log,
                                     env=env)
        if self.get("Type") == "notify":
            self.notify.collect(lambda m: m.startswith("READY=1"), timeout)
        self.main_pid = self.proc.pid
        if strace:      # the service is strace's child
            deadline = time.time() + timeout
            while self.main_pid == self.proc.pid and time.time() < deadline:
                kids = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/"
                            "children").read().split()
                if kids:
                    self.main_pid = int(kids[0])
                time.sleep(0.01)
        return self.main_pid

    def pid(self):
        """The service's own process ($MAINPID): the last of the exec
        chain of nsenter and setpriv, under strace if it is traced."""
        return self.main_pid

    def filtered_syscalls(self):
        """What SystemCallFilter= allows: its sets expanded by
        systemd-analyze, allow lists united, ~deny lists taken away."""
        allowed = None
        for line in self.all("SystemCallFilter"):
            deny = line.startswith("~")
            names = set()
            for w in line.lstrip("~").split():
                names |= expand_syscalls(w)
            if deny:
                allowed = (allowed or set()) - names
            else:
                allowed = (allowed or set()) | names
        return allowed

    def made_syscalls(self):
        """{name: count} of the system calls the service made (from its
        execve of ExecStart's binary on), its forked children (the IPVS
        reader) included, and the socket families."""
        binary = shlex.split(self.get("ExecStart").lstrip("-@:+!"))[0]
        calls, families, started = {}, set(), False
        ours = {self.main_pid}
        for line in open(self.strace):
            # a fork's child, whole or as "<... clone resumed>"
            f = re.match(r"(\d+)\s+(?:<\.\.\. )?(clone3?|v?fork)\b.*"
                         r"\) = (\d+)$", line.rstrip())
            if f and int(f.group(1)) in ours:
                ours.add(int(f.group(3)))
            m = re.match(r"(\d+)\s+(\w+)\((.*)", line)
            if not m or int(m.group(1)) not in ours:
                continue
            name, args = m.group(2), m.group(3)
            if name == "execve" and args.startswith(f'"{binary}"') and \
                    "= 0" in line:
                started = True
                continue
            if started:
                calls[name] = calls.get(name, 0) + 1
                if name == "socket":
                    families.add(args.split(",")[0])
        return calls, families

    def reload(self, timeout=10):
        for line in self.all("ExecReload"):
            subprocess.run(self.command(line, MAINPID=self.pid()),
                           check=True, capture_output=True)
        if self.get("Type") == "notify":
            self.notify.collect(lambda m: m.startswith("RELOADING=1"),
                                timeout)
            self.notify.collect(lambda m: m.startswith("READY=1"), timeout)

    def stop(self, timeout=15):
        """SIGTERM, as systemctl stop; the exit status. Idempotent."""
        if self.proc is not None and self.proc.poll() is None:
            try:    # the service; strace, if any, ends with it
                os.kill(self.main_pid or self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # systemd ends with the unit's whole cgroup: here, its user's
        # processes, which are recorded, as a clean stop leaves none
        for pid in self.user_processes():
            try:
                os.kill(pid, signal.SIGKILL)
                self.left_running.append(pid)
            except ProcessLookupError:
                pass
        if self.log is not None:
            self.log.close()
        if self.notify is not None:
            self.notify.drain()
            self.notify.close()
        return self.proc.returncode if self.proc is not None else None

    def user_processes(self):
        """Processes running as the unit's User=."""
        uid = pwd.getpwnam(self.get("User")).pw_uid
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                st = os.stat(f"/proc/{d}")
            except FileNotFoundError:
                continue
            if st.st_uid == uid:
                pids.append(int(d))
        return pids
