/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink, the small part hairpin needs: a request and its reply (a dump or an ack), messages
 * built with attributes, replies parsed into attribute tables. libbpf 1.1 keeps its own netlink
 * code private and has no filter dump; this is the one place hairpin talks rtnetlink itself.
 * Everything here is of the calling thread's network namespace.
 */
#ifndef HP_RTNL_H
#define HP_RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/types.h>

struct rtnl {
	int fd;
	__u32 seq;
};

/* A request being built: header, family header, attributes. */
struct rtnl_req {
	union {
		struct nlmsghdr hdr;
		char buf[512];
	};
};

int rtnl_open(struct rtnl *nl);
/* The same messages over another netlink family: NETLINK_NETFILTER for nftables (nft.c). */
int rtnl_open_protocol(struct rtnl *nl, int protocol);
void rtnl_close(struct rtnl *nl);

/* Start @req as a message of @type with @flags (NLM_F_REQUEST is added) and @family_hdr. */
void rtnl_req_init(struct rtnl_req *req, __u16 type, __u16 flags, const void *family_hdr,
		   size_t len);
/* Append an attribute. -EMSGSIZE when it does not fit. */
int rtnl_req_put(struct rtnl_req *req, __u16 type, const void *data, size_t len);

/*
 * rtnl_talk() - send @req and read its reply to the end: @cb (may be NULL) is called for each
 * message of a dump or of a reply; an error the kernel sends ends it.
 * Return: 0, the first negative value @cb returned, or -errno as the kernel answered.
 */
typedef int (*rtnl_cb)(const struct nlmsghdr *msg, void *arg);
int rtnl_talk(struct rtnl *nl, struct rtnl_req *req, rtnl_cb cb, void *arg);

/* A dump: a request of @type with @family_hdr and NLM_F_DUMP, as rtnl_talk(). */
int rtnl_dump(struct rtnl *nl, __u16 type, const void *family_hdr, size_t len, rtnl_cb cb,
	      void *arg);

/* A growing array of @size-byte items, for what a dump finds. */
struct rtnl_list {
	void *items;
	int n, cap;
	size_t size;
};
/* A new zeroed item at the end, NULL when out of memory. */
void *rtnl_list_add(struct rtnl_list *list);

/*
 * rtnl_parse() - the attributes of @len bytes at @rta into @tb[0..@max] (by type; a type seen
 * twice keeps the first; others NULL).
 */
void rtnl_parse(const struct rtattr **tb, int max, const struct rtattr *rta, int len);
/* The attributes nested in @rta. */
void rtnl_parse_nested(const struct rtattr **tb, int max, const struct rtattr *rta);
/* @rta's payload as a __u32, 0 if @rta is NULL or too short. */
__u32 rtnl_u32(const struct rtattr *rta);
/* @rta's payload as a string into @buf (always terminated), "" if NULL. */
const char *rtnl_str(const struct rtattr *rta, char *buf, size_t len);

/* A network device, as RTM_GETLINK says, with the ids of the XDP programs on it (0: none). */
struct rtnl_link {
	int ifindex;
	char name[IF_NAMESIZE];
	__u32 xdp_drv_prog_id;	/* native */
	__u32 xdp_skb_prog_id;	/* generic */
	__u32 xdp_hw_prog_id;	/* offloaded */
	int master;		/* the ifindex of the bridge (or bond) it is a port of; 0: none */
	bool bridge;		/* it is a bridge (IFLA_INFO_KIND "bridge") */
};

/* Every device of this network namespace, into a malloc()ed array. 0 or -errno. */
int rtnl_list_links(struct rtnl *nl, struct rtnl_link **links, int *n);

#endif
