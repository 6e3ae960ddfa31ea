"""Nova's part, played by qemu: boots an amphora image with a config drive.

Octavia's controller creates an amphora through its compute driver:
`build(name, ..., key_name, network_ids, config_drive_files, user_data)`.
`QemuCompute.build` takes the same arguments from Octavia's own
`CertComputeCreate` task and does what Nova would with them: a NoCloud
seed (the config drive: meta-data with the instance id, host name and SSH
key, network-config for the management port, Octavia's user data), a
copy-on-write disk over the cached image, and a VM with two NICs: the
management port, configured by cloud-init, and the VIP port, left alone
until Octavia's `plug_vip` moves it into the amphora-haproxy namespace.

Each NIC is a tap in the namespace this runs in, enslaved to a bridge the
caller made (the management and VIP networks). TCG unless KVM works.
"""
import os
import shlex
import subprocess
import time
import uuid


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


class Port:
    """A Neutron port as the VM sees it: a MAC on a bridge, and for the
    management port the address cloud-init gives it."""

    def __init__(self, bridge, mac, address=None, prefixlen=24):
        self.bridge, self.mac = bridge, mac
        self.address, self.prefixlen = address, prefixlen


class QemuCompute:
    def __init__(self, image, work, ports, ssh_key, memory=2048, cpus=2):
        """image: the folder image.sh made (disk.raw, vmlinuz, initrd.img);
        work: where the overlay, seed and console log go; ports: the
        management Port first, then the VIP Port; ssh_key: the public key
        Nova would inject for amp_ssh_key_name."""
        self.image, self.work, self.ports = image, work, ports
        self.ssh_key = ssh_key
        self.memory, self.cpus = memory, cpus
        self.proc = None
        self.taps = []
        self.console = os.path.join(work, "console.log")
        self.seconds = {}

    # Octavia's compute driver interface (the arguments CertComputeCreate
    # passes; what Nova does not need here is accepted and ignored)
    def build(self, name="amphora_name", amphora_flavor=None,
              image_tag=None, image_owner=None, key_name=None,
              sec_groups=None, network_ids=None, config_drive_files=None,
              user_data=None, port_ids=None, server_group_id=None,
              availability_zone=None):
        if config_drive_files:
            raise ValueError("set [controller_worker] user_data_config_drive:"
                             " this compute writes user data only")
        compute_id = str(uuid.uuid4())
        self._seed(compute_id, name, user_data)
        disk = os.path.join(self.work, "disk.qcow2")
        run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
            os.path.join(self.image, "disk.raw"), disk)
        self.start()
        return compute_id

    def delete(self, compute_id=None):
        self.stop()

    def _seed(self, instance_id, hostname, user_data):
        """The NoCloud seed: a FAT image labelled CIDATA, what cloud-init
        reads in place of Nova's config drive."""
        d = os.path.join(self.work, "seed")
        os.makedirs(d, exist_ok=True)
        mgmt = self.ports[0]
        with open(os.path.join(d, "meta-data"), "w") as f:
            f.write(f"instance-id: {instance_id}\n"
                    f"local-hostname: {hostname}\n"
                    f"public-keys:\n  - {self.ssh_key}\n")
        with open(os.path.join(d, "network-config"), "w") as f:
            f.write("version: 1\nconfig:\n"
                    "  - type: physical\n    name: eth0\n"
                    f"    mac_address: \"{mgmt.mac}\"\n"
                    "    subnets:\n      - type: static\n"
                    f"        address: {mgmt.address}/{mgmt.prefixlen}\n")
        with open(os.path.join(d, "user-data"), "w") as f:
            f.write(user_data)
        self.seed = os.path.join(self.work, "seed.img")
        if os.path.exists(self.seed):
            os.unlink(self.seed)
        run("mkfs.vfat", "-n", "CIDATA", "-C", self.seed, "2048",
            stdout=subprocess.DEVNULL)
        run("mcopy", "-i", self.seed, *[os.path.join(d, n) for n in
            ("meta-data", "network-config", "user-data")], "::")

    def _tap(self, i, port):
        tap = f"apa{os.getpid() % 10000}t{i}"
        run("ip", "tuntap", "add", "dev", tap, "mode", "tap")
        run("ip", "link", "set", tap, "master", port.bridge, "up")
        self.taps.append(tap)
        return tap

    def command(self):
        cmd = ["qemu-system-x86_64", "-machine", "q35,accel=tcg", "-cpu", "max",
               "-m", str(self.memory), "-smp", str(self.cpus),
               "-display", "none", "-monitor", "none",
               "-serial", f"file:{self.console}",
               "-kernel", os.path.join(self.image, "vmlinuz"),
               "-initrd", os.path.join(self.image, "initrd.img"),
               "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0 "
                          "biosdevname=0 panic=-1",
               "-drive", f"file={os.path.join(self.work, 'disk.qcow2')},"
                         "if=virtio,format=qcow2,cache=unsafe",
               "-drive", f"file={self.seed},if=virtio,format=raw,"
                         "readonly=on"]
        for i, port in enumerate(self.ports):
            tap = self.taps[i] if i < len(self.taps) else self._tap(i, port)
            cmd += ["-netdev", f"tap,id=n{i},ifname={tap},script=no,"
                               "downscript=no",
                    "-device", f"virtio-net-pci,netdev=n{i},mac={port.mac}"]
        return cmd

    def start(self):
        cmd = self.command()
        with open(os.path.join(self.work, "qemu.cmd"), "w") as f:
            f.write(shlex.join(cmd) + "\n")
        self.qemu_log = open(os.path.join(self.work, "qemu.log"), "ab")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.qemu_log,
                                     stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for tap in self.taps:
            subprocess.run(["ip", "link", "del", tap],
                           stderr=subprocess.DEVNULL)
        self.taps = []

    def console_tail(self, lines=60):
        try:
            with open(self.console, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError as e:
            return f"(no console log: {e})"
