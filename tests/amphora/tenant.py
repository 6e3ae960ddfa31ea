#!/usr/bin/python3
"""The tenant's SCTP host, in a VM of its own (this machine's kernel has no
SCTP): an SCTP echo server, the member of the load balancer's SCTP
listener, and a TCP control port through which the test on the host asks
for SCTP traffic through the VIP.

    tenant.py ADDRESS SCTP_PORT CONTROL_PORT

Control lines: "sctp VIP PORT N" opens N associations to VIP:PORT, each
sending one message and reading its echo, and answers "ok GOOD BAD";
"quit" ends the program (and so the VM).
"""
import socket
import sys
import threading


def echo_server(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def echo(c):
    with c:
        c.settimeout(10)
        try:
            while True:
                data = c.recv(4096)
                if not data:
                    return
                c.sendall(data)
        except OSError:
            return


def sctp_traffic(vip, port, n):
    good = bad = 0
    for i in range(n):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                               socket.IPPROTO_SCTP) as s:
                s.settimeout(3)
                s.connect((vip, port))
                msg = b"sctp %d" % i
                s.sendall(msg)
                good += s.recv(100) == msg
        except OSError:
            bad += 1
    return good, bad


def main():
    addr, port, control = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    threading.Thread(target=echo_server, args=(addr, port),
                     daemon=True).start()
    ctl = socket.socket()
    ctl.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ctl.bind((addr, control))
    ctl.listen(4)
    print("tenant ready", flush=True)
    while True:
        c, _ = ctl.accept()
        with c, c.makefile("rw") as f:
            words = f.readline().split()
            if words[:1] == ["quit"]:
                f.write("bye\n")
                return
            if len(words) == 4 and words[0] == "sctp":
                good, bad = sctp_traffic(words[1], int(words[2]),
                                         int(words[3]))
                f.write(f"ok {good} {bad}\n")
            else:
                f.write("error\n")


if __name__ == "__main__":
    main()
