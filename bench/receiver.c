// SPDX-License-Identifier: GPL-2.0
/*
 * bench/receiver: the gateway's end of the end-to-end and reconfiguration parts of
 * `make bench`. It reads bench/sender's packets (sequence number in payload bytes 0-7, send
 * time in bytes 8-15, big endian).
 *
 *   receiver hold PORT
 *	Binds a UDP socket and never reads it: the packets reach the UDP layer, which counts
 *	them (InDatagrams until the small receive buffer is full, RcvbufErrors after), at the
 *	same cost for every variant. Prints "ready" once bound; runs until SIGTERM.
 *
 *   receiver seq [-w IDLE_MS] PORT
 *	Reads every packet (a large buffer, drained with recvmmsg) and notes its sequence
 *	number. Ends on SIGTERM, or IDLE_MS (default 1000) after the last packet once one came.
 *	Prints "received=N max_seq=N missing=N duplicates=N rcvbuf_errors=N min_seq=N
 *	min_seq_sent_ns=N gaps=FIRST-LAST,...": rcvbuf_errors from the UDP counters (a packet
 *	the socket had no room for is no loss of the datapath's); min_seq_sent_ns, the send
 *	time of the first packet, places the gaps in time at the sender's steady rate.
 *
 *   receiver switch [-n TRIALS] -a "CMD..." -b "CMD..." PORT
 *	Each trial runs command B (back to the old public address), waits, drains the socket,
 *	then runs command A (the new address) and waits for the first packet that arrives after
 *	A started: the first one translated to the new address; then waits again, so that the
 *	packets are on each address for 100 ms. Prints per trial
 *	"start_ns=N return_ns=N cmd_ns=N arrival_ns=N sent_ns=N": when A started and returned
 *	(CLOCK_REALTIME), how long it ran, and when the first packet arrived (the kernel's
 *	receive time stamp) and was sent, both relative to A's return. Commands are split on
 *	spaces and run without a shell.
 *
 *   receiver ends [-g GAP_MS] PORT
 *	The other side of `switch`: where the packets to the new address go while it is not
 *	translated yet. Whenever the packets stop for GAP_MS (default 20) it prints
 *	"end_sent_ns=N", the send time (CLOCK_REALTIME) of the last one before the pause: the
 *	last packet that went untranslated. Runs until SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PKT_MAX 2048
#define SEQ_MAX (64u << 20)	/* packets one `seq` run can account for */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int udp_bind(uint16_t port, int rcvbuf)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
					    sizeof(rcvbuf))) ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "receiver: UDP socket on port %u: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

/* The UDP MIB's RcvbufErrors of this network namespace. */
static long long udp_rcvbuf_errors(void)
{
	char names[1024], values[1024];
	long long result = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *n_save, *v_save, *n, *v;

		if (strncmp(names, "Udp:", 4))
			continue;
		for (n = strtok_r(names, " \n", &n_save), v = strtok_r(values, " \n", &v_save);
		     n && v; n = strtok_r(NULL, " \n", &n_save), v = strtok_r(NULL, " \n", &v_save))
			if (!strcmp(n, "RcvbufErrors"))
				result = atoll(v);
		break;
	}
	fclose(f);
	return result;
}

static int hold_main(uint16_t port)
{
	/* The smallest buffer the kernel allows: it fills at once and stays full. */
	int fd = udp_bind(port, 1), rcvbuf = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	close(fd);
	return 0;
}

static int seq_main(uint16_t port, int idle_ms)
{
	static uint8_t bufs[BATCH][PKT_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	uint64_t received = 0, duplicates = 0, max_seq = 0, missing = 0, min_seq = UINT64_MAX;
	uint64_t min_seq_sent_ns = 0;
	long long rcvbuf_before;
	uint8_t *seen = calloc(SEQ_MAX / 8, 1);
	int fd = udp_bind(port, 64 << 20), printed = 0;
	bool any = false;

	if (!seen) {
		perror("receiver: allocate");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iovs[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = PKT_MAX };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iovs[i], .msg_iovlen = 1 } };
	}
	rcvbuf_before = udp_rcvbuf_errors();
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n, ready = poll(&pfd, 1, any ? idle_ms : 100);

		if (ready == 0 && any)
			break;
		if (ready <= 0)
			continue;
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			uint64_t seq;

			if (msgs[i].msg_len < 16)
				continue;
			seq = get_be64(bufs[i]);
			if (seq >= SEQ_MAX)
				continue;
			any = true;
			if (seen[seq / 8] & (1u << (seq % 8))) {
				duplicates++;
				continue;
			}
			seen[seq / 8] |= 1u << (seq % 8);
			received++;
			if (seq > max_seq)
				max_seq = seq;
			if (seq < min_seq) {
				min_seq = seq;
				min_seq_sent_ns = get_be64(bufs[i] + 8);
			}
		}
	}
	printf("received=%llu max_seq=%llu", (unsigned long long)received,
	       (unsigned long long)max_seq);
	for (uint64_t s = 0; any && s <= max_seq; s++)
		missing += !(seen[s / 8] & (1u << (s % 8)));
	printf(" missing=%llu duplicates=%llu rcvbuf_errors=%lld min_seq=%llu min_seq_sent_ns=%llu"
	       " gaps=", (unsigned long long)missing, (unsigned long long)duplicates,
	       udp_rcvbuf_errors() - rcvbuf_before, (unsigned long long)(any ? min_seq : 0),
	       (unsigned long long)min_seq_sent_ns);
	for (uint64_t s = 0; any && s <= max_seq && printed < 20; s++) {
		uint64_t e = s;

		if (seen[s / 8] & (1u << (s % 8)))
			continue;
		while (e + 1 <= max_seq && !(seen[(e + 1) / 8] & (1u << ((e + 1) % 8))))
			e++;
		printf("%s%llu-%llu", printed++ ? "," : "", (unsigned long long)s,
		       (unsigned long long)e);
		s = e;
	}
	printf("%s\n", printed ? "" : "none");
	free(seen);
	return 0;
}

/* Run CMD (split on spaces) and wait for it. Return: its exit status, or -1. */
static int run_cmd(const char *cmd)
{
	char *copy = strdup(cmd), *argv[32], *save;
	int argc = 0, status;
	pid_t pid;

	for (char *t = strtok_r(copy, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	free(copy);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void drain(int fd)
{
	uint8_t buf[PKT_MAX];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

/* The first packet to arrive, with its kernel receive time. Return: 0, or -1 on timeout. */
static int first_packet(int fd, int timeout_ms, int64_t *arrival_ns, int64_t *sent_ns)
{
	uint8_t buf[PKT_MAX], control[256];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct cmsghdr *cm;
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	n = recvmsg(fd, &msg, 0);
	if (n < 16)
		return -1;
	*sent_ns = get_be64(buf + 8);
	*arrival_ns = realtime_ns();
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			*arrival_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	return 0;
}

static int switch_main(uint16_t port, int trials, const char *cmd_new, const char *cmd_old)
{
	int fd = udp_bind(port, 4 << 20), one = 1, failures = 0;

	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	for (int t = 0; t < trials && !stop; t++) {
		int64_t t0, t1, arrival, sent;
		struct timespec settle = { 0, 100 * 1000000 };

		if (run_cmd(cmd_old)) {
			fprintf(stderr, "receiver: `%s' failed\n", cmd_old);
			return 1;
		}
		nanosleep(&settle, NULL);
		drain(fd);
		t0 = realtime_ns();
		if (run_cmd(cmd_new)) {
			fprintf(stderr, "receiver: `%s' failed\n", cmd_new);
			return 1;
		}
		t1 = realtime_ns();
		if (first_packet(fd, 2000, &arrival, &sent)) {
			printf("trial=%d cmd_ns=%lld timeout=1\n", t, (long long)(t1 - t0));
			failures++;
			continue;
		}
		printf("trial=%d start_ns=%lld return_ns=%lld cmd_ns=%lld arrival_ns=%lld "
		       "sent_ns=%lld\n", t, (long long)t0, (long long)t1, (long long)(t1 - t0),
		       (long long)(arrival - t1), (long long)(sent - t1));
		fflush(stdout);
		/* Long enough a pause on the old path for `ends' to see where it stopped. */
		nanosleep(&settle, NULL);
	}
	close(fd);
	return failures ? 1 : 0;
}

static int ends_main(uint16_t port, int gap_ms)
{
	uint8_t buf[PKT_MAX];
	uint64_t last_sent = 0;
	int fd = udp_bind(port, 4 << 20);

	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ready = poll(&pfd, 1, gap_ms);
		ssize_t n;

		if (ready == 0 && last_sent) {
			printf("end_sent_ns=%llu\n", (unsigned long long)last_sent);
			fflush(stdout);
			last_sent = 0;
		}
		if (ready <= 0)
			continue;
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 16)
			last_sent = get_be64(buf + 8);
	}
	if (last_sent)
		printf("end_sent_ns=%llu\n", (unsigned long long)last_sent);
	close(fd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: receiver hold PORT\n"
			"       receiver seq [-w IDLE_MS] PORT\n"
			"       receiver switch [-n TRIALS] -a \"CMD...\" -b \"CMD...\" PORT\n"
			"       receiver ends [-g GAP_MS] PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *cmd_new = NULL, *cmd_old = NULL;
	int c, idle_ms = 1000, trials = 10, gap_ms = 20;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "w:n:a:b:g:")) != -1) {
		switch (c) {
		case 'g':
			gap_ms = atoi(optarg);
			break;
		case 'w':
			idle_ms = atoi(optarg);
			break;
		case 'n':
			trials = atoi(optarg);
			break;
		case 'a':
			cmd_new = optarg;
			break;
		case 'b':
			cmd_old = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (!strcmp(mode, "hold"))
		return hold_main(atoi(argv[optind]));
	if (!strcmp(mode, "seq"))
		return seq_main(atoi(argv[optind]), idle_ms);
	if (!strcmp(mode, "ends"))
		return ends_main(atoi(argv[optind]), gap_ms);
	if (!strcmp(mode, "switch") && cmd_new && cmd_old)
		return switch_main(atoi(argv[optind]), trials, cmd_new, cmd_old);
	usage();
	return 2;
}
