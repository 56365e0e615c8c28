package image

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/wasmc"
)

// NewManifest is the manifest of an image holding app (built from the
// .wasm bytes wasm) and shm, for target, without devices.
func NewManifest(target, name string, wasm []byte, app, shm *Module, compiler string) *manifest.Manifest {
	sum := sha256.Sum256(wasm)
	man := &manifest.Manifest{
		Version: manifest.FormatVersion,
		App:     manifest.App{Name: name, WasmSHA256: hex.EncodeToString(sum[:]), WasmSize: int64(len(wasm))},
		Target:  target,
		Devices: []manifest.Device{},
		Sizes: []manifest.Module{
			{Module: "app", Code: uint64(len(app.Obj.Code)), Data: dataSize(app.M)},
			{Module: "shim", Code: uint64(len(shm.Obj.Code)), Data: dataSize(shm.M)},
		},
		Compiler: compiler,
	}
	if man.Compiler == "" {
		man.Compiler = "mwasm 0.0.0-dev"
	}
	return man
}

// AddManifest writes man into the image as its mwasm note.
func (b *Builder) AddManifest(man *manifest.Manifest) error {
	js, err := manifest.Marshal(man)
	if err != nil {
		return fmt.Errorf("manifest: %v", err)
	}
	b.L.AddNote(b.L.NoteSection(manifest.NoteSection), manifest.NoteName, manifest.NoteType, js)
	return nil
}

func dataSize(m *wasmc.Module) uint64 {
	var n uint64
	for _, d := range m.Datas {
		n += uint64(len(d.Init))
	}
	return n
}

// MACString formats a MAC address as 52:54:00:12:34:56.
func MACString(b []byte) string {
	s := make([]string, len(b))
	for i, x := range b {
		s[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(s, ":")
}
