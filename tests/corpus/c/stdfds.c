// Prints to stdout and stderr, reads its stdin to the end, and exits 7: the
// program the closed-descriptor tests run (tests/e2e TestClosedStdFds).
#include <stdio.h>

int main(void) {
	printf("to stdout\n");
	fprintf(stderr, "to stderr\n");
	long n = 0;
	while (getchar() != EOF)
		n++;
	printf("read %ld bytes of stdin\n", n);
	return 7;
}
