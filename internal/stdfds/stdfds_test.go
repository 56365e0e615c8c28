package stdfds

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestEnsureFillsClosedFds runs this test binary again with each of fds 0-2
// closed; the child calls Ensure, opens a file and reports the fd it got,
// which must be above 2.
func TestEnsureFillsClosedFds(t *testing.T) {
	if os.Getenv("STDFDS_CHILD") != "" {
		if err := Ensure(); err != nil {
			os.Exit(3)
		}
		f, err := os.CreateTemp("", "stdfds")
		if err != nil {
			os.Exit(4)
		}
		defer os.Remove(f.Name())
		if f.Fd() <= 2 {
			os.Exit(5)
		}
		os.Exit(0)
	}
	for fd := 0; fd <= 2; fd++ {
		// The shell closes the fd, then execs the test binary.
		cmd := exec.Command("/bin/sh", "-c", `exec "$0" -test.run '^TestEnsureFillsClosedFds$' `+string(rune('0'+fd))+">&-", os.Args[0])
		cmd.Env = append(os.Environ(), "STDFDS_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("fd %d closed: child failed: %v\n%s", fd, err, strings.TrimSpace(string(out)))
		}
	}
}
