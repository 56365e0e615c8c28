// clock: clock_gettime on both clocks, nanosleep, and time() through wasi-libc.
#include <stdio.h>
#include <time.h>

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
	struct timespec a, b, r;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec d = {0, 30 * 1000 * 1000};
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long long slept = ns(b) - ns(a);
	printf("slept at least 30ms: %s\n", slept >= 30000000LL ? "yes" : "no");
	printf("slept less than 2s: %s\n", slept < 2000000000LL ? "yes" : "no");
	clock_gettime(CLOCK_REALTIME, &r);
	printf("realtime after 2024: %s\n", r.tv_sec > 1704067200 ? "yes" : "no");
	time_t t = time(NULL);
	printf("time() agrees with realtime: %s\n", (t - r.tv_sec) < 5 && (r.tv_sec - t) < 5 ? "yes" : "no");
	struct timespec res;
	printf("monotonic resolution ok: %s\n",
	       clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(res) > 0 && ns(res) <= 1000000 ? "yes" : "no");
	return 0;
}
