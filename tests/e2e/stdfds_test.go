package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestClosedStdFds starts a program with a disk in every home (mwasm run, a
// native executable with MWASM_DISK0, mwasm exec) with each of fds 0, 1 and 2
// closed in turn. The disk image must stay byte for byte the same (the disk
// must not be opened on the closed descriptor, where the app's output would
// land), the app must still exit with its own status, and the descriptors
// left open must still get their output.
func TestClosedStdFds(t *testing.T) {
	app := corpusCApp(t, "stdfds")
	exe := nativeBuild(t, app, "--disk")
	image := bytes.Repeat([]byte("mwasm disk sector\n"), 4096/18)
	image = append(image, make([]byte, 4096-len(image))...)

	homes := []struct {
		name string
		cmd  func(disk string) []string
		env  func(disk string) []string
	}{
		{"run", func(d string) []string { return []string{mwasmBin, "run", "--disk", d, app} }, nil},
		{"native", func(string) []string { return []string{exe} }, func(d string) []string { return []string{"MWASM_DISK0=" + d} }},
		{"exec", func(d string) []string { return []string{mwasmBin, "exec", "--disk", d, exe} }, nil},
	}
	for _, h := range homes {
		for fd := 0; fd <= 2; fd++ {
			t.Run(h.name+"/fd"+strconv.Itoa(fd), func(t *testing.T) {
				disk := filepath.Join(t.TempDir(), "disk.img")
				if err := os.WriteFile(disk, image, 0o644); err != nil {
					t.Fatal(err)
				}
				// The shell closes fd, then execs the program in its place.
				cmd := exec.Command("/bin/sh", append([]string{"-c", `exec "$@" ` + strconv.Itoa(fd) + `>&-`, "sh"}, h.cmd(disk)...)...)
				cmd.Dir = repoRoot
				if h.env != nil {
					cmd.Env = append(os.Environ(), h.env(disk)...)
				}
				cmd.Stdin = strings.NewReader("abc")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				status := 0
				if ee, ok := err.(*exec.ExitError); ok {
					status = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(disk)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, image) {
					t.Errorf("the disk image changed (%d bytes, was %d); its tail: %q", len(got), len(image), got[max(0, len(got)-40):])
				}
				if status != 7 {
					t.Errorf("exit status %d, want 7; stderr:\n%s", status, &stderr)
				}
				if fd != 1 && !strings.Contains(stdout.String(), "to stdout") {
					t.Errorf("stdout lost its output: %q", &stdout)
				}
				if fd != 2 && !strings.Contains(stderr.String(), "to stderr") {
					t.Errorf("stderr lost its output: %q", &stderr)
				}
				wantIn := "read 3 bytes of stdin"
				if fd == 0 {
					wantIn = "read 0 bytes of stdin" // closed stdin reads as empty
				}
				if fd != 1 && !strings.Contains(stdout.String(), wantIn) {
					t.Errorf("stdout %q lacks %q", &stdout, wantIn)
				}
			})
		}
	}
}
