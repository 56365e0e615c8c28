// Prints "spinning", then computes forever: the program the signal tests send
// SIGSEGV, SIGFPE, SIGBUS and SIGTERM to (TestSignals).
#include <stdio.h>

int main(void) {
	printf("spinning\n");
	fflush(stdout);
	volatile unsigned long i = 0;
	for (;;)
		i++;
}
