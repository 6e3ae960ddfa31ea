"""Neutron's part for the VIP port: its security group.

Octavia 11 does not enforce a listener's allowed_cidrs in the amphora:
its network driver (octavia.network.drivers.neutron.allowed_address_pairs)
writes them as rules of the load balancer's security group, which Neutron
applies to the VIP port, outside the VM. Here Octavia's own driver code
(update_vip_sg on a new load balancer, update_vip when its listeners
change, the group's deletion with the load balancer, as the controller's
flows call them) talks to an in-memory Neutron
client, and the rules it leaves are enforced by nftables in the bridge, in
front of the tap of the amphora's VIP NIC: traffic to the VIP passes only
where a rule allows its protocol, port and source, as an OVS or iptables
firewall driver would let it. (Stateless, and only for the VIP: the
replies of members and the amphora's own traffic go to its other address.)
"""
import ipaddress
import subprocess
import uuid

from octavia.network.drivers.neutron import allowed_address_pairs as aap

TABLE = "apa_neutron_sg"


class FakeNeutronClient:
    """The calls Octavia's driver makes for a VIP security group, on
    dictionaries."""

    def __init__(self):
        self.groups, self.rules, self.ports = {}, {}, {}

    def list_security_groups(self, name=None):
        return {"security_groups": [g for g in self.groups.values()
                                    if name is None or g["name"] == name]}

    def create_security_group(self, body):
        g = dict(body["security_group"], id=str(uuid.uuid4()))
        self.groups[g["id"]] = g
        return {"security_group": g}

    def list_security_group_rules(self, security_group_id=None):
        return {"security_group_rules": [
            r for r in self.rules.values()
            if r["security_group_id"] == security_group_id]}

    def create_security_group_rule(self, body):
        r = dict(body["security_group_rule"], id=str(uuid.uuid4()))
        self.rules[r["id"]] = r
        return {"security_group_rule": r}

    def delete_security_group_rule(self, rule_id):
        del self.rules[rule_id]

    def delete_security_group(self, group_id):
        del self.groups[group_id]
        for r in [r for r in self.rules.values()
                  if r["security_group_id"] == group_id]:
            del self.rules[r["id"]]

    def update_port(self, port_id, body):
        self.ports.setdefault(port_id, {}).update(body["port"])


class Neutron:
    def __init__(self, vip):
        self.vip = vip
        self.client = FakeNeutronClient()
        # the driver without its constructor, which would log in to
        # Keystone and ask Neutron for its extensions
        self.driver = aap.AllowedAddressPairsDriver.__new__(
            aap.AllowedAddressPairsDriver)
        self.driver.neutron_client = self.client
        self.driver.sec_grp_enabled = True
        self.tap = None

    def plug(self, tap):
        """The VIP port is the amphora's NIC behind this tap."""
        self.tap = tap

    def update_vip_sg(self, lb):
        self.driver.update_vip_sg(lb, lb.vip)
        self.apply()

    def update_vip(self, lb):
        self.driver.update_vip(lb)
        self.apply()

    def delete_vip_sg(self, lb):
        """What deallocate_vip does to the group when the load balancer
        goes."""
        self.driver._delete_security_group(lb.vip, None)
        self.apply()

    def ingress(self):
        return sorted((r["protocol"], r["port_range_max"],
                       r["remote_ip_prefix"] or "", r["ethertype"])
                      for r in self.client.rules.values()
                      if r["direction"] == "ingress")

    def apply(self):
        """The rules as nftables, in the bridge, for frames out to the
        VIP's tap: sent by the host side (output) or by another VM on the
        bridge (forward)."""
        lines = [f"table bridge {TABLE} {{"]
        for chain, hook in (("from_host", "output"), ("between_vms",
                                                      "forward")):
            lines.append(f"  chain {chain} {{ type filter hook {hook} "
                         "priority 0; policy accept;")
            to_vip = f'oifname "{self.tap}" ip daddr {self.vip}'
            for proto, port, cidr, ethertype in self.ingress():
                if ethertype != "IPv4":
                    continue
                src = ""
                if cidr and ipaddress.ip_network(cidr).prefixlen:
                    src = f" ip saddr {cidr}"
                lines.append(f"    {to_vip}{src} {proto} dport {port} "
                             "accept")
            lines.append(f"    {to_vip} drop")
            lines.append("  }")
        lines.append("}")
        subprocess.run(["nft", "delete", "table", "bridge", TABLE],
                       stderr=subprocess.DEVNULL)
        subprocess.run(["nft", "-f", "-"], input="\n".join(lines) + "\n",
                       text=True, check=True)
