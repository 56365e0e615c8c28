package wasmc

import "fmt"

// Error is the error returned by Decode and Validate for every malformed or
// invalid module. It names where the problem is: the section, the function
// (an index in the function index space, imports included, or -1) and the
// byte offset in the module file.
type Error struct {
	Section string // "type", "code", ... ; "" for the module header
	Func    int    // function index, -1 if the error is not inside a function
	Offset  int    // byte offset in the module file
	Msg     string // what is wrong
	// Proposal names the WebAssembly proposal the module uses that this package
	// does not support ("SIMD", "tail calls", ...), when that is the problem:
	// such a module is not broken, only beyond what mwasm runs.
	Proposal string
}

// Unsupported returns err as an *Error if it says a module uses a proposal this
// package does not support (nil otherwise).
func Unsupported(err error) *Error {
	if e, ok := err.(*Error); ok && e.Proposal != "" {
		return e
	}
	return nil
}

// needs marks e as caused by proposal p.
func (e *Error) needs(p string) *Error {
	e.Proposal = p
	return e
}

func (e *Error) Error() string { return "wasm: " + e.Where() + ": " + e.Msg }

// Where is the place of the problem: "code section, function 2 at offset 0x92".
func (e *Error) Where() string {
	where := ""
	if e.Section != "" {
		where += e.Section + " section, "
	}
	if e.Func >= 0 {
		where += fmt.Sprintf("function %d ", e.Func)
	}
	return fmt.Sprintf("%sat offset %#x", where, e.Offset)
}

// errf builds an *Error at a file offset with no function.
func errf(section string, off int, format string, args ...any) *Error {
	return &Error{Section: section, Func: -1, Offset: off, Msg: fmt.Sprintf(format, args...)}
}
