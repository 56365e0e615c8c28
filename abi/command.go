package abi

import "errors"

// MaxMemoryPages is the largest an app's linear memory may be, in 64 KiB pages, in
// every home: 4 GiB less one page. A memory declaring a larger minimum is refused
// (mwasm run and mwasm build say so); a larger declared maximum, or none, means this
// one, and memory.grow past it returns -1. (wazero's memory of a full 65536 pages
// reads as size 0, and the shim's app_size native is 32 bits wide.)
const MaxMemoryPages = 65535

// CheckCommand is the one judge of whether a module's exports make it a WASI command
// mwasm can start, with the message every loader gives: start describes the export
// _start (nil if there is none, which is also what a _start that is not a function
// gives), reactor says whether _initialize is exported.
func CheckCommand(start *FuncSig, reactor bool) error {
	if start == nil {
		if reactor {
			return errors.New("module is a reactor (it exports _initialize, not _start): mwasm runs only commands; build the app as a program with a main function (e.g. without -buildmode=c-shared)")
		}
		return errors.New("module exports no _start function: mwasm runs WASI commands; build the app as a program with a main function")
	}
	if len(start.Params) != 0 || len(start.Results) != 0 {
		return errors.New("module's _start has type " + FormatSignature(start.Params, start.Results) + "; a WASI command's _start takes and returns nothing")
	}
	return nil
}

// FuncSig is a function's parameter and result types.
type FuncSig struct{ Params, Results []ValType }

// What a trap is called in every home's report ("mwasm: trap: KIND in FUNCTION").
// wazero does not tell an index past a table's end from a null entry, so the
// table traps share one wording.
const (
	TrapUnreachable       = "unreachable"
	TrapIntegerOverflow   = "integer overflow"
	TrapIntegerDivByZero  = "integer divide by zero"
	TrapInvalidConversion = "invalid conversion to integer"
	TrapMemoryOutOfBounds = "out of bounds memory access"
	TrapTable             = "invalid table access"
	TrapIndirectCallType  = "indirect call type mismatch"
	TrapStackExhausted    = "call stack exhausted"
)
