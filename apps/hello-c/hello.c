/*
 * hello.c: the C hello world for mwasm. It prints a greeting with stdio, its
 * arguments if any, and checks that clock_gettime(CLOCK_MONOTONIC) gives a time
 * greater than zero ("clock ok"). Exit status 0 on success, 1 if the clock fails.
 *
 *   clang --target=wasm32-wasi -O2 apps/hello-c/hello.c -o hello-c.wasm
 *   mwasm run hello-c.wasm
 */
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv) {
	printf("Hello from mwasm (C)!\n");
	for (int i = 1; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);

	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		printf("clock failed: clock_gettime(CLOCK_MONOTONIC) returned an error\n");
		return 1;
	}
	if (ts.tv_sec > 0 || ts.tv_nsec > 0) {
		printf("clock ok\n");
		return 0;
	}
	printf("clock failed: CLOCK_MONOTONIC reads zero\n");
	return 1;
}
