package xen

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/tests/internal/edge"
	"github.com/mwasm/mwasm/tests/xen/lab"
)

// edgeLeftOut are the cases of tests/internal/edge that have no Xen form.
var edgeLeftOut = map[string]string{
	"stdin-3-bytes": "the Xen console gives the app no input",
	"grow-to-limit": "a domain's memory is what its .xl gives (the module grows to 4 GiB)",
}

// edgeXenCases are the edge corpus as cases of the boot, "edge-NAME".
func edgeXenCases() []*xcase {
	var cs []*xcase
	for _, c := range edge.Cases() {
		if _, ok := edgeLeftOut[c.Name]; ok {
			continue
		}
		cs = append(cs, &xcase{Case: lab.Case{Name: "edge-" + c.Name}, app: wasmFile("edge-"+c.Name+".wasm", c.Wasm)})
	}
	return cs
}

var exitLineRe = regexp.MustCompile(`(?m)^mwasm: exit status (\d+)\n\z`)

// TestEdgeCorpus boots every case of the edge corpus on Xen: the console must
// hold what mwasm run prints on stdout and stderr (the same gist: app lines and
// the trap's kind), and the domain end as the status says: a trap crashes it,
// an exit prints "mwasm: exit status N" (N modulo 256 is run's status) and
// powers it off.
func TestEdgeCorpus(t *testing.T) {
	for _, c := range edge.Cases() {
		if why, ok := edgeLeftOut[c.Name]; ok {
			t.Logf("%s: not on Xen: %s", c.Name, why)
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			r := result(t, "edge-"+c.Name)
			// Under run, stdout and stderr on one stream, as on the console.
			cmd := exec.Command("/bin/sh", "-c", `exec "$@" `+c.Shell+` 2>&1`, "sh", mwasmBin, "run", wasmFile("edge-"+c.Name+".wasm", c.Wasm))
			cmd.Dir = repoRoot
			cmd.Stdin = strings.NewReader(c.Stdin)
			out, err := cmd.Output()
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				t.Fatal(err)
			}
			console := r.Console
			status := 134
			if m := exitLineRe.FindStringSubmatch(console); m != nil {
				n, _ := strconv.ParseUint(m[1], 10, 32)
				status = int(n % 256)
				console = console[:len(console)-len(m[0])]
				if r.Shutdown != "poweroff" {
					t.Errorf("exited, but the domain's end is %q, not poweroff", r.Shutdown)
				}
			} else if r.Shutdown != "crash" {
				t.Errorf("no exit status on the console, and the domain's end is %q, not crash", r.Shutdown)
			}
			if g, h := edge.Gist(console), edge.Gist(string(out)); g != h {
				t.Errorf("console %q, run printed %q", console, out)
			}
			if status != c.Status {
				t.Errorf("status %d on Xen, want %d", status, c.Status)
			}
		})
	}
}
