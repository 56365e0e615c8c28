package ir

import (
	"strings"
	"testing"
)

// Each case is valid text that parses but breaks one verifier rule, or a
// valid function broken through the API by mutate.
func TestVerifierCatchesEachErrorKind(t *testing.T) {
	const good = `func %f(i32, i64) -> i32 {
block0(v0: i32, v1: i64):
    v2 = iconst.i32 1
    brif v0, block1(v2), block2
block1(v3: i32):
    v4 = iadd.i32 v3, v0
    return v4
block2:
    return v0
}
`
	cases := []struct {
		name   string
		src    string
		mutate func(f *Func)
		kind   VerifyErrorKind
		want   string // substring of the message
	}{
		{name: "entry params", src: strings.Replace(good, "func %f(i32, i64)", "func %f(i32, i32)", 1),
			kind: ErrEntry, want: "entry parameter v1 has type i64, the signature says i32"},
		{name: "entry arity", src: strings.Replace(good, "func %f(i32, i64)", "func %f(i32)", 1),
			kind: ErrEntry, want: "entry block has 2 parameters, the signature 1"},
		{name: "branch to entry", src: strings.Replace(good, "    return v0\n}", "    jump block0(v0, v1)\n}", 1),
			kind: ErrEntry, want: "entry block is a branch target"},
		{name: "missing terminator", src: strings.Replace(good, "    return v0\n}", "    v9 = iconst.i32 3\n}", 1),
			kind: ErrTerminator, want: "does not end with a terminator"},
		{name: "terminator in middle", src: strings.Replace(good, "    v4 = iadd", "    return v3\n    v4 = iadd", 1),
			kind: ErrTerminator, want: "terminator in the middle"},
		{name: "use before def", src: strings.Replace(good, "    v4 = iadd.i32 v3, v0\n", "    v4 = iadd.i32 v3, v5\n    v5 = iconst.i32 2\n", 1),
			kind: ErrDominance, want: "v5 is used before its definition in the same block"},
		{name: "not dominated", src: strings.Replace(good, "block2:\n    return v0", "block2:\n    return v4", 1),
			kind: ErrDominance, want: "v4 (defined in block1) does not dominate this use"},
		{name: "param not dominated", src: strings.Replace(good, "block2:\n    return v0", "block2:\n    return v3", 1),
			kind: ErrDominance, want: "v3 (parameter of block1) does not dominate"},
		{name: "operand type", src: strings.Replace(good, "iadd.i32 v3, v0", "iadd.i32 v3, v1", 1),
			kind: ErrOperandType, want: "operand v1 has type i64, want i32"},
		{name: "conversion type", src: strings.Replace(good, "v2 = iconst.i32 1", "v2 = wrap.i32 v0", 1),
			kind: ErrOperandType, want: "wrap cannot convert i32 to i32"},
		{name: "branch arity", src: strings.Replace(good, "block1(v2)", "block1", 1),
			kind: ErrBranchArgs, want: "branch to block1 passes 0 arguments, it has 1 parameters"},
		{name: "branch arg type", src: strings.Replace(good, "block1(v2)", "block1(v1)", 1),
			kind: ErrBranchArgs, want: "argument v1 has type i64, parameter v3 has i32"},
		{name: "return count", src: strings.Replace(good, "    return v0\n}", "    return\n}", 1),
			kind: ErrReturn, want: "0 return values given, 1 expected"},
		{name: "return type", src: strings.Replace(good, "    return v0\n}", "    return v1\n}", 1),
			kind: ErrReturn, want: "return value 0 (v1) has type i64, want i32"},
		{name: "call args", src: strings.Replace(strings.Replace(good, "block0(", "    fn3 = (i64) -> i32\nblock0(", 1), "    v2 = iconst.i32 1\n", "    v2 = call fn3(v0)\n", 1),
			kind: ErrOperandType, want: "argument 0 (v0) has type i32, want i64"},
		{name: "undefined operand", src: good,
			mutate: func(f *Func) { f.RemoveInst(f.Blocks[0].Insts[0]) },
			kind:   ErrUndefined, want: "v2 is the result of a removed instruction"},
		{name: "operand count", src: good,
			mutate: func(f *Func) { d := &f.Insts[f.Blocks[1].Insts[0]]; d.Args = d.Args[:1] },
			kind:   ErrOperandCount, want: "iadd takes 2 operands, has 1"},
		{name: "bad branch target", src: good,
			mutate: func(f *Func) { f.Insts[f.Blocks[0].Insts[1]].Dests[1].Block = 42 },
			kind:   ErrBranchTarget, want: "branch to block42, which does not exist"},
		{name: "result type", src: good,
			mutate: func(f *Func) { f.Values[2].Type = I64 },
			kind:   ErrResult, want: "result v2 has type i64, iconst produces i32"},
		{name: "alias", src: good,
			mutate: func(f *Func) { f.SetAlias(4, 0) },
			kind:   ErrAlias, want: "v4 is an alias of v0"},
		{name: "bad type suffix", src: good,
			mutate: func(f *Func) { f.Insts[f.Blocks[1].Insts[0]].Type = F32 },
			kind:   ErrOperandType, want: "iadd does not take type f32"},
		{name: "undeclared callee", src: good,
			mutate: func(f *Func) {
				f.Callees[1] = Signature{}
				i := f.NewInst(InstData{Op: OpCall, Index: 1})
				delete(f.Callees, 1)
				f.InsertInst(1, 0, i)
			},
			kind: ErrCallee, want: "fn1 is not declared"},
		{name: "structure", src: good,
			mutate: func(f *Func) { f.Layout = append(f.Layout, 1) },
			kind:   ErrStructure, want: "block appears twice in the layout"},
	}
	base, err := Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(base); err != nil {
		t.Fatalf("base function fails: %v", err)
	}
	seen := map[VerifyErrorKind]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.src)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if c.mutate != nil {
				c.mutate(f)
			}
			err = Verify(f)
			if err == nil {
				t.Fatalf("verifier accepted:\n%s", f)
			}
			es := err.(VerifyErrors)
			found := false
			for _, e := range es {
				if e.Kind == c.kind && strings.Contains(e.Error(), c.want) {
					found = true
					if !strings.HasPrefix(e.Error(), "ir: verify func %f") {
						t.Errorf("error does not name the function: %s", e)
					}
				}
			}
			if !found {
				t.Errorf("want a %s error containing %q, got:\n%v", c.kind, c.want, err)
			}
			seen[c.kind] = true
		})
	}
	for k := ErrStructure; k <= ErrAlias; k++ {
		if !seen[k] {
			t.Errorf("no test case for error kind %s", k)
		}
	}
}

func TestVerifyErrorNamesBlockAndInst(t *testing.T) {
	f, err := Parse("func %g(i32) -> i32 {\nblock0(v0: i32):\n    v1 = iconst.i64 1\n    v2 = iadd.i32 v0, v1\n    return v2\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	err = Verify(f)
	want := `ir: verify func %g, block0, "v2 = iadd.i32 v0, v1": operand v1 has type i64, want i32`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
