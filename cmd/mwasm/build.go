package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mwasm/mwasm/aot/target/linux"
	shimlinux "github.com/mwasm/mwasm/shim/linux"
)

// buildFlags are the flags of mwasm build, as given.
type buildFlags struct {
	target     string
	out        string
	net        string
	disk       bool
	sectorSize int
	env        []string
	logLevel   string
}

func newBuildCmd(io stdio) *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [flags] APP -o OUT",
		Short: "Compile an app and the shim ahead of time into a native executable",
		Long: `Compile APP (a .wasm file or an app source directory) and mwasm's WASI shim
with mwasm's own compiler and link them into a static x86-64 Linux executable.
The executable's arguments are the app's (argv[0] is the app's name); its
environment is only what --env gives. Devices declared here are attached at run
time: MWASM_DISK0=FILE for --disk, MWASM_NET0=tap:IFNAME for --net (default: the
ifname given here). A trap prints its kind, function and a backtrace and exits
with status 134.`,
		Example: `  mwasm build --target linux ./apps/hello -o hello && ./hello
  mwasm build --disk app.wasm -o app && MWASM_DISK0=disk.img ./app`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("mwasm build takes one APP (a .wasm file or an app source directory), got %d: e.g. mwasm build app.wasm -o app", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return buildApp(cmd, f, args[0], io)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "linux", "`TARGET` to build for: linux")
	fl.StringVarP(&f.out, "output", "o", "", "write the executable to `FILE`")
	fl.StringVar(&f.net, "net", "", "declare network device net0: tap[,ifname=NAME][,ip=ADDR/BITS][,gw=ADDR]")
	fl.BoolVar(&f.disk, "disk", false, "declare block device disk0 (attach it at run time with MWASM_DISK0=FILE)")
	fl.IntVar(&f.sectorSize, "sector-size", 512, "sector size of disk0 in `BYTES` (a power of two from 512 to 65536)")
	fl.StringArrayVar(&f.env, "env", nil, "set the app's environment variable `KEY=VALUE` (repeatable)")
	fl.StringVar(&f.logLevel, "log-level", "warn", "`LEVEL` of mwasm's own log on stderr: trace|debug|info|warn|error|off")
	return cmd
}

func buildApp(cmd *cobra.Command, f buildFlags, app string, io stdio) error {
	if f.target != "linux" {
		return usageErrorf("--target %q is not supported: the valid target is linux", f.target)
	}
	if f.out == "" {
		return usageErrorf("missing -o OUT (mwasm build): name the executable to write, e.g. mwasm build app.wasm -o app")
	}
	log, err := newLogger(f.logLevel, io)
	if err != nil {
		return err
	}
	env, err := parseEnv(f.env)
	if err != nil {
		return err
	}
	opts := linux.Options{Name: appName(app), Env: env, Disk: f.disk, SectorSize: f.sectorSize, Compiler: "mwasm " + Version}
	if f.net != "" {
		if err := parseBuildNet(f.net, &opts); err != nil {
			return err
		}
	}
	ctx := cmd.Context()
	wasm, wasmPath, err := loadApp(ctx, app, log)
	if err != nil {
		return err
	}
	if err := checkModule(moduleWhere(app, wasmPath), wasm); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "mwasm-build")
	if err != nil {
		return usageErrorf("cannot make a temporary directory: %v", err)
	}
	defer os.RemoveAll(dir)
	opts.App = wasm
	if opts.Shim, err = shimlinux.BuildShim(ctx, dir); err != nil {
		return &exitError{code: 1, message: "building the shim: " + oneLine(err.Error())}
	}
	res, err := linux.Build(opts)
	if err != nil {
		return &exitError{code: 1, message: fmt.Sprintf("%s: %s", moduleWhere(app, wasmPath), err)}
	}
	if err := os.WriteFile(f.out, res.ELF, 0o755); err != nil {
		return usageErrorf("cannot write %s: %v", f.out, err)
	}
	if err := os.Chmod(f.out, 0o755); err != nil {
		return usageErrorf("cannot make %s executable: %v", f.out, err)
	}
	log.Info("built", "out", f.out, "bytes", len(res.ELF), "app_code", res.AppCode, "shim_code", res.ShimCode)
	return nil
}

// parseBuildNet reads --net for mwasm build: tap[,ifname=NAME][,ip=ADDR/BITS][,gw=ADDR][,mac=MAC].
func parseBuildNet(spec string, o *linux.Options) error {
	parts := strings.Split(spec, ",")
	if parts[0] != "tap" {
		return usageErrorf("--net %q: the Linux target supports only tap[,ifname=NAME][,ip=ADDR/BITS][,gw=ADDR][,mac=MAC]", spec)
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
