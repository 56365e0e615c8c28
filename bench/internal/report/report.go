// Package report holds what the benchmark commands share to run their tools
// and write their reports: running a command, the median of a set of
// rounds, and the machine's facts (a command's first line of output, a
// field of /proc/cpuinfo or /proc/meminfo).
package report

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// Sh runs name with args in dir and returns its combined output; a failure
// is an error carrying the command line and the output.
func Sh(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	if err != nil {
		return string(b), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b), nil
}

// Median is the median of v (the mean of the middle two for an even count),
// 0 for none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// FirstLine is the first line of what name prints, "unknown" if it fails.
func FirstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	l, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return l
}

// Field is the value of "key: value" in file (/proc/cpuinfo, /proc/meminfo),
// "unknown" if there is none.
func Field(file, key string) string {
	b, _ := os.ReadFile(file)
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
