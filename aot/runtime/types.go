package runtime

import (
	"sync"

	"github.com/mwasm/mwasm/wasmc"
)

// Canonical type ids: structurally equal function types get the same id in
// the whole process, so call_indirect compares ids across instances.
var typeIDs struct {
	sync.Mutex
	ids map[string]uint64
}

func sigKey(ft wasmc.FuncType) string {
	b := make([]byte, 0, len(ft.Params)+len(ft.Results)+1)
	for _, t := range ft.Params {
		b = append(b, byte(t))
	}
	b = append(b, 0)
	for _, t := range ft.Results {
		b = append(b, byte(t))
	}
	return string(b)
}

// TypeID returns the canonical id (never 0) of function type ft.
func TypeID(ft wasmc.FuncType) uint64 {
	typeIDs.Lock()
	defer typeIDs.Unlock()
	if typeIDs.ids == nil {
		typeIDs.ids = map[string]uint64{}
	}
	k := sigKey(ft)
	id, ok := typeIDs.ids[k]
	if !ok {
		id = uint64(len(typeIDs.ids) + 1)
		typeIDs.ids[k] = id
	}
	return id
}
