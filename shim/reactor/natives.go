package reactor

import "github.com/mwasm/mwasm/shim"

// Native is one imported native primitive: its name in NativeModule and its Wasm
// signature.
type Native struct {
	Name    string
	Params  []shim.ValType
	Results []shim.ValType
}

// String formats n as "app_read(i32, i32, i32) -> i32".
func (n Native) String() string { return n.Name + shim.FormatSignature(n.Params, n.Results) }

var i32 = []shim.ValType{shim.I32}

// Natives are the target-independent natives every reactor imports (see the package
// comment for their semantics). A target adds its own (e.g. linux.Natives).
var Natives = []Native{
	{"app_read", []shim.ValType{shim.I32, shim.I32, shim.I32}, i32},
	{"app_write", []shim.ValType{shim.I32, shim.I32, shim.I32}, i32},
	{"app_size", nil, i32},
	{"config_size", nil, i32},
	{"config_read", i32, nil},
	{"files_size", nil, i32},
	{"files_read", i32, nil},
}

// RuntimeImports are the WASI functions the reactor's own Go runtime and standard
// library import (from RuntimeModule after RenameImportModule), as measured on Go
// 1.26; the platform layer must serve them. Only a few matter: fd_write to fd 2 (the
// runtime's fatal error messages), clock_time_get, random_get, proc_exit; the rest
// may answer "nothing there" (no args, no environment, no preopens, EBADF). A test
// checks a freshly built reactor against this list.
var RuntimeImports = []string{
	"sched_yield", "proc_exit", "args_get", "args_sizes_get", "clock_time_get",
	"environ_get", "environ_sizes_get", "fd_read", "fd_write", "random_get", "poll_oneoff",
	"fd_close", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_prestat_get",
	"fd_prestat_dir_name",
}
