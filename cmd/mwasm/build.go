package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/image/linuxexe"
	"github.com/mwasm/mwasm/shim/hosted/usernet"
	shimlinux "github.com/mwasm/mwasm/shim/linux"
	shimxen "github.com/mwasm/mwasm/shim/xen"
	"github.com/mwasm/mwasm/wasmc"
	"github.com/mwasm/mwasm/xenboot"
)

// buildFlags are the flags of mwasm build, as given.
type buildFlags struct {
	target     string
	out        string
	net        string
	disk       bool
	sectorSize int
	env        []string
	memory     int
	bootTrace  bool
	diskFile   string
	logLevel   string
	cacheDir   string
	dirs       []string
	compress   string
}

func newBuildCmd(io stdio) *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [flags] APP -o OUT [-- ARGS...]",
		Short: "Compile an app and the shim ahead of time into a Xen image or a native executable",
		Long: `Compile APP (a .wasm file or an app source directory) and mwasm's WASI shim
with mwasm's own compiler and link them into an image.

--target xen (the default) writes OUT, a Xen PVH guest image, and OUT.xl, its
xl config (name, type = "pvh", kernel, memory, vcpus, what to do on exit and
crash): start it with xl create OUT.xl. The memory is the least the image
starts in plus headroom for the app to grow (--memory MiB to choose it).
ARGS after -- are fixed in the image after argv[0]; the xl config's
extra = "..." adds more at boot. stdout and stderr go to the Xen console; the
app's exit prints "mwasm: exit status N" there and powers the domain off; a
trap prints its report and the domain crashes.

--target linux writes a static x86-64 Linux executable instead. Its
arguments are the app's (argv[0] is the app's name); devices declared here
are attached at run time, most simply by mwasm exec (--net user,hostfwd=...,
--disk FILE), or by hand: MWASM_DISK0=FILE for --disk; MWASM_NET0=tap:IFNAME
(default: the ifname given here) or MWASM_NET0=fd:N (a SOCK_SEQPACKET socket,
one frame per packet) for --net. --net user gives net0 the facts of the
user-mode network (10.0.2.15/24, gateway 10.0.2.2), for mwasm exec --net user.

Either way the app's environment is only what --env gives, and a trap prints
its kind, function and a backtrace (status 134 on Linux). --dir SRC::GUEST
packs the tree SRC into the image (files, directories, symbolic links), which
the app sees at GUEST as under mwasm run --dir; its changes stay in memory.`,
		Example: `  mwasm build ./apps/hello -o hello.xen && xl create hello.xen.xl
  mwasm build --memory 64 app.wasm -o app.xen -- -v
  mwasm build --target linux ./apps/hello -o hello && ./hello
  mwasm build --dir ./static::/www:ro ./apps/httpd -o httpd.xen
  mwasm build --target linux --net user ./apps/httpd -o httpd && mwasm exec --net user,hostfwd=tcp::8080-:80 ./httpd`,
		Args: func(cmd *cobra.Command, args []string) error {
			n := len(args)
			if d := cmd.ArgsLenAtDash(); d >= 0 {
				n = d
			}
			if n != 1 {
				return usageErrorf("mwasm build takes one APP (a .wasm file or an app source directory), got %d: e.g. mwasm build app.wasm -o app.xen", n)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return buildApp(cmd, f, args[0], args[1:], io)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "xen", "`TARGET` to build for: xen (a Xen PVH guest image) or linux (a native executable)")
	fl.StringVarP(&f.out, "output", "o", "", "write the image to `FILE` (and its xl config to FILE.xl for xen)")
	fl.StringVar(&f.net, "net", "", "declare network device net0: xen: vif[,ip=ADDR/BITS][,gw=ADDR][,mac=MAC][,bridge=NAME] (no ip=: DHCP); linux: user[,mac=MAC][,mtu=N] or tap[,ifname=NAME][,ip=ADDR/BITS][,gw=ADDR][,mac=MAC]")
	fl.BoolVar(&f.disk, "disk", false, "declare block device disk0 (xen: a disk line in the xl config; linux: attach it at run time with MWASM_DISK0=FILE)")
	fl.StringVar(&f.diskFile, "disk-file", "", "the disk image the xl config's disk line names (xen; default OUT's name with .disk0.img)")
	fl.IntVar(&f.sectorSize, "sector-size", 512, "sector size of disk0 in `BYTES` (a power of two from 512 to 65536)")
	fl.StringArrayVar(&f.env, "env", nil, "set the app's environment variable `KEY=VALUE` (repeatable)")
	fl.StringArrayVar(&f.dirs, "dir", nil, "pack directory `SRC[::GUEST][:ro]` into the image, preopened for the app as GUEST (default: SRC as given); writable in memory unless :ro (repeatable)")
	fl.StringVar(&f.compress, "compress", "gzip", "write the Xen image compressed with `FORMAT`: gzip or none; Xen unpacks it when it loads the domain")
	fl.IntVar(&f.memory, "memory", 0, "the Xen domain's memory in `MIB` (default: what the image needs plus headroom)")
	fl.BoolVar(&f.bootTrace, "boot-trace", false, "print on the Xen console how long the boot took before the app's _start (a diagnostic)")
	fl.StringVar(&f.logLevel, "log-level", "warn", "`LEVEL` of mwasm's own log on stderr: trace|debug|info|warn|error|off (info: the time of each build phase)")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "keep compiled shims in `DIR` (default: mwasm/cache in the user cache directory); off compiles the shim every time")
	return cmd
}

func buildApp(cmd *cobra.Command, f buildFlags, app string, args []string, io stdio) error {
	switch f.target {
	case "xen", "linux":
	default:
		return usageErrorf("--target %q is not supported (mwasm build): the targets are xen (a Xen PVH image, the default) and linux (a native executable)", f.target)
	}
	if f.out == "" {
		return usageErrorf("missing -o OUT (mwasm build): name the image to write, e.g. mwasm build app.wasm -o app.xen")
	}
	log, err := newLogger("mwasm build", f.logLevel, io)
	if err != nil {
		return err
	}
	env, err := parseEnv("mwasm build", f.env)
	if err != nil {
		return err
	}
	dirs, err := parseDirs("mwasm build", f.dirs)
	if err != nil {
		return err
	}
	files, err := packDirs(dirs)
	if err != nil {
		return err
	}
	var lopts linuxexe.Options
	if f.target == "linux" {
		if len(args) > 0 {
			return usageErrorf("arguments after -- are for --target xen (mwasm build): a Linux executable takes its arguments when it runs")
		}
		if f.memory != 0 {
			return usageErrorf("--memory is for --target xen (mwasm build): a Linux executable grows as the app needs")
		}
		if f.bootTrace {
			return usageErrorf("--boot-trace is for --target xen (mwasm build)")
		}
		if cmd.Flags().Changed("compress") {
			return usageErrorf("--compress is for --target xen (mwasm build): a Linux executable is run as it is")
		}
		if cmd.Flags().Changed("sector-size") && !f.disk {
			return usageErrorf("--sector-size without --disk (mwasm build): it is the sector size of disk0, which --disk declares")
		}
		lopts = linuxexe.Options{Name: appName(app), Env: env, Disk: f.disk, SectorSize: f.sectorSize, Compiler: "mwasm " + Version}
		if f.net != "" {
			if err := parseBuildNet(f.net, &lopts); err != nil {
				return err
			}
		}
	} else {
		if fl := cmd.Flags(); fl.Changed("sector-size") {
			return usageErrorf("--sector-size is for --target linux (mwasm build): on Xen the backend gives the disk's sector size")
		}
		if f.diskFile != "" && !f.disk {
			return usageErrorf("--disk-file %s without --disk (mwasm build): add --disk to declare disk0", f.diskFile)
		}
		if f.memory < 0 {
			return usageErrorf("--memory %d (mwasm build): give the domain's memory in MiB, e.g. --memory 64", f.memory)
		}
		if _, err := xenboot.ParseCompression(f.compress); err != nil {
			return usageErrorf("--compress (mwasm build): %v", err)
		}
	}
	ctx := cmd.Context()
	start := time.Now()
	wasm, wasmPath, err := loadApp(ctx, app, log)
	if err != nil {
		return err
	}
	if in, err := os.Stat(wasmPath); err == nil {
		for _, out := range []string{f.out, f.out + ".xl"} {
			if o, err := os.Stat(out); err == nil && os.SameFile(in, o) {
				return usageErrorf("-o %s would overwrite the app %s (mwasm build): write the image to another file", out, wasmPath)
			}
		}
	}
	loaded := time.Now()
	m, err := checkApp(moduleWhere(app, wasmPath), wasm, log)
	if err != nil {
		return err
	}
	decoded := time.Now()
	dir, err := os.MkdirTemp("", "mwasm-build")
	if err != nil {
		return usageErrorf("cannot make a temporary directory: %v", err)
	}
	defer os.RemoveAll(dir)
	cache := buildCache(f.cacheDir, log)
	var (
		file              []byte
		tm                image.Timings
		appCode, shimCode int
		shimBuilt         time.Time
		xl                string
	)
	if f.target == "linux" {
		lopts.App, lopts.AppModule, lopts.Cache, lopts.Files = wasm, m, cache, files
		if lopts.Shim, err = shimlinux.BuildShim(ctx, dir); err != nil {
			return &exitError{code: 1, message: "building the shim: " + oneLine(err.Error())}
		}
		shimBuilt = time.Now()
		res, err := linuxexe.Build(lopts)
		if err != nil {
			return &exitError{code: 1, message: fmt.Sprintf("%s: %s", moduleWhere(app, wasmPath), err)}
		}
		file, tm, appCode, shimCode = res.ELF, res.Timings, res.AppCode, res.ShimCode
	} else {
		xo := xenboot.Options{Name: appName(app), App: wasm, AppModule: m, Args: args, Env: env, MemoryMiB: f.memory, BootTrace: f.bootTrace, Compiler: "mwasm " + Version, Cache: cache, Files: files}
		if f.net != "" {
			if err := parseXenNet(f.net, &xo); err != nil {
				return err
			}
		}
		if f.disk {
			xo.Disk, xo.DiskFile = true, f.diskFile
			if xo.DiskFile == "" {
				xo.DiskFile = strings.TrimSuffix(f.out, ".xen") + ".disk0.img"
			}
			if abs, err := filepath.Abs(xo.DiskFile); err == nil {
				xo.DiskFile = abs
			}
		}
		if xo.Shim, err = shimxen.BuildShim(ctx, dir); err != nil {
			return &exitError{code: 1, message: "building the shim: " + oneLine(err.Error())}
		}
		shimBuilt = time.Now()
		res, err := xenboot.Build(xo)
		var me *xenboot.MemoryError
		if errors.As(err, &me) {
			return usageErrorf("--memory %d (mwasm build): %s", f.memory, err)
		}
		if err != nil {
			return &exitError{code: 1, message: fmt.Sprintf("%s: %s", moduleWhere(app, wasmPath), err)}
		}
		file, tm, appCode, shimCode = res.ELF, res.Timings, res.AppCode, res.ShimCode
		compressStart := time.Now()
		c, _ := xenboot.ParseCompression(f.compress)
		if file, err = xenboot.Compress(file, c); err != nil {
			return &exitError{code: 1, message: "compressing the image: " + err.Error()}
		}
		log.Debug("compressed", "format", c, "elf_bytes", len(res.ELF), "bytes", len(file), "ms", phaseMs(time.Since(compressStart)))
		abs, err := filepath.Abs(f.out)
		if err != nil {
			return usageErrorf("-o %s: %v", f.out, err)
		}
		xl = xenboot.XLConfig(xo, abs, res.MemoryMiB)
	}
	shimCompile := phaseMs(tm.ShimCompile)
	if tm.ShimCache == "hit" {
		shimCompile = "cached"
	}
	// One line, key=value, stable keys: bench/cmd/cpubench reads app_compile.
	log.Info("build phases",
		"load", phaseMs(loaded.Sub(start)),
		"app_decode_validate", phaseMs(decoded.Sub(loaded)),
		"app_compile", phaseMs(tm.AppCompile),
		"shim_build", phaseMs(shimBuilt.Sub(decoded)),
		"shim_decode_validate", phaseMs(tm.ShimDecode),
		"shim_compile", shimCompile,
		"shim_cache", tm.ShimCache,
		"link", phaseMs(tm.Link),
		"total", phaseMs(time.Since(start)))
	mode := os.FileMode(0o755)
	if f.target == "xen" {
		mode = 0o644
	}
	if err := writeOutput(f.out, file, mode); err != nil {
		return err
	}
	if xl != "" {
		if err := writeOutput(f.out+".xl", []byte(xl), 0o644); err != nil {
			return err
		}
	}
	log.Info("built", "out", f.out, "bytes", len(file), "app_code", appCode, "shim_code", shimCode)
	return nil
}

// writeOutput writes an output file whole or not at all: into a temporary file
// beside it, renamed over it, so that a running executable of the same name keeps
// its old file ("text file busy" otherwise) and a failed build leaves no half file.
func writeOutput(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return usageErrorf("cannot write %s: %v", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return usageErrorf("cannot write %s: %v", path, unwrapPathErr(err))
	}
	return nil
}

// phaseMs formats a phase's duration for the build log: milliseconds with one
// decimal ("394.1ms"), ASCII so the log quotes nothing.
func phaseMs(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}

// buildCache opens the compiled-shim cache named by --cache-dir (empty: the
// default directory; "off": none). A cache that cannot be set up is not an
// error: the build compiles the shim and says why at warn level.
func buildCache(dir string, log hclog.Logger) *image.Cache {
	if dir == "off" {
		return nil
	}
	if dir == "" {
		d, err := image.DefaultCacheDir()
		if err != nil {
			log.Warn("compiling without a cache", "reason", err)
			return nil
		}
		dir = d
	}
	id, err := image.CompilerIdentity("mwasm " + Version)
	if err != nil {
		log.Warn("compiling without a cache", "reason", err)
		return nil
	}
	return &image.Cache{Dir: dir, Compiler: id}
}

// decodeModule decodes and validates an app, with checkModule's message on failure.
func decodeModule(where string, wasm []byte) (*wasmc.Module, error) {
	m, err := wasmc.Decode(wasm)
	if err == nil {
		err = wasmc.Validate(m)
	}
	if u := wasmc.Unsupported(err); u != nil {
		return nil, usageErrorf("%s uses %s (%s), which mwasm does not support yet: build the app without it", where, u.Proposal, u.Where())
	}
	if err != nil {
		return nil, usageErrorf("%s is not a valid WebAssembly module (truncated, malformed or invalid): %s: rebuild it, or check that the file was copied whole", where, oneLine(err.Error()))
	}
	return m, nil
}

// checkApp decodes and validates an app and checks that every home can run it,
// with the same messages in mwasm run and mwasm build: its imports are the ABI's,
// it is a command, its memory fits abi.MaxMemoryPages. A malformed name section
// does not make a module invalid (the spec says so): it is ignored with a warning.
func checkApp(where string, wasm []byte, log hclog.Logger) (*wasmc.Module, error) {
	m, err := decodeModule(where, wasm)
	if err != nil {
		return nil, err
	}
	if err := checkImports(where, m); err != nil {
		return nil, err
	}
	var start *abi.FuncSig
	reactor := false
	for _, e := range m.Exports {
		if e.Kind != wasmc.KindFunc {
			continue
		}
		switch e.Name {
		case "_start":
			if ti, ok := m.FuncTypeIndex(e.Index); ok {
				ft := m.Types[ti]
				start = &abi.FuncSig{Params: abiTypes(ft.Params), Results: abiTypes(ft.Results)}
			}
		case "_initialize":
			reactor = true
		}
	}
	if err := abi.CheckCommand(start, reactor); err != nil {
		return nil, usageErrorf("%s: %s", where, err)
	}
	for _, mem := range m.Memories {
		if mem.Limits.Min > abi.MaxMemoryPages {
			return nil, usageErrorf("%s: its memory starts at %d pages (%d MiB); mwasm supports memories of at most %d pages (4 GiB less 64 KiB) in every home: build the app with a smaller initial memory", where, mem.Limits.Min, uint64(mem.Limits.Min)*64/1024, abi.MaxMemoryPages)
		}
	}
	if m.NamesErr != nil {
		log.Warn("the module's name section is malformed and is ignored (functions are named by their exports and indices)", "module", where, "reason", oneLine(m.NamesErr.Error()))
	}
	return m, nil
}

// checkImports refuses, with the message mwasm run gives, a module whose imports
// the mwasm ABI does not provide.
func checkImports(where string, m *wasmc.Module) error {
	for _, imp := range m.Imports {
		if err := importRefusal(m, imp); err != nil {
			return usageErrorf("%s: %s", where, err)
		}
	}
	return nil
}

// importRefusal is nil if the ABI provides imp, and otherwise the reason it does not.
func importRefusal(m *wasmc.Module, imp wasmc.Import) error {
	switch imp.Kind {
	case wasmc.KindFunc:
		ft := m.Types[imp.Type]
		return abi.CheckImport(imp.Module, imp.Name, abiTypes(ft.Params), abiTypes(ft.Results))
	case wasmc.KindMemory:
		return fmt.Errorf("module imports its memory (%s.%s), which the mwasm ABI does not provide: the app must define and export its own memory", imp.Module, imp.Name)
	case wasmc.KindTable:
		return fmt.Errorf("module imports a table (%s.%s), which the mwasm ABI does not provide: the app must define its own tables", imp.Module, imp.Name)
	default:
		return fmt.Errorf("module imports a global (%s.%s), which the mwasm ABI does not provide: the app must define its own globals", imp.Module, imp.Name)
	}
}

// parseXenNet reads --net for a Xen image: vif[,ip=ADDR/BITS][,gw=ADDR][,mac=MAC][,bridge=NAME].
func parseXenNet(spec string, o *xenboot.Options) error {
	parts := strings.Split(spec, ",")
	if parts[0] != "vif" {
		return usageErrorf("--net %q: a Xen image's network is vif[,ip=ADDR/BITS][,gw=ADDR][,mac=MAC][,bridge=NAME] (user and tap are for --target linux)", spec)
	}
	o.Net = true
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "ip":
			pfx, err := netip.ParsePrefix(v)
			if err != nil || !pfx.Addr().Is4() {
				return usageErrorf("--net: ip=%q is not an IPv4 ADDR/BITS, e.g. ip=10.0.3.2/24", v)
			}
			o.NetIPv4 = v
		case "gw":
			a, err := netip.ParseAddr(v)
			if err != nil || !a.Is4() {
				return usageErrorf("--net: gw=%q is not an IPv4 address, e.g. gw=10.0.3.1", v)
			}
			o.NetGateway = v
		case "mac":
			hw, err := net.ParseMAC(v)
			if err != nil || len(hw) != 6 || hw[0]&1 != 0 {
				return usageErrorf("--net: mac=%q is not a unicast MAC address, e.g. mac=00:16:3e:00:00:01", v)
			}
			o.NetMAC = hw.String()
		case "bridge":
			if v == "" || len(v) > 15 || strings.ContainsAny(v, " ,'\"/") {
				return usageErrorf("--net: bridge=%q is not a bridge name, e.g. bridge=xenbr0", v)
			}
			o.NetBridge = v
		default:
			return usageErrorf("--net: unknown option %q for vif: use ip=, gw=, mac= or bridge=", k)
		}
	}
	if o.NetGateway != "" && o.NetIPv4 == "" {
		return usageErrorf("--net %q: gw= without ip= (without ip= the address and gateway come from DHCP)", spec)
	}
	return nil
}

// parseBuildNet reads --net for mwasm build: user[,mac=MAC][,mtu=N] (net0 with
// the facts of the user-mode network, attached by mwasm exec --net user) or
// tap[,ifname=NAME][,ip=ADDR/BITS][,gw=ADDR][,mac=MAC].
func parseBuildNet(spec string, o *linuxexe.Options) error {
	parts := strings.Split(spec, ",")
	switch parts[0] {
	case "user":
		o.Net = true
		o.NetIPv4 = usernet.GuestPrefix.String()
		o.NetGateway = usernet.GatewayIP.String()
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			switch k {
			case "mac":
				hw, err := net.ParseMAC(v)
				if err != nil || len(hw) != 6 || hw[0]&1 != 0 {
					return usageErrorf("--net: mac=%q is not a unicast MAC address, e.g. mac=52:54:00:12:34:56", v)
				}
				o.NetMAC = hw
			case "mtu":
				n, err := strconv.Atoi(v)
				if err != nil || n < 576 || n > 65000 {
					return usageErrorf("--net: mtu=%q is not a number from 576 to 65000", v)
				}
				o.NetMTU = n
			case "hostfwd", "restrict":
				return usageErrorf("--net %q: %s= is chosen when the executable runs: give it to mwasm exec --net user,%s=...", spec, k, k)
			default:
				return usageErrorf("--net: unknown option %q for user: use mac= or mtu= (hostfwd= goes to mwasm exec)", k)
			}
		}
		return nil
	case "tap":
	default:
		return usageErrorf("--net %q: the Linux target supports user[,mac=MAC][,mtu=N] or tap[,ifname=NAME][,ip=ADDR/BITS][,gw=ADDR][,mac=MAC]", spec)
	}
	o.Net = true
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "ifname":
			if v == "" || len(v) > 15 {
				return usageErrorf("--net: ifname %q must be 1 to 15 bytes", v)
			}
			o.NetIfname = v
		case "ip":
			if _, err := netip.ParsePrefix(v); err != nil {
				return usageErrorf("--net: ip=%q is not ADDR/BITS, e.g. ip=10.0.2.15/24", v)
			}
			o.NetIPv4 = v
		case "gw":
			if _, err := netip.ParseAddr(v); err != nil {
				return usageErrorf("--net: gw=%q is not an address, e.g. gw=10.0.2.2", v)
			}
			o.NetGateway = v
		case "mac":
			hw, err := net.ParseMAC(v)
			if err != nil || len(hw) != 6 {
				return usageErrorf("--net: mac=%q is not a MAC address, e.g. mac=52:54:00:12:34:56", v)
			}
			o.NetMAC = hw
		default:
			return usageErrorf("--net: unknown option %q: use ifname=, ip=, gw= or mac=", k)
		}
	}
	return nil
}
