package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// authRecorder is a real HTTP server on 127.0.0.1 that serves a real heap
// profile at /debug/pprof/heap and records the Authorization and Referer
// headers of every request it gets.
type authRecorder struct {
	*httptest.Server
	mu      sync.Mutex
	auth    []string
	referer []string
}

func newAuthRecorder(t *testing.T, mux *http.ServeMux) *authRecorder {
	a := &authRecorder{}
	if mux == nil {
		mux = http.NewServeMux()
	}
	mux.Handle("/debug/pprof/heap", pprof.Handler("heap"))
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.auth = append(a.auth, r.Header.Get("Authorization"))
		a.referer = append(a.referer, r.Header.Get("Referer"))
		a.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *authRecorder) seen() (auth, referer []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.auth...), append([]string(nil), a.referer...)
}

// The bearer token goes to the URL's origin, through redirects that stay
// there, and never to another origin a redirect points at: here another
// port of the same host, which net/http alone would send it to.
func TestCaptureTokenStaysWithItsOrigin(t *testing.T) {
	// Another port on 127.0.0.1; its /back sends the request home.
	var originURL atomic.Pointer[string]
	otherMux := http.NewServeMux()
	otherMux.HandleFunc("/back", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, *originURL.Load()+"/debug/pprof/heap", http.StatusFound)
	})
	other := newAuthRecorder(t, otherMux)
	mux := http.NewServeMux()
	mux.Handle("/same", http.RedirectHandler("/debug/pprof/heap", http.StatusFound))
	mux.Handle("/elsewhere", http.RedirectHandler(other.URL+"/debug/pprof/heap", http.StatusFound))
	// Away and back: the token is not restored once it was dropped.
	mux.Handle("/away-and-back", http.RedirectHandler(other.URL+"/back", http.StatusFound))
	origin := newAuthRecorder(t, mux)
	originURL.Store(&origin.URL)

	for _, path := range []string{"/same?secret=s1", "/elsewhere?secret=s2", "/away-and-back?secret=s3"} {
		opts := captureOpts(t, origin.URL+path)
		opts.Token = "tok"
		if err := runCapture(context.Background(), opts); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if files, _ := os.ReadDir(opts.Dir); len(files) != 1 {
			t.Errorf("%s: %d files written, want the snapshot", path, len(files))
		}
	}
	auth, _ := origin.seen()
	// /same, then its heap; /elsewhere; /away-and-back, then its heap.
	want := []string{"Bearer tok", "Bearer tok", "Bearer tok", "Bearer tok", ""}
	if strings.Join(auth, "|") != strings.Join(want, "|") {
		t.Errorf("the origin got Authorization %q, want %q", auth, want)
	}
	otherAuth, otherReferer := other.seen()
	if len(otherAuth) != 2 {
		t.Fatalf("the other port got %d requests, want 2", len(otherAuth))
	}
	for i := range otherAuth {
		if otherAuth[i] != "" {
			t.Errorf("the other port got the token: Authorization %q", otherAuth[i])
		}
		if strings.Contains(otherReferer[i], "secret") {
			t.Errorf("the other port got the query in Referer %q", otherReferer[i])
		}
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"http://h:6060/x", "http://h:6060/y?q", true},
		{"http://h/x", "http://h:80/y", true},
		{"https://H:443/x", "https://h/y", true},
		{"http://h:6060/x", "http://h:6061/x", false},
		{"https://h/x", "http://h:443/x", false},
		{"http://h/x", "https://h/x", false},
		{"http://h/x", "http://sub.h/x", false},
		{"http://127.0.0.1:1/x", "http://localhost:1/x", false},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := sameOrigin(a, b); got != tc.same {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

// A profile that is not a heap profile is refused with one line that names
// the URL and what it served, and nothing is written: a real goroutine
// profile and a real (one-second) CPU profile from net/http/pprof.
func TestCaptureRefusesOtherProfiles(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct{ path, got string }{
		{"/debug/pprof/goroutine", "goroutine/count"},
		{"/debug/pprof/profile?seconds=1", "cpu/nanoseconds"},
	} {
		dir := t.TempDir()
		code, _, errOut := runCLI(t, nil, "capture", srv.URL+tc.path, "--dir", dir)
		u, _ := url.Parse(srv.URL + tc.path)
		u.RawQuery = ""
		if code != exitError || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "fetch "+u.String()+": ") ||
			!strings.Contains(errOut, tc.got) || !strings.Contains(errOut, "not a memory profile") {
			t.Errorf("capture %s: exit %d, stderr %q; want exit 1 and one line naming the URL and %s", tc.path, code, errOut, tc.got)
		}
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("capture %s left %d files in its directory: %v", tc.path, len(files), files)
		}
	}
}

// A heap profile of another format, such as a V8 heap snapshot served over
// HTTP, is refused as what it is, in one line naming the URL, with nothing
// written: snapshots are pprof files that carry heapdiff's comments. (It
// failed writing the temporary file, whose name it gave.)
func TestCaptureRefusesAHeapSnapshotOverHTTP(t *testing.T) {
	data, err := os.ReadFile("../../testdata/node/leaky-before.heapsnapshot.gz")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(data) }))
	defer srv.Close()
	dir := t.TempDir()
	code, _, errOut := runCLI(t, nil, "capture", srv.URL+"/heap", "--dir", dir)
	if code != exitError || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "fetch "+srv.URL+"/heap: a v8 heap snapshot, not a pprof protobuf profile") ||
		strings.Contains(errOut, ".tmp") {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line saying what the URL served", code, errOut)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("capture left %d files in its directory: %v", len(files), files)
	}
}

// bombServer serves an endless gzip bomb: the same gzip member, 64 MiB of
// zeros in 64 KiB, again and again until the client hangs up or 64 GiB
// went out. It records how many bytes it sent.
type bombServer struct {
	*httptest.Server
	member []byte
	done   chan int64 // bytes sent, when the handler returns
}

const bombMember = 64 << 20

func newBombServer(t *testing.T) *bombServer {
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestCompression)
	zw.Write(make([]byte, bombMember))
	zw.Close()
	b := &bombServer{member: zipped.Bytes(), done: make(chan int64, 1)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		var sent int64
		for range 1024 {
			n, err := w.Write(b.member)
			sent += int64(n)
			if err != nil {
				break
			}
		}
		b.done <- sent
	}))
	t.Cleanup(b.Close)
	return b
}

// A gzip bomb is refused as it downloads, once it inflates past --max-size
// (1 GiB by default; 128 MiB here, which inflates in an eighth of the time
// under -race): only a few of its members are read, nothing is written,
// and what capture allocates stays far below what it inflated.
func TestCaptureRefusesAGzipBomb(t *testing.T) {
	bomb := newBombServer(t)
	opts := captureOpts(t, bomb.URL+"/debug/pprof/heap")
	opts.MaxSize = "128MiB"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	err := runCapture(context.Background(), opts)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "decompressed size exceeds the limit of 134217728 bytes") || !strings.Contains(err.Error(), "--max-size") {
		t.Fatalf("capture of a gzip bomb returned %v, want the limit named with --max-size", err)
	}
	t.Logf("refused in %s", elapsed)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("capture allocated %d MiB to refuse a bomb: it kept what it inflated", alloc>>20)
	}
	select {
	case sent := <-bomb.done:
		// 128 MiB inflated is 2 members; the rest of what was sent sat in
		// socket buffers. The whole bomb is 1024 members.
		if members := sent / int64(len(bomb.member)); members > 256 {
			t.Errorf("the server sent %d members before capture hung up: it read on after the limit", members)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server is still sending: capture did not hang up")
	}
	if files, _ := os.ReadDir(opts.Dir); len(files) != 0 {
		t.Errorf("a refused bomb left %d files: %v", len(files), files)
	}
}
