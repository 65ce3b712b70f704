package bunbot

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/internal/nodetest"
	"github.com/heapdiff/heapdiff/profile"
)

// bun returns a Bun binary: $HEAPDIFF_BUN, bun on the PATH, or the one the
// npm package "bun" ships, installed once into the user's cache directory.
// Without npm the test is skipped.
func bun(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HEAPDIFF_BUN"); p != "" {
		return p
	}
	if p, err := exec.LookPath("bun"); err == nil {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "heapdiff", "bun")
	bin := filepath.Join(dir, "node_modules", "bun", "bin", "bun.exe")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("no bun and no npm to install it with (npm i bun)")
	}
	os.MkdirAll(dir, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", dir, "bun@1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install bun: %v\n%s", err, out)
	}
	return bin
}

// lockedBuffer is a buffer the process's output goroutine writes while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var fileName = regexp.MustCompile(`^Heap\.\d{8}\.\d{6}\.(\d+)\.0\.(\d{3})\.heapsnapshot$`)

// run starts bot.js under the runtime with the snippet writing into dir
// every 700 ms, sends it SIGUSR2 once its baseline is written, and stops it
// once five snapshots are there. It returns what the snippet logged.
func run(t *testing.T, runtime []string, dir string) string {
	t.Helper()
	cmd := exec.Command(runtime[0], append(runtime[1:], "bot.js", "--leak", "--tick", "2")...)
	cmd.Env = append(os.Environ(), "HEAPDIFF_DIR="+dir, "HEAPDIFF_EVERY_MS=700", "HEAPDIFF_KEEP=4")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%v: no %s within 20s; output:\n%s", runtime, what, out.String())
			}
		}
	}
	wait("baseline", func() bool { return strings.Contains(out.String(), "baseline heap snapshot") })
	cmd.Process.Signal(syscall.SIGUSR2)
	wait("signal snapshot", func() bool { return strings.Contains(out.String(), "signal heap snapshot") })
	wait("five snapshots", func() bool { return strings.Count(out.String(), "heap snapshot /") >= 5 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%v: the process died (a SIGUSR2 that kills Bun?): %v\n%s", runtime, err, out.String())
	}
	cmd.Wait()
	return out.String()
}

// check loads every snapshot left in dir: complete V8 snapshots, named with
// the process's pid, the baseline kept by retention, the bot's leaking
// class grown between the first and the last.
func check(t *testing.T, name, dir string, wantMeta bool) {
	entries, _ := os.ReadDir(dir)
	var files []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s: a temporary file is left: %s", name, e.Name())
		}
		if !fileName.MatchString(e.Name()) {
			t.Errorf("%s: %s is not named as Node.js names snapshots", name, e.Name())
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	if len(files) != 4 || !strings.HasSuffix(files[0], ".001.heapsnapshot") {
		t.Fatalf("%s: kept %v, want 4 with the baseline (HEAPDIFF_KEEP=4)", name, files)
	}
	var first, last *profile.Profile
	for i, f := range files {
		p, err := profile.Load(f, profile.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		meta := snapshot.ParseComments(p.Comments)
		if wantMeta && (meta.Get("trigger") == "" || meta.Get("rss_bytes") == "") {
			t.Errorf("%s: %s has no metadata: %q", name, f, p.Comments)
		}
		if p.Time.IsZero() || meta.Get("pid") == "" {
			t.Errorf("%s: %s: no time or pid read from its name", name, f)
		}
		if i == 0 {
			first = p
		}
		last = p
	}
	if got, want := count(last, "ChatSession"), count(first, "ChatSession"); got <= want {
		t.Errorf("%s: ChatSession %d in the last snapshot, %d in the first: the leak does not show", name, got, want)
	}
}

// count is how many objects of the class a snapshot holds.
func count(p *profile.Profile, class string) int64 {
	var n int64
	objects := slices.IndexFunc(p.SampleTypes, func(v profile.ValueType) bool { return v.Unit == "count" })
	for _, s := range p.Stacks {
		for _, fi := range s.Frames {
			if p.Frames[fi].Function == class {
				n += s.Values[objects]
			}
		}
	}
	return n
}

// Under real Bun, the snippet writes V8 snapshots at start, on schedule and
// on SIGUSR2 (which Bun survives), named as heapdiff reads them and with
// heapdiff's metadata; under Node.js, the same snippet does the same with
// v8.writeHeapSnapshot.
func TestSnippet(t *testing.T) {
	t.Run("bun", func(t *testing.T) {
		dir := t.TempDir()
		out := run(t, []string{bun(t)}, dir)
		check(t, "bun", dir, true)
		if !strings.Contains(out, "the process was paused") {
			t.Errorf("no pause logged:\n%s", out)
		}
	})
	t.Run("node", func(t *testing.T) {
		node, _ := nodetest.Node(t)
		dir := t.TempDir()
		run(t, []string{node}, dir)
		check(t, "node", dir, false)
	})
}
