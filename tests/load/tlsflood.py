"""TLS handshakes left half-done, as an attacker leaves them: the bytes
they send and the connections that hold them (tests/load/load.py).

client_hello()  a real ClientHello (Python's OpenSSL, TLS 1.3), whole:
                the server answers and waits for the client's Finished.
small_hello()   the same, all but its last bytes: the server waits for
                the rest.
large_hello()   records carrying one ClientHello that announces 120,000
                bytes: all but its last bytes are sent.
"""
import asyncio
import ssl

LARGE = 120_000
WITHHELD = 16       # bytes never sent


def client_hello():
    """The TLS records of a real ClientHello."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="metrics.example")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[0] == 0x16 and hello[5] == 1, hello[:6]
    return hello


def small_hello():
    """A real ClientHello's records, less their last bytes."""
    return client_hello()[:-WITHHELD]


def large_hello(size=LARGE):
    """A ClientHello of size bytes in records of 16 KiB, less its last
    bytes: a server that buffers the message holds nearly all of it."""
    msg = b"\x01" + size.to_bytes(3, "big") + bytes(size)
    out = b""
    for i in range(0, len(msg), 16384):
        frag = msg[i:i + 16384]
        out += b"\x16\x03\x01" + len(frag).to_bytes(2, "big") + frag
    return out[:-WITHHELD]


async def hold(port, n, data, parallel=200):
    """n connections, each having sent data; the writers, to close."""
    held = []

    async def one():
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        w.write(data)
        try:
            await w.drain()
        except OSError:
            pass
        held.append(w)
    for i in range(0, n, parallel):
        await asyncio.gather(*[one() for _ in range(min(parallel, n - i))])
    return held
