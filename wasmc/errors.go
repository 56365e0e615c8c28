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
}

func (e *Error) Error() string {
	where := "wasm: "
	if e.Section != "" {
		where += e.Section + " section, "
	}
	if e.Func >= 0 {
		where += fmt.Sprintf("function %d ", e.Func)
	}
	return fmt.Sprintf("%sat offset %#x: %s", where, e.Offset, e.Msg)
}

// errf builds an *Error at a file offset with no function.
func errf(section string, off int, format string, args ...any) *Error {
	return &Error{Section: section, Func: -1, Offset: off, Msg: fmt.Sprintf(format, args...)}
}
