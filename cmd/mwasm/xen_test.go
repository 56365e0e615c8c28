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
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
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
	img, _ := os.ReadFile(out)
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
