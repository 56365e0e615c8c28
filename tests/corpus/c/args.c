// args: argv, the environment, and the exit status.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
	printf("argc=%d\n", argc);
	for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
	const char *g = getenv("GREETING");
	printf("GREETING=%s\n", g ? g : "(unset)");
	printf("MISSING=%s\n", getenv("MISSING_VAR") ? "set" : "(unset)");
	int code = argc > 1 ? atoi(argv[argc - 1]) : 0;
	fflush(stdout);
	exit(code);
}
