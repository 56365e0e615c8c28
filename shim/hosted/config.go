package hosted

import (
	"io"

	"github.com/hashicorp/go-hclog"
	"github.com/tetratelabs/wazero"

	"github.com/mwasm/mwasm/shim"
)

// Config describes one hosted run of an app: what mwasm run sets up from its flags.
type Config struct {
	Name   string   // the app's name (args[0] and log context)
	Args   []string // arguments after args[0]
	Env    []string // "K=V" entries given by the user; device facts are added by Run
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	Net  *NetConfig       // nil: the image has no /dev/net0
	Disk shim.BlockDevice // nil: the image has no /dev/disk0
	Log  hclog.Logger     // never nil (use hclog.NewNullLogger())

	// Dirs are the directory trees preopened for the app (fds 4, 5, ...), e.g.
	// host directories opened with OpenHostDir. Run does not close them.
	Dirs []shim.Preopen

	// CheckLoops makes a module that Go did not build stoppable even where it loops
	// without calling the ABI: wazero then checks for the end of the context at
	// every loop header, which makes C code several times slower (a million
	// printf lines to a file: 5x, bench/STDIO-REPORT.md). Without it, such a
	// module is stopped at its next ABI call, and one that never calls is left
	// running (see Run). mwasm run does without: the process ends anyway.
	// Modules built by Go never get it.
	CheckLoops bool

	// IgnoreNames says the module's name section is malformed: Run leaves it out
	// (the spec says such a section is ignored; wazero refuses the module).
	IgnoreNames bool

	// CacheDir, if set, is a directory where wazero keeps compiled code between
	// runs (it takes precedence over CompilationCache). An entry that is bad
	// (truncated, corrupted) is discarded and the module compiled again.
	CacheDir string

	// CompilationCache, if set, is shared by runs so that a module compiled once is
	// not compiled again (tests, repeated runs). nil: no cache.
	CompilationCache wazero.CompilationCache
}

// NetConfig is the app's network device and the IPv4 setup handed to the app
// (as abi.EnvNet0IPv4 and abi.EnvNet0Gateway).
type NetConfig struct {
	Device  shim.NetDevice
	IPv4    string // CIDR, e.g. "10.0.2.15/24"
	Gateway string // e.g. "10.0.2.2"; empty: none
}
