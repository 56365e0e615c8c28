package ir

import (
	"strings"
	"testing"
)

func build(t *testing.T, name string, sig Signature, gen func(b *Builder)) *Func {
	t.Helper()
	f := NewFunc(name, sig)
	b := NewBuilder(f)
	gen(b)
	if err := b.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := Verify(f); err != nil {
		t.Fatalf("built function does not verify:\n%v\n%s", err, f)
	}
	// The text form must survive a round trip too.
	g, err := Parse(f.String())
	if err != nil {
		t.Fatalf("printed form does not parse: %v\n%s", err, f)
	}
	if g.String() != f.String() {
		t.Fatalf("round trip differs:\n%s", diffLines(f.String(), g.String()))
	}
	return f
}

func expectText(t *testing.T, f *Func, want string) {
	t.Helper()
	want = strings.TrimLeft(want, "\n")
	if got := f.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s\n%s", got, want, diffLines(want, got))
	}
}

// if (p) x = 1;  return x   — the merge block gets one parameter.
func TestSSADiamond(t *testing.T) {
	f := build(t, "diamond", Signature{Params: []Type{I32}, Results: []Type{I32}}, func(b *Builder) {
		entry := b.CreateBlock()
		p := b.AppendBlockParam(entry, I32)
		b.SwitchToBlock(entry)
		b.SealBlock(entry)
		x := b.DeclareVar(I32)
		b.DefVar(x, p)
		then, els, merge := b.CreateBlock(), b.CreateBlock(), b.CreateBlock()
		b.Brif(p, then, nil, els, nil)
		b.SealBlock(then)
		b.SealBlock(els)
		b.SwitchToBlock(then)
		b.DefVar(x, b.Iconst(I32, 1))
		b.Jump(merge)
		b.SwitchToBlock(els)
		b.Jump(merge)
		b.SealBlock(merge)
		b.SwitchToBlock(merge)
		b.Return(b.UseVar(x))
	})
	expectText(t, f, `
func %diamond(i32) -> i32 {
block0(v0: i32):
    brif v0, block1, block2
block1:
    v1 = iconst.i32 1
    jump block3(v1)
block2:
    jump block3(v0)
block3(v2: i32):
    return v2
}
`)
}

// The same variable is read on both arms but written on neither: no parameter.
func TestSSADiamondNoParam(t *testing.T) {
	f := build(t, "same", Signature{Params: []Type{I32}, Results: []Type{I32}}, func(b *Builder) {
		entry := b.CreateBlock()
		p := b.AppendBlockParam(entry, I32)
		b.SwitchToBlock(entry)
		b.SealBlock(entry)
		x := b.DeclareVar(I32)
		b.DefVar(x, p)
		then, els, merge := b.CreateBlock(), b.CreateBlock(), b.CreateBlock()
		b.Brif(p, then, nil, els, nil)
		b.SealBlock(then)
		b.SealBlock(els)
		b.SwitchToBlock(then)
		b.Jump(merge)
		b.SwitchToBlock(els)
		b.Jump(merge)
		// Read in merge before sealing: an incomplete param that turns out trivial.
		b.SwitchToBlock(merge)
		v := b.UseVar(x)
		b.SealBlock(merge)
		b.Return(v)
	})
	expectText(t, f, `
func %same(i32) -> i32 {
block0(v0: i32):
    brif v0, block1, block2
block1:
    jump block3
block2:
    jump block3
block3:
    return v0
}
`)
}

// sum = 0; i = n; loop { if i == 0 break; sum += i; i -= 1 }; return sum
// with a variable k that is read in the loop but never changed.
func TestSSALoop(t *testing.T) {
	f := build(t, "loop", Signature{Params: []Type{I32, I32}, Results: []Type{I32}}, func(b *Builder) {
		entry := b.CreateBlock()
		n := b.AppendBlockParam(entry, I32)
		kv := b.AppendBlockParam(entry, I32)
		b.SwitchToBlock(entry)
		b.SealBlock(entry)
		sum, i, k := b.DeclareVar(I32), b.DeclareVar(I32), b.DeclareVar(I32)
		b.DefVar(i, n)
		b.DefVar(k, kv)
		b.DefVar(sum, b.Iconst(I32, 0))
		header, body, exit := b.CreateBlock(), b.CreateBlock(), b.CreateBlock()
		b.Jump(header)
		b.SwitchToBlock(header) // not sealed: the back edge is still to come
		b.Brif(b.Unary(OpEqz, I32, b.UseVar(i)), exit, nil, body, nil)
		b.SealBlock(body)
		b.SwitchToBlock(body)
		s := b.Binary(OpIadd, I32, b.UseVar(sum), b.UseVar(i))
		s = b.Binary(OpIadd, I32, s, b.UseVar(k))
		b.DefVar(sum, s)
		b.DefVar(i, b.Binary(OpIsub, I32, b.UseVar(i), b.Iconst(I32, 1)))
		b.Jump(header)
		b.SealBlock(header)
		b.SealBlock(exit)
		b.SwitchToBlock(exit)
		b.Return(b.UseVar(sum))
	})
	expectText(t, f, `
func %loop(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    v2 = iconst.i32 0
    jump block1(v0, v2)
block1(v3: i32, v5: i32):
    v4 = eqz.i32 v3
    brif v4, block3, block2
block2:
    v6 = iadd.i32 v5, v3
    v8 = iadd.i32 v6, v1
    v9 = iconst.i32 1
    v10 = isub.i32 v3, v9
    jump block1(v10, v8)
block3:
    return v5
}
`)
}

// Nested loops where x is only written before the outer loop: the trivial
// parameters of both headers must go (the inner one depends on the outer one).
func TestSSANestedLoopsTrivialCascade(t *testing.T) {
	f := build(t, "nested", Signature{Params: []Type{I32}, Results: []Type{I32}}, func(b *Builder) {
		entry := b.CreateBlock()
		p := b.AppendBlockParam(entry, I32)
		b.SwitchToBlock(entry)
		b.SealBlock(entry)
		x := b.DeclareVar(I32)
		b.DefVar(x, p)
		outer, inner, innerExit, exit := b.CreateBlock(), b.CreateBlock(), b.CreateBlock(), b.CreateBlock()
		b.Jump(outer)
		b.SwitchToBlock(outer)
		b.Jump(inner)
		b.SwitchToBlock(inner)
		c := b.UseVar(x)
		b.Brif(c, inner, nil, innerExit, nil)
		b.SealBlock(inner)
		b.SealBlock(innerExit)
		b.SwitchToBlock(innerExit)
		b.Brif(b.UseVar(x), outer, nil, exit, nil)
		b.SealBlock(outer)
		b.SealBlock(exit)
		b.SwitchToBlock(exit)
		b.Return(b.UseVar(x))
	})
	expectText(t, f, `
func %nested(i32) -> i32 {
block0(v0: i32):
    jump block1
block1:
    jump block2
block2:
    brif v0, block2, block3
block3:
    brif v0, block1, block4
block4:
    return v0
}
`)
}

// A loop-carried variable in nested loops keeps exactly the parameters it needs.
func TestSSANestedLoopsCarried(t *testing.T) {
	f := build(t, "carried", Signature{Params: []Type{I32}, Results: []Type{I32}}, func(b *Builder) {
		entry := b.CreateBlock()
		p := b.AppendBlockParam(entry, I32)
		b.SwitchToBlock(entry)
		b.SealBlock(entry)
		x := b.DeclareVar(I32)
		b.DefVar(x, p)
		outer, inner, innerExit, exit := b.CreateBlock(), b.CreateBlock(), b.CreateBlock(), b.CreateBlock()
		b.Jump(outer)
		b.SwitchToBlock(outer)
		b.Jump(inner)
		b.SwitchToBlock(inner)
		v := b.Binary(OpIadd, I32, b.UseVar(x), b.Iconst(I32, 1))
		b.DefVar(x, v)
		b.Brif(v, inner, nil, innerExit, nil)
		b.SealBlock(inner)
		b.SealBlock(innerExit)
		b.SwitchToBlock(innerExit)
		b.Brif(b.UseVar(x), outer, nil, exit, nil)
		b.SealBlock(outer)
		b.SealBlock(exit)
		b.SwitchToBlock(exit)
		b.Return(b.UseVar(x))
	})
	expectText(t, f, `
func %carried(i32) -> i32 {
block0(v0: i32):
    jump block1(v0)
block1(v4: i32):
    jump block2(v4)
block2(v1: i32):
    v2 = iconst.i32 1
    v3 = iadd.i32 v1, v2
    brif v3, block2(v3), block3
block3:
    brif v3, block1(v3), block4
block4:
    return v3
}
`)
}

// A variable read in a block no definition reaches gets Wasm's zero value;
// explicit parameters coexist with variable parameters; br_table edges each
// get an argument.
func TestSSAUnreachableAndExplicitParams(t *testing.T) {
	f := build(t, "mixed", Signature{Params: []Type{I32}, Results: []Type{I64}}, func(b *Builder) {
		entry := b.CreateBlock()
		p := b.AppendBlockParam(entry, I32)
		b.SwitchToBlock(entry)
		b.SealBlock(entry)
		x := b.DeclareVar(I64)
		b.DefVar(x, b.Iconst(I64, 5))
		a, c, join, dead := b.CreateBlock(), b.CreateBlock(), b.CreateBlock(), b.CreateBlock()
		r := b.AppendBlockParam(join, I64) // explicit (a Wasm block result)
		b.BrTable(p, []BlockCall{{Block: a}, {Block: c}}, BlockCall{Block: a})
		b.SealBlock(a)
		b.SealBlock(c)
		b.SwitchToBlock(a)
		b.DefVar(x, b.Iconst(I64, 7))
		b.Jump(join, b.UseVar(x))
		b.SwitchToBlock(c)
		b.Jump(join, p64(b, p))
		b.SealBlock(join)
		b.SwitchToBlock(join)
		sum := b.Binary(OpIadd, I64, r, b.UseVar(x))
		b.Return(sum)
		b.SealBlock(dead)
		b.SwitchToBlock(dead)
		b.Return(b.UseVar(x))
	})
	expectText(t, f, `
func %mixed(i32) -> i64 {
block0(v0: i32):
    v1 = iconst.i64 5
    br_table v0, [block1, block2], block1
block1:
    v3 = iconst.i64 7
    jump block3(v3, v3)
block2:
    v4 = uextend.i64 v0
    jump block3(v4, v1)
block3(v2: i64, v5: i64):
    v6 = iadd.i64 v2, v5
    return v6
block4:
    v7 = iconst.i64 0
    return v7
}
`)
}

func p64(b *Builder, v Value) Value { return b.Unary(OpUextend, I64, v) }

func TestBuilderUnsealedIsAnError(t *testing.T) {
	f := NewFunc("f", Signature{})
	b := NewBuilder(f)
	e := b.CreateBlock()
	b.SwitchToBlock(e)
	b.Return()
	err := b.Finish()
	if err == nil || !strings.Contains(err.Error(), "block0 was never sealed") {
		t.Fatalf("Finish = %v, want an error about block0", err)
	}
}
