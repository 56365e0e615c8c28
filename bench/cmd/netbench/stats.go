package main

import (
	"bufio"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// median returns the median of xs (the mean of the two middle values for an even
// count) and false for an empty slice. xs is not modified.
func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// percentile returns the p-th percentile (0 <= p <= 100) of xs by the
// nearest-rank method, and false for an empty slice.
func percentile(xs []float64, p float64) (float64, bool) {
	if len(xs) == 0 || p < 0 || p > 100 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1], true
}

// formatRatio prints a/b with three significant digits and a trailing "×", or
// "n/a" when the ratio is undefined (b is zero, or either is not a finite number).
func formatRatio(a, b float64) string {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return "n/a"
	}
	return formatSig(a/b, 3) + "×"
}

// formatSig prints x with n significant digits in plain (non-exponent) notation,
// with thousands left unseparated: 12345.6 -> "12346", 0.012345 -> "0.0123".
func formatSig(x float64, n int) string {
	if x == 0 {
		return "0"
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	mag := int(math.Floor(math.Log10(math.Abs(x))))
	decimals := n - 1 - mag
	if decimals < 0 {
		decimals = 0
	}
	// Rounding can carry into a new digit (9.996 -> "10.00"); redo with one less decimal.
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if decimals > 0 {
		if r, err := strconv.ParseFloat(s, 64); err == nil && math.Abs(r) >= math.Pow(10, float64(mag+1)) {
			s = strconv.FormatFloat(x, 'f', decimals-1, 64)
		}
	}
	return s
}

// formatSeries prints per-round values, for the report's detail column.
func formatSeries(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = formatSig(x, 3)
	}
	return strings.Join(parts, ", ")
}

// wrkResult is what netbench takes from wrk's summary.
type wrkResult struct {
	ReqPerSec    float64 // "Requests/sec:" line
	Requests     int64   // "N requests in T, B read" line
	Non2xx       int64   // "Non-2xx or 3xx responses:" line, 0 if absent
	SocketErrors int64   // sum of the "Socket errors:" counters, 0 if absent
}

// parseWrk reads wrk's (4.x) text summary. It fails if there is no Requests/sec line.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	found := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Requests/sec:"):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			if err != nil {
				return r, fmt.Errorf("wrk output: bad Requests/sec line %q", line)
			}
			r.ReqPerSec, found = v, true
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			v, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")), 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk output: bad Non-2xx line %q", line)
			}
			r.Non2xx = v
		case strings.HasPrefix(line, "Socket errors:"):
			// Socket errors: connect 0, read 3, write 0, timeout 12
			for _, f := range strings.Split(strings.TrimPrefix(line, "Socket errors:"), ",") {
				fs := strings.Fields(f)
				if len(fs) != 2 {
					return r, fmt.Errorf("wrk output: bad Socket errors line %q", line)
				}
				v, err := strconv.ParseInt(fs[1], 10, 64)
				if err != nil {
					return r, fmt.Errorf("wrk output: bad Socket errors line %q", line)
				}
				r.SocketErrors += v
			}
		case strings.Contains(line, " requests in "):
			fs := strings.Fields(line)
			if v, err := strconv.ParseInt(fs[0], 10, 64); err == nil {
				r.Requests = v
			}
		}
	}
	if !found {
		return r, fmt.Errorf("wrk output has no Requests/sec line: %q", firstLines(out, 3))
	}
	return r, nil
}

// versionLine returns the value of the line starting with "name " in the output
// of mwasm version ("mwasm 0.1.0-dev (abcdef)\ngo go1.26 linux/amd64\nwazero v1.12.0"),
// or "" if there is none.
func versionLine(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// requireVersion returns the version of module mod in a go.mod file's text, or "".
func requireVersion(gomod, mod string) string {
	for _, line := range strings.Split(gomod, "\n") {
		fs := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(fs) >= 2 && fs[0] == mod {
			return fs[1]
		}
	}
	return ""
}

// cpuModel returns the first "model name" in /proc/cpuinfo text, or "".
func cpuModel(cpuinfo string) string {
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// memTotal returns MemTotal from /proc/meminfo text in bytes, or 0.
func memTotal(meminfo string) int64 {
	for _, line := range strings.Split(meminfo, "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			fs := strings.Fields(v)
			if len(fs) >= 1 {
				kb, err := strconv.ParseInt(fs[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// procCPUTicks returns utime+stime (in clock ticks) from /proc/PID/stat text.
// The command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func procCPUTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/PID/stat: no ')' in %q", firstLines(stat, 1))
	}
	fs := strings.Fields(stat[i+1:])
	// fs[0] is field 3 (state); utime is field 14, stime field 15.
	if len(fs) < 13 {
		return 0, fmt.Errorf("/proc/PID/stat: only %d fields after the name", len(fs))
	}
	u, err1 := strconv.ParseInt(fs[11], 10, 64)
	s, err2 := strconv.ParseInt(fs[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/PID/stat: utime/stime %q %q are not numbers", fs[11], fs[12])
	}
	return u + s, nil
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
