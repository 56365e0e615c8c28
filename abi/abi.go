// Package abi is the contract between an mwasm app and the shim that runs it.
//
// The imported ABI is WASI preview 1 (module "wasi_snapshot_preview1"): every function
// of it (Functions) except the deprecated proc_raise (Refused), so that
// unmodified programs, which link calls they never make, load. The socket calls
// are provided, but there are no socket descriptors: they answer EBADF or
// ENOTSOCK. Devices are files in a preopened "/dev" directory; their facts (MAC, MTU, address, sector size and count) reach the app as
// environment variables. README.md beside this file is the readable page; this file
// holds the same facts as Go constants so shims, apps and tests share one source.
//
// CheckImport is the load-time gate every loader applies to a module's imports; its
// *ImportError is the one message format for a refused import. The
// conformance app in conformance/ checks a shim from the inside; BuildConformance and
// CheckConformanceOutput let the tests of every shim (hosted, Linux, Xen) run it.
package abi

// Module is the import module name of every ABI function.
const Module = "wasi_snapshot_preview1"

// Errno is a WASI errno value (the result of every ABI function).
type Errno uint16

// WASI preview 1 errno values (the numbering is fixed by the WASI specification).
const (
	ESUCCESS        Errno = 0
	E2BIG           Errno = 1
	EACCES          Errno = 2
	EADDRINUSE      Errno = 3
	EADDRNOTAVAIL   Errno = 4
	EAFNOSUPPORT    Errno = 5
	EAGAIN          Errno = 6
	EALREADY        Errno = 7
	EBADF           Errno = 8
	EBADMSG         Errno = 9
	EBUSY           Errno = 10
	ECANCELED       Errno = 11
	ECHILD          Errno = 12
	ECONNABORTED    Errno = 13
	ECONNREFUSED    Errno = 14
	ECONNRESET      Errno = 15
	EDEADLK         Errno = 16
	EDESTADDRREQ    Errno = 17
	EDOM            Errno = 18
	EDQUOT          Errno = 19
	EEXIST          Errno = 20
	EFAULT          Errno = 21
	EFBIG           Errno = 22
	EHOSTUNREACH    Errno = 23
	EIDRM           Errno = 24
	EILSEQ          Errno = 25
	EINPROGRESS     Errno = 26
	EINTR           Errno = 27
	EINVAL          Errno = 28
	EIO             Errno = 29
	EISCONN         Errno = 30
	EISDIR          Errno = 31
	ELOOP           Errno = 32
	EMFILE          Errno = 33
	EMLINK          Errno = 34
	EMSGSIZE        Errno = 35
	EMULTIHOP       Errno = 36
	ENAMETOOLONG    Errno = 37
	ENETDOWN        Errno = 38
	ENETRESET       Errno = 39
	ENETUNREACH     Errno = 40
	ENFILE          Errno = 41
	ENOBUFS         Errno = 42
	ENODEV          Errno = 43
	ENOENT          Errno = 44
	ENOEXEC         Errno = 45
	ENOLCK          Errno = 46
	ENOLINK         Errno = 47
	ENOMEM          Errno = 48
	ENOMSG          Errno = 49
	ENOPROTOOPT     Errno = 50
	ENOSPC          Errno = 51
	ENOSYS          Errno = 52
	ENOTCONN        Errno = 53
	ENOTDIR         Errno = 54
	ENOTEMPTY       Errno = 55
	ENOTRECOVERABLE Errno = 56
	ENOTSOCK        Errno = 57
	ENOTSUP         Errno = 58
	ENOTTY          Errno = 59
	ENXIO           Errno = 60
	EOVERFLOW       Errno = 61
	EOWNERDEAD      Errno = 62
	EPERM           Errno = 63
	EPIPE           Errno = 64
	EPROTO          Errno = 65
	EPROTONOSUPPORT Errno = 66
	EPROTOTYPE      Errno = 67
	ERANGE          Errno = 68
	EROFS           Errno = 69
	ESPIPE          Errno = 70
	ESRCH           Errno = 71
	ESTALE          Errno = 72
	ETIMEDOUT       Errno = 73
	ETXTBSY         Errno = 74
	EXDEV           Errno = 75
	ENOTCAPABLE     Errno = 76
)

// Device paths, as the app opens them (the preopened directory is DevDir).
const (
	DevDir  = "/dev"
	NetDev  = "net0"  // /dev/net0: one Ethernet frame per fd_read/fd_write
	DiskDev = "disk0" // /dev/disk0: sector-aligned fd_pread/fd_pwrite
	// NetVnetDev is net0 with offloads: every frame read or written is
	// preceded by a virtio-net header (VnetHdrLen bytes), which carries
	// partial checksums and TCP segments larger than the MTU. Present only
	// where the device does these natively (Xen's netfront).
	NetVnetDev = "net0v"
)

// The virtio-net header of /dev/net0v (virtio 1.x, struct virtio_net_hdr
// without num_buffers, little-endian; Linux TAP's IFF_VNET_HDR): flags u8,
// gso_type u8, hdr_len u16, gso_size u16, csum_start u16, csum_offset u16.
const (
	VnetHdrLen        = 10
	VnetFlagNeedsCsum = 1 // the checksum at csum_start+csum_offset holds only the pseudo-header's sum: complete it over [csum_start, end)
	VnetFlagDataValid = 2 // received: the platform checked the frame's TCP/UDP checksum
	VnetGSONone       = 0
	VnetGSOTCPv4      = 1 // an IPv4 TCP segment carrying more than gso_size bytes: cut at gso_size
	// VnetMaxFrame is the longest frame on net0v: a 64 KiB IPv4 packet and
	// its Ethernet header.
	VnetMaxFrame = 14 + 65535
)

// Environment variables through which an app learns its devices' facts. The shim
// sets each one exactly when the device exists; an absent device has none of them.
const (
	EnvNet0MAC      = "MWASM_NET0_MAC"          // "52:54:00:12:34:56"
	EnvNet0MTU      = "MWASM_NET0_MTU"          // "1500" (IP MTU; a frame is at most MTU+14 bytes)
	EnvNet0IPv4     = "MWASM_NET0_IPV4"         // "10.0.2.15/24": the app's address and prefix
	EnvNet0Gateway  = "MWASM_NET0_GATEWAY"      // "10.0.2.2": default route
	EnvNet0Offload  = "MWASM_NET0_OFFLOAD"      // "csum": net0's frames cross no wire, checksums are optional (see abi/README.md)
	EnvNet0Vnet     = "MWASM_NET0_VNET"         // "1": /dev/net0v exists (net0 with virtio-net headers)
	EnvDisk0Sector  = "MWASM_DISK0_SECTOR_SIZE" // "512"
	EnvDisk0Sectors = "MWASM_DISK0_SECTORS"     // number of sectors
)

// Exit statuses of a run (the process exit status under mwasm run and the Linux
// target; the shutdown reason recorded on Xen).
const (
	ExitOK    = 0   // proc_exit(0) or _start returned
	ExitUsage = 2   // mwasm itself: bad flags, bad input file, unusable device
	ExitTrap  = 134 // the app trapped (unreachable, out of bounds, ...)
	// Any other value is the app's own proc_exit(code) argument (0-125 are portable).
)
