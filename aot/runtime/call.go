package runtime

import (
	"fmt"

	"github.com/mwasm/mwasm/aot/internal/nativecall"
	"github.com/mwasm/mwasm/aot/vm"
)

// Trap is the error of a call (or instantiation) that trapped. Its message
// begins with the spec suite's wording for the kind (vm.TrapKind.String).
type Trap struct {
	Kind       vm.TrapKind
	Func       string // the trapping function ("" when unknown or during instantiation)
	WasmOffset int    // byte offset in the module of the trapping instruction, or -1
	PC         uint64 // return address of the trap call (0 for instantiation traps)
}

func (t *Trap) Error() string {
	s := t.Kind.String()
	if t.Func != "" {
		s += " in " + t.Func
		if t.WasmOffset >= 0 {
			s += fmt.Sprintf(" at offset %#x", t.WasmOffset)
		}
	}
	return s
}

// Call calls the exported function name with raw argument values (i32/f32
// in the low 32 bits, floats as bits, references as addresses) and returns
// its raw results.
func (inst *Instance) Call(name string, args ...uint64) ([]uint64, error) {
	f := inst.Func(name)
	if f == nil {
		return nil, fmt.Errorf("runtime: no exported function %q", name)
	}
	return f.Call(args...)
}

// Call calls f on the runtime's native stack.
func (f *Func) Call(args ...uint64) ([]uint64, error) {
	if len(args) != len(f.Type.Params) {
		return nil, fmt.Errorf("runtime: %s takes %d arguments (%v), got %d", f.Name, len(f.Type.Params), f.Type, len(args))
	}
	p, err := getProcess()
	if err != nil {
		return nil, err
	}
	n := max(len(args), len(f.Type.Results))
	if n > maxSlots {
		return nil, fmt.Errorf("runtime: %s has %d parameters or results; at most %d are supported", f.Name, n, maxSlots)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, a := range args {
		put64(p.state, stSlots+8*i, mask(f.Type.Params[i], a))
	}
	st := p.stateAddr()
	r := nativecall.Call(p.enter, st, uint64(f.entry), f.VMCtx(), f.Code(), st+stSlots)
	if r != 0 {
		return nil, p.trap()
	}
	res := make([]uint64, len(f.Type.Results))
	for i, t := range f.Type.Results {
		res[i] = mask(t, get64(p.state, stSlots+8*i))
	}
	return res, nil
}

// trap builds the Trap recorded in the state block (p.mu held).
func (p *process) trap() *Trap {
	t := &Trap{Kind: vm.TrapKind(get64(p.state, stTrapKind)), WasmOffset: -1, PC: get64(p.state, stTrapPC)}
	codeRanges.Lock()
	defer codeRanges.Unlock()
	for _, inst := range codeRanges.list {
		lo, hi := inst.codeRange()
		if t.PC >= lo && t.PC <= hi {
			if fi, off, ok := inst.obj.TrapSite(int(t.PC - lo)); ok {
				t.Func, t.WasmOffset = funcName(inst.Module, fi), off
			}
			break
		}
	}
	return t
}
