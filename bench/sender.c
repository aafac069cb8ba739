// SPDX-License-Identifier: GPL-2.0
/*
 * bench/sender: UDP over raw Ethernet frames, as fast as it can or at a steady rate, for the
 * end-to-end part of `make bench`.
 *
 *   sender -i IFACE -m DST_MAC -s SRC_ADDR -d DST_ADDR -p DST_PORT [-P SRC_PORT]
 *          [-f [-k] [-e PACKETS]] [-t SECONDS | -n COUNT] [-r PACKETS_PER_SECOND]
 *          [-l PAYLOAD_LEN]
 *
 * An AF_PACKET socket with PACKET_QDISC_BYPASS hands each frame straight to the driver: no
 * UDP socket, no routing, no qdisc on the sender's side, so what limits the rate is what the
 * frame costs after it left. On a veth that is the receiving side's whole path, which runs in
 * this process's own softirq on this CPU: the rate this sender reaches is the rate the
 * gateway's path reaches.
 *
 * The frames are formatted once; each packet only gets its sequence number and send time
 * (payload bytes 0-7 and 8-15, big endian; CLOCK_REALTIME ns) and, with -f ("many flows"),
 * a new source port, and a new source address every 64000 packets (192.0.2.10 to .209), so
 * that no flow repeats within 12.8 million packets. -k keeps SRC_ADDR and varies only the
 * port: one host spraying new flows, as the admission limit sees it (a flow then repeats
 * every 64000 flows). -e sends each flow's PACKETS packets in a row, as a client that
 * retries does: a flow seen twice is one an LRU map counts as used, not as a one-off.
 * Checksums are computed for every packet: the gateway sees packets a real stack would send.
 *
 * Prints "sent=N failed=N elapsed_ns=N cpu_ns=N preempted=N" on stdout: packets handed to
 * the driver, sends that the driver refused, the time from the first send to the last, the
 * CPU time this process had in it (the softirq work it ran included, unless the kernel
 * accounts IRQ time apart), and how often another task took its CPU. On a shared machine the
 * last two tell a window that measured the path from one that measured the neighbours.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "csum.h"

#define BATCH 32
#define FRAME_MAX 1514
#define FLOW_PORTS 64000
#define FLOW_ADDRS 200

struct options {
	const char *ifname;
	struct ether_addr dst_mac;
	struct in_addr saddr, daddr;
	uint16_t sport, dport;
	bool many_flows;
	bool keep_saddr;	/* -k: -f varies the source port only */
	unsigned packets_per_flow;	/* -e: with -f, packets in a row before the next flow */
	double seconds;
	uint64_t count;
	double rate;
	unsigned payload_len;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

/* The frame of packet @seq: its addresses, ports, payload stamp and checksums. */
static void frame_stamp(uint8_t *frame, const struct options *o, uint64_t seq)
{
	struct iphdr iph;
	struct udphdr udp;
	uint8_t *l3 = frame + ETH_HLEN, *l4 = l3 + sizeof(iph), *payload = l4 + sizeof(udp);
	uint16_t l4_len = sizeof(udp) + o->payload_len;
	uint32_t saddr = ntohl(o->saddr.s_addr);
	uint16_t sport = o->sport;

	if (o->many_flows) {
		uint64_t flow = seq / o->packets_per_flow;

		sport = 1024 + flow % FLOW_PORTS;
		if (!o->keep_saddr)
			saddr = (192u << 24 | 2u << 8 | 10u) + (flow / FLOW_PORTS) % FLOW_ADDRS;
	}
	memcpy(&iph, l3, sizeof(iph));
	iph.saddr = htonl(saddr);
	iph.id = htons(seq & 0xffff);
	iph.check = htons(csum_ipv4_header(&iph));
	memcpy(l3, &iph, sizeof(iph));

	put_be64(payload, seq);
	put_be64(payload + 8, clock_ns(CLOCK_REALTIME));
	udp = (struct udphdr){ .source = htons(sport), .dest = htons(o->dport),
			       .len = htons(l4_len) };
	memcpy(l4, &udp, sizeof(udp));
	udp.check = htons(csum_l4(&iph, l4, l4_len));
	memcpy(l4, &udp, sizeof(udp));
}

static size_t frame_init(uint8_t *frame, const struct options *o, const uint8_t *src_mac)
{
	struct ethhdr eth = { .h_proto = htons(ETH_P_IP) };
	struct iphdr iph = {
		.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
		.tot_len = htons(sizeof(struct iphdr) + sizeof(struct udphdr) + o->payload_len),
		.frag_off = htons(0x4000),	/* DF, as WireGuard's packets */
		.saddr = o->saddr.s_addr, .daddr = o->daddr.s_addr,
	};
	uint8_t *payload = frame + ETH_HLEN + sizeof(iph) + sizeof(struct udphdr);

	memcpy(eth.h_dest, &o->dst_mac, ETH_ALEN);
	memcpy(eth.h_source, src_mac, ETH_ALEN);
	memcpy(frame, &eth, sizeof(eth));
	memcpy(frame + ETH_HLEN, &iph, sizeof(iph));
	memset(payload, 'h', o->payload_len);
	return ETH_HLEN + sizeof(iph) + sizeof(struct udphdr) + o->payload_len;
}

/* CPU time used and involuntary context switches, so far. */
static void usage_now(uint64_t *cpu_ns, uint64_t *preempted)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
		  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
	*preempted = ru.ru_nivcsw;
}

static void usage(void)
{
	fprintf(stderr, "usage: sender -i IFACE -m DST_MAC -s SRC_ADDR -d DST_ADDR -p DST_PORT "
			"[-P SRC_PORT] [-f [-k] [-e PACKETS]] [-t SECONDS | -n COUNT] [-r PPS] "
			"[-l PAYLOAD_LEN]\n");
	exit(2);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;

	*o = (struct options){ .sport = 40000, .seconds = 2, .payload_len = 64,
			       .packets_per_flow = 1 };
	while ((c = getopt(argc, argv, "i:m:s:d:p:P:fke:t:n:r:l:")) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'm':
			if (!ether_aton_r(optarg, &o->dst_mac))
				usage();
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &o->saddr) != 1)
				usage();
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &o->daddr) != 1)
				usage();
			break;
		case 'p':
			o->dport = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			o->sport = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			o->many_flows = true;
			break;
		case 'k':
			o->keep_saddr = true;
			break;
		case 'e':
			o->packets_per_flow = strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->seconds = strtod(optarg, NULL);
			break;
		case 'n':
			o->count = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			o->rate = strtod(optarg, NULL);
			break;
		case 'l':
			o->payload_len = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	/* 16 bytes of stamp, and a frame that fits an Ethernet MTU */
	if (!o->ifname || !o->dport || o->payload_len < 16 ||
	    o->payload_len > FRAME_MAX - ETH_HLEN - 28 || optind != argc)
		usage();
	/* -k and -e shape the flows of -f */
	if (!o->packets_per_flow || ((o->keep_saddr || o->packets_per_flow > 1) && !o->many_flows))
		usage();
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FRAME_MAX];
	struct sockaddr_ll addr = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	uint64_t sent = 0, failed = 0, start, deadline, interval = 0, next;
	uint64_t cpu0, cpu1, preempted0, preempted1;
	uint8_t src_mac[ETH_ALEN];
	struct options o;
	struct ifreq ifr;
	size_t len = 0;
	int fd, one = 1;

	parse_options(argc, argv, &o);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	/* Protocol 0: this socket receives nothing, so it costs nothing on the receive path. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("sender: AF_PACKET socket");
		return 1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
		perror("sender: PACKET_QDISC_BYPASS (sending through the qdisc)");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o.ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) || !(addr.sll_ifindex = if_nametoindex(o.ifname))) {
		fprintf(stderr, "sender: interface %s: %s\n", o.ifname, strerror(errno));
		return 1;
	}
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);

	for (int i = 0; i < BATCH; i++) {
		len = frame_init(frames[i], &o, src_mac);
		iovs[i] = (struct iovec){ .iov_base = frames[i], .iov_len = len };
		msgs[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &addr, .msg_namelen = sizeof(addr),
			.msg_iov = &iovs[i], .msg_iovlen = 1,
		} };
	}

	if (o.rate > 0)
		interval = (uint64_t)(1e9 / o.rate);
	usage_now(&cpu0, &preempted0);
	start = next = clock_ns(CLOCK_MONOTONIC);
	deadline = o.count ? UINT64_MAX : start + (uint64_t)(o.seconds * 1e9);
	while (!stop && (!o.count || sent + failed < o.count)) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		unsigned n = BATCH;
		int done;

		if (now >= deadline)
			break;
		if (interval) {
			/* Steady rate: one packet at a time, each at its time (busy waiting). */
			if (now < next)
				continue;
			next += interval;
			n = 1;
		}
		if (o.count && o.count - sent - failed < n)
			n = o.count - sent - failed;
		for (unsigned i = 0; i < n; i++)
			frame_stamp(frames[i], &o, sent + failed + i);
		done = sendmmsg(fd, msgs, n, 0);
		if (done < 0) {
			/* The driver refused the first one (a full veth ring): count it, go on. */
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("sender: sendmmsg");
				return 1;
			}
			failed++;
			continue;
		}
		sent += done;
	}
	next = clock_ns(CLOCK_MONOTONIC);
	usage_now(&cpu1, &preempted1);
	printf("sent=%llu failed=%llu elapsed_ns=%llu cpu_ns=%llu preempted=%llu\n",
	       (unsigned long long)sent, (unsigned long long)failed,
	       (unsigned long long)(next - start), (unsigned long long)(cpu1 - cpu0),
	       (unsigned long long)(preempted1 - preempted0));
	close(fd);
	return 0;
}
