"""Loopback helpers shared by the integration tests and the benchmark."""
import random
import signal
import socket
import subprocess
import time


def free_port_block(n):
    """A base port with n free consecutive TCP ports on 127.0.0.1, below
    Linux's ephemeral range (32768-60999): a port free now cannot be taken
    as the local end of one of the many connections the tests make before
    the server binds it."""
    for _ in range(200):
        base = random.randrange(16000, 32000 - n)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port block")


def wait_for(pred, timeout, what):
    """Polls pred() until it is true; exceptions count as not yet."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_port(port, timeout=20):
    def up():
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    wait_for(up, timeout, f"something on port {port}")


def ended_by_itself(p):
    """What ended p before it was asked to stop ("signal 11", "exit 1"),
    or None while it runs: said when it is stopped, so that a test failing
    on a refused connection says whether the server had died."""
    rc = p.poll()
    if rc is None:
        return None
    if rc < 0:
        try:
            return f"signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"signal {-rc}"
    return f"exit {rc}"


def stop(p, label):
    """SIGTERM p, SIGKILL after 10 s; first says so when a signal had ended
    it already (label names it)."""
    if p.poll() is not None and p.returncode < 0:
        print(f"{label}: ended by {ended_by_itself(p)} before it was "
              f"stopped", flush=True)
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def stop_all(procs):
    """stop() each, the last started first."""
    for p in reversed(procs):
        stop(p, " ".join(map(str, p.args)))
