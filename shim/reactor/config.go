package reactor

import (
	"errors"
	"strconv"
)

// Config is the decoded configuration blob: what the app is started with.
type Config struct {
	Args  []string // argv, the app's name first
	Env   []string // "K=V" entries given by the user (the shim appends device facts)
	Stdin bool     // the app has a standard input

	Net  *NetFacts  // nil: no /dev/net0
	Disk *DiskFacts // nil: no /dev/disk0

	// Declared names devices the image has whose facts the platform finds
	// itself (Xen: from xenstore at boot): "net0", "disk0". Net and Disk are
	// nil for them; the net0 IPv4 address and gateway may still be given.
	Declared []string
	// IPv4 and Gateway of a declared net0 (Net's own when Net is set).
	DeclaredIPv4, DeclaredGateway string
}

// NetFacts describe /dev/net0.
type NetFacts struct {
	MAC     [6]byte
	MTU     uint32 // IP MTU; frames are up to MTU+14 bytes
	IPv4    string // CIDR for the app ("" = not set)
	Gateway string // "" = not set
}

// DiskFacts describe /dev/disk0.
type DiskFacts struct {
	SectorSize uint32
	Sectors    uint64
}

// Record tags of the configuration blob.
const (
	TagArg         = 1
	TagEnv         = 2
	TagStdin       = 3
	TagArgLine     = 4
	TagDevices     = 5
	TagNetMAC      = 16
	TagNetMTU      = 17
	TagNetIPv4     = 18
	TagNetGateway  = 19
	TagDiskSector  = 32
	TagDiskSectors = 33
)

// Magic starts every configuration blob.
const Magic = "MWC1"

// Encode returns c as a configuration blob.
func Encode(c Config) []byte {
	b := []byte(Magic)
	rec := func(tag uint32, payload []byte) {
		b = appendU32(b, tag)
		b = appendU32(b, uint32(len(payload)))
		b = append(b, payload...)
	}
	for _, a := range c.Args {
		rec(TagArg, []byte(a))
	}
	for _, e := range c.Env {
		rec(TagEnv, []byte(e))
	}
	if c.Stdin {
		rec(TagStdin, nil)
	}
	if len(c.Declared) > 0 {
		var p []byte
		for _, d := range c.Declared {
			p = append(append(p, d...), 0)
		}
		rec(TagDevices, p)
		if c.DeclaredIPv4 != "" {
			rec(TagNetIPv4, []byte(c.DeclaredIPv4))
		}
		if c.DeclaredGateway != "" {
			rec(TagNetGateway, []byte(c.DeclaredGateway))
		}
	}
	if n := c.Net; n != nil {
		rec(TagNetMAC, n.MAC[:])
		rec(TagNetMTU, appendU32(nil, n.MTU))
		if n.IPv4 != "" {
			rec(TagNetIPv4, []byte(n.IPv4))
		}
		if n.Gateway != "" {
			rec(TagNetGateway, []byte(n.Gateway))
		}
	}
	if d := c.Disk; d != nil {
		rec(TagDiskSector, appendU32(nil, d.SectorSize))
		rec(TagDiskSectors, appendU64(nil, d.Sectors))
	}
	return b
}

// Decode parses a configuration blob. Errors name the record and its byte offset.
func Decode(b []byte) (Config, error) {
	var c Config
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return c, errors.New("config blob: does not start with \"" + Magic + "\" (the native layer and the shim disagree on the format)")
	}
	var net NetFacts
	var disk DiskFacts
	seen := map[uint32]bool{}
	for off := len(Magic); off < len(b); {
		if len(b)-off < 8 {
			return c, configErr(off, "truncated record header")
		}
		tag, n := le32(b[off:]), le32(b[off+4:])
		at := off
		off += 8
		if uint64(n) > uint64(len(b)-off) {
			return c, configErr(at, "record (tag "+utoa(uint64(tag))+") of "+utoa(uint64(n))+" bytes runs past the end")
		}
		p := b[off : off+int(n)]
		off += int(n)
		if tag != TagArg && tag != TagEnv && tag != TagArgLine {
			if seen[tag] {
				return c, configErr(at, "tag "+utoa(uint64(tag))+" given twice")
			}
			seen[tag] = true
		}
		want := -1 // fixed payload length, -1 = any
		switch tag {
		case TagArg:
			c.Args = append(c.Args, string(p))
		case TagEnv:
			c.Env = append(c.Env, string(p))
		case TagArgLine:
			c.Args = append(c.Args, SplitCommandLine(string(p))...)
		case TagStdin:
			want = 0
			c.Stdin = true
		case TagDevices:
			for _, d := range splitNUL(p) {
				if d != "net0" && d != "disk0" {
					return c, configErr(at, "unknown device "+strconv.Quote(d))
				}
				c.Declared = append(c.Declared, d)
			}
		case TagNetMAC:
			want = 6
			copy(net.MAC[:], p)
		case TagNetMTU:
			want = 4
			if len(p) == 4 {
				net.MTU = le32(p)
			}
		case TagNetIPv4:
			net.IPv4 = string(p)
		case TagNetGateway:
			net.Gateway = string(p)
		case TagDiskSector:
			want = 4
			if len(p) == 4 {
				disk.SectorSize = le32(p)
			}
		case TagDiskSectors:
			want = 8
			if len(p) == 8 {
				disk.Sectors = uint64(le32(p)) | uint64(le32(p[4:]))<<32
			}
		default:
			return c, configErr(at, "unknown tag "+utoa(uint64(tag)))
		}
		if want >= 0 && len(p) != want {
			return c, configErr(at, "tag "+utoa(uint64(tag))+" has "+utoa(uint64(len(p)))+" bytes, want "+utoa(uint64(want)))
		}
	}
	switch {
	case seen[TagNetMAC] != seen[TagNetMTU]:
		return c, errors.New("config blob: net0 needs both a MAC (tag 16) and an MTU (tag 17)")
	case seen[TagDevices] && seen[TagNetMAC]:
		return c, errors.New("config blob: net0 both declared (tag 5) and described (tag 16)")
	case (seen[TagNetIPv4] || seen[TagNetGateway]) && !seen[TagNetMAC] && !declared(c.Declared, "net0"):
		return c, errors.New("config blob: net0 IPv4 or gateway given without a net0 device (tag 16)")
	case seen[TagDiskSector] != seen[TagDiskSectors]:
		return c, errors.New("config blob: disk0 needs both a sector size (tag 32) and a sector count (tag 33)")
	}
	if declared(c.Declared, "net0") {
		c.DeclaredIPv4, c.DeclaredGateway = net.IPv4, net.Gateway
	}
	if seen[TagNetMAC] {
		if net.MTU < 68 || net.MTU > 65535 {
			return c, errors.New("config blob: net0 MTU " + utoa(uint64(net.MTU)) + " is outside 68..65535")
		}
		c.Net = &net
	}
	if seen[TagDiskSector] {
		s := disk.SectorSize
		if s < 512 || s > 65536 || s&(s-1) != 0 {
			return c, errors.New("config blob: disk0 sector size " + utoa(uint64(s)) + " is not a power of two from 512 to 65536")
		}
		if disk.Sectors == 0 || disk.Sectors > (1<<63)/uint64(s) {
			return c, errors.New("config blob: disk0 sector count " + utoa(disk.Sectors) + " is zero or too large")
		}
		c.Disk = &disk
	}
	return c, nil
}

func configErr(off int, msg string) error {
	return errors.New("config blob: " + msg + " at byte " + strconv.Itoa(off))
}

func utoa(v uint64) string { return strconv.FormatUint(v, 10) }

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func appendU64(b []byte, v uint64) []byte { return appendU32(appendU32(b, uint32(v)), uint32(v>>32)) }

// SplitCommandLine splits a boot command line (TagArgLine) into arguments the
// way a shell splits words, without expansions: blanks (space, tab,
// newline) separate words; '...' quotes everything up to the next '; "..."
// quotes too, with \" and \\ inside standing for " and \; outside quotes a
// backslash makes the next character literal. An unterminated quote runs
// to the end of the line.
func SplitCommandLine(s string) []string {
	var args []string
	var cur []byte
	in := false // inside a word
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				args = append(args, string(cur))
				cur, in = cur[:0], false
			}
			continue
		case c == '\'':
			for i++; i < len(s) && s[i] != '\''; i++ {
				cur = append(cur, s[i])
			}
		case c == '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur = append(cur, s[i])
			}
		case c == '\\' && i+1 < len(s):
			i++
			cur = append(cur, s[i])
		default:
			cur = append(cur, c)
		}
		in = true
	}
	if in {
		args = append(args, string(cur))
	}
	return args
}

func declared(list []string, d string) bool {
	for _, x := range list {
		if x == d {
			return true
		}
	}
	return false
}

func splitNUL(p []byte) []string {
	var out []string
	start := 0
	for i, b := range p {
		if b == 0 {
			out = append(out, string(p[start:i]))
			start = i + 1
		}
	}
	if start < len(p) {
		out = append(out, string(p[start:]))
	}
	return out
}
