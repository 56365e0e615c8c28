package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// median returns the median of ds (the mean of the two middle values for an
// even count) and false when ds is empty. ds is not modified.
func median(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m], true
	}
	return (s[m-1] + s[m]) / 2, true
}

// ratio returns a/b, and false when either is not a positive duration.
func ratio(a, b time.Duration) (float64, bool) {
	if a <= 0 || b <= 0 {
		return 0, false
	}
	return float64(a) / float64(b), true
}

// geomean returns the geometric mean of xs (computed as exp of the mean log,
// so long products cannot overflow) and false when xs is empty or holds a
// value that is not positive and finite.
func geomean(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	sum := 0.0
	for _, x := range xs {
		if !(x > 0) || math.IsInf(x, 0) {
			return 0, false
		}
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs))), true
}

// normalizeOutput is what checksum comparison looks at: the program's
// standard output with line endings unified and trailing white space on
// every line and at the end dropped.
func normalizeOutput(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// compareOutput checks a peer's output against the native reference. It
// returns "" when they agree, else a short description of the first
// difference (meant for a report cell).
func compareOutput(want, got string) string {
	w, g := normalizeOutput(want), normalizeOutput(got)
	if w == g {
		return ""
	}
	if w == "" {
		return "native printed nothing"
	}
	if g == "" {
		return "printed nothing"
	}
	wl, gl := strings.Split(w, "\n"), strings.Split(g, "\n")
	for i := 0; i < len(wl) && i < len(gl); i++ {
		if wl[i] != gl[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, clip(gl[i]), clip(wl[i]))
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(gl), len(wl))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// cell is what one peer produced for one workload over all rounds.
type cell struct {
	Times []time.Duration // successful runs with the right checksum
	NA    string          // not applicable (e.g. mwasm build missing): the reason
	Fail  string          // a wrong checksum or a failed run: what happened (first one)
}

// addRun records one run: its time, its output compared against want, or
// its error.
func (c *cell) addRun(d time.Duration, out, want string, err error) {
	switch {
	case err != nil:
		if c.Fail == "" {
			c.Fail = "error: " + oneLine(err.Error())
		}
	default:
		if diff := compareOutput(want, out); diff != "" {
			if c.Fail == "" {
				c.Fail = "checksum: " + diff
			}
			return
		}
		c.Times = append(c.Times, d)
	}
}

// ok reports whether the cell has a usable median: no failure, not n/a, and
// at least one good run.
func (c *cell) ok() bool { return c.NA == "" && c.Fail == "" && len(c.Times) > 0 }

// median of the good runs, or 0 when the cell is not ok.
func (c *cell) median() time.Duration {
	if !c.ok() {
		return 0
	}
	m, _ := median(c.Times)
	return m
}

// oneLine squeezes a message (an error, a program's stderr) into one line
// short enough for a report cell or footnote.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 240 {
		// Keep both ends: runtimes put the cause last ("Caused by: ...").
		s = s[:120] + " ... " + s[len(s)-115:]
	}
	return s
}
