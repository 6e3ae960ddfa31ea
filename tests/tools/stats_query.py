#!/usr/bin/env python3
"""Send one command to a HAProxy stats socket and print the answer."""
import socket
import sys


def query(path, command, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(command.encode() + b"\n")
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            break
        chunks.append(b)
    s.close()
    return b"".join(chunks)


if __name__ == "__main__":
    sys.stdout.buffer.write(query(sys.argv[1], sys.argv[2]))
