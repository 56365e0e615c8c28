package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mwasm/mwasm/abi/manifest"
)

// exitModule is a WASI command whose _start calls proc_exit(7).
var exitModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00, // types: (i32)->(), ()->()
	0x02, 0x24, 0x01, // imports: 1
	22, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h', 'o', 't', '_', 'p', 'r', 'e', 'v', 'i', 'e', 'w', '1',
	9, 'p', 'r', 'o', 'c', '_', 'e', 'x', 'i', 't', 0x00, 0x00,
	0x03, 0x02, 0x01, 0x01, // functions: one of type 1
	0x05, 0x03, 0x01, 0x00, 0x01, // memory: 1 page
	0x07, 0x13, 0x02, // exports: 2
	0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x01,
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x07, 0x10, 0x00, 0x0b, // i32.const 7; call proc_exit
}

var exitExe struct {
	once sync.Once
	path string
	r    result
}

// buildExitExe builds exitModule with --net user --disk once, through mwasm build.
func buildExitExe(t *testing.T) string {
	t.Helper()
	exitExe.once.Do(func() {
		dir, err := os.MkdirTemp("", "mwasm-exec-test")
		if err != nil {
			t.Fatal(err)
		}
		m := filepath.Join(dir, "exit7.wasm")
		os.WriteFile(m, exitModule, 0o644)
		exitExe.path = filepath.Join(dir, "exit7")
		exitExe.r = mwasm(t, "build", "--target", "linux", "--net", "user", "--disk", m, "-o", exitExe.path)
	})
	if exitExe.r.code != 0 {
		t.Fatalf("mwasm build: status %d: %s", exitExe.r.code, exitExe.r.stderr)
	}
	return exitExe.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exitExe.path != "" {
		os.RemoveAll(filepath.Dir(exitExe.path))
	}
	os.Exit(code)
}

func disk(t *testing.T, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExecUserNetAndDisk runs a real executable with a user-mode network (the
// socket pair as fd 3, which its start-up checks) and a disk: the status is the app's.
func TestExecUserNetAndDisk(t *testing.T) {
	exe := buildExitExe(t)
	r := mwasm(t, "exec", "--net", "user,hostfwd=tcp:127.0.0.1:0-:80", "--disk", disk(t, 4096), exe)
	if r.code != 7 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 7 and nothing", r.code, r.stderr)
	}
	man, err := readManifest(exe)
	if err != nil {
		t.Fatal(err)
	}
	if d := man.Device("net0"); d == nil || d.IPv4 != "10.0.2.15/24" || d.Gateway != "10.0.2.2" {
		t.Errorf("mwasm build --net user: net0 %+v, want the user-mode network's facts", d)
	}
}

// TestExecRefusals: each mismatch is one line and status 2, before anything runs.
func TestExecRefusals(t *testing.T) {
	exe := buildExitExe(t)
	img := disk(t, 4096)
	wantUsage(t, mwasm(t, "exec", "--disk", img, exe), "was built with /dev/net0 but no --net was given")
	wantUsage(t, mwasm(t, "exec", "--net", "user", exe), "was built with /dev/disk0 but no --disk was given")
	wantUsage(t, mwasm(t, "exec", "--net", "user", "--disk", disk(t, 1000), exe), "is not a positive multiple of", "sector size (512 bytes)")
	wantUsage(t, mwasm(t, "exec", "--net", "user,mtu=9000", "--disk", img, exe), "mtu=9000", "MTU 1500")
	wantUsage(t, mwasm(t, "exec", "--net", "user,mac=52:54:00:00:00:01", "--disk", img, exe), "mac=", "52:54:00:12:34:56")
	wantUsage(t, mwasm(t, "exec", "--net", "tap,ip=10.0.0.2/24", "--disk", img, exe), "ip= is fixed when the executable is built")
	wantUsage(t, mwasm(t, "exec", "--net", "slirp", "--disk", img, exe), "unknown network type")
	wantUsage(t, mwasm(t, "exec"), "missing EXE")
	wantUsage(t, mwasm(t, "exec", filepath.Join(t.TempDir(), "nope")), "cannot read")
	wantUsage(t, mwasm(t, "exec", writeFile(t, "m.wasm", minimalModule)), "not an ELF file", "mwasm run")

	// An ELF file without the mwasm note, and an mwasm image for Xen.
	wantUsage(t, mwasm(t, "exec", writeFile(t, "plain", handELF(nil))), "no mwasm note")
	xen := sampleManifest()
	desc, _ := manifest.Marshal(xen)
	notes := manifest.AppendNote(nil, manifest.NoteName, manifest.NoteType, desc)
	wantUsage(t, mwasm(t, "exec", writeFile(t, "xen", handELF(notes))), `target "xen"`)

	// A tap-built executable has no user-mode address.
	lin := sampleManifest()
	lin.Target, lin.Memory = manifest.TargetLinux, 0
	lin.Devices = []manifest.Device{{Name: "net0", Kind: manifest.KindNet, MAC: "52:54:00:12:34:56", MTU: 1500}}
	desc, _ = manifest.Marshal(lin)
	notes = manifest.AppendNote(nil, manifest.NoteName, manifest.NoteType, desc)
	wantUsage(t, mwasm(t, "exec", "--net", "user", writeFile(t, "tapbuilt", handELF(notes))), "no IPv4 address", "mwasm build --net user")

	// mwasm build --net user keeps hostfwd for run time.
	wantUsage(t, mwasm(t, "build", "--target", "linux", "--net", "user,hostfwd=tcp::80-:80", writeFile(t, "m.wasm", minimalModule), "-o", filepath.Join(t.TempDir(), "x")), "give it to mwasm exec")
}

// TestNativeNetFdChecks runs the executable directly with bad MWASM_NET0=fd:N values:
// its start-up refuses them with one line and status 2.
func TestNativeNetFdChecks(t *testing.T) {
	exe := buildExitExe(t)
	img := disk(t, 4096)
	for _, tc := range []struct{ spec, want string }{
		{"fd:", "N must be a file descriptor number"},
		{"fd:3x", "N must be a file descriptor number"},
		{"fd:99", "is not an open SOCK_SEQPACKET socket"},
		{"fd:0", "is not an open SOCK_SEQPACKET socket"}, // /dev/null
		{"vde:x", "must be tap:IFNAME"},
	} {
		cmd := exec.Command(exe)
		cmd.Env = []string{"MWASM_DISK0=" + img, "MWASM_NET0=" + tc.spec}
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		msg := strings.TrimSuffix(errb.String(), "\n")
		if code != 2 || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) {
			t.Errorf("MWASM_NET0=%s: status %d, stderr %q; want 2 and one line with %q", tc.spec, code, errb.String(), tc.want)
		}
	}
}
