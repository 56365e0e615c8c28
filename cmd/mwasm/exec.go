package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/shim/hosted/netbridge"
	"github.com/mwasm/mwasm/shim/hosted/usernet"
)

// execFlags are the flags of mwasm exec, as given.
type execFlags struct {
	net      string
	disk     string
	logLevel string
}

func newExecCmd(io stdio) *cobra.Command {
	var f execFlags
	cmd := &cobra.Command{
		Use:   "exec [flags] EXE [-- ARGS...]",
		Short: "Run an executable built by mwasm build --target linux, with its devices",
		Long: `Run EXE, a native executable written by mwasm build --target linux, the way
mwasm run runs a .wasm: with a user-mode network or a TAP device for /dev/net0
and a disk image for /dev/disk0. The devices must match those declared at build
time (mwasm exec reads EXE's mwasm manifest and refuses a mismatch).

--net user[,hostfwd=...] needs no root: mwasm exec runs the user-mode network
(the one of mwasm run) itself and hands EXE one end of a SOCK_SEQPACKET socket
pair as fd 3 (MWASM_NET0=fd:3), one Ethernet frame per packet. Build EXE with
mwasm build --net user. --net tap[,ifname=NAME] lets EXE open the TAP device.
ARGS after -- are passed to the app. SIGINT and SIGTERM are forwarded to EXE;
if mwasm exec dies, EXE is killed. The exit status is EXE's (134 if the app
trapped; 128+N if EXE died of signal N), 2 if mwasm exec could not start it.`,
		Example: `  mwasm build --target linux --net user ./apps/httpd -o httpd
  mwasm exec --net user,hostfwd=tcp::8080-:80 ./httpd
  mwasm build --target linux --net user --disk ./apps/kv -o kv
  mwasm exec --net user,hostfwd=tcp::8080-:80 --disk kv.img ./kv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || cmd.ArgsLenAtDash() == 0 {
				return usageErrorf("missing EXE (mwasm exec): give an executable written by mwasm build --target linux, e.g. mwasm exec ./app")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return execExe(f, args[0], args[1:], io)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.net, "net", "", "network device net0 from `SPEC`: user[,hostfwd=tcp:[HOSTADDR]:PORT-:PORT]... or tap[,ifname=NAME]")
	fl.StringVar(&f.disk, "disk", "", "block device disk0: an image `FILE` (its size must be a multiple of the sector size)")
	fl.StringVar(&f.logLevel, "log-level", "warn", "`LEVEL` of mwasm's own log on stderr: trace|debug|info|warn|error|off")
	return cmd
}

// readManifest reads the mwasm manifest of the executable at path.
func readManifest(path string) (*manifest.Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("cannot read %s: %s", path, oneLine(errors.Unwrap(err).Error()))
	}
	if !bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		return nil, usageErrorf("%s is not an executable written by mwasm build --target linux (not an ELF file): build one with mwasm build --target linux APP -o %s, or use mwasm run for a .wasm", path, filepath.Base(path))
	}
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, usageErrorf("%s cannot be read as an ELF file: %s: rebuild it with mwasm build --target linux", path, oneLine(err.Error()))
	}
	man, err := manifest.FromELF(ef)
	if errors.Is(err, manifest.ErrNoNote) {
		return nil, usageErrorf("%s is an ELF file but not one mwasm build wrote (no mwasm note): mwasm exec runs only executables of mwasm build --target linux", path)
	}
	if err != nil {
		return nil, usageErrorf("%s has an unusable mwasm manifest: %s: rebuild it with this mwasm (mwasm build --target linux)", path, oneLine(err.Error()))
	}
	if man.Target != manifest.TargetLinux {
		return nil, usageErrorf("%s is an mwasm image for target %q, not a Linux executable: mwasm exec runs mwasm build --target linux output", path, man.Target)
	}
	return man, nil
}

// execNet is the network side of one mwasm exec: an environment entry for the
// child, and for user mode the device, the child's socket end and the bridge.
type execNet struct {
	env    string
	dev    *usernet.Device
	local  *net.UnixConn
	remote *os.File
	bridge *netbridge.Bridge
}

func (n *execNet) close() {
	if n.bridge != nil {
		n.bridge.Close()
	} else if n.local != nil {
		n.local.Close()
	}
	if n.remote != nil {
		n.remote.Close()
	}
	if n.dev != nil {
		n.dev.Close()
	}
}

// openExecNet checks --net against EXE's net0 and sets the network up.
func openExecNet(path, spec string, dev *manifest.Device, log hclog.Logger) (*execNet, error) {
	kind, _, _ := strings.Cut(spec, ",")
	switch kind {
	case "user":
		opts, err := usernet.ParseSpec(spec)
		if err != nil {
			return nil, usageErrorf("bad --net %q: %s", spec, strings.TrimPrefix(err.Error(), "usernet: "))
		}
		addr, err := netip.ParsePrefix(dev.IPv4)
		if dev.IPv4 == "" || err != nil || !usernet.Network.Contains(addr.Addr()) || addr.Addr() == usernet.GatewayIP {
			have := "no IPv4 address"
			if dev.IPv4 != "" {
				have = "address " + dev.IPv4
			}
			return nil, usageErrorf("%s was built with /dev/net0 at %s, but --net user is the network %s (guest %s): rebuild it with mwasm build --net user, or use --net tap", path, have, usernet.Network, usernet.GuestPrefix)
		}
		mtu := dev.MTU
		if mtu == 0 {
			mtu = 1500
		}
		if opts.MTU != 0 && opts.MTU != mtu {
			return nil, usageErrorf("--net %s: mtu=%d, but %s was built with MTU %d: drop mtu= here or rebuild with mwasm build --net user,mtu=%d", spec, opts.MTU, path, mtu, opts.MTU)
		}
		opts.MTU = mtu
		if dev.MAC != "" {
			hw, err := net.ParseMAC(dev.MAC)
			if err != nil || len(hw) != 6 {
				return nil, usageErrorf("%s has an unusable net0 MAC %q in its manifest: rebuild it with mwasm build", path, dev.MAC)
			}
			var mac [6]byte
			copy(mac[:], hw)
			if opts.GuestMAC != ([6]byte{}) && opts.GuestMAC != mac {
				return nil, usageErrorf("--net %s: the mac= differs from %s's MAC %s (fixed at build time): drop mac= here or rebuild with mwasm build --net user,mac=...", spec, path, dev.MAC)
			}
			opts.GuestMAC = mac
		}
		d, err := usernet.New(opts, log.Named("usernet"))
		if err != nil {
			return nil, usageErrorf("cannot open --net %s: %s", spec, strings.TrimPrefix(err.Error(), "usernet: "))
		}
		for _, f := range d.Forwards() {
			log.Info("hostfwd", "forward", f.String())
		}
		local, remote, err := netbridge.Socketpair()
		if err != nil {
			d.Close()
			return nil, usageErrorf("--net %s: %v", spec, err)
		}
		// fd 3 in the child: the first of exec.Cmd.ExtraFiles.
		return &execNet{env: "MWASM_NET0=fd:3", dev: d, local: local, remote: remote}, nil
	case "tap":
		n := &execNet{env: "MWASM_NET0"}
		for _, p := range strings.Split(spec, ",")[1:] {
			k, v, _ := strings.Cut(p, "=")
			switch k {
			case "ifname":
				if v == "" || len(v) > 15 || strings.ContainsAny(v, "/ \x00") {
					return nil, usageErrorf("bad --net %q: ifname %q must be an interface name of 1 to 15 bytes", spec, v)
				}
				n.env = "MWASM_NET0=tap:" + v
			case "ip", "gw", "mac":
				return nil, usageErrorf("bad --net %q: %s= is fixed when the executable is built: give it to mwasm build --net tap,%s=...", spec, k, k)
			default:
				return nil, usageErrorf("bad --net %q: unknown option %q: mwasm exec takes tap[,ifname=NAME]", spec, k)
			}
		}
		if n.env == "MWASM_NET0" {
			n.env = "" // the ifname given at build time
		}
		return n, nil
	}
	return nil, usageErrorf("bad --net %q: unknown network type %q: use user[,hostfwd=tcp:[HOSTADDR]:PORT-:PORT]... or tap[,ifname=NAME]", spec, kind)
}

// checkExecDisk checks --disk against EXE's disk0 and returns its absolute path.
func checkExecDisk(path, disk string, dev *manifest.Device) (string, error) {
	abs, err := filepath.Abs(disk)
	if err != nil {
		return "", usageErrorf("--disk %s: %v", disk, err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR, 0)
	if err != nil {
		return "", usageErrorf("--disk %s: cannot open it read-write: %s: check the path and its permissions", disk, oneLine(errors.Unwrap(err).Error()))
	}
	defer f.Close()
	size, err := f.Seek(0, 2)
	if err != nil {
		return "", usageErrorf("--disk %s: cannot find its size: %v", disk, err)
	}
	ss := int64(dev.SectorSize)
	if ss == 0 {
		ss = 512
	}
	if size == 0 || size%ss != 0 {
		return "", usageErrorf("--disk %s: its size (%d bytes) is not a positive multiple of %s's sector size (%d bytes): resize it, e.g. truncate -s 16M %s", disk, size, path, ss, disk)
	}
	return abs, nil
}

// execExe does the work of mwasm exec.
func execExe(f execFlags, exe string, args []string, io stdio) error {
	log, err := newLogger("mwasm exec", f.logLevel, io)
	if err != nil {
		return err
	}
	man, err := readManifest(exe)
	if err != nil {
		return err
	}
	netDev, diskDev := man.Device(abi.NetDev), man.Device(abi.DiskDev)
	switch {
	case netDev != nil && f.net == "":
		return usageErrorf("%s was built with /dev/%s but no --net was given: add --net user,hostfwd=tcp::HOSTPORT-:PORT (or --net tap,ifname=NAME)", exe, abi.NetDev)
	case netDev == nil && f.net != "":
		return usageErrorf("%s was built without /dev/%s but --net was given: drop --net, or rebuild it with mwasm build --target linux --net user", exe, abi.NetDev)
	case diskDev != nil && f.disk == "":
		return usageErrorf("%s was built with /dev/%s but no --disk was given: add --disk FILE (a disk image)", exe, abi.DiskDev)
	case diskDev == nil && f.disk != "":
		return usageErrorf("%s was built without /dev/%s but --disk was given: drop --disk, or rebuild it with mwasm build --target linux --disk", exe, abi.DiskDev)
	}
	// The child's environment is only the device attachments: the app's own
	// environment was fixed at build time, and a MWASM_NET0 of ours must not leak in.
	var env []string
	if diskDev != nil {
		p, err := checkExecDisk(exe, f.disk, diskDev)
		if err != nil {
			return err
		}
		env = append(env, "MWASM_DISK0="+p)
	}
	path, err := filepath.Abs(exe)
	if err != nil {
		return usageErrorf("%s: %v", exe, err)
	}
	var en *execNet
	if netDev != nil {
		if en, err = openExecNet(exe, f.net, netDev, log); err != nil {
			return err
		}
		defer en.close()
		if en.env != "" {
			env = append(env, en.env)
		}
	}

	cmd := exec.Command(path, args...)
	cmd.Args[0] = exe
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = io.in, io.out, io.err
	// Kill the child if mwasm exec dies: it would otherwise go on with a dead
	// network. The signal is tied to the thread that forks, so this goroutine
	// keeps its thread until the child has been reaped.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if en != nil && en.remote != nil {
		cmd.ExtraFiles = []*os.File{en.remote}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if err := cmd.Start(); err != nil {
		return usageErrorf("cannot start %s: %s", exe, oneLine(err.Error()))
	}
	log.Debug("started", "exe", exe, "pid", cmd.Process.Pid, "env", strings.Join(env, " "))
	if en != nil && en.remote != nil {
		en.remote.Close()
		en.remote = nil
		en.bridge = netbridge.New(en.local, en.dev, log.Named("netbridge"))
	}
	waited := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				log.Debug("forwarding signal", "signal", s)
				cmd.Process.Signal(s)
			case <-waited:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(waited)
	if en != nil && en.bridge != nil {
		st := en.bridge.Stats()
		log.Debug("network", "frames_to_app", st.ToApp, "frames_from_app", st.FromApp, "rejected", st.Rejected, "dropped_by_usernet", en.dev.Dropped())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws, ok := ee.Sys().(syscall.WaitStatus)
		if ok && ws.Signaled() && ws.Signal() == syscall.SIGPIPE {
			// Its reader went away (mwasm exec app | head): nothing to say, as a
			// shell says nothing and mwasm run (which dies of the same) neither.
			return exitStatus(128 + int(syscall.SIGPIPE))
		}
		if ok && ws.Signaled() {
			return &exitError{code: 128 + int(ws.Signal()), message: fmt.Sprintf("%s was killed by signal %d (%s)", exe, int(ws.Signal()), ws.Signal())}
		}
		return exitStatus(ee.ExitCode())
	}
	if err != nil {
		return &exitError{code: 1, message: fmt.Sprintf("%s: %s", exe, oneLine(err.Error()))}
	}
	return nil
}
