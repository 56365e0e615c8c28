package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/hosted"
	"github.com/mwasm/mwasm/wasmc/driver"
)

// runFlags are the flags of mwasm run, as given.
type runFlags struct {
	net        string
	disk       string
	sectorSize int
	env        []string
	logLevel   string
	cacheDir   string
	dirs       []string
}

func newRunCmd(io stdio) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] APP [-- ARGS...]",
		Short: "Run an app under wazero with mwasm's WASI shim",
		Long: `Run APP under wazero with mwasm's own WASI preview 1 implementation, the
same ABI the app gets in a Xen image. APP is a .wasm file or an app source
directory (Go: package main, built with GOOS=wasip1 GOARCH=wasm; C: built with
clang --target=wasm32-wasi). ARGS after -- are passed to the app. The exit status
is the app's own, 134 if it trapped, 128+N if signal N stopped it, 2 if mwasm
could not run it.`,
		Example: `  mwasm run hello.wasm
  mwasm run --net user,hostfwd=tcp::8080-:80 ./apps/httpd
  mwasm run --disk disk.img --env MODE=fast app.wasm -- -v input
  mwasm run --dir ./static::/www --dir ./conf::/etc/app:ro app.wasm`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || (cmd.ArgsLenAtDash() == 0) {
				return usageErrorf("missing APP (mwasm run): give a .wasm file or an app source directory, e.g. mwasm run app.wasm")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			appArgs := args[1:]
			if cmd.Flags().Changed("sector-size") && f.disk == "" {
				return usageErrorf("--sector-size without --disk (mwasm run): it is the sector size of the disk --disk FILE gives")
			}
			return runApp(cmd.Context(), f, args[0], appArgs, io)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.net, "net", "", "network device net0 from `SPEC`: user[,hostfwd=tcp:[HOSTADDR]:PORT-:PORT]... or tap,ifname=NAME[,ip=ADDR/BITS][,gw=ADDR]")
	fl.StringVar(&f.disk, "disk", "", "block device disk0: an image `FILE` (its size must be a multiple of the sector size)")
	fl.IntVar(&f.sectorSize, "sector-size", 512, "sector size of --disk in `BYTES` (a power of two from 512 to 65536)")
	fl.StringArrayVar(&f.dirs, "dir", nil, dirUsage)
	fl.StringArrayVar(&f.env, "env", nil, "set the app's environment variable `KEY=VALUE` (repeatable)")
	fl.StringVar(&f.logLevel, "log-level", "warn", "`LEVEL` of mwasm's own log on stderr: trace|debug|info|warn|error|off")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "keep wazero's compiled code in `DIR` (default: mwasm/cache/wazero in the user cache directory); off compiles every run")
	return cmd
}

// runCacheDir is the directory of wazero's compilation cache named by --cache-dir
// (empty: the default directory; "off": none, given as ""), so that the second run
// of a module starts without compiling it. A default that cannot be found is not
// an error: the run compiles and says why at warn level, as it does for a
// directory wazero cannot use; a bad entry is discarded and compiled again.
func runCacheDir(dir string, log hclog.Logger) string {
	if dir == "off" {
		return ""
	}
	if dir == "" {
		d, err := image.DefaultCacheDir()
		if err != nil {
			log.Warn("running without a compilation cache", "reason", err)
			return ""
		}
		dir = filepath.Join(d, "wazero")
	}
	return dir
}

// runApp does the work of mwasm run: check the flags, open the disk, load (or build)
// the module, open the network, run the app and hand back its exit status.
func runApp(ctx context.Context, f runFlags, app string, appArgs []string, io stdio) error {
	log, err := newLogger("mwasm run", f.logLevel, io)
	if err != nil {
		return err
	}
	env, err := parseEnv("mwasm run", f.env)
	if err != nil {
		return err
	}
	netOpen, err := parseNet(f.net)
	if err != nil {
		return err
	}
	dirSpecs, err := parseDirs("mwasm run", f.dirs)
	if err != nil {
		return err
	}
	dirs, closeDirs, err := openHostDirs(dirSpecs)
	if err != nil {
		return err
	}
	defer closeDirs()

	// The disk is checked before a possibly long build; the network (which listens
	// on host ports) is opened only once the module is ready.
	var disk shim.BlockDevice
	if f.disk != "" {
		if disk, err = openDisk(f.disk, f.sectorSize); err != nil {
			return err
		}
		defer disk.Close()
	}

	wasm, wasmPath, err := loadApp(ctx, app, log)
	if err != nil {
		return err
	}
	m, err := checkApp(moduleWhere(app, wasmPath), wasm, log)
	if err != nil {
		return err
	}

	cfg := hosted.Config{
		CacheDir:    runCacheDir(f.cacheDir, log),
		Name:        appName(app),
		Args:        appArgs,
		Env:         env,
		Stdin:       io.in,
		Stdout:      io.out,
		Stderr:      io.err,
		Log:         log,
		Dirs:        dirs,
		IgnoreNames: m.NamesErr != nil,
	}
	if disk != nil {
		cfg.Disk = disk
	}
	if netOpen != nil {
		nc, err := netOpen(log)
		if err != nil {
			return err
		}
		defer nc.Device.Close()
		cfg.Net = nc
	}

	code, err := hosted.Run(ctx, wasm, cfg)
	if err != nil {
		return runError(ctx, moduleWhere(app, wasmPath), code, err)
	}
	if code != 0 {
		return exitStatus(code)
	}
	return nil
}

// newLogger makes mwasm's hclog logger on stderr at the --log-level.
func newLogger(cmd, level string, io stdio) (hclog.Logger, error) {
	var lvl hclog.Level
	switch strings.ToLower(level) {
	case "off":
		lvl = hclog.Off
	case "trace", "debug", "info", "warn", "error":
		lvl = hclog.LevelFromString(level)
	default:
		return nil, usageErrorf("--log-level %q is not a level (%s): use trace, debug, info, warn, error or off", level, cmd)
	}
	return hclog.New(&hclog.LoggerOptions{Name: "mwasm", Level: lvl, Output: io.err}), nil
}

// parseEnv checks each --env entry is KEY=VALUE with a sensible key.
func parseEnv(cmd string, entries []string) ([]string, error) {
	var env []string
	for _, kv := range entries {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("malformed --env %q (%s): write --env KEY=VALUE", kv, cmd)
		}
		if strings.ContainsAny(k, " \t\n\x00") {
			return nil, usageErrorf("malformed --env %q (%s): the name %q holds white space or NUL; use a name like MY_VAR", kv, cmd, k)
		}
		if isDeviceFact(k) {
			return nil, usageErrorf("--env %s is reserved (%s): mwasm sets it from the devices; change the device flags instead", k, cmd)
		}
		env = append(env, kv)
	}
	return env, nil
}

func isDeviceFact(k string) bool {
	switch k {
	case abi.EnvNet0MAC, abi.EnvNet0MTU, abi.EnvNet0IPv4, abi.EnvNet0Gateway,
		abi.EnvDisk0Sector, abi.EnvDisk0Sectors:
		return true
	}
	return false
}

// loadApp returns the module bytes of APP, building it first if it is a source directory.
func loadApp(ctx context.Context, app string, log hclog.Logger) ([]byte, string, error) {
	opts := driver.Options{Log: func(format string, args ...any) {
		log.Debug("build", "cmd", fmt.Sprintf(format, args...))
	}}
	wasm, path, err := driver.Load(ctx, app, opts)
	if err != nil {
		var be *driver.BuildError
		if errors.As(err, &be) {
			return nil, "", &exitError{code: abi.ExitUsage, message: be.Summary(), detail: be.Output}
		}
		if ctx.Err() != nil {
			return nil, "", interrupted(ctx)
		}
		return nil, "", usageErrorf("%v", err)
	}
	log.Debug("app", "path", path, "bytes", len(wasm))
	return wasm, path, nil
}

// moduleWhere names the module in messages: the file, or the source directory and
// the file built from it.
func moduleWhere(app, wasmPath string) string {
	if wasmPath != app {
		return fmt.Sprintf("%s (built as %s)", app, wasmPath)
	}
	return wasmPath
}

// appName is args[0] of the app: the base name of APP without .wasm.
func appName(app string) string {
	abs, err := filepath.Abs(app)
	if err != nil {
		abs = app
	}
	return strings.TrimSuffix(filepath.Base(abs), ".wasm")
}

// openDisk opens --disk as the app's /dev/disk0.
func openDisk(path string, sectorSize int) (shim.BlockDevice, error) {
	d, err := hosted.OpenDisk(path, sectorSize)
	if err != nil {
		// OpenDisk's messages name the file and say what to do.
		return nil, usageErrorf("--disk: %v", err)
	}
	return d, nil
}

// interrupted is the error for a run cancelled by a signal: status 128+N, as a
// shell reports a process the signal ended (130 for Ctrl-C, 143 for SIGTERM).
func interrupted(ctx context.Context) error {
	var s signalled
	if errors.As(context.Cause(ctx), &s) && s.sig != syscall.SIGINT {
		return &exitError{code: 128 + int(s.sig), message: "stopped by " + signalName(s.sig)}
	}
	return &exitError{code: 130, message: "interrupted"}
}

// signalName is "SIGTERM (terminated)".
func signalName(sig syscall.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT"}
	if n, ok := names[sig]; ok {
		return n + " (" + sig.String() + ")"
	}
	return fmt.Sprintf("signal %d (%s)", int(sig), sig)
}

// runError turns an error of hosted.Run into mwasm's message, naming the module
// (where: the file, or the source directory and the file built from it).
// A module wazero cannot decode is a usage error; a trap keeps wazero's multi-line
// message (the Wasm backtrace) after the mwasm: line.
func runError(ctx context.Context, where string, code uint32, err error) error {
	if ctx.Err() != nil || code == hosted.ExitInterrupted {
		return interrupted(ctx)
	}
	var te *hosted.TrapError
	if errors.As(err, &te) {
		// The same report as a native executable's, which names no file.
		first, trace, _ := strings.Cut(te.Error(), "\n")
		return &exitError{code: abi.ExitTrap, message: first, after: trace}
	}
	msg := strings.TrimPrefix(err.Error(), "hosted: ")
	if code == 0 {
		code = abi.ExitUsage
	}
	if rest, ok := strings.CutPrefix(msg, "invalid Wasm module: "); ok {
		return usageErrorf("%s is not a valid WebAssembly module (truncated or malformed): %s: rebuild it, or check that the file was copied whole", where, oneLine(rest))
	}
	first, trace, _ := strings.Cut(msg, "\n")
	return &exitError{code: int(code), message: fmt.Sprintf("%s: %s", where, first), after: trace}
}
