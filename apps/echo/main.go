// Command echo is a TCP and UDP echo server (RFC 862) over mnet, for tests and
// benchmarks: every byte received on a TCP connection to port 7 is sent back, and
// every UDP datagram to port 7 is returned to its sender.
//
// It prints "echo: listening on ADDR:7 (tcp, udp)" once both sockets are open.
//
//	GOOS=wasip1 GOARCH=wasm go build -o echo.wasm ./apps/echo
//	mwasm run --net user,hostfwd=tcp:127.0.0.1:7007-:7,hostfwd=udp:127.0.0.1:7007-:7 echo.wasm
package main

import (
	"flag"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/mwasm/mwasm/mnet"
)

func main() {
	port := flag.Int("port", 7, "TCP and UDP port to listen on")
	flag.Parse()

	st, err := mnet.Default()
	if err != nil {
		fail(err)
	}
	addr := ":" + strconv.Itoa(*port)
	ln, err := st.Listen("tcp", addr)
	if err != nil {
		fail(err)
	}
	pc, err := st.ListenPacket("udp", addr)
	if err != nil {
		fail(err)
	}
	go serveUDP(pc)
	os.Stdout.WriteString("echo: listening on " + st.Addr().Addr().String() + addr + " (tcp, udp)\n")
	for {
		c, err := ln.Accept()
		if err != nil {
			fail(err)
		}
		go func() {
			io.Copy(c, c)
			c.Close()
		}()
	}
}

func serveUDP(pc net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			fail(err)
		}
		pc.WriteTo(buf[:n], from) // a lost datagram is the client's problem, as in UDP
	}
}

func fail(err error) {
	os.Stderr.WriteString("echo: " + err.Error() + "\n")
	os.Exit(1)
}
