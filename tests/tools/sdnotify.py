"""A stand-in for systemd's notification socket (sd_notify(3)), to check
what a Type=notify service tells systemd, and in which order."""
import os
import random
import socket
import time


class NotifySocket:
    """Stands in for systemd's notification socket: a datagram socket, by
    path or in the abstract namespace ("@name")."""

    def __init__(self, work, abstract=False):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "apa-notify-%d" % random.randrange(1 << 30)
            self.s.bind("\0" + name)
            self.env = "@" + name
        else:
            self.env = os.path.join(work, "notify-%d" %
                                    random.randrange(1 << 30))
            self.s.bind(self.env)
            os.chmod(self.env, 0o777)     # as systemd's: any user may send
        self.s.settimeout(0.1)
        self.got = []

    def collect(self, until, timeout=5):
        """Reads messages until one satisfies until(msg)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = self.s.recv(4096).decode()
            except socket.timeout:
                continue
            self.got.append(msg)
            if until(msg):
                return msg
        raise AssertionError(f"no such notification in {self.got}")

    def drain(self):
        """Reads what is already there."""
        if self.s.fileno() == -1:
            return
        self.s.settimeout(0)
        try:
            while True:
                self.got.append(self.s.recv(4096).decode())
        except (BlockingIOError, OSError):
            pass
        self.s.settimeout(0.1)

    def kinds(self):
        """The notifications in order, watchdog keep-alives left out."""
        return [m.split("\n")[0] for m in self.got if m != "WATCHDOG=1"]

    def close(self):
        if self.s.fileno() == -1:
            return
        self.s.close()
        if not self.env.startswith("@"):
            os.unlink(self.env)
