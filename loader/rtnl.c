// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>

#include "rtnl.h"

/* A dump of a few hundred devices comes in messages of up to a page each. */
#define RECV_BUF 32768

int rtnl_open(struct rtnl *nl)
{
	return rtnl_open_protocol(nl, NETLINK_ROUTE);
}

int rtnl_open_protocol(struct rtnl *nl, int protocol)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int one = 1;

	nl->seq = (__u32)getpid() << 8;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (nl->fd < 0)
		return -errno;
	/* The kernel's own words with an error, where it has them (Linux 4.12). */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(nl->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		int err = -errno;

		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	return 0;
}

void rtnl_close(struct rtnl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

void rtnl_req_init(struct rtnl_req *req, __u16 type, __u16 flags, const void *family_hdr,
		   size_t len)
{
	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = NLMSG_LENGTH(len);
	req->hdr.nlmsg_type = type;
	req->hdr.nlmsg_flags = NLM_F_REQUEST | flags;
	memcpy(NLMSG_DATA(&req->hdr), family_hdr, len);
}

int rtnl_req_put(struct rtnl_req *req, __u16 type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(req->hdr.nlmsg_len);
	struct rtattr *rta = (struct rtattr *)(req->buf + at);

	if (at + RTA_SPACE(len) > sizeof(req->buf))
		return -EMSGSIZE;
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->hdr.nlmsg_len = at + RTA_ALIGN(rta->rta_len);
	return 0;
}

int rtnl_talk(struct rtnl *nl, struct rtnl_req *req, rtnl_cb cb, void *arg)
{
	bool dump = req->hdr.nlmsg_flags & NLM_F_DUMP;
	int result = 0;
	char *buf;

	req->hdr.nlmsg_seq = ++nl->seq;
	/* Without a dump, ask for the ack that carries success or the error. */
	if (!dump)
		req->hdr.nlmsg_flags |= NLM_F_ACK;
	if (send(nl->fd, req, req->hdr.nlmsg_len, 0) < 0)
		return -errno;
	buf = malloc(RECV_BUF);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t len = recv(nl->fd, buf, RECV_BUF, 0);
		struct nlmsghdr *msg;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			result = -errno;
			break;
		}
		for (msg = (struct nlmsghdr *)buf; NLMSG_OK(msg, (__u32)len);
		     msg = NLMSG_NEXT(msg, len)) {
			if (msg->nlmsg_seq != nl->seq)
				continue;	/* a late reply to an earlier request */
			if (msg->nlmsg_type == NLMSG_DONE)
				goto out;
			if (msg->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(msg);

				/* error 0 is the ack; a dump's error ends it too */
				if (e->error && !result)
					result = e->error;
				goto out;
			}
			if (cb && !result) {
				int r = cb(msg, arg);

				if (r < 0)
					result = r;
			}
		}
	}
out:
	free(buf);
	return result;
}

int rtnl_dump(struct rtnl *nl, __u16 type, const void *family_hdr, size_t len, rtnl_cb cb,
	      void *arg)
{
	struct rtnl_req req;

	rtnl_req_init(&req, type, NLM_F_DUMP, family_hdr, len);
	return rtnl_talk(nl, &req, cb, arg);
}

void *rtnl_list_add(struct rtnl_list *list)
{
	char *item;

	if (list->n == list->cap) {
		int cap = list->cap ? list->cap * 2 : 16;
		void *grown = realloc(list->items, cap * list->size);

		if (!grown)
			return NULL;
		list->items = grown;
		list->cap = cap;
	}
	item = (char *)list->items + list->size * list->n++;
	memset(item, 0, list->size);
	return item;
}

void rtnl_parse(const struct rtattr **tb, int max, const struct rtattr *rta, int len)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		unsigned short type = rta->rta_type & ~NLA_F_NESTED;

		if (type <= max && !tb[type])
			tb[type] = rta;
	}
}

void rtnl_parse_nested(const struct rtattr **tb, int max, const struct rtattr *rta)
{
	rtnl_parse(tb, max, RTA_DATA(rta), RTA_PAYLOAD(rta));
}

__u32 rtnl_u32(const struct rtattr *rta)
{
	__u32 v = 0;

	if (rta && RTA_PAYLOAD(rta) >= sizeof(v))
		memcpy(&v, RTA_DATA(rta), sizeof(v));
	return v;
}

const char *rtnl_str(const struct rtattr *rta, char *buf, size_t len)
{
	size_t n = rta ? RTA_PAYLOAD(rta) : 0;

	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(buf, RTA_DATA(rta), n);
	buf[n] = '\0';
	/* the payload carries its own NUL, usually */
	buf[strnlen(buf, n)] = '\0';
	return buf;
}

static int on_link(const struct nlmsghdr *msg, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(msg);
	const struct rtattr *tb[IFLA_MAX + 1], *xdp[IFLA_XDP_MAX + 1], *info[IFLA_INFO_MAX + 1];
	char kind[16];
	struct rtnl_link *link;

	if (msg->nlmsg_type != RTM_NEWLINK || msg->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	link = rtnl_list_add(arg);
	if (!link)
		return -ENOMEM;
	link->ifindex = ifi->ifi_index;
	rtnl_parse(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(msg));
	rtnl_str(tb[IFLA_IFNAME], link->name, sizeof(link->name));
	link->master = (int)rtnl_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINKINFO]) {
		rtnl_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO]);
		link->bridge = !strcmp(rtnl_str(info[IFLA_INFO_KIND], kind, sizeof(kind)), "bridge");
	}
	if (tb[IFLA_XDP]) {
		/* Each mode's own attribute is there whenever a program is, one mode or several. */
		rtnl_parse_nested(xdp, IFLA_XDP_MAX, tb[IFLA_XDP]);
		link->xdp_drv_prog_id = rtnl_u32(xdp[IFLA_XDP_DRV_PROG_ID]);
		link->xdp_skb_prog_id = rtnl_u32(xdp[IFLA_XDP_SKB_PROG_ID]);
		link->xdp_hw_prog_id = rtnl_u32(xdp[IFLA_XDP_HW_PROG_ID]);
	}
	return 0;
}

int rtnl_list_links(struct rtnl *nl, struct rtnl_link **links, int *n)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtnl_list found = { .size = sizeof(struct rtnl_link) };
	int err = rtnl_dump(nl, RTM_GETLINK, &ifi, sizeof(ifi), on_link, &found);

	if (err) {
		free(found.items);
		return err;
	}
	*links = found.items;
	*n = found.n;
	return 0;
}
