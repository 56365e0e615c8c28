package shim

import (
	"slices"

	"github.com/mwasm/mwasm/abi"
)

// ValType is a Wasm value type, encoded as in the binary format (the same byte values
// as wazero's api.ValueType, so the two compare directly).
type ValType = byte

const (
	I32 ValType = 0x7f
	I64 ValType = 0x7e
)

// Func is one ABI function: its import name (in module abi.Module), its Wasm
// signature, and Invoke, which calls the WASI method with the raw parameters (i32
// values in the low 32 bits) and returns the result (the errno; 0 for proc_exit,
// which has no result and does not return).
type Func struct {
	Name    string
	Params  []ValType
	Results []ValType
	Invoke  func(w *WASI, p []uint64) uint64
}

// Provided lists every function of the mwasm ABI (abi.Functions, in the same order). An import from abi.Module that is
// not here (with exactly this signature) is not provided, and a module importing it
// is refused before it runs.
var Provided = []Func{
	{"args_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.ArgsGet(u32(p[0]), u32(p[1])))
	}},
	{"args_sizes_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.ArgsSizesGet(u32(p[0]), u32(p[1])))
	}},
	{"environ_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.EnvironGet(u32(p[0]), u32(p[1])))
	}},
	{"environ_sizes_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.EnvironSizesGet(u32(p[0]), u32(p[1])))
	}},
	{"clock_res_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.ClockResGet(u32(p[0]), u32(p[1])))
	}},
	{"clock_time_get", sig(I32, I64, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.ClockTimeGet(u32(p[0]), p[1], u32(p[2])))
	}},
	{"fd_advise", sig(I32, I64, I64, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdAdvise(u32(p[0]), p[1], p[2], u32(p[3])))
	}},
	{"fd_allocate", sig(I32, I64, I64), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdAllocate(u32(p[0]), p[1], p[2]))
	}},
	{"fd_close", sig(I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdClose(u32(p[0])))
	}},
	{"fd_datasync", sig(I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdDatasync(u32(p[0])))
	}},
	{"fd_sync", sig(I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdSync(u32(p[0])))
	}},
	{"fd_fdstat_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdFdstatGet(u32(p[0]), u32(p[1])))
	}},
	{"fd_fdstat_set_flags", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdFdstatSetFlags(u32(p[0]), u32(p[1])))
	}},
	{"fd_fdstat_set_rights", sig(I32, I64, I64), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdFdstatSetRights(u32(p[0]), p[1], p[2]))
	}},
	{"fd_filestat_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdFilestatGet(u32(p[0]), u32(p[1])))
	}},
	{"fd_filestat_set_size", sig(I32, I64), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdFilestatSetSize(u32(p[0]), p[1]))
	}},
	{"fd_filestat_set_times", sig(I32, I64, I64, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdFilestatSetTimes(u32(p[0]), p[1], p[2], u32(p[3])))
	}},
	{"fd_prestat_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdPrestatGet(u32(p[0]), u32(p[1])))
	}},
	{"fd_prestat_dir_name", sig(I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdPrestatDirName(u32(p[0]), u32(p[1]), u32(p[2])))
	}},
	{"fd_read", sig(I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdRead(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3])))
	}},
	{"fd_write", sig(I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdWrite(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3])))
	}},
	{"fd_pread", sig(I32, I32, I32, I64, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdPread(u32(p[0]), u32(p[1]), u32(p[2]), p[3], u32(p[4])))
	}},
	{"fd_pwrite", sig(I32, I32, I32, I64, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdPwrite(u32(p[0]), u32(p[1]), u32(p[2]), p[3], u32(p[4])))
	}},
	{"fd_renumber", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdRenumber(u32(p[0]), u32(p[1])))
	}},
	{"fd_seek", sig(I32, I64, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdSeek(u32(p[0]), p[1], u32(p[2]), u32(p[3])))
	}},
	{"fd_tell", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdTell(u32(p[0]), u32(p[1])))
	}},
	{"fd_readdir", sig(I32, I32, I32, I64, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.FdReaddir(u32(p[0]), u32(p[1]), u32(p[2]), p[3], u32(p[4])))
	}},
	{"path_create_directory", sig(I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathCreateDirectory(u32(p[0]), u32(p[1]), u32(p[2])))
	}},
	{"path_open", sig(I32, I32, I32, I32, I32, I64, I64, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathOpen(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), u32(p[4]),
			p[5], p[6], u32(p[7]), u32(p[8])))
	}},
	{"path_filestat_get", sig(I32, I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathFilestatGet(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), u32(p[4])))
	}},
	{"path_filestat_set_times", sig(I32, I32, I32, I32, I64, I64, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathFilestatSetTimes(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), p[4], p[5], u32(p[6])))
	}},
	{"path_link", sig(I32, I32, I32, I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathLink(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), u32(p[4]), u32(p[5]), u32(p[6])))
	}},
	{"path_readlink", sig(I32, I32, I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathReadlink(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), u32(p[4]), u32(p[5])))
	}},
	{"path_remove_directory", sig(I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathRemoveDirectory(u32(p[0]), u32(p[1]), u32(p[2])))
	}},
	{"path_rename", sig(I32, I32, I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathRename(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), u32(p[4]), u32(p[5])))
	}},
	{"path_symlink", sig(I32, I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathSymlink(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), u32(p[4])))
	}},
	{"path_unlink_file", sig(I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PathUnlinkFile(u32(p[0]), u32(p[1]), u32(p[2])))
	}},
	{"poll_oneoff", sig(I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.PollOneoff(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3])))
	}},
	{"proc_exit", sig(I32), nil, func(w *WASI, p []uint64) uint64 {
		w.ProcExit(u32(p[0]))
		return 0
	}},
	{"random_get", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.RandomGet(u32(p[0]), u32(p[1])))
	}},
	{"sched_yield", nil, r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.SchedYield())
	}},
	{"sock_accept", sig(I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.SockAccept(u32(p[0]), u32(p[1]), u32(p[2])))
	}},
	{"sock_recv", sig(I32, I32, I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.SockRecv(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), u32(p[4]), u32(p[5])))
	}},
	{"sock_send", sig(I32, I32, I32, I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.SockSend(u32(p[0]), u32(p[1]), u32(p[2]), u32(p[3]), u32(p[4])))
	}},
	{"sock_shutdown", sig(I32, I32), r1, func(w *WASI, p []uint64) uint64 {
		return uint64(w.SockShutdown(u32(p[0]), u32(p[1])))
	}},
}

var r1 = []ValType{I32} // every function but proc_exit returns an errno

func sig(params ...ValType) []ValType { return params }

func u32(v uint64) uint32 { return uint32(v) }

// Lookup returns the ABI function named name.
func Lookup(name string) (*Func, bool) {
	for i := range Provided {
		if Provided[i].Name == name {
			return &Provided[i], true
		}
	}
	return nil, false
}

// Matches reports whether a function type equals f's signature.
func (f *Func) Matches(params, results []ValType) bool {
	return slices.Equal(f.Params, params) && slices.Equal(f.Results, results)
}

// Signature formats f's type as "(i32, i64) -> i32".
func (f *Func) Signature() string { return FormatSignature(f.Params, f.Results) }

// FormatSignature formats a function type as "(i32, i64) -> i32" ("-> ()" when there
// is no result), as abi.FormatSignature does.
func FormatSignature(params, results []ValType) string {
	return abi.FormatSignature(ABITypes(params), ABITypes(results))
}

// ABITypes converts value types (wazero's encoding, which is the binary format's) to
// abi.ValType, for abi.CheckImport.
func ABITypes(ts []ValType) []abi.ValType {
	out := make([]abi.ValType, len(ts))
	for i, t := range ts {
		out[i] = abi.ValType(t)
	}
	return out
}
