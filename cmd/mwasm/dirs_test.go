package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/xenboot"
)

// TestBadDir: each bad --dir is one line naming the flag and exit status 2,
// before the app runs.
func TestBadDir(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	missing := filepath.Join(t.TempDir(), "nope")
	file := writeFile(t, "plain", []byte("x"))
	dir := t.TempDir()
	wantUsage(t, mwasm(t, "run", "--dir", missing, m), "--dir", missing, "no such file or directory", "give an existing directory")
	wantUsage(t, mwasm(t, "run", "--dir", file+"::/data", m), "--dir", file+" is not a directory")
	wantUsage(t, mwasm(t, "run", "--dir", "::/data", m), "the host directory is empty")
	wantUsage(t, mwasm(t, "run", "--dir", dir+"::", m), "the guest name after :: is empty")
	wantUsage(t, mwasm(t, "run", "--dir", dir+"::/a", "--dir", dir+"::/a:ro", m), "the guest name /a is given twice")
}

// TestUnreadableDir: a directory the user may not read is the same one line.
// As root (CI), the check runs in a child without the capabilities that let
// root read anything (setpriv, from util-linux).
func TestUnreadableDir(t *testing.T) {
	if os.Getenv("MWASM_TEST_UNREADABLE") == "" {
		dir := t.TempDir()
		locked := filepath.Join(dir, "locked")
		if err := os.Mkdir(locked, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(locked, 0o755)
		if os.Geteuid() != 0 {
			t.Setenv("MWASM_TEST_UNREADABLE", locked)
			TestUnreadableDir(t)
			return
		}
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Fatal("running as root, the check needs setpriv (Debian package util-linux) to drop CAP_DAC_OVERRIDE: not found")
		}
		cmd := exec.Command(setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--",
			os.Args[0], "-test.run=^TestUnreadableDir$", "-test.v")
		cmd.Env = append(os.Environ(), "MWASM_TEST_UNREADABLE="+locked)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestUnreadableDir") {
			t.Fatalf("the check without root's capabilities failed (%v):\n%s", err, out)
		}
		return
	}
	locked := os.Getenv("MWASM_TEST_UNREADABLE")
	if f, err := os.Open(locked); err == nil {
		f.Close()
		t.Fatalf("%s (mode 000) can be read: the test cannot check anything", locked)
	}
	m := writeFile(t, "m.wasm", minimalModule)
	wantUsage(t, mwasm(t, "run", "--dir", locked, m), "--dir", locked, "permission denied")
}

// TestBuildDir: mwasm build --dir packs the tree; the manifest lists it and
// mwasm inspect shows its size and file count, for both targets.
func TestBuildDir(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(src, "a", "b", "f.txt"), []byte("0123456789"), 0o644)
	os.WriteFile(filepath.Join(src, "top"), []byte("xyz"), 0o644)
	os.Symlink("top", filepath.Join(src, "link"))
	m := writeFile(t, "m.wasm", minimalModule)
	for _, target := range []string{"linux", "xen"} {
		out := filepath.Join(t.TempDir(), "m")
		r := mwasm(t, "build", "--target", target, "--dir", src+"::/data:ro", m, "-o", out)
		if r.code != 0 {
			t.Fatalf("%s: build: exit %d, %q", target, r.code, r.stderr)
		}
		man, err := imageManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		want := []manifestTree{{Guest: "/data", ReadOnly: true, Files: 2, Dirs: 2, Links: 1, Bytes: 13}}
		if len(man.Files) != 1 || manifestTree(man.Files[0]) != want[0] {
			t.Errorf("%s: manifest files %+v, want %+v", target, man.Files, want)
		}
		r = mwasm(t, "inspect", out)
		for _, w := range []string{"files (1 trees, 2 files, 13 bytes)", "/data", "2 files, 2 directories, 1 links", "read-only"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%s: inspect does not show %q:\n%s", target, w, r.stdout)
			}
		}
		img, _ := os.ReadFile(out)
		img, _, _ = xenboot.Decompress(img)
		if !bytes.Contains(img, []byte("0123456789")) {
			t.Errorf("%s: the image does not hold the file's contents", target)
		}
	}
}

// TestBuildDirErrors: what cannot be packed, or does not fit, is one line and
// status 2, and no image is written.
func TestBuildDirErrors(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	out := filepath.Join(t.TempDir(), "m.xen")
	wantUsage(t, mwasm(t, "build", "--dir", filepath.Join(t.TempDir(), "nope"), m, "-o", out), "--dir", "(mwasm build)", "give an existing directory")

	fifoDir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, mwasm(t, "build", "--dir", fifoDir, m, "-o", out), "pipe is a", "not a file, directory or symbolic link")

	big := t.TempDir()
	if err := os.WriteFile(filepath.Join(big, "big.bin"), make([]byte, 40<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mwasm(t, "build", "--memory", "32", "--dir", big, m, "-o", out)
	wantUsage(t, r, "--memory 32", "less than the image needs", "for the --dir trees")
	if _, err := os.Stat(out); err == nil {
		t.Error("an image was written despite the errors")
	}
	// Without --memory the domain gets what the tree needs.
	if r := mwasm(t, "build", "--dir", big, m, "-o", out); r.code != 0 {
		t.Fatalf("build with a 40 MiB tree: exit %d, %q", r.code, r.stderr)
	}
	man, err := imageManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if man.Memory < 80 {
		t.Errorf("a 40 MiB tree in a domain of %d MiB: it is held twice", man.Memory)
	}
}

type manifestTree = manifest.Tree

// imageManifest reads the manifest of an image of either target.
func imageManifest(p string) (*manifest.Manifest, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if b, _, err = xenboot.Decompress(b); err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return manifest.FromELF(f)
}
