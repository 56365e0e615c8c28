/*
 * dom0tool: the tests' client in dom0, what curl and ab do not do. Built
 * statically with the host's gcc by the tests (a Go binary's runtime proved
 * unreliable in the emulated PV dom0) and copied into the lab's initramfs.
 *
 *   dom0tool echo IP PORT BYTES       send BYTES through a TCP echo server, check them, print MB/s
 *   dom0tool kvput IP PREFIX MILLIS   PUT PREFIX-N keys for MILLIS ms, print "acked KEY LEN" per answer
 *   dom0tool kvcheck IP FILE          GET every acked key of FILE, check the values
 *
 * Values are a function of the key (value()), so kvcheck needs only the key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static double now(void) {
	struct timeval tv;
	gettimeofday(&tv, 0);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static int dial(const char *ip, int port, int timeout) {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	struct timeval tv = {timeout, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int echo(const char *ip, int port, long n) {
	int fd = dial(ip, port, 60);
	if (fd < 0) { perror("connect"); return 1; }
	unsigned char *data = malloc(n), *got = malloc(n);
	unsigned x = 12345;
	for (long i = 0; i < n; i++) { x = x * 1664525u + 1013904223u; data[i] = x >> 24; }
	long sent = 0, recvd = 0;
	double t0 = now();
	while (recvd < n) {
		fd_set r, w;
		FD_ZERO(&r); FD_ZERO(&w);
		FD_SET(fd, &r);
		if (sent < n) FD_SET(fd, &w);
		struct timeval tv = {60, 0};
		if (select(fd + 1, &r, &w, 0, &tv) <= 0) { fprintf(stderr, "echo: stalled after %ld bytes back\n", recvd); return 1; }
		if (FD_ISSET(fd, &w)) {
			ssize_t k = write(fd, data + sent, n - sent > 65536 ? 65536 : n - sent);
			if (k < 0 && errno != EAGAIN) { perror("write"); return 1; }
			if (k > 0) sent += k;
			if (sent == n) shutdown(fd, SHUT_WR);
		}
		if (FD_ISSET(fd, &r)) {
			ssize_t k = read(fd, got + recvd, n - recvd);
			if (k <= 0) { fprintf(stderr, "echo: connection ended after %ld bytes back\n", recvd); return 1; }
			recvd += k;
		}
	}
	double el = now() - t0;
	if (memcmp(got, data, n) != 0) { fprintf(stderr, "echo: %ld bytes back, but they differ\n", n); return 1; }
	printf("echo: %ld bytes back intact in %.3f s (%.2f MB/s)\n", n, el, n / el / 1e6);
	return 0;
}

static void value(const char *key, char *out, int *len) {
	int k = (int)strlen(key), pad = (k * 37) % 200;
	*len = snprintf(out, 512, "value of %s ", key);
	memset(out + *len, 'x', pad);
	*len += pad;
}

/* http does one request; returns the status (or -1) and the body in body. */
static int http(const char *ip, const char *method, const char *path, const char *data, int dlen, char *body, int *blen) {
	int fd = dial(ip, 80, 5);
	if (fd < 0) return -1;
	char req[1024];
	int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", method, path, ip, dlen);
	if (write(fd, req, n) != n || (dlen && write(fd, data, dlen) != dlen)) { close(fd); return -1; }
	static char buf[1 << 16];
	int got = 0;
	for (;;) {
		ssize_t k = read(fd, buf + got, sizeof buf - 1 - got);
		if (k <= 0) break;
		got += k;
	}
	close(fd);
	buf[got] = 0;
	int status;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
	char *b = strstr(buf, "\r\n\r\n");
	*blen = b ? got - (int)(b + 4 - buf) : 0;
	if (b && body) memcpy(body, b + 4, *blen);
	return status;
}

static int kvput(const char *ip, const char *prefix, int millis) {
	double end = now() + millis / 1000.0;
	setvbuf(stdout, 0, _IOLBF, 0);
	for (int i = 0; now() < end; i++) {
		char key[128], path[256], v[512];
		int vlen, blen;
		snprintf(key, sizeof key, "%s-%d", prefix, i);
		snprintf(path, sizeof path, "/kv/%s", key);
		value(key, v, &vlen);
		int st = http(ip, "PUT", path, v, vlen, 0, &blen);
		if (st < 0) break; /* the guest was destroyed */
		if (st == 200) printf("acked %s %d\n", key, vlen);
	}
	return 0;
}

static int kvcheck(const char *ip, const char *file) {
	FILE *f = fopen(file, "r");
	if (!f) { perror(file); return 1; }
	char line[512], key[256];
	int ok = 0, bad = 0, len;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "acked %255s %d", key, &len) != 2) continue;
		char path[300], want[512], got[1 << 16];
		int wlen, glen;
		snprintf(path, sizeof path, "/kv/%s", key);
		value(key, want, &wlen);
		int st = http(ip, "GET", path, 0, 0, got, &glen);
		if (st != 200 || glen != wlen || memcmp(got, want, wlen) != 0) {
			printf("LOST %s: status %d, %d bytes\n", key, st, glen);
			bad++;
		} else ok++;
	}
	printf("kvcheck: %d acknowledged keys intact, %d lost\n", ok, bad);
	return bad > 0 || ok == 0;
}

int main(int argc, char **argv) {
	if (argc == 5 && !strcmp(argv[1], "echo")) return echo(argv[2], atoi(argv[3]), atol(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "kvput")) return kvput(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "kvcheck")) return kvcheck(argv[2], argv[3]);
	fprintf(stderr, "usage: dom0tool echo IP PORT BYTES | kvput IP PREFIX MILLIS | kvcheck IP FILE\n");
	return 2;
}
