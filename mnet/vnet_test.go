package mnet

import (
	"crypto/rand"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/mwasm/mwasm/abi"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// vnetEnd is a Pipe end whose frames carry virtio-net headers.
type vnetEnd struct{ FrameIO }

func (vnetEnd) VnetHeader() bool { return true }

// Two stacks on vnet devices move TCP data in segments larger than the MTU,
// each with a partial checksum and a GSO header that says how to cut it.
func TestVnetLargeSegments(t *testing.T) {
	da, db := Pipe()
	ra, rb := &recorder{FrameIO: vnetEnd{da}}, &recorder{FrameIO: vnetEnd{db}}
	a, err := New(Config{MAC: net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}, Addr: netip.MustParsePrefix("10.0.2.15/24"), Device: vnetEnd{ra}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(Config{MAC: net.HardwareAddr{0x52, 0x55, 0x0a, 0, 2, 2}, Addr: netip.MustParsePrefix("10.0.2.2/24"), Device: vnetEnd{rb}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data := make([]byte, 4<<20)
	rand.Read(data)
	echoOnce(t, a, b, data)
	big, tcp := 0, 0
	for _, f := range append(ra.sent(), rb.sent()...) {
		h, fr := f[:abi.VnetHdrLen], f[abi.VnetHdrLen:]
		if len(fr) < 14+20+20 || header.IPv4(fr[14:]).Protocol() != uint8(header.TCPProtocolNumber) {
			continue
		}
		tcp++
		if h[0] == 0 {
			// Segments sent before the connection has its GSO settings
			// (SYN, SYN-ACK) carry a full checksum.
			if g, _ := tcpChecksums([][]byte{fr}); g != 1 || h[1] != 0 {
				t.Fatalf("a TCP segment without NEEDS_CSUM: header %x, checksum right: %v", h, g == 1)
			}
			continue
		}
		if h[0] != abi.VnetFlagNeedsCsum || binary.LittleEndian.Uint16(h[6:]) != 34 || binary.LittleEndian.Uint16(h[8:]) != 16 {
			t.Fatalf("a TCP segment's header %x", h)
		}
		if len(fr) > 1514 {
			big++
			if h[1] != abi.VnetGSOTCPv4 || binary.LittleEndian.Uint16(h[4:]) == 0 || int(binary.LittleEndian.Uint16(h[2:])) < 54 {
				t.Fatalf("a %d-byte segment's header %x", len(fr), h)
			}
		}
	}
	// 8 MiB moved both ways: in MTU-sized segments that would be 5800.
	if big == 0 || tcp > 2000 {
		t.Errorf("%d TCP segments, %d larger than the MTU", tcp, big)
	}
}

// A vnet stack checks the checksums the device did not: a TCP segment with a
// wrong one and no DATA_VALID is dropped; the same with DATA_VALID is taken.
func TestVnetChecksumChecked(t *testing.T) {
	f := make([]byte, 14+20+20+4)
	f[12], f[13] = 0x08, 0x00
	ip := header.IPv4(f[14:])
	ip.Encode(&header.IPv4Fields{TotalLength: 44, TTL: 64, Protocol: 6,
		SrcAddr: tcpip.AddrFrom4([4]byte{10, 0, 2, 2}), DstAddr: tcpip.AddrFrom4([4]byte{10, 0, 2, 15})})
	ip.SetChecksum(^ip.CalculateChecksum())
	binary.BigEndian.PutUint16(f[14+20+16:], 0x1234) // wrong TCP checksum
	hdr := make([]byte, abi.VnetHdrLen)
	if vnetChecked(append(hdr, f...)) {
		t.Error("a wrong TCP checksum without DATA_VALID passed")
	}
	hdr[0] = abi.VnetFlagDataValid
	if !vnetChecked(append(hdr, f...)) {
		t.Error("DATA_VALID: dropped")
	}
	f[14+10] ^= 1 // and a wrong IP header checksum
	if vnetChecked(append(hdr, f...)) {
		t.Error("a wrong IP header checksum passed with DATA_VALID")
	}
}
