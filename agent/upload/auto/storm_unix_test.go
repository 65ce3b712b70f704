//go:build unix

package auto

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/agent/upload/s3test"
)

// TestMain lets the test binary be the service: with HEAPDIFF_UPLOAD_CHILD
// set, this package's init has started the agent and the uploader from the
// environment, and the process serves until SIGTERM.
func TestMain(m *testing.M) {
	if os.Getenv("HEAPDIFF_UPLOAD_CHILD") == "1" {
		os.Exit(serve())
	}
	os.Exit(m.Run())
}

var kept [][]byte // what the service holds, so its heap is not empty

// serve is the child: an HTTP service on 127.0.0.1 that answers /ping,
// prints "listening ADDR", and on SIGTERM closes the agent and uploads what
// is queued, prints the uploader's stats as JSON, and exits 0.
func serve() int {
	if Uploader() == nil {
		fmt.Println("no uploader")
		return 3
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return 4
	}
	http.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		kept = append(kept, make([]byte, 4<<10))
		io.WriteString(w, "pong")
	})
	go http.Serve(l, nil)
	fmt.Println("listening", l.Addr())
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = Close(ctx)
	st, _ := json.Marshal(Uploader().Stats())
	fmt.Println("stats", string(st))
	if err != nil {
		fmt.Println("close:", err)
		return 5
	}
	return 0
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A real service, a real S3 server, real signals: under a storm of SIGUSR2
// every snapshot reaches the store; with the store killed mid-run the
// service keeps answering and keeps its snapshots on disk, logging the
// outage once; once the store is back every snapshot is uploaded.
func TestServiceUploadsThroughASignalStormAndAnOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a service and an S3 server")
	}
	srv := s3test.Start(t)
	srv.Bucket("fleet-test")
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HEAPDIFF_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, srv.Env()...)
	cmd.Env = append(cmd.Env, "HEAPDIFF_UPLOAD_CHILD=1", "HEAPDIFF_DIR="+dir, "HEAPDIFF_UPLOAD=s3://fleet-test/prod",
		"HEAPDIFF_SERVICE=storm", "HEAPDIFF_BASELINE_AFTER=0", "HEAPDIFF_WARMUP=0", "HEAPDIFF_MIN_INTERVAL=0",
		"HEAPDIFF_GC=false", "HEAPDIFF_KEEP=0", "HEAPDIFF_MAX_BYTES=0", "HEAPDIFF_LOG=json",
		"HEAPDIFF_UPLOAD_QUEUE=4", "HEAPDIFF_UPLOAD_MAX_BACKOFF=200ms", "HEAPDIFF_UPLOAD_TIMEOUT=2s")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "listening ") {
		t.Fatalf("service did not start: %q\n%s", lines.Text(), stderr.String())
	}
	addr := strings.TrimPrefix(lines.Text(), "listening ")

	// Ping the service all along: it must answer whatever the store does.
	var pings, pingFailures atomic.Int64
	var slowest atomic.Int64
	pingDone := make(chan struct{})
	stopPing := make(chan struct{})
	go func() {
		defer close(pingDone)
		client := &http.Client{Timeout: 10 * time.Second}
		for {
			select {
			case <-stopPing:
				return
			case <-time.After(5 * time.Millisecond):
			}
			began := time.Now()
			resp, err := client.Get("http://" + addr + "/ping")
			if err != nil {
				pingFailures.Add(1)
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "pong" {
				pingFailures.Add(1)
			}
			pings.Add(1)
			if d := int64(time.Since(began)); d > slowest.Load() {
				slowest.Store(d)
			}
		}
	}()

	storm := func() {
		for range 300 {
			if err := cmd.Process.Signal(syscall.SIGUSR2); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// settled waits until no snapshot has appeared for half a second.
	settled := func() []snapshot.File {
		var files []snapshot.File
		var quiet time.Time
		for ; ; time.Sleep(50 * time.Millisecond) {
			now, _ := snapshot.List(dir)
			if len(now) != len(files) {
				files, quiet = now, time.Now()
				continue
			}
			if !quiet.IsZero() && time.Since(quiet) > 500*time.Millisecond {
				return files
			}
		}
	}
	wantKeys := func(files []snapshot.File) []string {
		var keys []string
		for _, f := range files {
			keys = append(keys, upload.Key("prod", "storm", f.Name))
		}
		slices.Sort(keys)
		return keys
	}
	allUploaded := func(what string) []snapshot.File {
		files := settled()
		want := wantKeys(files)
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := srv.Objects("fleet-test")
			slices.Sort(got)
			if slices.Equal(got, want) {
				return files
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the bucket holds %d objects, the disk %d snapshots; stderr:\n%s", what, len(got), len(want), stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	storm()
	first := allUploaded("after the first storm")
	t.Logf("first storm: %d snapshots, all uploaded", len(first))
	if len(first) < 2 {
		t.Fatalf("a storm of 300 signals made %d snapshots", len(first))
	}

	srv.Stop()
	storm()
	during := settled()
	t.Logf("storm with the store down: %d more snapshots on disk", len(during)-len(first))
	if n := strings.Count(stderr.String(), "upload failed"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, stderr.String())
	}
	if len(during) <= len(first) {
		t.Fatalf("no snapshot written while the store was down")
	}

	srv.Restart()
	all := allUploaded("after the store came back")
	if n := strings.Count(stderr.String(), "uploads resumed"); n != 1 {
		t.Errorf("the recovery was logged %d times, want once:\n%s", n, stderr.String())
	}
	close(stopPing)
	<-pingDone
	t.Logf("%d snapshots in all; %d pings, slowest %v", len(all), pings.Load(), time.Duration(slowest.Load()))
	if pingFailures.Load() != 0 || pings.Load() == 0 {
		t.Errorf("%d of %d pings failed", pingFailures.Load(), pings.Load())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var stats upload.Stats
	for lines.Scan() {
		if js, ok := strings.CutPrefix(lines.Text(), "stats "); ok {
			if err := json.Unmarshal([]byte(js), &stats); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("service exit: %v\n%s", err, stderr.String())
	}
	t.Logf("uploader: %+v", stats)
	if stats.Uploaded != uint64(len(all)) || stats.Failures == 0 || stats.Pending != 0 {
		t.Errorf("uploader stats %+v; want %d uploaded, failures counted, nothing pending", stats, len(all))
	}
	if outage := len(during) - len(first); outage > 5 && stats.Dropped == 0 {
		t.Errorf("%d snapshots met a queue of 4 during the outage, and none was dropped", outage)
	}
}
