#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <libmnl/libmnl.h>
#include <string.h>

#include "ipvs.h"

/* The attributes of one nest (or message), by type; later ones win. */
struct attrs {
	const struct nlattr	*a[32];
	int			 max;
};

static int
collect(const struct nlattr *attr, void *data)
{
	struct attrs	*t = data;
	int		 type = mnl_attr_get_type(attr);

	if (type <= t->max && type < 32)
		t->a[type] = attr;
	return MNL_CB_OK;
}

static int
parse_nest(const struct nlattr *nest, int max, struct attrs *t)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	return mnl_attr_parse_nested(nest, collect, t) == MNL_CB_OK ? 0 : -1;
}

static int
parse_message(const struct nlmsghdr *nlh, int max, struct attrs *t)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct genlmsghdr)))
		return -1;
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect, t) ==
	    MNL_CB_OK ? 0 : -1;
}

/* The attribute of type i when it has exactly len bytes, else NULL. */
static const struct nlattr *
sized(const struct attrs *t, int i, size_t len)
{
	const struct nlattr *a = t->a[i];

	return a != NULL && mnl_attr_get_payload_len(a) == len ? a : NULL;
}

static uint64_t
u64_or(const struct attrs *t, int i, uint64_t dflt)
{
	const struct nlattr *a = sized(t, i, sizeof(uint64_t));

	return a != NULL ? mnl_attr_get_u64(a) : dflt;
}

static uint32_t
u32_or(const struct attrs *t, int i, uint32_t dflt)
{
	const struct nlattr *a = sized(t, i, sizeof(uint32_t));

	return a != NULL ? mnl_attr_get_u32(a) : dflt;
}

/* STATS64 when present (every counter 64 bits), else the older STATS. */
static void
parse_stats(const struct attrs *t, int stats64, int stats32,
    struct ipvs_stats *s)
{
	struct attrs	 st;

	memset(s, 0, sizeof(*s));
	if (t->a[stats64] != NULL &&
	    parse_nest(t->a[stats64], IPVS_STATS_ATTR_MAX, &st) == 0) {
		s->conns = u64_or(&st, IPVS_STATS_ATTR_CONNS, 0);
		s->inpkts = u64_or(&st, IPVS_STATS_ATTR_INPKTS, 0);
		s->outpkts = u64_or(&st, IPVS_STATS_ATTR_OUTPKTS, 0);
		s->inbytes = u64_or(&st, IPVS_STATS_ATTR_INBYTES, 0);
		s->outbytes = u64_or(&st, IPVS_STATS_ATTR_OUTBYTES, 0);
	} else if (t->a[stats32] != NULL &&
	    parse_nest(t->a[stats32], IPVS_STATS_ATTR_MAX, &st) == 0) {
		s->conns = u32_or(&st, IPVS_STATS_ATTR_CONNS, 0);
		s->inpkts = u32_or(&st, IPVS_STATS_ATTR_INPKTS, 0);
		s->outpkts = u32_or(&st, IPVS_STATS_ATTR_OUTPKTS, 0);
		s->inbytes = u64_or(&st, IPVS_STATS_ATTR_INBYTES, 0);
		s->outbytes = u64_or(&st, IPVS_STATS_ATTR_OUTBYTES, 0);
	}
}

static struct nlmsghdr *
request(void *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t cmd,
    uint8_t version)
{
	struct nlmsghdr		*nlh;
	struct genlmsghdr	*g;

	memset(buf, 0, IPVS_REQUEST_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *
ipvs_request_family(void *buf, uint32_t seq)
{
	struct nlmsghdr	*nlh = request(buf, GENL_ID_CTRL, 0, seq,
			    CTRL_CMD_GETFAMILY, 1);

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IPVS_GENL_NAME);
	return nlh;
}

struct nlmsghdr *
ipvs_request_services(void *buf, uint16_t family, uint32_t seq)
{
	return request(buf, family, NLM_F_DUMP, seq, IPVS_CMD_GET_SERVICE,
	    IPVS_GENL_VERSION);
}

struct nlmsghdr *
ipvs_request_dests(void *buf, uint16_t family, uint32_t seq,
    const struct ipvs_service *sv)
{
	struct nlmsghdr	*nlh = request(buf, family, NLM_F_DUMP, seq,
			    IPVS_CMD_GET_DEST, IPVS_GENL_VERSION);
	struct nlattr	*nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);

	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, sv->af);
	if (sv->fwmark != 0)
		mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_FWMARK, sv->fwmark);
	else {
		mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, sv->protocol);
		mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, sizeof(sv->addr),
		    sv->addr);
		mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PORT, htons(sv->port));
	}
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

const struct nlmsghdr *
ipvs_next_message(const void *buf, size_t len, size_t *off)
{
	const struct nlmsghdr	*nlh;
	size_t			 left;

	if (*off >= len || len - *off < sizeof(*nlh) || *off % 4 != 0)
		return NULL;
	left = len - *off;
	nlh = (const struct nlmsghdr *)((const char *)buf + *off);
	if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > left)
		return NULL;
	*off += NLMSG_ALIGN(nlh->nlmsg_len) < left ?
	    NLMSG_ALIGN(nlh->nlmsg_len) : left;
	return nlh;
}

int
ipvs_parse_family(const struct nlmsghdr *nlh, uint16_t *family)
{
	struct attrs		 t;
	const struct nlattr	*a;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    parse_message(nlh, CTRL_ATTR_MAX, &t) == -1 ||
	    (a = sized(&t, CTRL_ATTR_FAMILY_ID, sizeof(uint16_t))) == NULL)
		return -1;
	*family = mnl_attr_get_u16(a);
	return 0;
}

/* An address attribute: 4 bytes for IPv4 (older kernels), else 16. */
static int
addr_of(const struct attrs *t, int i, uint8_t addr[16])
{
	const struct nlattr *a = t->a[i];
	size_t		 n;

	memset(addr, 0, 16);
	if (a == NULL)
		return -1;
	n = mnl_attr_get_payload_len(a);
	if (n != 4 && n != 16)
		return -1;
	memcpy(addr, mnl_attr_get_payload(a), n);
	return 0;
}

int
ipvs_parse_service(const struct nlmsghdr *nlh, struct ipvs_service *sv)
{
	struct attrs	 m, t;

	memset(sv, 0, sizeof(*sv));
	if (parse_message(nlh, IPVS_CMD_ATTR_MAX, &m) == -1 ||
	    m.a[IPVS_CMD_ATTR_SERVICE] == NULL ||
	    parse_nest(m.a[IPVS_CMD_ATTR_SERVICE], IPVS_SVC_ATTR_MAX, &t) == -1)
		return -1;
	if (sized(&t, IPVS_SVC_ATTR_AF, 2) == NULL)
		return -1;
	sv->af = mnl_attr_get_u16(t.a[IPVS_SVC_ATTR_AF]);
	sv->fwmark = u32_or(&t, IPVS_SVC_ATTR_FWMARK, 0);
	if (sv->fwmark == 0) {
		if (sized(&t, IPVS_SVC_ATTR_PROTOCOL, 2) == NULL ||
		    sized(&t, IPVS_SVC_ATTR_PORT, 2) == NULL ||
		    addr_of(&t, IPVS_SVC_ATTR_ADDR, sv->addr) == -1)
			return -1;
		sv->protocol = mnl_attr_get_u16(t.a[IPVS_SVC_ATTR_PROTOCOL]);
		sv->port = ntohs(mnl_attr_get_u16(t.a[IPVS_SVC_ATTR_PORT]));
	}
	parse_stats(&t, IPVS_SVC_ATTR_STATS64, IPVS_SVC_ATTR_STATS, &sv->stats);
	return 0;
}

int
ipvs_parse_dest(const struct nlmsghdr *nlh, struct ipvs_dest *d)
{
	struct attrs	 m, t;

	memset(d, 0, sizeof(*d));
	if (parse_message(nlh, IPVS_CMD_ATTR_MAX, &m) == -1 ||
	    m.a[IPVS_CMD_ATTR_DEST] == NULL ||
	    parse_nest(m.a[IPVS_CMD_ATTR_DEST], IPVS_DEST_ATTR_MAX, &t) == -1)
		return -1;
	if (sized(&t, IPVS_DEST_ATTR_PORT, 2) == NULL ||
	    addr_of(&t, IPVS_DEST_ATTR_ADDR, d->addr) == -1)
		return -1;
	d->port = ntohs(mnl_attr_get_u16(t.a[IPVS_DEST_ATTR_PORT]));
	/* the destination's own family when the kernel says (mixed-family
	 * services), else the caller takes the service's */
	d->af = sized(&t, IPVS_DEST_ATTR_ADDR_FAMILY, 2) != NULL ?
	    mnl_attr_get_u16(t.a[IPVS_DEST_ATTR_ADDR_FAMILY]) : 0;
	d->weight = u32_or(&t, IPVS_DEST_ATTR_WEIGHT, 0);
	d->active_conns = u32_or(&t, IPVS_DEST_ATTR_ACTIVE_CONNS, 0);
	d->inact_conns = u32_or(&t, IPVS_DEST_ATTR_INACT_CONNS, 0);
	parse_stats(&t, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_STATS,
	    &d->stats);
	return 0;
}
