package xenboot

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/aot"
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/backend"
	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/link"
	"github.com/mwasm/mwasm/shim/reactor"
	"github.com/mwasm/mwasm/wasmc"
)

// Options describe one Xen image.
type Options struct {
	Name string   // the app's name: argv[0], the manifest's app name, the domain name
	App  []byte   // the app module (a WASI command)
	Shim []byte   // the Xen shim reactor (shim/xen.BuildShim)
	Args []string // arguments after argv[0] fixed at build time (the xl extra= line follows them)
	Env  []string // KEY=VALUE entries: the app's whole environment

	// MemoryMiB is the domain's memory written to the xl config; 0 chooses
	// one (see the package comment). Less than the image needs is an error.
	MemoryMiB int

	// BootTrace makes the image print, before the app's _start, how long the
	// boot took from the PVH entry (a diagnostic for benchmarks):
	//	mwasm: boot: shim entered at A us, app entered at B us after the PVH entry
	BootTrace bool

	// Net declares net0, a vif: netfront. Its facts come from xenstore at
	// boot; NetIPv4 (CIDR) and NetGateway, when set, configure the app's
	// address (without them the app gets one by DHCP).
	Net                 bool
	NetIPv4, NetGateway string
	NetMAC              string // written into the vif line ("" lets xl choose)
	NetBridge           string // default xenbr0
	// Disk declares disk0, a vbd: blkfront; DiskFile is the xl line's target.
	Disk     bool
	DiskFile string

	// Files are directory trees packed into the image (--dir). The domain's
	// memory holds them twice (the image, and the shim's copy it unpacks).
	Files image.Files

	Compiler string // "mwasm VERSION" for the manifest

	// AppModule, when set, is App already decoded and validated.
	AppModule *wasmc.Module
	// Cache, when set, holds compiled shims.
	Cache *image.Cache
}

// Result is a built image.
type Result struct {
	ELF      []byte
	Manifest *manifest.Manifest
	AppCode  int // bytes of app machine code
	ShimCode int
	// MemoryMiB is the domain memory chosen (or given), MinMemoryMiB the
	// least the image can start in (its loaded size, the initial linear
	// memories and the boot structures).
	MemoryMiB, MinMemoryMiB int
	Timings                 image.Timings
}

// CPU is what the image's code may use: x86-64-v2 (SSE4.1, POPCNT), which
// the boot code checks, and nothing newer, because an image runs on
// whatever host its Xen runs on.
var CPU = backend.CPU{}

// compileOptions are the options every module of a Xen image is compiled with.
var compileOptions = aot.Options{BoundsChecks: frontend.BoundsGuard, CPU: &CPU}

// builder is the image planner with the Xen boot layer's helpers.
type builder struct {
	*image.Builder
	o Options
}

// Build compiles the app and the shim and links them with the boot layer
// into a Xen PVH guest image.
func Build(o Options) (*Result, error) {
	if o.Name == "" {
		o.Name = "app"
	}
	for _, e := range o.Env {
		if !strings.Contains(e, "=") || strings.IndexByte(e, 0) >= 0 {
			return nil, fmt.Errorf("environment entry %q is not KEY=VALUE", e)
		}
	}
	for _, a := range o.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, fmt.Errorf("argument %q contains a NUL byte", a)
		}
	}
	var tm image.Timings
	am, aobj, err := image.CompileApp(o.App, o.AppModule, compileOptions, &tm)
	if err != nil {
		return nil, err
	}
	sm, sobj, err := image.CompileShim(o.Shim, o.Cache, compileOptions, &tm)
	if err != nil {
		return nil, err
	}
	if err := checkNatives(sm); err != nil {
		return nil, err
	}
	linkStart := time.Now()
	ib, err := image.NewBuilder(image.Config{
		Link:   link.Config{Base: ImageBase, Entry: symEntry32},
		Stack:  image.Stack{Base: StackBase, Size: StackSize, Guard: stackGuard, Reserve: stackReserve},
		Commit: func(a *Assembler) { commitHook(a) },
	})
	if err != nil {
		return nil, err
	}
	b := &builder{Builder: ib, o: o}

	app := &image.Module{Name: "app", M: am, Obj: aobj, Base: AppBase}
	shm := &image.Module{Name: "shim", M: sm, Obj: sobj, Base: ShimBase}
	natives := b.emitNatives()
	if err := b.PlaceShim(shm, natives, "Xen"); err != nil {
		return nil, err
	}
	if err := b.PlaceApp(app, shm); err != nil {
		return nil, err
	}
	b.EmitTrapReporter()
	entries, err := image.Entries(app, shm)
	if err != nil {
		return nil, err
	}
	rc := reactor.Config{Args: append([]string{o.Name}, o.Args...), Env: o.Env}
	if o.Net {
		rc.Declared = append(rc.Declared, abi.NetDev)
		rc.DeclaredIPv4, rc.DeclaredGateway = o.NetIPv4, o.NetGateway
	}
	if o.Disk {
		rc.Declared = append(rc.Declared, abi.DiskDev)
	}
	prefixLen, err := b.AddConfigPrefix(rc, configMax)
	if err != nil {
		return nil, err
	}
	if err := b.AddFiles(o.Files); err != nil {
		return nil, err
	}
	b.emitSystem()
	b.emitStart(app, shm, entries, prefixLen)
	b.addNotes()
	if err := b.Err(); err != nil {
		return nil, err
	}

	// Memory: what the image needs to start, and what the domain gets.
	L := b.L
	loaded := L.SectionSize(link.Text) + L.SectionSize(link.ROData) + L.SectionSize(link.Data) + L.SectionSize(link.BSS) + 64<<10
	min := minMemory(loaded, app, shm)
	if o.Net {
		min += 2 // netfront's rings and 256 buffer pages
	}
	if o.Disk {
		min++ // blkfront's ring and 88 buffer pages
	}
	filesMiB := (len(o.Files.Blob) + mib - 1) / mib
	min += filesMiB // the shim's copy (the image's is in loaded)
	mem := o.MemoryMiB
	if mem == 0 {
		mem = defaultMemory(min, app)
	} else if mem < min {
		return nil, &MemoryError{Given: mem, Min: min, Files: filesMiB}
	}
	L.AddObject(link.Object{Name: symMinMiB, Section: link.ROData, Data: binary.LittleEndian.AppendUint64(nil, uint64(min)), Align: 8, Local: true})
	man := image.NewManifest(manifest.TargetXen, o.Name, o.App, app, shm, o.Compiler)
	man.Memory = mem
	if o.Net {
		man.Devices = append(man.Devices, manifest.Device{Name: abi.NetDev, Kind: manifest.KindNet, MAC: o.NetMAC, IPv4: o.NetIPv4, Gateway: o.NetGateway})
	}
	if o.Disk {
		man.Devices = append(man.Devices, manifest.Device{Name: abi.DiskDev, Kind: manifest.KindBlock, SectorSize: 512})
	}
	man.Files = o.Files.Trees
	if err := b.AddManifest(man); err != nil {
		return nil, err
	}
	im, err := L.Link()
	if err != nil {
		return nil, err
	}
	tm.Link = time.Since(linkStart)
	return &Result{ELF: im.ELF, Manifest: man, AppCode: len(aobj.Code), ShimCode: len(sobj.Code), MemoryMiB: mem, MinMemoryMiB: min, Timings: tm}, nil
}

// MemoryError is a --memory below what the image needs to start.
type MemoryError struct {
	Given, Min int
	Files      int // MiB of packed directory trees in Min, twice over
}

func (e *MemoryError) Error() string {
	what := "the image, the initial memories of the app and the shim, and the boot structures"
	if e.Files > 0 {
		what = fmt.Sprintf("of which %d for the --dir trees, held twice: in the image and unpacked by the shim", 2*e.Files)
	}
	return fmt.Sprintf("%d MiB of memory is less than the image needs to start (%d MiB: %s): give at least %d", e.Given, e.Min, what, e.Min)
}

const mib = 1 << 20

// minMemory is the least domain memory (MiB) the image starts in: 1 MiB of
// low memory below the image, the loaded image, the initial linear memories,
// the first heap arena the shim's Go runtime takes (4 MiB) and 1 MiB for page
// tables, the stack and Xen's special pages.
func minMemory(loaded uint64, app, shm *image.Module) int {
	n := mib + loaded + initBytes(app) + initBytes(shm) + 4*mib + mib
	return int((n + mib - 1) / mib)
}

// defaultMemory adds headroom to the minimum for the app's own growth: a
// quarter more, and at least 8 MiB (a Go app's runtime takes its heap in 4
// MiB arenas), rounded up to a multiple of 4 MiB.
func defaultMemory(min int, app *image.Module) int {
	extra := max(min/4, 8)
	m := min + extra
	return (m + 3) &^ 3
}

func initBytes(md *image.Module) uint64 {
	if !md.HasMemory() {
		return 0
	}
	return uint64(md.M.Memories[0].Limits.Min) * 65536
}
