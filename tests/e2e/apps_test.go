package e2e

import (
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHelloGo(t *testing.T) {
	out, errOut, status := runApp(t, 5*time.Minute, "apps/hello", "--", "world")
	if status != 0 || !strings.Contains(out, "Hello from mwasm!") {
		t.Fatalf("status %d, stdout %q, stderr %q", status, out, errOut)
	}
	if !strings.Contains(out, "world") {
		t.Errorf("args were not passed: %q", out)
	}
}

func TestHelloC(t *testing.T) {
	requireClang(t)
	out, errOut, status := runApp(t, 5*time.Minute, "apps/hello-c")
	if status != 0 || !strings.Contains(out, "Hello") || !strings.Contains(out, "clock ok") {
		t.Fatalf("status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

func requireClang(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Fatalf("clang is needed for C apps: run scripts/setup.sh (apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32)")
	}
}

// TestConformance runs the ABI conformance app with every device and with none.
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"no-devices", nil},
		{"all-devices", []string{"--net", "user", "--disk", newDisk(t, 1<<20)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--env", "MWASM_CONF=1"}, tc.flags...)
			args = append(args, "abi/conformance", "--", "a", "b")
			out, errOut, status := runApp(t, 5*time.Minute, args...)
			if status != 0 || !strings.Contains(out, "SUCCESS") {
				t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
			}
			if strings.Contains(out, "FAIL") {
				t.Fatalf("a check failed:\n%s", out)
			}
		})
	}
}

func TestHttpd(t *testing.T) {
	port := freePort(t)
	srv := startServer(t, "listening", "--net", fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:80", port), "apps/httpd")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	curlRoot(t, base, srv.out)
	body := get(t, base+"/api/echo?msg=ping-42", 200)
	if !strings.Contains(body, "ping-42") {
		t.Errorf("/api/echo did not echo: %q", body)
	}
	get(t, base+"/no/such/page", 404)

	concurrentEcho(t, base, "c")

	// Idle: an idle server must not spin (poll_oneoff really blocks).
	time.Sleep(500 * time.Millisecond)
	before := srv.cpuTime(t)
	time.Sleep(3 * time.Second)
	used := srv.cpuTime(t) - before
	t.Logf("idle httpd used %v of CPU in 3s", used)
	if used > 150*time.Millisecond {
		t.Errorf("idle httpd used %v of CPU in 3s (%.1f%%): it busy-waits", used, float64(used)/float64(3*time.Second)*100)
	}
}

func get(t *testing.T, url string, want int) string {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d: %q", url, resp.StatusCode, want, b)
	}
	return string(b)
}

// curlRoot fetches base+"/" with curl, as a user would, if curl is
// installed, and requires status 200. out is the server's output, shown on
// failure.
func curlRoot(t *testing.T, base string, out *lockedBuffer) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		return
	}
	b, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", base+"/").CombinedOutput()
	if err != nil || string(b) != "200" {
		t.Fatalf("curl %s/: %v %q\nserver:\n%s", base, err, b, out)
	}
}

// concurrentEcho sends 100 concurrent /api/echo requests (messages
// prefix0 ... prefix99, one connection each) and requires every one to be
// answered with its message.
func concurrentEcho(t *testing.T, base, prefix string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100, DisableKeepAlives: true}}
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			msg := fmt.Sprintf("%s%d", prefix, i)
			resp, err := client.Get(base + "/api/echo?msg=" + msg)
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), msg) {
				errs <- fmt.Errorf("request %d: %d %q", i, resp.StatusCode, b)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// putBurst starts 4 writers that PUT keys prefix-wW-kI (values of varying
// length) to the kv app at base until the server dies or stop is called,
// recording in acked (under mu) every put answered 200. stop waits for the
// writers.
func putBurst(base, prefix string, acked map[string]string, mu *sync.Mutex) (stop func()) {
	client := &http.Client{Timeout: 10 * time.Second}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				k := fmt.Sprintf("%s-w%d-k%d", prefix, w, i)
				v := strings.Repeat(k+";", 1+i%50)
				req, _ := http.NewRequest(http.MethodPut, base+"/kv/"+k, strings.NewReader(v))
				resp, err := client.Do(req)
				if err != nil {
					return // killed
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked[k] = v
					mu.Unlock()
				}
			}
		}(w)
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

// TestKVSurvivesKill puts keys from several clients, kills the process with SIGKILL
// in the middle of the burst, restarts it on the same disk and checks that every
// acknowledged put is there with its value.
func TestKVSurvivesKill(t *testing.T) {
	disk := newDisk(t, 16<<20)
	acked := map[string]string{}
	var mu sync.Mutex
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for round := 0; round < 3; round++ {
		port := freePort(t)
		srv := startServer(t, "listening", "--net", fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:80", port), "--disk", disk, "apps/kv")
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		checkAcked(t, base, acked, srv.out)

		stop := putBurst(base, fmt.Sprintf("r%d", round), acked, &mu)
		time.Sleep(time.Duration(300+rng.Intn(700)) * time.Millisecond)
		srv.cmd.Process.Kill() // SIGKILL mid-burst
		<-srv.exited
		stop()
		t.Logf("round %d: %d acknowledged puts so far", round, len(acked))
	}
	if len(acked) == 0 {
		t.Fatal("no put was acknowledged")
	}
	port := freePort(t)
	srv := startServer(t, "listening", "--net", fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:80", port), "--disk", disk, "apps/kv")
	checkAcked(t, fmt.Sprintf("http://127.0.0.1:%d", port), acked, srv.out)
}

// checkAcked requires every acknowledged key to be readable with its value; out is
// the server's output, shown when a key is lost.
func checkAcked(t *testing.T, base string, acked map[string]string, out *lockedBuffer) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	missing := 0
	for k, v := range acked {
		resp, err := c.Get(base + "/kv/" + k)
		if err != nil {
			t.Fatalf("GET %s: %v\nserver:\n%s", k, err, out)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != v {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged key %s: status %d, value %.40q, want %.40q", k, resp.StatusCode, b, v)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged keys lost\nserver:\n%s", missing, len(acked), out)
	}
}

func TestTicker(t *testing.T) {
	out, errOut, status := runApp(t, 5*time.Minute, "apps/ticker", "--", "-interval", "5ms", "-count", "40")
	if status != 0 || !strings.Contains(out, "ticker: done") {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
	}
	if !strings.Contains(out, "p99") {
		t.Errorf("no jitter summary: %s", out)
	}
}
