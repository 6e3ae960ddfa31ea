"""The members of the test's load balancer, served on the host side of the
VIP network: HTTP (each answering with its own address, so a test can
tell which member a request reached), HTTPS, a TCP echo and a UDP echo.
Each runs in a daemon thread of the caller; bind addresses must exist.
"""
import http.server
import socket
import socketserver
import ssl
import threading


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = f"member {self.server.name} {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class _Quiet:
    """Health checks and TLS probes drop connections: not worth a
    traceback."""

    def handle_error(self, request, client_address):
        pass


class _HTTP(_Quiet, socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _HTTPS(_HTTP):
    """The handshake in the connection's thread, with a deadline: done by
    the listening socket's accept(), one client that stops mid-handshake
    (an amphora killed during a health check) held the accepting thread,
    and shutdown() waited for it for ever."""

    def __init__(self, addr, handler, ctx):
        super().__init__(addr, handler)
        self.ctx = ctx

    def finish_request(self, request, client_address):
        request.settimeout(10)
        with self.ctx.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)


class _TCPEcho(_Quiet, socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(4096)
            if not data:
                return
            self.request.sendall(data)


class Members:
    def __init__(self):
        self.servers = []

    def _serve(self, srv):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.servers.append(srv)

    def http(self, addr, port, tls=None):
        """tls: (certificate file, key file) for an HTTPS member."""
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            srv = _HTTPS((addr, port), _Handler, ctx)
        else:
            srv = _HTTP((addr, port), _Handler)
        srv.name = f"{addr}:{port}"
        self._serve(srv)

    def tcp_echo(self, addr, port):
        self._serve(_TCPEcho((addr, port), _EchoHandler))

    def udp_echo(self, addr, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))

        def loop():
            while True:
                data, peer = s.recvfrom(2048)
                s.sendto(data, peer)
        threading.Thread(target=loop, daemon=True).start()

    def close(self):
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()
