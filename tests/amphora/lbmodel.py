"""The load balancer the amphora stage creates, as Octavia's data models
(octavia.common.data_models), the objects the controller loads from its
database and hands to the amphora driver.

One listener per protocol the amphora serves: PROMETHEUS (allowed_cidrs),
HTTP (an L7 policy sending /api to a second pool), TCP, TERMINATED_HTTPS
(re-encrypting to an HTTPS member), UDP and SCTP. The HTTP pool has a
member for each role a member can have: checked and up, disabled,
drained (weight 0), failing its check; the /api pool's member has no
health monitor. ROLE says which operating status each member must show.
"""
import uuid

from octavia.common import data_models as dm

from cloud import Net

# member role -> Octavia operating status, as the health manager sets it
ROLE_STATUS = {"up": "ONLINE", "disabled": "OFFLINE", "drained": "DRAINING",
               "failing": "ERROR", "unchecked": "NO_MONITOR"}


def uid():
    return str(uuid.uuid4())


class LB:
    """lb: the LoadBalancer; roles: {member id: role}; listeners:
    {name: Listener}; pools: {name: Pool}; members: {name: Member}."""

    def __init__(self, amphora, tls_ref, project_id):
        self.roles, self.listeners, self.pools, self.members = {}, {}, {}, {}
        lb = dm.LoadBalancer(
            id=uid(), project_id=project_id, name="apa-amphora-test",
            enabled=True, topology="SINGLE", provisioning_status="ACTIVE",
            operating_status="ONLINE", listeners=[], pools=[],
            amphorae=[amphora], additional_vips=[], provider="amphora")
        lb.vip = dm.Vip(load_balancer_id=lb.id, ip_address=Net.VIP,
                        load_balancer=lb, port_id=uid(), subnet_id=uid(),
                        network_id=uid())
        amphora.load_balancer, amphora.load_balancer_id = lb, lb.id
        self.lb = lb
        self.tls_ref = tls_ref

        self.listener("prometheus", "PROMETHEUS", 8088,
                      allowed_cidrs=[Net.ALLOWED])
        web = self.pool("web", "HTTP", hm=("HTTP", "/"))
        self.member("web", "up", Net.MEMBERS[0], 8080)
        self.member("web", "disabled", Net.MEMBERS[1], 8080, enabled=False)
        self.member("web", "drained", Net.MEMBERS[2], 8080, weight=0)
        self.member("web", "failing", Net.MEMBERS[3], 8080)
        api = self.pool("api", "HTTP")
        self.member("api", "unchecked", Net.MEMBERS[4], 8080)
        http = self.listener("http", "HTTP", 80, default_pool=web)
        self.l7_redirect(http, api, "/api")
        self.listener("tcp", "TCP", 7000,
                      default_pool=self.pool("tcp", "TCP", hm=("TCP",)))
        self.member("tcp", "up", Net.MEMBERS[5], 7000)
        self.listener("https", "TERMINATED_HTTPS", 443, tls=tls_ref,
                      default_pool=self.pool("tls", "HTTP",
                                             hm=("HTTPS", "/"), tls=True))
        self.member("tls", "up", Net.MEMBERS[6], 8443)
        self.listener("udp", "UDP", 5353,
                      default_pool=self.pool("udp", "UDP",
                                             hm=("UDP-CONNECT",)))
        self.member("udp", "up", Net.MEMBERS[0], 5353, name="udp-up")
        self.member("udp", "failing", Net.MEMBERS[7], 5353,
                    name="udp-failing")
        self.listener("sctp", "SCTP", 5357,
                      default_pool=self.pool("sctp", "SCTP", hm=("SCTP",)))
        self.member("sctp", "up", Net.TENANT, 5357)

    def listener(self, name, protocol, port, default_pool=None,
                 allowed_cidrs=(), tls=None):
        lb = self.lb
        li = dm.Listener(
            id=uid(), project_id=lb.project_id, name=name,
            load_balancer_id=lb.id, load_balancer=lb, protocol=protocol,
            protocol_port=port, connection_limit=-1, enabled=True,
            provisioning_status="ACTIVE", operating_status="ONLINE",
            default_pool=default_pool,
            default_pool_id=default_pool.id if default_pool else None,
            pools=[default_pool] if default_pool else [], l7policies=[],
            sni_containers=[], insert_headers={}, tls_certificate_id=tls,
            allowed_cidrs=[dm.ListenerCidr(cidr=c) for c in allowed_cidrs],
            tls_versions=["TLSv1.2", "TLSv1.3"] if tls else None,
            alpn_protocols=["http/1.1"] if tls else None,
            peer_port=1025)
        for c in li.allowed_cidrs:
            c.listener_id = li.id
        if default_pool:
            default_pool.listeners.append(li)
        lb.listeners.append(li)
        self.listeners[name] = li
        return li

    def pool(self, name, protocol, hm=None, tls=False):
        lb = self.lb
        p = dm.Pool(id=uid(), project_id=lb.project_id, name=name,
                    protocol=protocol, lb_algorithm="ROUND_ROBIN",
                    enabled=True, operating_status="ONLINE",
                    provisioning_status="ACTIVE", members=[], listeners=[],
                    l7policies=[], load_balancer_id=lb.id, load_balancer=lb,
                    tls_enabled=tls)
        if hm:
            kind, path = hm[0], (hm[1] if len(hm) > 1 else None)
            p.health_monitor = dm.HealthMonitor(
                id=uid(), project_id=lb.project_id, pool_id=p.id, pool=p,
                type=kind, delay=2, timeout=2, fall_threshold=2,
                rise_threshold=1, enabled=True, provisioning_status="ACTIVE",
                http_method="GET" if path else None, url_path=path,
                expected_codes="200" if path else None,
                http_version=1.0 if path else None)
        lb.pools.append(p)
        self.pools[name] = p
        return p

    def member(self, pool_name, role, address, port, name=None, weight=1,
               enabled=True):
        p = self.pools[pool_name]
        m = dm.Member(id=uid(), project_id=self.lb.project_id, pool_id=p.id,
                      pool=p, ip_address=address, protocol_port=port,
                      weight=weight, backup=False, enabled=enabled,
                      provisioning_status="ACTIVE",
                      operating_status="NO_MONITOR",
                      name=name or f"{pool_name}-{role}")
        p.members.append(m)
        self.roles[m.id] = role
        self.members[m.name] = m
        return m

    def l7_redirect(self, listener, pool, prefix):
        pol = dm.L7Policy(id=uid(), listener_id=listener.id,
                          listener=listener, action="REDIRECT_TO_POOL",
                          redirect_pool_id=pool.id, redirect_pool=pool,
                          position=1, enabled=True, l7rules=[],
                          provisioning_status="ACTIVE",
                          project_id=self.lb.project_id)
        pol.l7rules.append(dm.L7Rule(
            id=uid(), l7policy_id=pol.id, l7policy=pol, type="PATH",
            compare_type="STARTS_WITH", value=prefix, enabled=True,
            provisioning_status="ACTIVE", project_id=self.lb.project_id))
        listener.l7policies.append(pol)
        pool.l7policies.append(pol)
        pool.listeners.append(listener)
        listener.pools.append(pool)

    def remove_member(self, name):
        m = self.members.pop(name)
        m.pool.members.remove(m)
        del self.roles[m.id]

    def remove_listener(self, name):
        """Off the model (the driver's delete takes a non-LVS listener out
        of the load balancer's list itself)."""
        li = self.listeners.pop(name)
        if li in self.lb.listeners:
            self.lb.listeners.remove(li)
        return li

    # what the metrics must hold
    def expected(self):
        """(listener ids, {(pool, listener)}, {(member, pool, listener)})
        the agent must label, with the pool a listener reaches through its
        L7 policies, as Octavia's HAProxy template renders it."""
        listeners, pools, members = set(), set(), set()
        for li in self.lb.listeners:
            listeners.add(li.id)
            for p in li.pools:
                pools.add((p.id, li.id))
                for m in p.members:
                    members.add((m.id, p.id, li.id))
        return listeners, pools, members
