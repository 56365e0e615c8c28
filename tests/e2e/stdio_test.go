package e2e

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestStdioTypes starts tests/corpus/c/stdiotype.c in every home (mwasm run, a
// native executable, mwasm exec) with its standard streams on files, pipes, a
// socket and /dev/null: the app must see the type the host file has (fstat) and
// isatty true only on a character device, as wasi-libc decides its buffering by
// it, and every line it writes must arrive whole and in order.
func TestStdioTypes(t *testing.T) {
	app := corpusCApp(t, "stdiotype")
	exe := nativeBuild(t, app)

	const lines = "3000"
	homes := []struct {
		name string
		argv []string
	}{
		{"run", []string{mwasmBin, "run", app, lines}},
		{"native", []string{exe, lines}},
		{"exec", []string{mwasmBin, "exec", exe, lines}},
	}
	// Each stream is one of: "file" (a regular file), "pipe", "sock" (one end
	// of a socketpair), "null" (/dev/null, a character device).
	cases := []struct {
		in, out, errs string
		want          string // the app's first three lines
	}{
		{"file", "file", "pipe", "fd0 file tty=0\nfd1 file tty=0\nfd2 other tty=0\n"},
		{"null", "pipe", "file", "fd0 chr tty=1\nfd1 other tty=0\nfd2 file tty=0\n"},
		{"pipe", "sock", "null", "fd0 other tty=0\nfd1 sock tty=0\nfd2 chr tty=1\n"},
	}
	var tail strings.Builder
	for i := range 3000 {
		tail.WriteString("line ")
		tail.WriteString(strconv.Itoa(i))
		tail.WriteString("\n")
	}
	for _, h := range homes {
		for _, c := range cases {
			t.Run(h.name+"/"+c.in+","+c.out+","+c.errs, func(t *testing.T) {
				dir := t.TempDir()
				cmd := exec.Command(h.argv[0], h.argv[1:]...)
				cmd.Dir = repoRoot
				var collect []func() string // what each stream received
				for fd, kind := range []string{c.in, c.out, c.errs} {
					var f any
					get := func() string { return "" }
					switch kind {
					case "file":
						p := filepath.Join(dir, "fd"+strconv.Itoa(fd))
						fl, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
						if err != nil {
							t.Fatal(err)
						}
						defer fl.Close()
						f = fl
						get = func() string { b, _ := os.ReadFile(p); return string(b) }
					case "pipe":
						if fd == 0 {
							f = strings.NewReader("")
						} else {
							b := new(bytes.Buffer)
							f, get = b, b.String
						}
					case "null":
						fl, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
						if err != nil {
							t.Fatal(err)
						}
						defer fl.Close()
						f = fl
					case "sock":
						pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
						if err != nil {
							t.Fatal(err)
						}
						mine, theirs := os.NewFile(uintptr(pair[0]), "sock0"), os.NewFile(uintptr(pair[1]), "sock1")
						defer mine.Close()
						f = theirs
						got := make(chan string, 1)
						go func() { b, _ := io.ReadAll(mine); got <- string(b) }()
						get = func() string { theirs.Close(); return <-got }
					}
					switch fd {
					case 0:
						cmd.Stdin = f.(io.Reader)
					case 1:
						cmd.Stdout = f.(io.Writer)
					case 2:
						cmd.Stderr = f.(io.Writer)
					}
					collect = append(collect, get)
				}
				err := cmd.Run()
				stdout, stderr := collect[1](), collect[2]()
				if err != nil {
					t.Fatalf("%v; stderr:\n%s", err, stderr)
				}
				if !strings.HasPrefix(stdout, c.want) {
					t.Errorf("the app saw\n%.80s\nwant\n%s", stdout, c.want)
				}
				if rest := strings.TrimPrefix(stdout, stdout[:min(len(stdout), len(c.want))]); rest != tail.String() {
					t.Errorf("the %s lines arrived as %d bytes (want %d), ending %q", lines, len(rest), tail.Len(), rest[max(0, len(rest)-30):])
				}
				if stderr != "" {
					t.Errorf("stderr: %q", stderr)
				}
			})
		}
	}
}
