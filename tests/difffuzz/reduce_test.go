//go:build linux && amd64

package difffuzz

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// reduceInput removes statements and expressions of the module generated
// from data while it still diverges; it returns the skip set and the
// divergence.
func reduceInput(data []byte) (map[int]bool, *Module, error) {
	skip := map[int]bool{}
	m := generate(data, skip)
	var st Stats
	err := Check(m, &st)
	var d *Divergence
	if !errors.As(err, &d) {
		return nil, m, err
	}
	for pass := 0; pass < 3; pass++ {
		changed := false
		for id := 0; id < m.nodes; id++ {
			if skip[id] {
				continue
			}
			skip[id] = true
			m2 := generate(data, skip)
			if e := Check(m2, &st); errors.As(e, &d) {
				changed, err = true, e
				continue
			}
			delete(skip, id)
		}
		if !changed {
			break
		}
	}
	return skip, generate(data, skip), err
}

// TestReduce is a tool: REDUCE=<hex input> go test -run TestReduce -v
// prints the reduced module as text and writes it to /tmp/reduced.wasm.
func TestReduce(t *testing.T) {
	in := os.Getenv("REDUCE")
	if in == "" {
		t.Skip("REDUCE not set")
	}
	data, err := hex.DecodeString(in)
	if err != nil {
		t.Fatal(err)
	}
	skip, m, err := reduceInput(data)
	t.Logf("skip %v\n%v", skip, err)
	os.WriteFile("/tmp/reduced.wasm", m.Wasm, 0o644)
	if m.Lib != nil {
		os.WriteFile("/tmp/reduced_lib.wasm", m.Lib.Wasm, 0o644)
		t.Log("library module (/tmp/reduced_lib.wasm):\n" + disasm(m.Lib.Wasm))
	}
	t.Log("\n" + disasm(m.Wasm))
}

var opNames = map[byte]string{
	0x00: "unreachable", 0x01: "nop", 0x02: "block", 0x03: "loop", 0x04: "if", 0x05: "else", 0x0b: "end",
	0x0c: "br", 0x0d: "br_if", 0x0e: "br_table", 0x0f: "return", 0x10: "call", 0x11: "call_indirect",
	0x1a: "drop", 0x1b: "select", 0x1c: "select_t", 0x20: "local.get", 0x21: "local.set", 0x22: "local.tee",
	0x23: "global.get", 0x24: "global.set", 0x3f: "memory.size", 0x40: "memory.grow",
	0x41: "i32.const", 0x42: "i64.const", 0x43: "f32.const", 0x44: "f64.const",
	0x25: "table.get", 0x26: "table.set", 0xd0: "ref.null", 0xd1: "ref.is_null", 0xd2: "ref.func",
}

func init() {
	names := strings.Fields(`i32.load i64.load f32.load f64.load i32.load8_s i32.load8_u i32.load16_s i32.load16_u
	i64.load8_s i64.load8_u i64.load16_s i64.load16_u i64.load32_s i64.load32_u i32.store i64.store f32.store f64.store
	i32.store8 i32.store16 i64.store8 i64.store16 i64.store32`)
	for i, n := range names {
		opNames[byte(0x28+i)] = n
	}
	names = strings.Fields(`i32.eqz i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u
	i64.eqz i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u
	f32.eq f32.ne f32.lt f32.gt f32.le f32.ge f64.eq f64.ne f64.lt f64.gt f64.le f64.ge
	i32.clz i32.ctz i32.popcnt i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u i32.and i32.or i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr
	i64.clz i64.ctz i64.popcnt i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u i64.and i64.or i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr
	f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt f32.add f32.sub f32.mul f32.div f32.min f32.max f32.copysign
	f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt f64.add f64.sub f64.mul f64.div f64.min f64.max f64.copysign
	i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u i64.extend_i32_s i64.extend_i32_u
	i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u f32.convert_i32_s f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64
	f64.convert_i32_s f64.convert_i32_u f64.convert_i64_s f64.convert_i64_u f64.promote_f32
	i32.reinterpret_f32 i64.reinterpret_f64 f32.reinterpret_i32 f64.reinterpret_i64
	i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s`)
	for i, n := range names {
		opNames[byte(0x45+i)] = n
	}
}

var fcNames = strings.Fields(`i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u
	i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u memory.init data.drop memory.copy memory.fill
	table.init elem.drop table.copy table.grow table.size table.fill`)

type rd struct {
	b []byte
	i int
}

func (r *rd) u() uint64 {
	var v uint64
	for s := 0; ; s += 7 {
		c := r.b[r.i]
		r.i++
		v |= uint64(c&0x7f) << s
		if c&0x80 == 0 {
			return v
		}
	}
}

func (r *rd) s() int64 {
	var v int64
	s := 0
	for {
		c := r.b[r.i]
		r.i++
		v |= int64(c&0x7f) << s
		s += 7
		if c&0x80 == 0 {
			if s < 64 && c&0x40 != 0 {
				v |= -1 << s
			}
			return v
		}
	}
}

// disasm prints the code section of a generated module as text (only the
// instructions the generator emits).
func disasm(wasm []byte) string {
	var sb strings.Builder
	r := &rd{b: wasm, i: 8}
	for r.i < len(wasm) {
		id := wasm[r.i]
		r.i++
		n := int(r.u())
		end := r.i + n
		if id != 10 {
			fmt.Fprintf(&sb, "section %d: % x\n", id, wasm[r.i:min(end, r.i+200)])
			r.i = end
			continue
		}
		nf := int(r.u())
		for f := 0; f < nf; f++ {
			size := int(r.u())
			fend := r.i + size
			fmt.Fprintf(&sb, "func %d locals:", f)
			ng := int(r.u())
			for k := 0; k < ng; k++ {
				c := r.u()
				fmt.Fprintf(&sb, " %d×%s", c, typeName(r.b[r.i]))
				r.i++
			}
			sb.WriteByte('\n')
			depth := 1
			for r.i < fend {
				op := r.b[r.i]
				off := r.i
				r.i++
				if op == 0x0b || op == 0x05 {
					depth--
				}
				fmt.Fprintf(&sb, "%06x %s", off, strings.Repeat("  ", depth))
				switch {
				case op == 0xfc:
					sub := r.u()
					sb.WriteString(fcNames[sub])
					switch sub {
					case 8:
						fmt.Fprintf(&sb, " %d", r.u())
						r.u()
					case 9:
						fmt.Fprintf(&sb, " %d", r.u())
					case 10:
						r.u()
						r.u()
					case 11:
						r.u()
					case 12, 14:
						fmt.Fprintf(&sb, " %d %d", r.u(), r.u())
					case 13, 15, 16, 17:
						fmt.Fprintf(&sb, " %d", r.u())
					}
				case op >= 0x28 && op <= 0x3e:
					a, o := r.u(), r.u()
					fmt.Fprintf(&sb, "%s align=%d offset=%d", opNames[op], a, o)
				default:
					sb.WriteString(opNames[op])
					switch op {
					case 0x02, 0x03, 0x04:
						if r.b[r.i] == 0x40 {
							r.i++
						} else if r.b[r.i] >= 0x6f && r.b[r.i] <= 0x7f {
							fmt.Fprintf(&sb, " (result %s)", typeName(r.b[r.i]))
							r.i++
						} else {
							fmt.Fprintf(&sb, " (type %d)", r.s())
						}
						depth++
					case 0x05:
						depth++
					case 0x0c, 0x0d, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xd2:
						fmt.Fprintf(&sb, " %d", r.u())
					case 0x11:
						fmt.Fprintf(&sb, " (type %d) table %d", r.u(), r.u())
					case 0x0e:
						n := int(r.u())
						for k := 0; k <= n; k++ {
							fmt.Fprintf(&sb, " %d", r.u())
						}
					case 0x1c:
						r.u()
						fmt.Fprintf(&sb, " %s", typeName(r.b[r.i]))
						r.i++
					case 0x3f, 0x40:
						r.i++
					case 0xd0:
						fmt.Fprintf(&sb, " %s", typeName(r.b[r.i]))
						r.i++
					case 0x41, 0x42:
						fmt.Fprintf(&sb, " %d", r.s())
					case 0x43:
						v := binary.LittleEndian.Uint32(r.b[r.i:])
						fmt.Fprintf(&sb, " %v (%#x)", math.Float32frombits(v), v)
						r.i += 4
					case 0x44:
						v := binary.LittleEndian.Uint64(r.b[r.i:])
						fmt.Fprintf(&sb, " %v (%#x)", math.Float64frombits(v), v)
						r.i += 8
					}
				}
				sb.WriteByte('\n')
			}
		}
		r.i = end
	}
	return sb.String()
}
