// Command ticker measures timer precision: it runs a time.Ticker (on wasip1 the Go
// runtime waits with poll_oneoff clock subscriptions) for -count ticks of -interval
// each, records how late each tick was against its ideal time start+k*interval, and
// prints a summary of the lateness (min/median/p99/max jitter in microseconds),
// then "ticker: done".
//
//	GOOS=wasip1 GOARCH=wasm go build -o ticker.wasm ./apps/ticker
//	mwasm run ticker.wasm -interval 5ms -count 200
package main

import (
	"flag"
	"os"
	"slices"
	"strconv"
	"time"
)

func main() {
	interval := flag.Duration("interval", 10*time.Millisecond, "tick period")
	count := flag.Int("count", 100, "number of ticks")
	flag.Parse()
	if *interval <= 0 || *count <= 0 {
		os.Stderr.WriteString("ticker: -interval and -count must be positive\n")
		os.Exit(2)
	}

	late := make([]time.Duration, 0, *count)
	start := time.Now()
	t := time.NewTicker(*interval)
	// A Ticker drops ticks for slow receivers; tick k is compared with the first
	// ideal time it can stand for, so a dropped tick shows as a long lateness rather
	// than being hidden.
	for k := 1; k <= *count; k++ {
		now := <-t.C
		ideal := start.Add(time.Duration(k) * *interval)
		if d := now.Sub(ideal); d > 0 {
			late = append(late, d)
		} else {
			late = append(late, 0)
		}
	}
	t.Stop()
	elapsed := time.Since(start)

	slices.Sort(late)
	pct := func(p int) time.Duration { return late[(len(late)-1)*p/100] }
	us := func(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) }
	os.Stdout.WriteString("ticker: " + strconv.Itoa(*count) + " ticks of " + interval.String() +
		" in " + elapsed.Round(time.Millisecond).String() + "\n" +
		"ticker: jitter us: min " + us(late[0]) + " median " + us(pct(50)) +
		" p99 " + us(pct(99)) + " max " + us(late[len(late)-1]) + "\n" +
		"ticker: done\n")
}
