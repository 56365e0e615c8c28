// Command workers is a corpus program for differential runs: goroutines, channels,
// timers, hashing, maps and fmt, with deterministic output.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	results := make(chan string, 8)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			time.Sleep(time.Duration(8-w) * time.Millisecond)
			h := sha256.New()
			for i := 0; i < 1000*(w+1); i++ {
				fmt.Fprintf(h, "%d:%d;", w, i)
			}
			results <- fmt.Sprintf("worker %d: %x", w, h.Sum(nil)[:8])
		}(w)
	}
	wg.Wait()
	close(results)
	var lines []string
	for r := range results {
		lines = append(lines, r)
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))

	words := map[string]int{}
	for _, w := range strings.Fields("the quick brown fox jumps over the lazy dog the end") {
		words[w]++
	}
	keys := make([]string, 0, len(words))
	for k := range words {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s=%d ", k, words[k])
	}
	fmt.Println()
	fmt.Fprintln(os.Stderr, "args:", os.Args[1:])
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		os.Exit(7)
	}
}
