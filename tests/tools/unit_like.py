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
import grp
import os
import pwd
import shlex
import signal
import subprocess

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
            cmd += [f"--inh-caps=+{caps(ambient)}",
                    f"--ambient-caps=+{caps(ambient)}"]
        if self.get("NoNewPrivileges") == "yes":
            cmd.append("--no-new-privs")
        return cmd + ["--"]

    def command(self, line, **subst):
        line = line.lstrip("-@:+!")
        for k, v in subst.items():
            line = line.replace("$" + k, str(v))
        return self.prefix() + shlex.split(line)

    def start(self, log_path, timeout=10):
        """ExecStartPre=, then ExecStart= until it says READY=1."""
        for pre in self.all("ExecStartPre"):
            subprocess.run(self.command(pre), check=True, capture_output=True)
        self.notify = NotifySocket(self.work)
        self.log = open(log_path, "wb")
        # StandardError=journal: systemd says which stream is the journal
        st = os.fstat(self.log.fileno())
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.env,
                   JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        self.proc = subprocess.Popen(self.command(self.get("ExecStart")),
                                     stdout=self.log, stderr=self.log,
                                     env=env)
        if self.get("Type") == "notify":
            self.notify.collect(lambda m: m.startswith("READY=1"), timeout)
        return self.proc

    def pid(self):
        """The service's own process: the last of the exec chain."""
        return self.proc.pid

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
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log is not None:
            self.log.close()
        if self.notify is not None:
            self.notify.drain()
            self.notify.close()
        return self.proc.returncode if self.proc is not None else None
