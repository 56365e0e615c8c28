package wasmc

import (
	"strings"
	"sync"
	"testing"
)

// TestInstrReader reads the bodies of the table-ref and memory-bulk seed
// modules with the exported reader and checks opcodes, immediates and
// offsets.
func TestInstrReader(t *testing.T) {
	m, err := decodeAndValidate(seedModules["table-ref"])
	if err != nil {
		t.Fatal(err)
	}
	// Body 0: i32.const 7; i32.const 1; call_indirect type 1 table 0; drop; end.
	r := NewBodyReader(&m.Code[0], m.NumImportedFuncs)
	var ins Instr
	type want struct {
		op   byte
		a, b uint32
		imm  uint64
	}
	wants := []want{{OpI32Const, 0, 0, 7}, {OpI32Const, 0, 0, 1}, {OpCallIndirect, 1, 0, 0}, {OpDrop, 0, 0, 0}, {OpEnd, 0, 0, 0}}
	for i, w := range wants {
		off := r.Offset()
		if err := r.Next(&ins); err != nil {
			t.Fatalf("instruction %d: %v", i, err)
		}
		// Only the immediates of the opcode are set; the others keep old values.
		if ins.Offset != off || ins.Op != w.op || (w.op == OpCallIndirect && (ins.A != w.a || ins.B != w.b)) || (w.op == OpI32Const && ins.Imm != w.imm) {
			t.Fatalf("instruction %d: got op %#x a=%d b=%d imm=%d at %#x, want op %#x a=%d b=%d imm=%d at %#x",
				i, ins.Op, ins.A, ins.B, ins.Imm, ins.Offset, w.op, w.a, w.b, w.imm, off)
		}
	}
	if !r.EOF() || r.Remaining() != 0 {
		t.Fatalf("after the final end: EOF %v, %d bytes left", r.EOF(), r.Remaining())
	}
	// Reading past the end is an error, not a panic.
	if err := r.Next(&ins); err == nil || !strings.Contains(err.Error(), "unexpected end") {
		t.Fatalf("Next at the end: got %v, want an unexpected end error", err)
	}
	// Body 1 starts with local.get 0, then block with a type-index block type.
	r = NewBodyReader(&m.Code[1], m.NumImportedFuncs+1)
	if err := r.Next(&ins); err != nil || ins.Op != OpLocalGet || ins.A != 0 {
		t.Fatalf("got op %#x a=%d err %v, want local.get 0", ins.Op, ins.A, err)
	}
	if err := r.Next(&ins); err != nil || ins.Op != OpBlock || ins.Block != (BlockType{Kind: BlockIndex, Index: 1}) {
		t.Fatalf("got op %#x block type %+v err %v, want block of type 1", ins.Op, ins.Block, err)
	}

	// A constant expression: the ref.null funcref initializer of a global.
	g, err := decodeAndValidate(seedModules["globals"])
	if err != nil {
		t.Fatal(err)
	}
	cr := NewConstExprReader(g.Globals[1].Init)
	if err := cr.Next(&ins); err != nil || ins.Op != OpRefNull || ins.Ref != FuncRef {
		t.Fatalf("got op %#x ref %v err %v, want ref.null funcref", ins.Op, ins.Ref, err)
	}
	cr = NewConstExprReader(g.Globals[0].Init)
	if err := cr.Next(&ins); err != nil || ins.Op != OpI64Const || int64(ins.Imm) != -1 {
		t.Fatalf("got op %#x imm %d err %v, want i64.const -1", ins.Op, int64(ins.Imm), err)
	}
}

// TestInstrReaderFC checks the 0xFC immediates.
func TestInstrReaderFC(t *testing.T) {
	m, err := decodeAndValidate(seedModules["memory-bulk"])
	if err != nil {
		t.Fatal(err)
	}
	r := NewBodyReader(&m.Code[0], 0)
	var ins Instr
	var subs []uint32
	for !r.EOF() {
		if err := r.Next(&ins); err != nil {
			t.Fatal(err)
		}
		if ins.Op == OpPrefixFC {
			subs = append(subs, ins.Sub)
		}
	}
	want := []uint32{FCMemoryInit, FCDataDrop, FCMemoryFill, FCMemoryCopy, 0}
	if len(subs) != len(want) {
		t.Fatalf("0xFC sub-opcodes %v, want %v", subs, want)
	}
	for i := range want {
		if subs[i] != want[i] {
			t.Fatalf("0xFC sub-opcodes %v, want %v", subs, want)
		}
	}
}

// TestInstrReaderMalformed checks that the reader gives Decode's error
// (with the code section and function index) for a malformed body.
func TestInstrReaderMalformed(t *testing.T) {
	m, err := decodeAndValidate(seedModules["add"])
	if err != nil {
		t.Fatal(err)
	}
	c := m.Code[0]
	c.Body = []byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00} // an s32 of 6 bytes
	r := NewBodyReader(&c, 5)
	var ins Instr
	err = r.Next(&ins)
	want := "wasm: code section, function 5 at offset"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "integer representation too long") {
		t.Fatalf("got %v, want %q... integer representation too long", err, want)
	}
	c.Body = []byte{0xff}
	r = NewBodyReader(&c, 5)
	if err := r.Next(&ins); err == nil || !strings.Contains(err.Error(), "illegal opcode 0xff") {
		t.Fatalf("got %v, want illegal opcode 0xff", err)
	}
}

// TestInstrReaderConcurrent reads one module's bodies from several
// goroutines (run with -race): the reader must not write to the Module, and
// the features it records must not leak into it.
func TestInstrReaderConcurrent(t *testing.T) {
	m, err := DecodeFeatures(seedModules["table-ref"], FeaturesV2)
	if err != nil {
		t.Fatal(err)
	}
	// Decode recorded the features the bodies use (reference types, for
	// ref.func); clear them, so that a reader recording into the module
	// would show.
	m.used = 0
	before := m.used
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range m.Code {
				r := NewBodyReader(&m.Code[i], m.NumImportedFuncs+i)
				var ins Instr
				for !r.EOF() {
					if err := r.Next(&ins); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if m.used != before {
		t.Fatalf("reading bodies changed the module's used features from %v to %v", before, m.used)
	}
}
