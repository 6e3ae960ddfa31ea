"""Commands in the amphora over SSH (the key Nova would inject for
amp_ssh_key_name), and the agent's own view of things from inside."""
import subprocess
import time


class Shell:
    def __init__(self, address, key):
        self.address, self.key = address, key
        self.control = f"{key}.ssh-%C"

    def argv(self, command):
        return ["ssh", "-i", self.key, "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=5", "-o", "BatchMode=yes",
                # one connection for all commands: sshd under TCG takes
                # seconds to accept each
                "-o", "ControlMaster=auto", "-o",
                f"ControlPath={self.control}", "-o", "ControlPersist=300",
                f"root@{self.address}", command]

    def run(self, command, check=True, timeout=120):
        """stdout of command; with check, a non-zero exit raises with its
        stderr."""
        r = subprocess.run(self.argv(command), capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"amphora: {command!r} exited "
                                 f"{r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def status(self, command, timeout=120):
        r = subprocess.run(self.argv(command), capture_output=True,
                           text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def wait(self, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.status("true", timeout=15)[0] == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(2)
        raise AssertionError(f"no SSH to the amphora in {timeout} s")

    def unit(self, name, *props):
        """systemctl show's properties of a unit, as a dict."""
        out = self.run(f"systemctl show {name} " +
                       " ".join(f"-p {p}" for p in props))
        return dict(line.split("=", 1) for line in out.splitlines()
                    if "=" in line)

    def agent_metrics(self):
        """The agent's page from inside the namespace, past HAProxy: what
        it serves without moving the PROMETHEUS listener's counters."""
        return self.run("ip netns exec amphora-haproxy "
                        "curl -sf --max-time 20 http://127.0.0.1:9102/metrics")
