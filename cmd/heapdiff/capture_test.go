package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gpprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// pprofServer is a real net/http/pprof endpoint on 127.0.0.1 that records the
// queries it gets.
type pprofServer struct {
	*httptest.Server
	mu      sync.Mutex
	queries []string
	auth    []string
}

func newPprofServer(t *testing.T) *pprofServer {
	s := &pprofServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.queries = append(s.queries, r.URL.RawQuery)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		pprof.Index(w, r)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func captureOpts(t *testing.T, url string) *captureOptions {
	return &captureOptions{
		IO:  &streams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		URL: url, Dir: t.TempDir(), Keep: 50, MaxBytes: "512MiB", MaxAge: time.Hour, Timeout: time.Minute,
	}
}

func TestCaptureFlags(t *testing.T) {
	var got *captureOptions
	cmd := captureCmd(&streams{}, func(_ context.Context, o *captureOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"http://h:6060/debug/pprof/heap", "--every", "1m", "--count", "10", "--dir", "snaps/",
		"--keep", "5", "--max-bytes", "1GiB", "--max-age", "48h", "--timeout", "5s", "--no-gc", "--token", "t", "--max-size", "64MiB"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	got.IO = nil
	got.Node = nodeCaptureOptions{} // node:// options: capture_node_test.go
	want := captureOptions{URL: "http://h:6060/debug/pprof/heap", Every: time.Minute, Count: 10, Dir: "snaps/",
		Keep: 5, MaxBytes: "1GiB", MaxAge: 48 * time.Hour, Timeout: 5 * time.Second, NoGC: true, Token: "t", MaxSize: "64MiB"}
	if *got != want {
		t.Errorf("options = %+v\nwant      %+v", *got, want)
	}
	// Days, as the agent's HEAPDIFF_MAX_AGE takes them; one parser for both.
	cmd = captureCmd(&streams{}, func(_ context.Context, o *captureOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"http://h:6060/debug/pprof/heap", "--max-age", "7d"})
	if err := cmd.Execute(); err != nil || got.MaxAge != 7*24*time.Hour {
		t.Errorf("--max-age 7d: %v, %v", got.MaxAge, err)
	}
	cmd = captureCmd(&streams{}, func(_ context.Context, o *captureOptions) error { return nil })
	cmd.SetArgs([]string{"http://h:6060/debug/pprof/heap", "--max-age", "a week"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), `duration "a week"`) {
		t.Errorf("--max-age 'a week': %v", err)
	}
}

func TestCaptureFetchesNamesAndAnnotates(t *testing.T) {
	srv := newPprofServer(t)
	opts := captureOpts(t, srv.URL+"/debug/pprof/heap?secret=x")
	opts.Every, opts.Count = 10*time.Millisecond, 3
	if err := runCapture(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	files, err := snapshot.List(opts.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("%d snapshots, want 3", len(files))
	}
	printed := strings.Fields(opts.IO.Out.(*bytes.Buffer).String())
	for i, f := range files {
		if f.Trigger != "pull" || f.Seq != i+1 || f.PID != 0 || !strings.HasPrefix(f.Host, "127.0.0.1_") {
			t.Errorf("snapshot %s: %+v", f.File, f.Name)
		}
		if !slices.Contains(printed, filepath.Join(opts.Dir, f.File)) {
			t.Errorf("%s not printed on stdout: %q", f.File, printed)
		}
		fh, _ := os.Open(filepath.Join(opts.Dir, f.File))
		p, err := gpprof.Parse(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.File, err)
		}
		meta := snapshot.ParseComments(p.Comments)
		if meta.Get("trigger") != "pull" || meta.Get("source") != srv.URL+"/debug/pprof/heap" {
			t.Errorf("comments %q (the query, with its secret, must not be kept)", p.Comments)
		}
		// As the agent's: numbered, and naming the run's first as baseline.
		baseline := ""
		if i > 0 {
			baseline = files[0].File
		}
		if meta.Get("seq") != strconv.Itoa(i+1) || meta.Get("baseline") != baseline || meta.Get("pid") != "" {
			t.Errorf("comments %q: want seq %d, baseline %q and no pid", p.Comments, i+1, baseline)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, q := range srv.queries {
		if !strings.Contains(q, "gc=1") || !strings.Contains(q, "secret=x") {
			t.Errorf("query %q: want gc=1 and the user's own parameters", q)
		}
	}
	if opts.IO.ErrOut.(*bytes.Buffer).Len() != 0 {
		t.Errorf("progress drawn off a terminal: %q", opts.IO.ErrOut)
	}
}

func TestCaptureContinuesSequenceAndDefaultsPath(t *testing.T) {
	srv := newPprofServer(t)
	opts := captureOpts(t, srv.URL) // no path: /debug/pprof/heap
	opts.Token = "tok"
	for range 2 {
		if err := runCapture(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := snapshot.List(opts.Dir)
	if len(files) != 2 || files[0].Seq != 1 || files[1].Seq != 2 {
		t.Fatalf("two runs wrote %+v, want sequence 1 then 2", files)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.auth[0] != "Bearer tok" {
		t.Errorf("Authorization %q", srv.auth[0])
	}
}

func TestCaptureRetention(t *testing.T) {
	srv := newPprofServer(t)
	opts := captureOpts(t, srv.URL+"/debug/pprof/heap")
	opts.Every, opts.Count, opts.Keep = time.Millisecond, 5, 2
	os.WriteFile(filepath.Join(opts.Dir, "notes.txt"), []byte("mine"), 0o644)
	if err := runCapture(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	files, _ := snapshot.List(opts.Dir)
	if len(files) != 2 || files[0].Seq != 1 || files[1].Seq != 5 {
		t.Errorf("kept %+v, want the run's first and last", files)
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, "notes.txt")); err != nil {
		t.Errorf("foreign file: %v", err)
	}
}

// Capture prunes only its own pulls from this target: another process's
// baseline, or pulls from another target, in the same directory survive.
func TestCaptureRetentionLeavesOthersAlone(t *testing.T) {
	srv := newPprofServer(t)
	opts := captureOpts(t, srv.URL+"/debug/pprof/heap")
	opts.Keep = 1
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	host := snapshot.Clean(strings.TrimPrefix(srv.URL, "http://"), "host")
	others := []string{
		"heap-20260101T000000Z-otherhost-4242-0001-baseline.pb.gz",
		"heap-20260101T000000Z-otherhost-4242-0002-signal.pb.gz",
		snapshot.Name{Time: old, Host: host, PID: 4242, Seq: 1, Trigger: "signal"}.String(), // an agent behind this address
		snapshot.Name{Time: old, Host: "elsewhere_6060", PID: 0, Seq: 1, Trigger: "pull"}.String(),
	}
	earlier := snapshot.Name{Time: old, Host: host, PID: 0, Seq: 1, Trigger: "pull"}.String()
	for _, f := range append([]string{earlier}, others...) {
		if err := os.WriteFile(filepath.Join(opts.Dir, f), []byte("a snapshot"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := runCapture(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, f := range others {
		if _, err := os.Stat(filepath.Join(opts.Dir, f)); err != nil {
			t.Errorf("capture removed a file it did not name: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, earlier)); !os.IsNotExist(err) {
		t.Errorf("an earlier pull from this target was not pruned: %v", err)
	}
}

func TestCaptureStopsCleanlyOnCancel(t *testing.T) {
	srv := newPprofServer(t)
	opts := captureOpts(t, srv.URL+"/debug/pprof/heap")
	opts.Every = time.Hour // would wait an hour for the second
	opts.IO.ErrIsTerminal = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runCapture(ctx, opts) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if files, _ := snapshot.List(opts.Dir); len(files) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no first snapshot")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel() // what Ctrl-C does through signal.NotifyContext
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("cancelled capture returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("capture did not stop on cancel")
	}
	errOut := opts.IO.ErrOut.(*bytes.Buffer).String()
	if !strings.Contains(errOut, "stopped: 1 snapshot(s)") || !strings.Contains(errOut, "next in") {
		t.Errorf("terminal output %q lacks progress or the stop line", errOut)
	}
}

func TestCaptureErrors(t *testing.T) {
	srv := newPprofServer(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"capture"}, exitUsage, "needs one URL"},
		{[]string{"capture", "ftp://x/y"}, exitUsage, "not an http or https URL"},
		{[]string{"capture", srv.URL + "/debug/pprof/heap", "--max-bytes", "lots"}, exitUsage, "--max-bytes"},
		{[]string{"capture", srv.URL + "/debug/pprof/nonesuch"}, exitError, "404 Not Found"},
		{[]string{"capture", srv.URL + "/debug/pprof/heap?debug=1"}, exitError, "not a gzipped pprof profile"},
		{[]string{"capture", "http://user:pw@127.0.0.1:1/debug/pprof/heap"}, exitError, "connection refused"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, nil, append(tt.args, "--dir", t.TempDir())...)
		if code != tt.code || !strings.Contains(errOut, tt.want) || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "heapdiff: ") {
			t.Errorf("heapdiff %s: exit %d, stderr %q; want exit %d and one line with %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.want)
		}
		if strings.Contains(errOut, "pw") {
			t.Errorf("credentials leaked: %q", errOut)
		}
	}
}
