package nodemon

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/internal/nodetest"
)

// Written gets every snapshot right after it is written, whole and with the
// comments written into it, before retention may remove it; where it went
// is logged and counted.
func TestWrittenGetsEachSnapshot(t *testing.T) {
	p := nodetest.Start(t, 0, nodetest.Bot(t))
	dir := t.TempDir()
	type call struct {
		path     string
		size     int64
		onDisk   int64
		comments []string
	}
	var mu sync.Mutex
	var calls []call
	written := func(ctx context.Context, path string, size int64, comments []string) (string, error) {
		st, err := os.Stat(path)
		c := call{path: path, size: size, comments: comments, onDisk: -1}
		if err == nil {
			c.onDisk = st.Size()
		}
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
		return "s3://snaps/node/" + filepath.Base(path), nil
	}
	sum, out, log, err := run(t, Config{Addr: p.Addr, Dir: dir, Every: 300 * time.Millisecond, Count: 4, SampleEvery: time.Second,
		Retention: snapshot.Retention{Keep: 2}, Written: written}, 30*time.Second)
	if err != nil || sum.Snapshots != 4 {
		t.Fatalf("node %s: %v\n%s", p.Version, err, log)
	}
	paths := lines(out)
	var got []string
	for i, c := range calls {
		got = append(got, c.path)
		meta := snapshot.ParseComments(c.comments)
		if c.size <= 0 || c.onDisk != c.size || meta.Get("seq") != strings.TrimLeft(strings.Split(filepath.Base(c.path), ".")[5], "0") ||
			meta.Get("host") == "" || (i > 0 && meta.Get("trigger") != "schedule") {
			t.Errorf("node %s: call %d: size %d, %d on disk, comments %q", p.Version, i, c.size, c.onDisk, c.comments)
		}
		if !hasMember(paths[len(paths)-1]) {
			t.Errorf("node %s: %s lacks the comments Written was given", p.Version, paths[len(paths)-1])
		}
	}
	if !slices.Equal(got, paths) {
		t.Errorf("node %s: Written got %q, want every file written %q", p.Version, got, paths)
	}
	if sum.Uploaded != 4 || sum.UploadFailures != 0 || !strings.Contains(log, "uploaded to s3://snaps/node/"+filepath.Base(paths[3])) ||
		!strings.Contains(log, "uploaded: 4") {
		t.Errorf("node %s: summary %+v, log:\n%s", p.Version, sum, log)
	}
	if files, _ := ownFiles(dir, map[string]bool{}); len(files) != 2 {
		t.Errorf("node %s: retention kept %d files, want 2", p.Version, len(files))
	}
}

// A Written that fails, or hangs until its timeout, costs a log line per
// snapshot, never the file, and never the monitor's sampling meanwhile.
func TestWrittenFailingOrHanging(t *testing.T) {
	p := nodetest.Start(t, 0, nodetest.Bot(t))
	dir := t.TempDir()
	var calls int
	var mu sync.Mutex
	written := func(ctx context.Context, path string, size int64, comments []string) (string, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		<-ctx.Done() // a store that never answers
		return "", ctx.Err()
	}
	// How fast the monitor samples this process on this machine, with no
	// uploads: a loaded machine (the race detector, other tests) samples
	// far less often than every 100 ms, so the run with hanging uploads is
	// judged against this one, not against the interval.
	cfg := Config{Addr: p.Addr, Dir: t.TempDir(), Every: 2 * time.Second, Count: 3, SampleEvery: 100 * time.Millisecond}
	began := time.Now()
	free, _, freeLog, err := run(t, cfg, 30*time.Second)
	if err != nil || free.Snapshots != 3 || free.Samples == 0 {
		t.Fatalf("node %s, no uploads: %v\n%s", p.Version, err, freeLog)
	}
	rate := float64(free.Samples) / time.Since(began).Seconds()

	const hang = 1800 * time.Millisecond
	cfg.Dir, cfg.Written, cfg.WrittenTimeout = dir, written, hang
	began = time.Now()
	sum, out, log, err := run(t, cfg, 30*time.Second)
	took := time.Since(began)
	if err != nil || sum.Snapshots != 3 {
		t.Fatalf("node %s: %v\n%s", p.Version, err, log)
	}
	paths := lines(out)
	for _, path := range paths {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("node %s: %s not kept after a failed upload: %v", p.Version, path, err)
		}
		if !strings.Contains(log, filepath.Base(path)+": context deadline exceeded; the file stays in "+dir) {
			t.Errorf("node %s: no failure logged for %s:\n%s", p.Version, path, log)
		}
	}
	if calls != 3 || sum.UploadFailures != 3 || sum.Uploaded != 0 || !strings.Contains(log, "upload_failures: 3") {
		t.Errorf("node %s: %d calls, summary %+v", p.Version, calls, sum)
	}
	// Each upload hung its 1.8 s of the 2 s between snapshots, the last one
	// after the third snapshot, 4 s in, while the run waited for it without
	// sampling (the run is over; its last upload is handed over). Had
	// sampling waited for the uploads too, it would have sampled for a
	// tenth of the time before that (0.2 s of each 2 s); it went on
	// throughout. The rate without uploads was measured in another run,
	// and under the race detector with the whole suite running the two
	// runs' rates differ by up to about half: 0.3 of it still tells
	// sampling throughout from sampling a tenth of the time.
	if took < 4*time.Second+hang {
		t.Errorf("node %s: took %v: the uploads did not hang until their timeout", p.Version, took)
	}
	if want := 0.3 * rate * (took - hang).Seconds(); float64(sum.Samples) < want {
		t.Errorf("node %s: %d samples in %v while uploads hung, want at least %.0f (%.1f a second without uploads): sampling waited for the uploads",
			p.Version, sum.Samples, took, want, rate)
	}
}
