package abi

import (
	"slices"
	"strconv"
)

// This file must not import fmt (or anything that pulls in reflect): package shim
// imports abi, and the shim is compiled into the Xen image, where its size counts.

// ValType is a Wasm value type as it appears in a function signature.
type ValType byte

// The two value types the ABI uses (their Wasm binary encodings).
const (
	I32 ValType = 0x7f
	I64 ValType = 0x7e
)

func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case 0x7d:
		return "f32"
	case 0x7c:
		return "f64"
	case 0x7b:
		return "v128"
	case 0x70:
		return "funcref"
	case 0x6f:
		return "externref"
	}
	return "valtype(0x" + strconv.FormatUint(uint64(t), 16) + ")"
}

// Function is one imported ABI function and its exact Wasm signature.
type Function struct {
	Name    string
	Params  []ValType
	Results []ValType
}

// String formats f as "fd_write(i32, i32, i32, i32) -> i32".
func (f Function) String() string { return f.Name + FormatSignature(f.Params, f.Results) }

// FormatSignature formats a function type as "(i32, i64) -> i32" ("-> ()" when there
// is no result).
func FormatSignature(params, results []ValType) string {
	s := "(" + typeList(params) + ") -> "
	if len(results) == 1 {
		return s + results[0].String()
	}
	return s + "(" + typeList(results) + ")"
}

func typeList(ts []ValType) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += t.String()
	}
	return s
}

// Functions is the whole imported ABI: every function an app may import from Module,
// with its signature. It is all of WASI preview 1 except the functions in Refused. A
// module that imports anything else is refused at load time (CheckImport).
var Functions = []Function{
	{"args_get", []ValType{I32, I32}, []ValType{I32}},
	{"args_sizes_get", []ValType{I32, I32}, []ValType{I32}},
	{"environ_get", []ValType{I32, I32}, []ValType{I32}},
	{"environ_sizes_get", []ValType{I32, I32}, []ValType{I32}},
	{"clock_res_get", []ValType{I32, I32}, []ValType{I32}},
	{"clock_time_get", []ValType{I32, I64, I32}, []ValType{I32}},
	{"fd_advise", []ValType{I32, I64, I64, I32}, []ValType{I32}},
	{"fd_allocate", []ValType{I32, I64, I64}, []ValType{I32}},
	{"fd_close", []ValType{I32}, []ValType{I32}},
	{"fd_datasync", []ValType{I32}, []ValType{I32}},
	{"fd_sync", []ValType{I32}, []ValType{I32}},
	{"fd_fdstat_get", []ValType{I32, I32}, []ValType{I32}},
	{"fd_fdstat_set_flags", []ValType{I32, I32}, []ValType{I32}},
	{"fd_fdstat_set_rights", []ValType{I32, I64, I64}, []ValType{I32}},
	{"fd_filestat_get", []ValType{I32, I32}, []ValType{I32}},
	{"fd_filestat_set_size", []ValType{I32, I64}, []ValType{I32}},
	{"fd_filestat_set_times", []ValType{I32, I64, I64, I32}, []ValType{I32}},
	{"fd_prestat_get", []ValType{I32, I32}, []ValType{I32}},
	{"fd_prestat_dir_name", []ValType{I32, I32, I32}, []ValType{I32}},
	{"fd_read", []ValType{I32, I32, I32, I32}, []ValType{I32}},
	{"fd_write", []ValType{I32, I32, I32, I32}, []ValType{I32}},
	{"fd_pread", []ValType{I32, I32, I32, I64, I32}, []ValType{I32}},
	{"fd_pwrite", []ValType{I32, I32, I32, I64, I32}, []ValType{I32}},
	{"fd_renumber", []ValType{I32, I32}, []ValType{I32}},
	{"fd_seek", []ValType{I32, I64, I32, I32}, []ValType{I32}},
	{"fd_tell", []ValType{I32, I32}, []ValType{I32}},
	{"fd_readdir", []ValType{I32, I32, I32, I64, I32}, []ValType{I32}},
	{"path_create_directory", []ValType{I32, I32, I32}, []ValType{I32}},
	{"path_open", []ValType{I32, I32, I32, I32, I32, I64, I64, I32, I32}, []ValType{I32}},
	{"path_filestat_get", []ValType{I32, I32, I32, I32, I32}, []ValType{I32}},
	{"path_filestat_set_times", []ValType{I32, I32, I32, I32, I64, I64, I32}, []ValType{I32}},
	{"path_link", []ValType{I32, I32, I32, I32, I32, I32, I32}, []ValType{I32}},
	{"path_readlink", []ValType{I32, I32, I32, I32, I32, I32}, []ValType{I32}},
	{"path_remove_directory", []ValType{I32, I32, I32}, []ValType{I32}},
	{"path_rename", []ValType{I32, I32, I32, I32, I32, I32}, []ValType{I32}},
	{"path_symlink", []ValType{I32, I32, I32, I32, I32}, []ValType{I32}},
	{"path_unlink_file", []ValType{I32, I32, I32}, []ValType{I32}},
	{"poll_oneoff", []ValType{I32, I32, I32, I32}, []ValType{I32}},
	{"proc_exit", []ValType{I32}, nil},
	{"random_get", []ValType{I32, I32}, []ValType{I32}},
	{"sched_yield", nil, []ValType{I32}},
	// The socket calls exist because programs link them without calling them; there
	// are no socket descriptors, so they answer EBADF or ENOTSOCK (README.md).
	{"sock_accept", []ValType{I32, I32, I32}, []ValType{I32}},
	{"sock_recv", []ValType{I32, I32, I32, I32, I32, I32}, []ValType{I32}},
	{"sock_send", []ValType{I32, I32, I32, I32, I32}, []ValType{I32}},
	{"sock_shutdown", []ValType{I32, I32}, []ValType{I32}},
}

// Refused lists the WASI preview 1 functions the ABI deliberately does not provide,
// each with what an app should do instead. A module importing one is refused at load
// time, with that hint in the error.
var Refused = []struct{ Name, Hint string }{
	{"proc_raise", hintRaise},
}

const (
	hintRaise = "proc_raise is deprecated in WASI preview 1 and there are no signals: call proc_exit instead; see abi/README.md"
	hintOther = "see abi/README.md for the functions mwasm provides"
)

// Lookup returns the ABI function called name, or false if the ABI has none.
func Lookup(name string) (Function, bool) {
	for _, f := range Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// ImportError is the reason a loader refuses a module's function import.
type ImportError struct {
	Module, Name string
	// Hint says what to do instead; empty when the import exists with another type.
	Hint string
	// Params and Results are the import's type when it is a signature mismatch; Want
	// is then the ABI's function.
	Params, Results []ValType
	Want            *Function
}

func (e *ImportError) Error() string {
	what := "module imports " + e.Module + "." + e.Name
	if e.Want != nil {
		return what + " with type " + FormatSignature(e.Params, e.Results) +
			", but the mwasm ABI defines it as " + FormatSignature(e.Want.Params, e.Want.Results) +
			" (see abi/README.md)"
	}
	return what + ", which the mwasm ABI does not provide: " + e.Hint
}

// CheckImport reports whether a module may import module.name with the given
// signature; it returns nil or an *ImportError. Every loader (mwasm run, mwasm build,
// the Xen image builder) refuses a module with this error, so that the message is the
// same everywhere:
//
//	module imports wasi_snapshot_preview1.proc_raise, which the mwasm ABI does not provide: proc_raise is deprecated ...
//	module imports wasi_snapshot_preview1.fd_write with type (i32, i32, i32) -> i32, but the mwasm ABI defines it as (i32, i32, i32, i32) -> i32 (see abi/README.md)
func CheckImport(module, name string, params, results []ValType) error {
	if module != Module {
		return &ImportError{Module: module, Name: name, Hint: hintOther}
	}
	f, ok := Lookup(name)
	if !ok {
		hint := hintOther
		for _, r := range Refused {
			if r.Name == name {
				hint = r.Hint
			}
		}
		return &ImportError{Module: module, Name: name, Hint: hint}
	}
	if !slices.Equal(params, f.Params) || !slices.Equal(results, f.Results) {
		return &ImportError{Module: module, Name: name, Params: params, Results: results, Want: &f}
	}
	return nil
}

// File types (WASI filetype, u8).
const (
	FiletypeUnknown         = 0
	FiletypeBlockDevice     = 1
	FiletypeCharacterDevice = 2
	FiletypeDirectory       = 3
	FiletypeRegularFile     = 4
	FiletypeSocketDgram     = 5
	FiletypeSocketStream    = 6
	FiletypeSymbolicLink    = 7
)

// Descriptor flags (WASI fdflags, u16).
const (
	FdflagAppend   = 1 << 0
	FdflagDsync    = 1 << 1
	FdflagNonblock = 1 << 2
	FdflagRsync    = 1 << 3
	FdflagSync     = 1 << 4
)

// Open flags (WASI oflags, u16) and lookup flags (u32).
const (
	OflagCreat     = 1 << 0
	OflagDirectory = 1 << 1
	OflagExcl      = 1 << 2
	OflagTrunc     = 1 << 3

	LookupSymlinkFollow = 1 << 0
)

// Flags of fd_filestat_set_times and path_filestat_set_times (WASI fstflags, u16).
const (
	FstflagAtim    = 1 << 0
	FstflagAtimNow = 1 << 1
	FstflagMtim    = 1 << 2
	FstflagMtimNow = 1 << 3
)

// Clock ids (WASI clockid, u32).
const (
	ClockRealtime         = 0
	ClockMonotonic        = 1
	ClockProcessCputimeID = 2 // not provided: EINVAL
	ClockThreadCputimeID  = 3 // not provided: EINVAL
)

// Seek origins (WASI whence, u8; preview 1 numbering).
const (
	WhenceSet = 0
	WhenceCur = 1
	WhenceEnd = 2
)

// Advice values for fd_advise (WASI advice, u8).
const (
	AdviceNormal     = 0
	AdviceSequential = 1
	AdviceRandom     = 2
	AdviceWillNeed   = 3
	AdviceDontNeed   = 4
	AdviceNoReuse    = 5
)

// Event types (WASI eventtype, u8), subscription clock flags (u16) and event
// read/write flags (u16) of poll_oneoff.
const (
	EventtypeClock   = 0
	EventtypeFdRead  = 1
	EventtypeFdWrite = 2

	SubscriptionClockAbstime = 1 << 0

	EventFdReadwriteHangup = 1 << 0
)

// Preopen type of fd_prestat_get (WASI preopentype, u8).
const PreopentypeDir = 0

// PreopenFD is the descriptor of the preopened DevDir directory.
const PreopenFD = 3

// Rights (WASI rights, u64). The shim does not enforce them (see README.md), but
// reports honest ones from fd_fdstat_get.
const (
	RightFdDatasync           = 1 << 0
	RightFdRead               = 1 << 1
	RightFdSeek               = 1 << 2
	RightFdFdstatSetFlags     = 1 << 3
	RightFdSync               = 1 << 4
	RightFdTell               = 1 << 5
	RightFdWrite              = 1 << 6
	RightFdAdvise             = 1 << 7
	RightFdAllocate           = 1 << 8
	RightPathCreateDirectory  = 1 << 9
	RightPathCreateFile       = 1 << 10
	RightPathLinkSource       = 1 << 11
	RightPathLinkTarget       = 1 << 12
	RightPathOpen             = 1 << 13
	RightFdReaddir            = 1 << 14
	RightPathReadlink         = 1 << 15
	RightPathRenameSource     = 1 << 16
	RightPathRenameTarget     = 1 << 17
	RightPathFilestatGet      = 1 << 18
	RightPathFilestatSetSize  = 1 << 19
	RightPathFilestatSetTimes = 1 << 20
	RightFdFilestatGet        = 1 << 21
	RightFdFilestatSetSize    = 1 << 22
	RightFdFilestatSetTimes   = 1 << 23
	RightPathSymlink          = 1 << 24
	RightPathRemoveDirectory  = 1 << 25
	RightPathUnlinkFile       = 1 << 26
	RightPollFdReadwrite      = 1 << 27
	RightSockShutdown         = 1 << 28
	RightSockAccept           = 1 << 29
)

// Rights that fd_fdstat_get reports (fs_rights_base) for each kind of descriptor.
// Console descriptors lack FdSeek and FdTell: wasi-libc's isatty() needs that.
const (
	RightsConsole = RightFdRead | RightFdWrite | RightFdFdstatSetFlags | RightFdFilestatGet |
		RightPollFdReadwrite | RightFdSync | RightFdDatasync
	RightsNet = RightFdRead | RightFdWrite | RightFdFdstatSetFlags | RightFdFilestatGet |
		RightPollFdReadwrite
	RightsDisk = RightFdRead | RightFdWrite | RightFdSeek | RightFdTell | RightFdFdstatSetFlags |
		RightFdFilestatGet | RightPollFdReadwrite | RightFdSync | RightFdDatasync | RightFdAdvise
	RightsDir = RightPathOpen | RightFdReaddir | RightPathFilestatGet | RightFdFilestatGet |
		RightFdFdstatSetFlags
	// RightsDirInheriting is fs_rights_inheriting of a directory descriptor: the
	// rights its devices can have (wasi-libc intersects its requests with it).
	RightsDirInheriting = RightsNet | RightsDisk
)

// Sizes and field offsets of the structures the ABI passes through app memory
// (little-endian, natural alignment, as laid out by the WASI preview 1 spec).
const (
	IovecSize = 8 // buf u32 @0, buf_len u32 @4

	FdstatSize                   = 24
	FdstatFiletypeOffset         = 0  // u8
	FdstatFlagsOffset            = 2  // u16
	FdstatRightsBaseOffset       = 8  // u64
	FdstatRightsInheritingOffset = 16 // u64

	FilestatSize           = 64
	FilestatDevOffset      = 0  // u64
	FilestatInoOffset      = 8  // u64
	FilestatFiletypeOffset = 16 // u8
	FilestatNlinkOffset    = 24 // u64
	FilestatSizeOffset     = 32 // u64
	FilestatAtimOffset     = 40 // u64
	FilestatMtimOffset     = 48 // u64
	FilestatCtimOffset     = 56 // u64

	PrestatSize          = 8 // tag u8 @0, pr_name_len u32 @4
	PrestatNameLenOffset = 4

	DirentSize         = 24 // then d_namlen bytes of name (no NUL)
	DirentNextOffset   = 0  // u64 cookie of the next entry
	DirentInoOffset    = 8  // u64
	DirentNamlenOffset = 16 // u32
	DirentTypeOffset   = 20 // u8

	SubscriptionSize            = 48
	SubscriptionUserdataOffset  = 0  // u64
	SubscriptionTagOffset       = 8  // u8: EventtypeClock, EventtypeFdRead, EventtypeFdWrite
	SubscriptionClockIDOffset   = 16 // u32
	SubscriptionTimeoutOffset   = 24 // u64 (ns)
	SubscriptionPrecisionOffset = 32 // u64 (ns)
	SubscriptionFlagsOffset     = 40 // u16: SubscriptionClockAbstime
	SubscriptionFDOffset        = 16 // u32 (FD_READ, FD_WRITE)

	EventSize           = 32
	EventUserdataOffset = 0  // u64
	EventErrorOffset    = 8  // u16 (an Errno)
	EventTypeOffset     = 10 // u8
	EventNbytesOffset   = 16 // u64 (FD_READ, FD_WRITE)
	EventFlagsOffset    = 24 // u16: EventFdReadwriteHangup
)
