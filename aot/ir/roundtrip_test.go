package ir

import (
	"os"
	"strings"
	"testing"
)

func TestRoundTripCorpus(t *testing.T) {
	src, err := os.ReadFile("testdata/roundtrip.ir")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ParseFuncs(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) < 7 {
		t.Fatalf("parsed %d functions, want 7", len(fs))
	}
	var out strings.Builder
	for _, f := range fs {
		if err := Verify(f); err != nil {
			t.Errorf("corpus function %s does not verify:\n%v", f.Name, err)
		}
		out.WriteString(f.String())
	}
	if got := out.String(); got != string(src) {
		t.Errorf("round trip differs\n%s", diffLines(string(src), got))
	}
}

// Non-canonical input (hex constants, comments, spacing, long float
// spellings) parses and prints in canonical form.
func TestParseCanonicalizes(t *testing.T) {
	in := `; leading comment
func %f(i32) -> i32 {   ; trailing comment
block0(v0:i32):
      v1 = iconst.i32 0xffffffff
    v2 = fconst.f64 1.50
    v3 = fconst.f32 -0.0
    v4 = fconst.f64 0x1p-2
    v5 = iadd.i32 v0,v1
    return v5
}`
	want := `func %f(i32) -> i32 {
block0(v0: i32):
    v1 = iconst.i32 -1
    v2 = fconst.f64 1.5
    v3 = fconst.f32 -0
    v4 = fconst.f64 0.25
    v5 = iadd.i32 v0, v1
    return v5
}
`
	f, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Exact bits survive.
	if f.Insts[2].Imm != 0x80000000 {
		t.Errorf("-0.0 f32 bits = %#x, want 0x80000000", f.Insts[2].Imm)
	}
	if f.Insts[0].Imm != 0xffffffff {
		t.Errorf("i32 -1 bits = %#x, want 0xffffffff", f.Insts[0].Imm)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown opcode", "func %f() {\nblock0:\n    v0 = frob.i32 v1\n    return\n}", `line 3: unknown opcode "frob"`},
		{"missing type suffix", "func %f() {\nblock0:\n    v0 = iconst 1\n    return\n}", "iconst needs a type suffix"},
		{"wrong type suffix", "func %f() {\nblock0:\n    v0 = iconst.f32 1\n    return\n}", "iconst does not take type f32"},
		{"undefined value", "func %f() -> i32 {\nblock0:\n    return v9\n}", "line 3: v9 is used but never defined"},
		{"value defined twice", "func %f() {\nblock0:\n    v0 = iconst.i32 1\n    v0 = iconst.i32 2\n    return\n}", "v0 defined twice"},
		{"missing block", "func %f() {\nblock0:\n    jump block7\n}", "block7 is a branch target but has no header"},
		{"bad constant", "func %f() {\nblock0:\n    v0 = iconst.i32 4294967296\n    return\n}", "bad i32 constant"},
		{"bad nan", "func %f() {\nblock0:\n    v0 = fconst.f32 nan:0x3f800000\n    return\n}", "bad NaN"},
		{"result count", "func %f() {\nblock0:\n    iconst.i32 1\n    return\n}", "iconst produces 1 results, but 0 are named"},
		{"operand count", "func %f(i32) {\nblock0(v0: i32):\n    v1 = iadd.i32 v0\n    return\n}", "iadd takes 2 value operands, found 1"},
		{"undeclared callee", "func %f() {\nblock0:\n    call fn3()\n    return\n}", "fn3, which is not declared"},
		{"unclosed", "func %f() {\nblock0:\n    return\n", "missing closing }"},
		{"bad trap", "func %f() {\nblock0:\n    trap oops\n}", `unknown trap kind "oops"`},
		{"inst before block", "func %f() {\n    return\n}", "instruction before the first block header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.src)
			if err == nil {
				t.Fatalf("parsed without error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "func %f") && c.name != "x" {
				t.Errorf("error %q does not mention %q and the function", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}
