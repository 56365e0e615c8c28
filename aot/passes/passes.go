// Package passes holds mwasm's IR optimization passes and the pass manager
// that runs them.
//
// A pass is a plain function over an *ir.Func. The list of passes is data
// (Pipeline): each entry names the passes it must run after, and the order is
// checked once at start-up (init), so a reordering that breaks a dependency
// fails immediately, not as a miscompile. Run executes the pipeline; with
// Options.Verify (or MWASM_VERIFY_PASSES=1 in the environment) it runs the IR
// verifier before the first pass and after every pass, and an error names
// the pass that broke the function.
//
// Passes so far:
//   - simplifycfg: remove unreachable blocks, forward jumps through empty
//     blocks, merge a block into its only predecessor, fold brif with equal
//     arms (simplifycfg.go);
//   - constfold: evaluate pure instructions whose operands are constants with
//     exactly Wasm's semantics, and branches/selects on constants (constfold.go,
//     eval.go);
//   - threadbrtable: a jump that passes a constant to a block holding only
//     a br_table on that parameter goes straight to the table's target
//     (threadtable.go);
//   - algebra: integer identities whose result is an operand (x+0, x*1,
//     x&-1, shifts by a multiple of the width) become that operand
//     (algebra.go);
//   - dce: delete instructions whose results are unused and that cannot trap
//     or write, and block parameters that nothing reads (dce.go).
//
// Each pass has filetests in testdata/*.ir (see filetest_test.go).
package passes

import (
	"fmt"
	"os"

	"github.com/mwasm/mwasm/aot/ir"
)

// Pass is one entry of the pipeline.
type Pass struct {
	Name string
	// Run transforms f and reports whether it changed anything.
	Run func(f *ir.Func) bool
	// After lists passes that must have run earlier in the pipeline (if
	// they are in it at all, they must come before this one).
	After []string
	// Before lists passes that must come after this one.
	Before []string
}

// Pipeline is the default pass order.
var Pipeline = []Pass{
	{Name: "simplifycfg", Run: SimplifyCFG},
	{Name: "constfold", Run: ConstFold, After: []string{"simplifycfg"}},
	// threadbrtable sends constant jumps into a dispatch br_table (Go's
	// resume-point loop) straight to their target; constfold has made the
	// constants iconsts, simplifycfg-late and dce clean up after it.
	{Name: "threadbrtable", Run: ThreadBrTable, After: []string{"constfold"}, Before: []string{"simplifycfg-late", "dce"}},
	// constfold turns brif on constants into jumps, so clean the CFG again.
	{Name: "simplifycfg-late", Run: SimplifyCFG, After: []string{"constfold"}},
	// algebra removes identities (x+0, x*1, shifts by 0) that constfold
	// left; DCE then deletes the dead instructions.
	{Name: "algebra", Run: Algebra, After: []string{"constfold"}, Before: []string{"dce"}},
	{Name: "dce", Run: DCE, After: []string{"constfold", "simplifycfg-late"}},
}

// CheckOrder verifies that names are unique and the After/Before
// constraints of every pass hold in list order.
func CheckOrder(list []Pass) error {
	pos := map[string]int{}
	for i, p := range list {
		if p.Name == "" || p.Run == nil {
			return fmt.Errorf("passes: entry %d has no name or no function", i)
		}
		if _, dup := pos[p.Name]; dup {
			return fmt.Errorf("passes: %q listed twice", p.Name)
		}
		pos[p.Name] = i
	}
	for i, p := range list {
		for _, a := range p.After {
			if j, ok := pos[a]; ok && j > i {
				return fmt.Errorf("passes: %q must run after %q, but is listed before it", p.Name, a)
			}
		}
		for _, b := range p.Before {
			if j, ok := pos[b]; ok && j < i {
				return fmt.Errorf("passes: %q must run before %q, but is listed after it", p.Name, b)
			}
		}
	}
	return nil
}

func init() {
	if err := CheckOrder(Pipeline); err != nil {
		panic("BUG: " + err.Error())
	}
}

// Options control Run.
type Options struct {
	// Verify runs the verifier before the first pass and after each one.
	Verify bool
}

// DebugVerify is true when MWASM_VERIFY_PASSES=1: Run then always verifies.
var DebugVerify = os.Getenv("MWASM_VERIFY_PASSES") == "1"

// Run applies the passes in order.
func Run(f *ir.Func, list []Pass, opt Options) error {
	verify := opt.Verify || DebugVerify
	if verify {
		if err := ir.Verify(f); err != nil {
			return fmt.Errorf("passes: input to the pipeline is invalid:\n%w", err)
		}
	}
	for _, p := range list {
		p.Run(f)
		if verify {
			if err := ir.Verify(f); err != nil {
				return fmt.Errorf("passes: after pass %q (a bug in that pass):\n%w", p.Name, err)
			}
		}
	}
	return nil
}

// Lookup returns the pass of the given name from Pipeline.
func Lookup(name string) (Pass, bool) {
	for _, p := range Pipeline {
		if p.Name == name {
			return p, true
		}
	}
	return Pass{}, false
}
