package hosted

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/mwasm/mwasm/abi"
)

// TrapError is a trap of the app, worded as every home words it: the kind (one of
// abi's Trap constants) and the Wasm functions on the stack, innermost first, named
// "app!NAME" after the name section, else the export, else "app!funcN" (N the
// function index), as in a native executable's report.
type TrapError struct {
	Kind   string
	Frames []string
	Err    error // wazero's error
}

// Error is the report: "trap: KIND in FRAME", then a line "    at FRAME" for each
// caller; "trap: KIND" alone when wazero gave no trace (a stack overflow).
func (e *TrapError) Error() string {
	var b strings.Builder
	b.WriteString("trap: " + e.Kind)
	for i, f := range e.Frames {
		if i == 0 {
			b.WriteString(" in " + f)
		} else {
			b.WriteString("\n    at " + f)
		}
	}
	return b.String()
}

func (e *TrapError) Unwrap() error { return e.Err }

// wazeroTraps maps wazero's runtime error messages to abi's wording.
var wazeroTraps = map[string]string{
	"unreachable":                   abi.TrapUnreachable,
	"integer overflow":              abi.TrapIntegerOverflow,
	"integer divide by zero":        abi.TrapIntegerDivByZero,
	"invalid conversion to integer": abi.TrapInvalidConversion,
	"out of bounds memory access":   abi.TrapMemoryOutOfBounds,
	"invalid table access":          abi.TrapTable,
	"indirect call type mismatch":   abi.TrapIndirectCallType,
	"stack overflow":                abi.TrapStackExhausted,
}

// signatureRE is the signature wazero writes after a frame's function name.
var signatureRE = regexp.MustCompile(`\([a-z0-9,]*\)( [a-z0-9]+| \([a-z0-9,]*\))?$`)

// trapError turns wazero's error for a trap (a runtime error with its Wasm stack
// trace) into a TrapError; ok is false if err is not a trap.
func trapError(err error, cm wazero.CompiledModule) (*TrapError, bool) {
	// wazero's "wasm error: KIND\nwasm stack trace:..." wrapping the runtime error,
	// itself wrapped when the start function trapped.
	// A stack overflow comes bare, without the trace.
	for err != nil && !strings.HasPrefix(err.Error(), "wasm error: ") {
		if kind, ok := wazeroTraps[err.Error()]; ok {
			return &TrapError{Kind: kind, Err: err}, true
		}
		err = errors.Unwrap(err)
	}
	if err == nil || errors.Unwrap(err) == nil {
		return nil, false
	}
	kind, ok := wazeroTraps[errors.Unwrap(err).Error()]
	if !ok {
		return nil, false
	}
	modName := cm.Name() // wazero names frames after the name section's module name
	exports := map[uint32]string{}
	for name, def := range cm.ExportedFunctions() {
		if old, seen := exports[def.Index()]; !seen || name < old {
			exports[def.Index()] = name
		}
	}
	te := &TrapError{Kind: kind, Err: err}
	_, trace, _ := strings.Cut(err.Error(), "\nwasm stack trace:\n")
	for _, line := range strings.Split(trace, "\n") {
		if !strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "\t\t") {
			continue // a source line (DWARF) or "... maybe followed by omitted frames"
		}
		f, ok := strings.CutPrefix(line[1:], modName+".")
		if !ok {
			continue // a host function's frame
		}
		f = signatureRE.ReplaceAllString(f, "")
		if n, isIndex := strings.CutPrefix(f, "$"); isIndex {
			if idx, err := strconv.ParseUint(n, 10, 32); err == nil {
				f = "func" + n
				if e, ok := exports[uint32(idx)]; ok {
					f = e
				}
			}
		}
		te.Frames = append(te.Frames, "app!"+f)
	}
	return te, true
}
