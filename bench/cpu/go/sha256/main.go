// Command sha256 hashes a 1 MiB buffer with SHA-256 (FIPS 180-4, written
// out here rather than taken from crypto/sha256, whose native build uses
// assembly) 160 times, writing each digest back into the buffer so every
// pass depends on the previous one, and prints the final digest.
package main

import (
	"fmt"
	"math/bits"
	"os"
)

var k = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

func block(h *[8]uint32, p []byte) {
	var w [64]uint32
	for i := 0; i < 16; i++ {
		w[i] = uint32(p[4*i])<<24 | uint32(p[4*i+1])<<16 | uint32(p[4*i+2])<<8 | uint32(p[4*i+3])
	}
	for i := 16; i < 64; i++ {
		s0 := bits.RotateLeft32(w[i-15], -7) ^ bits.RotateLeft32(w[i-15], -18) ^ w[i-15]>>3
		s1 := bits.RotateLeft32(w[i-2], -17) ^ bits.RotateLeft32(w[i-2], -19) ^ w[i-2]>>10
		w[i] = w[i-16] + s0 + w[i-7] + s1
	}
	a, b, c, d, e, f, g, hh := h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
	for i := 0; i < 64; i++ {
		t1 := hh + (bits.RotateLeft32(e, -6) ^ bits.RotateLeft32(e, -11) ^ bits.RotateLeft32(e, -25)) + (e&f ^ ^e&g) + k[i] + w[i]
		t2 := (bits.RotateLeft32(a, -2) ^ bits.RotateLeft32(a, -13) ^ bits.RotateLeft32(a, -22)) + (a&b ^ a&c ^ b&c)
		hh, g, f, e, d, c, b, a = g, f, e, d+t1, c, b, a, t1+t2
	}
	h[0] += a
	h[1] += b
	h[2] += c
	h[3] += d
	h[4] += e
	h[5] += f
	h[6] += g
	h[7] += hh
}

func sum256(msg []byte) [32]byte {
	h := [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
	i := 0
	for ; i+64 <= len(msg); i += 64 {
		block(&h, msg[i:i+64])
	}
	var tail [128]byte
	rest := copy(tail[:], msg[i:])
	tail[rest] = 0x80
	tl := 128
	if rest+9 <= 64 {
		tl = 64
	}
	n := uint64(len(msg)) * 8
	for j := 0; j < 8; j++ {
		tail[tl-1-j] = byte(n >> (8 * j))
	}
	for j := 0; j < tl; j += 64 {
		block(&h, tail[j:j+64])
	}
	var out [32]byte
	for j := 0; j < 8; j++ {
		out[4*j], out[4*j+1], out[4*j+2], out[4*j+3] = byte(h[j]>>24), byte(h[j]>>16), byte(h[j]>>8), byte(h[j])
	}
	return out
}

var passes = 160

func main() {
	if d := sum256([]byte("abc")); d[0] != 0xba || d[1] != 0x78 || d[31] != 0xad {
		fmt.Println("sha256 self-check failed")
		os.Exit(1)
	}
	const size = 1 << 20
	buf := make([]byte, size)
	x := uint32(2463534242)
	for i := range buf {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		buf[i] = byte(x)
	}
	var d [32]byte
	for p := 0; p < passes; p++ {
		d = sum256(buf)
		copy(buf[p*4096%(size-32):], d[:])
	}
	fmt.Printf("%x\n", d)
}
