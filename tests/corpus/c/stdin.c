// stdin: reads lines from standard input and prints a summary, like a filter would.
#include <stdio.h>
#include <string.h>

int main(void) {
	char line[256];
	int lines = 0;
	size_t bytes = 0;
	while (fgets(line, sizeof line, stdin)) {
		lines++;
		bytes += strlen(line);
		line[strcspn(line, "\n")] = 0;
		printf("%d: %s\n", lines, line);
	}
	printf("lines=%d bytes=%zu eof=%s\n", lines, bytes, feof(stdin) ? "yes" : "no");
	return 0;
}
