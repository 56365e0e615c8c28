// stdiotype: what the app sees of its standard streams (fstat's file type and
// isatty for fds 0-2), then argv[1] lines on stdout, line-buffered whatever
// stdout is when argv[2] is "line". wasi-libc buffers stdout by
// line on a character device and by block otherwise, so the lines cost one
// fd_write each on a terminal and one per buffer on a file or pipe.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		const char *kind = "error";
		if (fstat(fd, &st) == 0) {
			kind = S_ISREG(st.st_mode)    ? "file"
			       : S_ISCHR(st.st_mode)  ? "chr"
			       : S_ISSOCK(st.st_mode) ? "sock"
			                              : "other";
		}
		printf("fd%d %s tty=%d\n", fd, kind, isatty(fd));
	}
	long n = argc > 1 ? atol(argv[1]) : 0;
	if (argc > 2 && strcmp(argv[2], "line") == 0) setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
	for (long i = 0; i < n; i++) printf("line %ld\n", i);
	return 0;
}
