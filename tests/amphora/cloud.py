"""The Octavia controller's side of the amphora stage, from Octavia's own
code (Debian's python3-octavia, imported by /usr/bin/python3):

- configure(): oslo.config as an Octavia controller would set it for this
  test cloud (the amphora driver's TLS files, the local certificate
  generator and manager, the heartbeat address and key);
- Pki: the two CAs of Octavia's two-way TLS with its amphorae (made with
  the openssl CLI, as Octavia's devstack plugin makes them), the
  controller's client certificate and every server certificate from
  Octavia's LocalCertGenerator, TLS listener certificates stored in its
  LocalCertManager;
- Heartbeats: the health manager's UDP socket, each datagram checked and
  decoded by Octavia's status_message;
- Net: the addresses of the test cloud.
"""
import os
import socket
import subprocess
import threading
import time

from oslo_config import cfg

from octavia.amphorae.backends.health_daemon import status_message
from octavia.certificates.generator import local as local_generator
from octavia.certificates.manager import local as local_manager
from octavia.common import config as octavia_config

CONF = cfg.CONF


class Net:
    """The test cloud: a management network the controller and the
    amphora's eth0 share, and the VIP network with the VIP, the amphora's
    own (VRRP) address, the tenant's addresses and the members."""
    MGMT_CIDR, CONTROLLER, AMPHORA = "172.24.4.0/24", "172.24.4.1", \
        "172.24.4.10"
    HEALTH_PORT = 5555
    VIP_CIDR, GATEWAY = "203.0.113.0/24", "203.0.113.1"
    VIP, VRRP = "203.0.113.10", "203.0.113.11"
    SCRAPER = "203.0.113.5"        # Prometheus: inside allowed_cidrs
    ALLOWED = "203.0.113.0/27"
    STRANGER = "203.0.113.66"      # outside them
    MEMBERS = ["203.0.113.%d" % i for i in range(21, 29)]
    TENANT = "203.0.113.30"        # the SCTP host (a VM: SCTP)
    TENANT_CONTROL = 7777
    MGMT_MAC, VIP_MAC = "fa:16:3e:4d:00:01", "fa:16:3e:4d:00:02"


def configure(work, heartbeat_key):
    """Octavia's options for this cloud; everything not set is Octavia's
    default (the amphora agent's configuration is rendered from them)."""
    octavia_config.init([], default_config_files=[])
    certs = os.path.join(work, "pki")
    o = CONF.set_override
    o("client_cert", f"{certs}/controller.pem", "haproxy_amphora")
    o("server_ca", f"{certs}/server_ca.pem", "haproxy_amphora")
    o("connection_logging", True, "haproxy_amphora")
    o("client_ca", f"{certs}/client_ca.pem", "controller_worker")
    o("loadbalancer_topology", "SINGLE", "controller_worker")
    # cloud-init writes the files from the user data (compute.py's seed)
    o("user_data_config_drive", True, "controller_worker")
    o("cert_generator", "local_cert_generator", "certificates")
    o("ca_certificate", f"{certs}/server_ca.pem", "certificates")
    o("ca_private_key", f"{certs}/server_ca.key", "certificates")
    o("ca_private_key_passphrase", None, "certificates")
    o("server_certs_key_passphrase", "insecure-key-do-not-use-this-key",
      "certificates")
    o("cert_manager", "local_cert_manager", "certificates")
    o("storage_path", os.path.join(work, "tenant-certs"), "certificates")
    o("controller_ip_port_list", [f"{Net.CONTROLLER}:{Net.HEALTH_PORT}"],
      "health_manager")
    o("heartbeat_key", heartbeat_key, "health_manager")
    o("heartbeat_interval", 3, "health_manager")
    os.makedirs(CONF.certificates.storage_path, exist_ok=True)


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    VALIDITY = 30 * 24 * 3600

    def __init__(self, work):
        self.dir = os.path.join(work, "pki")
        os.makedirs(self.dir, exist_ok=True)
        for ca in ("server_ca", "client_ca", "tenant_ca"):
            self._ca(ca)
        gen = local_generator.LocalCertGenerator
        with open(self.path("client_ca.pem"), "rb") as f:
            ca_cert = f.read()
        with open(self.path("client_ca.key"), "rb") as f:
            ca_key = f.read()
        c = gen.generate_cert_key_pair(cn="octavia-controller",
                                       validity=self.VALIDITY,
                                       ca_cert=ca_cert, ca_key=ca_key)
        with open(self.path("controller.pem"), "wb") as f:
            f.write(c.certificate + c.private_key)

    def path(self, name):
        return os.path.join(self.dir, name)

    def _ca(self, name):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                 f"{name}.key", "-out", f"{name}.pem", "-days", "30",
                 "-subj", f"/CN=Octavia test {name}", cwd=self.dir)

    def _tenant_signed(self, cn):
        """A certificate and key for cn from Octavia's LocalCertGenerator,
        signed by the tenant's CA."""
        with open(self.path("tenant_ca.pem"), "rb") as f:
            ca_cert = f.read()
        with open(self.path("tenant_ca.key"), "rb") as f:
            ca_key = f.read()
        return local_generator.LocalCertGenerator.generate_cert_key_pair(
            cn=cn, validity=self.VALIDITY, ca_cert=ca_cert, ca_key=ca_key)

    def listener_certificate(self, cn):
        """A TERMINATED_HTTPS listener's certificate, stored in Octavia's
        local certificate manager as Barbican would hold it: returns its
        reference (tls_certificate_id) and the certificate's PEM."""
        c = self._tenant_signed(cn)
        ref = local_manager.LocalCertManager.store_cert(
            None, c.certificate, c.private_key)
        return ref, c.certificate.decode()

    def member_certificate(self, cn):
        """Files for an HTTPS member: (certificate, key)."""
        c = self._tenant_signed(cn)
        crt, key = self.path(f"{cn}.crt"), self.path(f"{cn}.key")
        with open(crt, "wb") as f:
            f.write(c.certificate)
        with open(key, "wb") as f:
            f.write(c.private_key)
        return crt, key


class Heartbeats:
    """The health manager's listener: every datagram the amphora sends to
    controller_ip_port_list, unwrapped (HMAC checked, decompressed) by
    Octavia's status_message. msgs: (arrival time, message) in order."""

    def __init__(self, key):
        self.key = key
        self.msgs, self.rejected = [], 0
        self.cv = threading.Condition()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((Net.CONTROLLER, Net.HEALTH_PORT))
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            data, _ = self.sock.recvfrom(65535)
            try:
                msg = status_message.unwrap_envelope(data, self.key)
            except Exception:
                self.rejected += 1
                continue
            with self.cv:
                self.msgs.append((time.monotonic(), msg))
                self.cv.notify_all()

    def next_after(self, t, timeout=30):
        """The first heartbeat that arrives after monotonic time t."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for when, msg in self.msgs:
                    if when > t:
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no heartbeat in {timeout} s")
                self.cv.wait(left)

    def since(self, t0):
        with self.cv:
            return [m for when, m in self.msgs if when > t0]
