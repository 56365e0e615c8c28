package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/xenboot"
)

// TestBuildXen: mwasm build's default target writes a Xen PVH image (the Xen
// notes, the manifest) and its xl config beside it.
func TestBuildXen(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.xen")
	r := mwasm(t, "build", writeFile(t, "m.wasm", minimalModule), "-o", out, "--", "a b", "c")
	if r.code != 0 {
		t.Fatalf("build: exit %d, stderr %q", r.code, r.stderr)
	}
	f := openXenImage(t, out)
	entry := uint32(0)
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		data := make([]byte, p.Filesz)
		p.ReadAt(data, 0)
		for len(data) >= 12 {
			nsz, dsz, typ := binary.LittleEndian.Uint32(data), binary.LittleEndian.Uint32(data[4:]), binary.LittleEndian.Uint32(data[8:])
			name := data[12 : 12+nsz]
			desc := data[12+(nsz+3)&^3:]
			if string(name) == "Xen\x00" && typ == 18 { // XEN_ELFNOTE_PHYS32_ENTRY
				entry = binary.LittleEndian.Uint32(desc)
			}
			data = desc[(dsz+3)&^3:]
		}
	}
	if entry == 0 || uint64(entry) != f.Entry || f.Entry < 0x100000 {
		t.Errorf("PHYS32_ENTRY note %#x, ELF entry %#x: want the same address above 1 MiB", entry, f.Entry)
	}
	man, err := manifest.FromELF(f)
	if err != nil || man.Target != manifest.TargetXen || man.Memory == 0 {
		t.Fatalf("manifest %+v, %v", man, err)
	}
	xl, err := os.ReadFile(out + ".xl")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name = \"m\"\n", "type = \"pvh\"\n", "kernel = \"" + out + "\"\n", "memory = " + strconv.Itoa(man.Memory) + "\n", "vcpus = 1\n", "on_crash = \"destroy\"\n"} {
		if !strings.Contains(string(xl), want) {
			t.Errorf("xl config lacks %q:\n%s", want, xl)
		}
	}
	// The build-time arguments are in the image's configuration blob.
	img := xenELF(t, out)
	if !bytes.Contains(img, []byte("\x01\x00\x00\x00\x03\x00\x00\x00a b\x01\x00\x00\x00\x01\x00\x00\x00c")) {
		t.Error("the image does not hold the build-time arguments")
	}
}

var atLeastRe = regexp.MustCompile(`give at least (\d+)`)

func TestBuildXenMemory(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	out := filepath.Join(t.TempDir(), "m.xen")
	r := mwasm(t, "build", "--memory", "1", m, "-o", out)
	wantUsage(t, r, "--memory 1", "less than the image needs to start")
	sub := atLeastRe.FindStringSubmatch(r.stderr)
	if sub == nil {
		t.Fatalf("no minimum in %q", r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an image was written despite the error")
	}
	// The minimum it names is accepted and lands in the xl config.
	if r := mwasm(t, "build", "--memory", sub[1], m, "-o", out); r.code != 0 {
		t.Fatalf("--memory %s: exit %d, %q", sub[1], r.code, r.stderr)
	}
	xl, _ := os.ReadFile(out + ".xl")
	if !strings.Contains(string(xl), "memory = "+sub[1]+"\n") {
		t.Errorf("xl config:\n%s", xl)
	}
	wantUsage(t, mwasm(t, "build", "--memory", "-3", m, "-o", out), "--memory -3")
	wantUsage(t, mwasm(t, "build", "--target", "linux", "--memory", "64", m, "-o", out), "--memory is for --target xen")
	wantUsage(t, mwasm(t, "build", "--target", "linux", m, "-o", out, "--", "x"), "arguments after -- are for --target xen")
	wantUsage(t, mwasm(t, "build", "--target", "arm", m, "-o", out), `--target "arm" is not supported`)
}

func TestInspectXen(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.xen")
	if r := mwasm(t, "build", writeFile(t, "m.wasm", minimalModule), "-o", out); r.code != 0 {
		t.Fatalf("build: %q", r.stderr)
	}
	r := mwasm(t, "inspect", out)
	if r.code != 0 {
		t.Fatalf("inspect: exit %d, %q", r.code, r.stderr)
	}
	for _, re := range []string{`(?m)^target\s+xen, \d+ MiB$`, `(?m)^\s+Xen\s+PHYS32_ENTRY\s+0x[0-9a-f]+$`, `(?m)^\s+Xen\s+GUEST_OS\s+mwasm$`, `(?m)^\s+\.text\s+0x[0-9a-f]+\s+\d+$`, `(?m)^\s+LOAD\s+RX\s`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("inspect output lacks %s:\n%s", re, r.stdout)
		}
	}
}

// xenELF reads an image written by mwasm build for Xen and returns the ELF in
// it: by default the file is gzip-compressed (Xen unpacks it at load).
func xenELF(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Fatalf("%s is not gzip-compressed (starts % x)", p, b[:8])
	}
	e, c, err := xenboot.Decompress(b)
	if err != nil || c != xenboot.CompressGzip || !bytes.HasPrefix(e, []byte("\x7fELF")) {
		t.Fatalf("%s: %s, %v", p, c, err)
	}
	return e
}

func openXenImage(t *testing.T, p string) *elf.File {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(xenELF(t, p)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBuildXenCompress: --compress chooses the image file's form; mwasm
// inspect reads every form, and a damaged one is one line.
func TestBuildXenCompress(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	dir := t.TempDir()
	sizes := map[string]int64{}
	for _, c := range []string{"none", "gzip"} {
		out := filepath.Join(dir, c+".xen")
		if r := mwasm(t, "build", "--compress", c, m, "-o", out); r.code != 0 {
			t.Fatalf("--compress %s: exit %d, %q", c, r.code, r.stderr)
		}
		st, _ := os.Stat(out)
		sizes[c] = st.Size()
		r := mwasm(t, "inspect", out)
		if r.code != 0 || !strings.Contains(r.stdout, "target    xen") {
			t.Errorf("inspect of the %s image: exit %d, %q", c, r.code, r.stdout+r.stderr)
		}
		if c != "none" && !strings.Contains(r.stdout, c+"-compressed") {
			t.Errorf("inspect does not say the image is %s-compressed:\n%s", c, r.stdout)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "none.xen"))
	if !bytes.HasPrefix(b, []byte("\x7fELF")) {
		t.Error("--compress none did not write the ELF as it is")
	}
	if !(sizes["gzip"] < sizes["none"]/2) {
		t.Errorf("sizes %v: want gzip below half of none", sizes)
	}
	wantUsage(t, mwasm(t, "build", "--compress", "bz2", m, "-o", filepath.Join(dir, "x.xen")), "--compress", `"bz2" is not a compression`)
	wantUsage(t, mwasm(t, "build", "--target", "linux", "--compress", "gzip", m, "-o", filepath.Join(dir, "x")), "--compress is for --target xen")
	// xz: Xen's loader unpacks it only inside a Linux bzImage, so it is refused.
	wantUsage(t, mwasm(t, "build", "--compress", "xz", m, "-o", filepath.Join(dir, "x.xen")), "--compress", `"xz" is not a compression`, "Xen's loader unpacks no other")
	gzImg, _ := os.ReadFile(filepath.Join(dir, "gzip.xen"))
	cut := writeFile(t, "cut.xen", gzImg[:len(gzImg)/2])
	wantUsage(t, mwasm(t, "inspect", cut), "is gzip-compressed but cannot be unpacked")
}
