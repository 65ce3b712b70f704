package agent

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/var/lib/bot/heap-1.pb.gz": "/var/lib/bot/heap-1.pb.gz",
		"/tmp/snap shots/x.pb.gz":   "'/tmp/snap shots/x.pb.gz'",
		"/tmp/o'neil/x":             `'/tmp/o'\''neil/x'`,
		"/tmp/$HOME;rm -rf x":       "'/tmp/$HOME;rm -rf x'",
		"":                          "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// jsonLogs is a JSON log the test can read back record by record.
type jsonLogs struct{ logBuffer }

func (l *jsonLogs) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(l, nil)) }

func (l *jsonLogs) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(l.String()) {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// fakeHeapdiff puts a "heapdiff" on a PATH of its own that checks it was run
// as "heapdiff compare A B" with two existing files and prints A and B.
func fakeHeapdiff(t *testing.T) (path string) {
	t.Helper()
	bin := t.TempDir()
	script := `#!/bin/sh
[ "$1" = compare ] || { echo "not compare: $1" >&2; exit 2; }
shift
[ $# -eq 2 ] || { echo "$# arguments" >&2; exit 3; }
for f; do [ -f "$f" ] || { echo "no file $f" >&2; exit 4; }; done
printf '%s\n' "$@"
`
	if err := os.WriteFile(filepath.Join(bin, "heapdiff"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin + string(os.PathListSeparator) + os.Getenv("PATH")
}

// runCompare runs a compare command the agent logged through a real shell,
// from the root directory, and returns the two files it named.
func runCompare(t *testing.T, path, command string) []string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "PATH="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", command, err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// An alert's compare command, pasted into a shell in another directory,
// names the two snapshots, even when the directory was given relative to the
// service's working directory and its name has a space and a quote.
func TestAlertCompareCommandWorksFromAnyDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX shell quoting")
	}
	parent := t.TempDir()
	t.Chdir(parent)
	logs := &jsonLogs{}
	a, _ := start(t, Dir("snap shots o'neil"), RSSAbove(1), Cooldown(0), Logger(logs.logger()))
	if want := filepath.Join(parent, "snap shots o'neil"); a.Dir() != want {
		t.Fatalf("Dir() = %q, want the absolute %q", a.Dir(), want)
	}
	feed(a, 0, 2, func(int) uint64 { return 1 << 20 }) // the first alert's snapshot is the baseline
	var compare string
	for _, r := range logs.records(t) {
		if msg := r["msg"].(string); strings.Contains(msg, "Compare: ") {
			_, compare, _ = strings.Cut(msg, "Compare: ")
			if r["compare"] != compare {
				t.Errorf("compare attribute %q, message says %q", r["compare"], compare)
			}
		}
	}
	if compare == "" {
		t.Fatalf("no alert with a compare command:\n%s", logs)
	}
	s := a.Stats()
	want := []string{filepath.Join(a.Dir(), s.Baseline), filepath.Join(a.Dir(), s.LastCapture.File)}
	if got := runCompare(t, fakeHeapdiff(t), compare); !slices.Equal(got, want) {
		t.Errorf("the shell ran heapdiff on %q, want %q", got, want)
	}
}

// Retention never removes the baseline, the latest snapshot, or the
// snapshots the last AlertSnapshotsKept alerts named, so each of those
// alerts' compare commands still works; older alerts' files go.
func TestRetentionKeepsWhatTheLastAlertsNamed(t *testing.T) {
	logs := &jsonLogs{}
	a, _ := start(t, Keep(2), RSSAbove(1), Cooldown(0), Logger(logs.logger()))
	const alerts = AlertSnapshotsKept + 4
	var named []string // each alert's snapshot, in order
	for i := range alerts {
		feed(a, i, i+1, func(int) uint64 { return 1 << 20 })
		named = append(named, a.Stats().LastCapture.File)
	}
	manual, err := a.Capture("")
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]bool{}
	for _, f := range snapshots(t, a.Dir()) {
		onDisk[f.File] = true
	}
	baseline := a.Stats().Baseline
	if baseline != named[0] || !onDisk[baseline] || !onDisk[filepath.Base(manual)] {
		t.Fatalf("baseline %q (want %q) or the latest snapshot removed: on disk %v", baseline, named[0], onDisk)
	}
	for i, f := range named[1:] {
		protected := i+1 >= alerts-AlertSnapshotsKept
		if onDisk[f] != protected {
			t.Errorf("alert %d's snapshot on disk: %v, want %v", i+1, onDisk[f], protected)
		}
	}
	if len(onDisk) != 2+AlertSnapshotsKept {
		t.Errorf("%d files on disk, want the baseline, the latest and %d alerts' (Keep(2) is exceeded only by those)", len(onDisk), AlertSnapshotsKept)
	}
	// Every compare command of the last alerts still runs.
	path := fakeHeapdiff(t)
	var commands []string
	for _, r := range logs.records(t) {
		if c, ok := r["compare"].(string); ok {
			commands = append(commands, c)
		}
	}
	if len(commands) != alerts-1 {
		t.Fatalf("%d compare commands from %d alerts (the first's snapshot is the baseline)", len(commands), alerts)
	}
	for _, c := range commands[len(commands)-AlertSnapshotsKept:] {
		runCompare(t, path, c)
	}
	// Once a newer capture is the latest, the manual one may go.
	a.Capture("")
	a.Capture("")
	if _, err := os.Stat(manual); !os.IsNotExist(err) {
		t.Errorf("an unprotected older snapshot was kept: %v", err)
	}
}

// One goroutine count in a snapshot's metadata: runtime.NumGoroutine at
// capture time, not the runtime's count that includes its own goroutines.
func TestSnapshotGoroutinesIsNumGoroutine(t *testing.T) {
	a, _ := start(t)
	stop := make(chan struct{})
	for range 50 {
		go func() { <-stop }()
	}
	defer close(stop)
	before := runtime.NumGoroutine()
	path, err := a.Capture("")
	after := runtime.NumGoroutine()
	if err != nil {
		t.Fatal(err)
	}
	c := comments(parse(t, path))
	var n int
	for k, v := range c {
		if strings.Contains(k, "goroutine") {
			n++
			if got, err := strconv.Atoi(v); err != nil || got < min(before, after) || got > max(before, after) {
				t.Errorf("%s=%d, runtime.NumGoroutine was %d before and %d after", k, got, before, after)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d goroutine counts in the metadata, want 1: %v", n, c)
	}
}
