package netfront

// What the frontend does in software when one side cannot do an offload: cut
// a large TCP segment into MTU-sized ones (a /dev/net0 reader, a backend
// without GSO), complete a partial checksum (a backend frame for /dev/net0, a
// checksum place netback would not understand).

// ipv4 returns the IPv4 header length and total length of frame f, or false
// when f is not an unfragmented IPv4 packet that fits in f.
func ipv4(f []byte) (ihl, total int, ok bool) {
	if len(f) < 14+20 || f[12] != 0x08 || f[13] != 0x00 {
		return 0, 0, false
	}
	ip := f[14:]
	ihl = int(ip[0]&15) * 4
	total = int(ip[2])<<8 | int(ip[3])
	if ip[0]>>4 != 4 || ihl < 20 || total < ihl || total > len(ip) || ip[6]&0x3f != 0 || ip[7] != 0 {
		return 0, 0, false
	}
	return ihl, total, true
}

// tcpHeaders returns the offset of the TCP payload in f when f is an IPv4
// TCP segment whose headers are whole; f must end where the IP packet does.
func tcpHeaders(f []byte) (int, bool) {
	ihl, total, ok := ipv4(f)
	if !ok || f[14+9] != 6 || 14+total != len(f) || total < ihl+20 {
		return 0, false
	}
	doff := int(f[14+ihl+12]>>4) * 4
	if doff < 20 || ihl+doff > total {
		return 0, false
	}
	return 14 + ihl + doff, true
}

// l4Checksum returns where the TCP or UDP checksum of an IPv4 frame is:
// the transport header's offset and the checksum's offset in it.
func l4Checksum(f []byte) (start, off int, ok bool) {
	ihl, total, ok := ipv4(f)
	if !ok {
		return 0, 0, false
	}
	switch f[14+9] {
	case 6:
		off = 16
	case 17:
		off = 6
	default:
		return 0, 0, false
	}
	if ihl+off+2 > total {
		return 0, 0, false
	}
	return 14 + ihl, off, true
}

// sum adds b to a ones'-complement sum as big-endian 16-bit words.
func sum(s uint32, b []byte) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// completeChecksum finishes a partial checksum (virtio's NEEDS_CSUM): the
// field at start+off holds the pseudo-header's sum; the checksum is the
// complement of the sum of everything from start to the end.
func completeChecksum(f []byte, start, off int) {
	c := ^fold(sum(0, f[start:]))
	f[start+off], f[start+off+1] = byte(c>>8), byte(c)
}

// ipChecksum recomputes the IPv4 header checksum of frame f.
func ipChecksum(f []byte, ihl int) {
	ip := f[14 : 14+ihl]
	ip[10], ip[11] = 0, 0
	c := ^fold(sum(0, ip))
	ip[10], ip[11] = byte(c>>8), byte(c)
}

// shapeSegment turns s, a copy of a large segment's headers (h bytes) and
// one piece of its payload, into a segment of its own: piece i, starting
// seqOff bytes into the payload. IP length, id and checksum, TCP sequence
// number, flags (FIN and PSH only on the last piece, CWR only on the first)
// and checksum are set.
func shapeSegment(s []byte, h, i, seqOff int, first, last bool) {
	ihl := int(s[14]&15) * 4
	ip := s[14:]
	total := len(s) - 14
	ip[2], ip[3] = byte(total>>8), byte(total)
	id := (uint16(ip[4])<<8 | uint16(ip[5])) + uint16(i)
	ip[4], ip[5] = byte(id>>8), byte(id)
	ipChecksum(s, ihl)
	tcp := ip[ihl:]
	seq := (uint32(tcp[4])<<24 | uint32(tcp[5])<<16 | uint32(tcp[6])<<8 | uint32(tcp[7])) + uint32(seqOff)
	tcp[4], tcp[5], tcp[6], tcp[7] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
	if !last {
		tcp[13] &^= 0x01 | 0x08 // FIN, PSH
	}
	if !first {
		tcp[13] &^= 0x80 // CWR
	}
	fixChecksum(s)
}
