// Command kv is a persistent key-value store on /dev/disk0, served over HTTP on
// port 80 (flag -port) through mnet:
//
//	PUT    /kv/KEY   body = value; 200 only once the record is durable (synced)
//	GET    /kv/KEY   200 + value, or 404
//	DELETE /kv/KEY   200, or 404 if the key was absent
//	GET    /kv       the keys, one per line, sorted
//
// Storage is a checksummed, sector-granular log with group commit, crash
// recovery and compaction; package store (apps/kv/store) documents the disk
// layout and the crash model: every acknowledged PUT or DELETE survives kill -9 or
// power loss at any moment. When even compaction cannot make room, PUT answers
// 507 Insufficient Storage. Keys are 1-1024 bytes without control characters;
// values up to 4 MiB (and at most half the disk).
//
// At start it prints "kv: recovered N records (M keys)" and then
// "kv: listening on ADDR:80".
//
//	GOOS=wasip1 GOARCH=wasm go build -o kv.wasm ./apps/kv
//	truncate -s 64M kv.img
//	mwasm run --net user,hostfwd=tcp:127.0.0.1:8080-:80 --disk kv.img kv.wasm
//	curl -X PUT --data-binary hello http://127.0.0.1:8080/kv/greeting
package main

import (
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/apps/kv/store"
	"github.com/mwasm/mwasm/mnet"
)

func main() {
	port := flag.Int("port", 80, "TCP port to listen on")
	flag.Parse()

	dev, sectorSize, sectors, err := openDisk()
	if err != nil {
		fail(err)
	}
	st, err := store.Open(dev, sectorSize, sectors)
	if err != nil {
		fail(err)
	}
	stats := st.Stats()
	os.Stdout.WriteString("kv: recovered " + strconv.Itoa(stats.Recovered) + " records (" + strconv.Itoa(stats.Keys) + " keys)\n")

	ns, err := mnet.Default()
	if err != nil {
		fail(err)
	}
	ln, err := ns.Listen("tcp", ":"+strconv.Itoa(*port))
	if err != nil {
		fail(err)
	}
	os.Stdout.WriteString("kv: listening on " + ns.Addr().Addr().String() + ":" + strconv.Itoa(*port) + "\n")
	srv := &http.Server{Handler: &handler{st: st}, ReadHeaderTimeout: 10 * time.Second}
	fail(srv.Serve(ln))
}

// openDisk opens /dev/disk0 and learns its geometry from the environment the shim
// sets, cross-checked against the file size.
func openDisk() (*os.File, int, int64, error) {
	ssStr, ok := os.LookupEnv(abi.EnvDisk0Sector)
	if !ok {
		return nil, 0, 0, errors.New("no disk device (" + abi.EnvDisk0Sector + " is not set): run with a disk attached (see mwasm run --help)")
	}
	ss, err := strconv.Atoi(ssStr)
	if err != nil || ss < 512 || ss&(ss-1) != 0 {
		return nil, 0, 0, errors.New("environment variable " + abi.EnvDisk0Sector + "=" + strconv.Quote(ssStr) + " is malformed: want a power of two >= 512")
	}
	f, err := os.OpenFile("/dev/disk0", os.O_RDWR, 0)
	if err != nil {
		return nil, 0, 0, errors.New("opening the disk: " + err.Error())
	}
	var sectors int64 = -1
	if s := os.Getenv(abi.EnvDisk0Sectors); s != "" {
		if sectors, err = strconv.ParseInt(s, 10, 64); err != nil || sectors <= 0 {
			return nil, 0, 0, errors.New("environment variable " + abi.EnvDisk0Sectors + "=" + strconv.Quote(s) + " is malformed: want a positive integer")
		}
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		n := fi.Size() / int64(ss)
		if sectors >= 0 && n != sectors {
			return nil, 0, 0, errors.New("disk size disagrees: " + abi.EnvDisk0Sectors + " says " + strconv.FormatInt(sectors, 10) + " sectors, the device " + strconv.FormatInt(n, 10))
		}
		sectors = n
	}
	if sectors < 0 {
		return nil, 0, 0, errors.New("cannot tell the disk's size: " + abi.EnvDisk0Sectors + " is not set and fd_filestat_get gave none")
	}
	return f, ss, sectors, nil
}

type handler struct{ st *store.Store }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.URL.Path == "/kv" || r.URL.Path == "/kv/" {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed on /kv: use GET", http.StatusMethodNotAllowed)
			return
		}
		var b strings.Builder
		for _, k := range h.st.Keys() {
			b.WriteString(k)
			b.WriteByte('\n')
		}
		io.WriteString(w, b.String())
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, "/kv/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if len(key) == 0 || len(key) > store.MaxKey || strings.ContainsFunc(key, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		http.Error(w, "bad key: keys are 1-1024 bytes without control characters", http.StatusBadRequest)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		v, ok := h.st.Get(key)
		if !ok {
			http.Error(w, "no such key", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(v)))
		w.Write(v)
	case http.MethodPut:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, store.MaxValue))
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				http.Error(w, "value too large (limit 4 MiB)", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := h.st.Put(key, body); err != nil {
			writeStoreError(w, err)
			return
		}
		io.WriteString(w, "ok\n")
	case http.MethodDelete:
		existed, err := h.st.Delete(key)
		if err != nil {
			writeStoreError(w, err)
			return
		}
		if !existed {
			http.Error(w, "no such key", http.StatusNotFound)
			return
		}
		io.WriteString(w, "deleted\n")
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func writeStoreError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrFull):
		http.Error(w, err.Error(), http.StatusInsufficientStorage)
	case errors.Is(err, store.ErrTooLarge):
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func fail(err error) {
	os.Stderr.WriteString("kv: " + err.Error() + "\n")
	os.Exit(1)
}
