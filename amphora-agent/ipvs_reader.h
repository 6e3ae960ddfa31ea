/*
 * ipvs.c: IPVS read by a process that alone keeps CAP_NET_ADMIN (see
 * there), and the agent's side of it: one dump at a time, its records
 * gathered into entries for ipvs_map().
 */
#ifndef IPVS_READER_H
#define IPVS_READER_H

#include <sys/types.h>
#include <stdint.h>

#include <event2/event.h>

#include "ipvs.h"
#include "ipvsmap.h"

enum {
	IPVS_REC_SERVICE = 1,	/* a service; its destinations follow */
	IPVS_REC_DEST,
	IPVS_REC_END,		/* the dump's end: error "" when whole */
};

/* What the reader sends, one per SOCK_SEQPACKET message. */
struct ipvs_record {
	uint32_t	 type;
	uint32_t	 seq;		/* the request's */
	union {
		struct ipvs_service	 service;
		struct ipvs_dest	 dest;
		char			 error[96];
	} u;
};

typedef void (*ipvs_done_cb)(const char *err, void *arg);

struct ipvs_reader {
	int			 fd;		/* -1: no reader */
	pid_t			 pid;		/* the supervisor */
	struct event		*ev;
	struct event		*timer;
	uint32_t		 seq;
	int			 busy;
	/* the dump being gathered, then handed over */
	struct ipvs_entry	*entries;
	size_t			 nentries, cap;
	size_t			 ndests;
	ipvs_done_cb		 done;
	void			*arg;
};

/*
 * Forks the reader, to run as user (kept when "" or not root) with only
 * CAP_NET_ADMIN; call before dropping privileges and before opening
 * anything the reader must not hold. -1 when it cannot.
 */
int	ipvs_reader_start(struct ipvs_reader *, const char *user);

/*
 * Asks for a dump; done(NULL) once its entries are in rd->entries, or
 * done(why) (no reader, timeout, the kernel's error). One at a time:
 * -1 while busy. The entries stay until the next query or free.
 */
int	ipvs_query(struct ipvs_reader *, struct event_base *, int timeout_ms,
	    ipvs_done_cb, void *);
void	ipvs_reader_free(struct ipvs_reader *);

#endif
