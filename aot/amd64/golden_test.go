package amd64

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var bless = flag.Bool("bless", false, "rewrite testdata/encode.golden from the encoder (also: MWASM_BLESS=1)")

const goldenPath = "testdata/encode.golden"

func blessing() bool { return *bless || os.Getenv("MWASM_BLESS") == "1" }

// goldenText renders the corpus listing: `text // hex` per line.
func goldenText(t *testing.T) (string, *Assembler, []byte) {
	t.Helper()
	a := buildCorpus()
	code, err := a.Finish()
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	var b strings.Builder
	b.WriteString("# x86-64 encoder golden file: one instruction per line, AT&T text from\n")
	b.WriteString("# the encoder's listing, then its bytes. Regenerate with\n")
	b.WriteString("#   go test ./aot/amd64 -run TestGolden -bless   (or MWASM_BLESS=1).\n")
	b.WriteString("# TestObjdump checks every line against objdump.\n")
	for _, l := range a.Listing() {
		fmt.Fprintf(&b, "%s // %s\n", l.Text, hex.EncodeToString(code[l.Off:l.Off+l.Len]))
	}
	return b.String(), a, code
}

func TestGolden(t *testing.T) {
	got, a, code := goldenText(t)
	// The listing must tile the code exactly: no byte unlisted, none twice.
	pos := 0
	for _, l := range a.Listing() {
		if l.Off < pos {
			t.Fatalf("listing line %q at %#x overlaps the previous one (ends %#x)", l.Text, l.Off, pos)
		}
		if !l.Data && l.Off != pos {
			t.Fatalf("bytes %#x..%#x are not in the listing (next line %q)", pos, l.Off, l.Text)
		}
		pos = l.Off + l.Len
	}
	if pos != len(code) {
		t.Fatalf("listing ends at %#x, code at %#x", pos, len(code))
	}
	if blessing() {
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d lines)", goldenPath, strings.Count(got, "\n"))
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v; run `go test ./aot/amd64 -run TestGolden -bless` to create it", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s:%d differs:\n  golden:  %s\n  encoder: %s\nif the change is intended, run with -bless (and check TestObjdump passes)", goldenPath, i+1, w, g)
		}
	}
}

// objdumpInsn is one decoded instruction.
type objdumpInsn struct {
	off, n int
	text   string // mnemonic and operands, comment removed
	target string // the "# 0x..." comment, if any
}

var objdumpLine = regexp.MustCompile(`^\s*([0-9a-f]+):\t([0-9a-f ]+)\t(.*)$`)

func runObjdump(t *testing.T, code []byte) map[int]objdumpInsn {
	t.Helper()
	path, err := exec.LookPath("objdump")
	if err != nil {
		msg := "objdump (GNU binutils) not found: install it with `apt-get install -y binutils`; the encoder cannot be cross-checked without it"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Join(t.TempDir(), "code.bin")
	if err := os.WriteFile(bin, code, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "suffix", "--insn-width=16", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("objdump: %v\n%s", err, out)
	}
	insns := map[int]objdumpInsn{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := objdumpLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		off, _ := strconv.ParseInt(m[1], 16, 64)
		n := len(strings.Fields(m[2]))
		text, target, _ := strings.Cut(m[3], "#")
		insns[int(off)] = objdumpInsn{off: int(off), n: n, text: strings.TrimSpace(text), target: strings.TrimSpace(target)}
	}
	return insns
}

// splitOperands splits "a,b(c,d),e" at top-level commas.
func splitOperands(s string) []string {
	var ops []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				ops = append(ops, s[start:i])
				start = i + 1
			}
		}
	}
	if s != "" {
		ops = append(ops, s[start:])
	}
	return ops
}

func normalize(s string) (mnem string, ops []string) {
	s = strings.TrimSpace(s)
	mnem, rest, _ := strings.Cut(s, " ")
	rest = strings.Join(strings.Fields(rest), "")
	return mnem, splitOperands(rest)
}

func parseSignedHex(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if !strings.HasPrefix(s, "0x") {
		return 0, false
	}
	v, err := strconv.ParseUint(s[2:], 16, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

// immEqual compares our immediate (signed, as the operation sees it) with
// objdump's (printed unsigned at the operand width): they agree when the
// bit patterns agree at some width 8/16/32/64 that both fit.
func immEqual(ours, theirs string) bool {
	v, ok1 := parseSignedHex(ours)
	u, ok2 := parseSignedHex(theirs)
	if !ok1 || !ok2 {
		return false
	}
	if v == u {
		return true
	}
	for _, w := range []uint{8, 16, 32} {
		mask := uint64(1)<<w - 1
		if uint64(u) <= mask && uint64(v)&mask == uint64(u) && v < 0 && v >= -int64(1)<<(w-1) {
			return true
		}
	}
	return false
}

var (
	labelRe = regexp.MustCompile(`\.L(\d+)([+-]0x[0-9a-f]+)?`)
	symRe   = regexp.MustCompile(`ext_[a-z_]+([+-]0x[0-9a-f]+)?`)
)

// ourText rewrites our listing text into what objdump prints for the same
// bytes: label operands become the absolute target (branches) or the
// displacement (RIP-relative); symbol operands become the zero the bytes
// hold (relocations are RELA-style) — for call/jmp, the next instruction.
func ourText(a *Assembler, l Line) string {
	end := l.Off + l.Len
	txt := l.Text
	rip := strings.Contains(txt, "(%rip)")
	txt = labelRe.ReplaceAllStringFunc(txt, func(s string) string {
		m := labelRe.FindStringSubmatch(s)
		id, _ := strconv.Atoi(m[1])
		target := int64(a.LabelOffset(Label(id)))
		if m[2] != "" {
			d, _ := parseSignedHex(strings.TrimPrefix(m[2], "+"))
			target += d
		}
		if rip {
			return hexs(target - int64(end))
		}
		return fmt.Sprintf("0x%x", target)
	})
	txt = symRe.ReplaceAllStringFunc(txt, func(s string) string {
		if !rip && (strings.HasPrefix(txt, "callq ") || strings.HasPrefix(txt, "jmpq ")) {
			return fmt.Sprintf("0x%x", end)
		}
		return "0x0"
	})
	return txt
}

func TestObjdump(t *testing.T) {
	a := buildCorpus()
	code, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	insns := runObjdump(t, code[:a.CodeLen()])
	checked, failures := 0, 0
	for _, l := range a.Listing() {
		if l.Data {
			continue
		}
		hexBytes := hex.EncodeToString(code[l.Off : l.Off+l.Len])
		in, ok := insns[l.Off]
		fail := func(format string, args ...any) {
			failures++
			if failures <= 40 {
				t.Errorf("%s // %s: "+format, append([]any{l.Text, hexBytes}, args...)...)
			}
		}
		if !ok {
			fail("objdump has no instruction at offset %#x (out of sync)", l.Off)
			continue
		}
		if in.n != l.Len {
			fail("objdump decodes %d bytes (%s), we emitted %d", in.n, in.text, l.Len)
			continue
		}
		if strings.Contains(in.text, "(bad)") {
			fail("objdump: (bad)")
			continue
		}
		om, oops := normalize(in.text)
		wm, wops := normalize(ourText(a, l))
		if om != wm || len(oops) != len(wops) {
			fail("objdump says %q", in.text)
			continue
		}
		for i := range oops {
			if oops[i] == wops[i] {
				continue
			}
			if strings.HasPrefix(oops[i], "$") && strings.HasPrefix(wops[i], "$") && immEqual(wops[i][1:], oops[i][1:]) {
				continue
			}
			fail("operand %d: objdump says %q (%s)", i+1, oops[i], in.text)
			break
		}
		// RIP-relative: objdump's comment is the absolute target.
		if strings.Contains(l.Text, "(%rip)") && labelRe.MatchString(l.Text) {
			m := labelRe.FindStringSubmatch(l.Text)
			id, _ := strconv.Atoi(m[1])
			want := int64(a.LabelOffset(Label(id)))
			if m[2] != "" {
				d, _ := parseSignedHex(strings.TrimPrefix(m[2], "+"))
				want += d
			}
			if got, ok := new(big.Int).SetString(strings.TrimPrefix(in.target, "0x"), 16); !ok || got.Int64() != want {
				fail("objdump's RIP target is %q, want %#x", in.target, want)
			}
		}
		checked++
	}
	if failures > 0 {
		t.Fatalf("%d of %d instructions disagree with objdump", failures, checked+failures)
	}
	if checked < 5000 {
		t.Fatalf("only %d instructions checked; the corpus shrank?", checked)
	}
	t.Logf("objdump agrees on all %d instructions", checked)
}
