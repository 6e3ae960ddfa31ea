# Sourced inside the VM (tests/vm/boot.sh): an amphora's network as the
# IPVS tests use it. Namespace amphora-haproxy holds the VIPs 192.0.2.10,
# 192.0.2.11 and 2001:db8::10 on a veth whose other end is in namespace
# client (192.0.2.50, 2001:db8::50), and the members' addresses
# 198.51.100.21 and 2001:db8:1::21 on a dummy. Sets N and C, the commands
# that run in each.
modprobe ip_vs; modprobe ip_vs_rr; modprobe ip_vs_wrr; modprobe veth
modprobe dummy
modprobe sctp && modprobe ip_vs_sctp 2>/dev/null || true
ip netns add amphora-haproxy; ip netns add client
N="ip netns exec amphora-haproxy"; C="ip netns exec client"
ip link add v0 type veth peer name v1
ip link set v0 netns amphora-haproxy; ip link set v1 netns client
for ns in amphora-haproxy client; do ip -n $ns link set lo up; done
ip -n amphora-haproxy link set v0 up; ip -n client link set v1 up
ip -n amphora-haproxy addr add 192.0.2.10/24 dev v0
ip -n amphora-haproxy addr add 192.0.2.11/24 dev v0
ip -n amphora-haproxy addr add 2001:db8::10/64 dev v0 nodad
ip -n client addr add 192.0.2.50/24 dev v1
ip -n client addr add 2001:db8::50/64 dev v1 nodad
ip -n amphora-haproxy link add d0 type dummy
ip -n amphora-haproxy link set d0 up
ip -n amphora-haproxy addr add 198.51.100.21/24 dev d0
ip -n amphora-haproxy addr add 2001:db8:1::21/64 dev d0 nodad
