// Command sizebench builds the apps hello-c, hello, httpd and kv for both of
// mwasm's targets and writes a report of where the bytes of each image go:
// app and shim machine code (from the function symbols, MODULE!NAME), the
// other code (boot layer, natives, trampolines), read-only data (data
// segments, trap-site and PC tables, names), writable data (vmctx, tables),
// the symbol table, and the file on disk (for Xen: gzip, as mwasm build
// writes it).
//
//	cd bench && go run ./cmd/sizebench -o SIZE-REPORT.md
package main

import (
	"bytes"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mwasm/mwasm/xenboot"
)

type app struct {
	name, dir string
	xen       []string // mwasm build flags for the Xen image
	linux     []string // and for the executable
}

var apps = []app{
	{"hello-c", "apps/hello-c", nil, nil},
	{"hello", "apps/hello", nil, nil},
	{"httpd", "apps/httpd", []string{"--net", "vif,ip=10.0.3.2/24"}, []string{"--net", "user"}},
	{"kv", "apps/kv", []string{"--net", "vif,ip=10.0.3.4/24", "--disk"}, []string{"--net", "user", "--disk"}},
}

// breakdown is an image's bytes by kind.
type breakdown struct {
	appCode, shimCode, otherCode uint64
	rodata, data, bss            uint64
	symbols                      uint64 // .symtab + .strtab
	elf                          int
}

func measure(elfBytes []byte) (breakdown, error) {
	f, err := elf.NewFile(bytes.NewReader(elfBytes))
	if err != nil {
		return breakdown{}, err
	}
	b := breakdown{elf: len(elfBytes)}
	for _, s := range f.Sections {
		switch s.Name {
		case ".text":
			b.otherCode = s.Size
		case ".rodata":
			b.rodata = s.Size
		case ".data":
			b.data = s.Size
		case ".bss":
			b.bss = s.Size
		case ".symtab", ".strtab":
			b.symbols += s.Size
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		return b, err
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC {
			continue
		}
		switch {
		case strings.HasPrefix(s.Name, "app!"):
			b.appCode += s.Size
		case strings.HasPrefix(s.Name, "shim!"):
			b.shimCode += s.Size
		}
	}
	b.otherCode -= min(b.otherCode, b.appCode+b.shimCode)
	return b, nil
}

func run(dir string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func kib(n uint64) string { return fmt.Sprintf("%.0f", float64(n)/1024) }

func main() {
	out := flag.String("o", "", "also write the markdown report to this file")
	flag.Parse()
	bench, _ := os.Getwd()
	root := filepath.Dir(bench)
	work, err := os.MkdirTemp("", "sizebench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(work)
	mw := filepath.Join(work, "mwasm")
	if err := run(root, "go", "build", "-o", mw, "./cmd/mwasm"); err != nil {
		fail(err)
	}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	goVer := runtime.Version()
	p("# Image sizes\n\n")
	p("Measured %s with `go run ./cmd/sizebench` (bench/), %s, mwasm at the checkout's HEAD.\n", time.Now().UTC().Format("2006-01-02"), goVer)
	p("Columns in KiB (1024 bytes): machine code of the app and of the shim (their function symbols), other code\n")
	p("(boot layer, natives, trampolines, trap reporter), .rodata (data segments, trap-site and PC tables,\n")
	p("function names), .data (vmctx, tables, writable globals), the ELF symbol table, the ELF image, and the\n")
	p("file on disk: a Xen image is written gzip-compressed (Xen's domain builder unpacks it; it reads no\n")
	p("other format for an ELF kernel), a Linux executable as it is. .bss is not in the file.\n\n")
	p("| app | target | app code | shim code | other code | .rodata | .data | symbols | ELF | file |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, a := range apps {
		for _, target := range []string{"xen", "linux"} {
			img := filepath.Join(work, a.name+"."+target)
			args := []string{"build", "--target", target}
			if target == "xen" {
				args = append(append(args, "--compress", "none"), a.xen...)
			} else {
				args = append(args, a.linux...)
			}
			args = append(args, a.dir, "-o", img)
			if err := run(root, mw, args...); err != nil {
				fail(err)
			}
			data, err := os.ReadFile(img)
			if err != nil {
				fail(err)
			}
			m, err := measure(data)
			if err != nil {
				fail(err)
			}
			file := len(data)
			if target == "xen" {
				gz, err := xenboot.Compress(data, xenboot.CompressGzip)
				if err != nil {
					fail(err)
				}
				file = len(gz)
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", a.name, target, kib(m.appCode), kib(m.shimCode), kib(m.otherCode),
				kib(m.rodata), kib(m.data), kib(m.symbols), kib(uint64(m.elf)), kib(uint64(file)))
		}
	}
	p("\nxz would shrink the C hello's file to 1.7 MB (the pure-Go encoder), but Xen 4.17's loader unpacks xz only as\n")
	p("the payload of a Linux bzImage, not an ELF kernel (tried: \"no loader found: Invalid kernel\").\n")
	p("\nFor scale, published figures: MirageOS unikernels 0.17-0.45 MB; Unikraft's hello world 208 KiB.\n")
	p("The floor under mwasm's shim is Go's own runtime: a Go reactor (`GOOS=wasip1 -buildmode=c-shared`)\n")
	p("exporting one function that adds 1 is already about 1.8 MB of Wasm, against the shim's 2.6 MB.\n")
	md := b.String()
	fmt.Print(md)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sizebench:", err)
	os.Exit(1)
}
