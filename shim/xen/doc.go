// Package xen is the Xen platform of the shim reactor: shim.Platform over the
// natives of the Xen boot layer (package xenboot: a hypercall, block until an
// event or a deadline, the clocks, the frame number of a shim page, mapping a
// frame into a shim page, an early console, exit and shutdown) and the Xen
// drivers, each an ordinary Go package tested on the host against the fakes
// of shim/xen/xenfake:
//
//	shim/xen/hv        the hypercalls: event channels, HVM parameters, memory map operations
//	shim/xen/console   the PV console ring
//	shim/xen/xenstore  the xenstore client: read, write, directory, watches, transactions
//
// Together with the reactor's main package (shim/xen/cmd/shim) it is compiled
// with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared (BuildShim), lowered by
// mwasm's compiler and linked into the image beside the app. Only
// natives_wasip1.go binds the natives; everything else takes a Machine.
//
// # Events
//
// Everything the platform waits for is an event channel: the console's (the
// backend has read, there is room again), the store's (a reply, a watch
// event), and the timer's, which the boot layer keeps for itself. Platform.Wait
// blocks the vCPU in the wait native (SCHEDOP-free: `sti; hlt` with the event
// upcall raised by Xen while an unmasked port is pending, so no wake-up is
// lost), then runs the handler of each port that fired. Drivers that must wait
// (a full console ring, a xenstore request in flight) call the same Wait, so
// an event for another driver is never lost while one of them waits.
//
// # Console
//
// stdout and stderr both go to the PV console ring (Console.Write: every byte,
// in order, waiting for room rather than dropping). There is no standard
// input: fd 0 is at end of file, as when `mwasm run` reads from /dev/null.
//
// # Shutdown
//
// proc_exit prints "mwasm: exit status N" on the console and powers the domain
// off, whatever N (the boot layer's exit native). The toolstack's `xl
// shutdown` and `xl reboot` write control/shutdown in xenstore; the platform
// watches it, clears it (the acknowledgement the protocol asks for), says so
// on the console and shuts down with that reason.
package xen
