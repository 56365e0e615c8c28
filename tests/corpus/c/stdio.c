// stdio: formatted output, heap, sorting and string conversion through wasi-libc.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int main(void) {
	int n = 1000;
	int *v = malloc(n * sizeof *v);
	unsigned s = 12345;
	for (int i = 0; i < n; i++) {
		s = s * 1103515245u + 12345u;
		v[i] = (int)(s >> 8) % 100000;
	}
	qsort(v, n, sizeof *v, cmp);
	printf("min=%d max=%d median=%d\n", v[0], v[n - 1], v[n / 2]);
	long long sum = 0;
	for (int i = 0; i < n; i++) sum += v[i];
	printf("sum=%lld mean=%.3f\n", sum, (double)sum / n);
	char buf[64];
	snprintf(buf, sizeof buf, "%08x|%-6s|%+.2e", 0xbeefu, "ab", 12345.678);
	puts(buf);
	printf("strtol=%ld strlen=%zu\n", strtol("-0x1f", NULL, 16), strlen(buf));
	fprintf(stderr, "to stderr: %d\n", 42);
	for (int i = 0; i < 3; i++) {
		char *p = malloc(1 << (10 + 4 * i));
		memset(p, i, 1 << (10 + 4 * i));
		printf("block %d: %d\n", i, p[(1 << (10 + 4 * i)) - 1]);
		free(p);
	}
	free(v);
	return 0;
}
