package link_test

// These tests run the system's ELF tools (binutils, gdb, perf) on linked
// images: what they print is what users will see.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/link"
)

// tool finds a program; if it is missing the test is skipped, saying how to
// install it, except that a missing binutils tool (the project's setup
// installs binutils) fails the test under CI (env CI set).
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s not found: install it with `apt-get install -y %s`; without it the output cannot be checked against real tools", name, pkg)
		if os.Getenv("CI") != "" && pkg == "binutils" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// writeImage writes im to a temporary file and returns its path.
func writeImage(t *testing.T, im *link.Image) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prog")
	if err := im.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// runTool runs a tool and returns stdout; anything on stderr fails the test
// (binutils print warnings about malformed files there).
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	if errb.Len() > 0 {
		t.Fatalf("%s %s wrote to stderr:\n%s", name, strings.Join(args, " "), errb.String())
	}
	return out.String()
}

// programWithNotes is the TestProgram program plus two notes.
func programWithNotes(t *testing.T) (*link.Linker, *link.Image) {
	t.Helper()
	l := buildProgram(t, link.Config{})
	n := l.NoteSection(".note.mwasm")
	l.AddNote(n, "mwasm", 0x1234, []byte{0xde, 0xad, 0xbe, 0xef, 0x01})
	x := l.NoteSection(".note.Xen")
	off := l.AddNote(x, "Xen", 18, make([]byte, 4))
	l.AddReloc(link.Reloc{Section: x, Offset: off, Kind: link.ABS32, Symbol: "_start"})
	im, err := l.Link()
	if err != nil {
		t.Fatal(err)
	}
	return l, im
}

func TestReadelf(t *testing.T) {
	readelf := tool(t, "readelf", "binutils")
	l, im := programWithNotes(t)
	out := runTool(t, readelf, "-W", "-a", writeImage(t, im))
	for _, bad := range []string{"Warning", "warning", "Error", "error", "corrupt"} {
		if strings.Contains(out, bad) {
			t.Fatalf("readelf -a reports %q:\n%s", bad, out)
		}
	}
	for _, re := range []string{
		`Type:\s+EXEC \(Executable file\)`,
		`Machine:\s+Advanced Micro Devices X86-64`,
		fmt.Sprintf(`Entry point address:\s+0x%x\n`, im.Entry),
		`LOAD\s+0x0+ 0x0+400000 0x0+400000 0x\w+ 0x\w+ R   0x1000`,
		`LOAD\s+0x\w+ 0x\w+ 0x\w+ 0x\w+ 0x\w+ R E 0x1000`,
		`LOAD\s+0x\w+ 0x\w+ 0x\w+ 0x\w+ 0x\w+ RW  0x1000`,
		`GNU_STACK\s+0x0+ 0x0+ 0x0+ 0x0+ 0x0+ RW  0x10`,
		// .note.mwasm: a 12-byte header, "mwasm\0" padded to 8, 5 bytes of desc padded to 8.
		`NOTE\s+0x\w+ 0x\w+ 0x\w+ 0x0+1c 0x0+1c R   0x4`,
		`\n\s+00\s+\.note\.mwasm \.note\.Xen \.rodata \n`,
		`\n\s+01\s+\.text \n`,
		`\n\s+02\s+\.data \.bss \n`,
		fmt.Sprintf(`Symbol table '\.symtab' contains %d entries`, len(l.Symbols())+1),
		`FUNC    GLOBAL DEFAULT\s+\d+ app!bump\n`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("readelf -W -a output does not match %q", re)
		}
	}
	if t.Failed() {
		t.Logf("readelf output:\n%s", out)
	}
}

func TestReadelfNotes(t *testing.T) {
	readelf := tool(t, "readelf", "binutils")
	_, im := programWithNotes(t)
	out := runTool(t, readelf, "-W", "-n", writeImage(t, im))
	for _, re := range []string{
		`Displaying notes found in: \.note\.mwasm\n`,
		`\n\s+mwasm\s+0x00000005\s+Unknown note type: \(0x00001234\)\s+description data: de ad be ef 01 \n`,
		`Displaying notes found in: \.note\.Xen\n`,
		// PHYS32_ENTRY (18): the entry address, little-endian.
		fmt.Sprintf(`\n\s+Xen\s+0x00000004\s+Unknown note type: \(0x00000012\)\s+description data: %02x %02x %02x %02x \n`,
			byte(im.Entry), byte(im.Entry>>8), byte(im.Entry>>16), byte(im.Entry>>24)),
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("readelf -n output does not match %q:\n%s", re, out)
		}
	}
}

func TestNm(t *testing.T) {
	nm := tool(t, "nm", "binutils")
	l, im := programWithNotes(t)
	out := runTool(t, nm, "-S", "--defined-only", writeImage(t, im))
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("nm line %q: want address, size, type, name", line)
		}
		got[f[3]] = line
	}
	letters := map[string]string{".text": "T", ".rodata": "R", ".data": "D", ".bss": "B"}
	for _, s := range l.Symbols() {
		letter := letters[l.SectionName(s.Section)]
		if s.Local {
			letter = strings.ToLower(letter)
		}
		want := fmt.Sprintf("%016x %016x %s %s", addr(t, im, s.Name), s.Size, letter, s.Name)
		if got[s.Name] != want {
			t.Errorf("nm: %q, want %q", got[s.Name], want)
		}
		delete(got, s.Name)
	}
	for name, line := range got {
		t.Errorf("nm lists %q, which was not defined: %q", name, line)
	}
}

func TestObjdump(t *testing.T) {
	objdump := tool(t, "objdump", "binutils")
	_, im := programWithNotes(t)
	out := runTool(t, objdump, "-d", writeImage(t, im))
	bump := addr(t, im, "app!bump")
	for _, re := range []string{
		fmt.Sprintf(`\n0*%x <app!bump>:\n`, bump),
		fmt.Sprintf(`\n0*%x <_start>:\n`, im.Entry),
		fmt.Sprintf(`call\s+%x <app!bump>\n`, bump),      // PC32 resolved
		`call\s+\*-?0x\w+\(%rip\)\s+# \w+ <table>\n`,     // RIP-relative to rodata
		`addq\s+\$0x1,0x\w+\(%rip\)\s+# \w+ <counter>\n`, // PC32 with an immediate after it
		`movabs\s+\$0x\w+,%rsi\n`,                        // ABS64 in code
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("objdump -d output does not match %q", re)
		}
	}
	m := regexp.MustCompile(`movabs\s+\$0x(\w+),%rsi`).FindStringSubmatch(out)
	if m != nil {
		if v, _ := strconv.ParseUint(m[1], 16, 64); v != addr(t, im, "msg2") {
			t.Errorf("movabs loads %#x, msg2 is at %#x", v, addr(t, im, "msg2"))
		}
	}
	if t.Failed() {
		t.Logf("objdump output:\n%s", out)
	}
}

func TestGDB(t *testing.T) {
	gdb := tool(t, "gdb", "gdb")
	_, im := programWithNotes(t)
	path := writeImage(t, im)
	cases := map[uint64]string{
		addr(t, im, "app!bump") + 3: "app!bump + 3 in section .text",
		addr(t, im, "app!greet"):    "app!greet in section .text",
		im.Entry + 1:                "_start + 1 in section .text",
		addr(t, im, "buf") + 8:      "buf + 8 in section .bss",
		addr(t, im, "counter"):      "counter in section .data",
		addr(t, im, "msg1") + 2:     "msg1 + 2 in section .rodata",
	}
	args := []string{"-batch", "-nx"}
	var order []uint64
	for a := range cases {
		order = append(order, a)
	}
	for _, a := range order {
		args = append(args, "-ex", fmt.Sprintf("info symbol %#x", a))
	}
	// A breakpoint by the quoted name and a backtrace through a call.
	args = append(args, "-ex", "break 'app!greet'", "-ex", "run", "-ex", "bt", path)
	cmd := exec.Command(gdb, args...)
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	for i, a := range order {
		if i >= len(lines) || strings.TrimSpace(lines[i]) != cases[a] {
			t.Errorf("info symbol %#x: want %q; gdb said:\n%s", a, cases[a], out)
		}
	}
	if !regexp.MustCompile(`Breakpoint 1, 0x0*\w+ in app!greet \(\)`).MatchString(out) ||
		!regexp.MustCompile(`#1\s+0x\w+ in _start \(\)`).MatchString(out) {
		t.Errorf("gdb did not stop in app!greet called from _start:\n%s", out)
	}
}

// TestPerf profiles a program that spends its time in app!spin and checks
// that perf report names the function.
func TestPerf(t *testing.T) {
	canRun(t)
	perf := tool(t, "perf", "linux-perf")
	l := link.New(link.Config{})
	l.AddFunc(asm(t, "_start", func(a *Assembler) {
		a.CallSym("app!spin")
		exit(a, 0)
	}))
	l.AddFunc(asm(t, "app!spin", func(a *Assembler) {
		loop := a.NewLabel()
		a.MovImm(S64, RCX, 150_000_000)
		a.Bind(loop)
		a.AluRI(SUB, S64, RCX, 1)
		a.Jcc(CondNE, loop)
		a.Ret()
	}))
	im, err := l.Link()
	if err != nil {
		t.Fatal(err)
	}
	path := writeImage(t, im)
	data := filepath.Join(t.TempDir(), "perf.data")
	if out, err := exec.Command(perf, "record", "-q", "-e", "cpu-clock", "-o", data, path).CombinedOutput(); err != nil {
		t.Skipf("perf record cannot profile here (%v: %s); check /proc/sys/kernel/perf_event_paranoid", err, strings.TrimSpace(string(out)))
	}
	out, err := exec.Command(perf, "report", "-i", data, "--stdio", "--sort", "symbol").CombinedOutput()
	if err != nil {
		t.Fatalf("perf report: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`\d+\.\d+%\s+\[\.\] app!spin\s`).Match(out) {
		t.Errorf("perf report does not attribute samples to app!spin:\n%s", out)
	}
}
