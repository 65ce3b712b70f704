//go:build unix

package agent

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// Replicas on one host sharing a directory (systemd template units,
// prefork workers): retention keeps the baseline and the latest snapshot
// of another process of this host that is still running, which its alerts
// and summary name, and Start leaves its temporary files alone; the files
// in between go by the rules. (They were pruned as an ended process's, and
// the sibling's compare command named deleted files.)
func TestRetentionKeepsARunningSiblingsBaseline(t *testing.T) {
	dir := t.TempDir()
	host := defaultConfig().host
	sibling := os.Getppid() // the go command: running, on this host
	old := time.Now().Add(-time.Hour).UTC()
	var theirs []string
	for i, trigger := range []string{"baseline", "signal", "signal", "growth"} {
		f := snapshot.Name{Time: old.Add(time.Duration(i) * time.Minute), Host: host, PID: sibling, Seq: i + 1, Trigger: trigger}.String()
		theirs = append(theirs, f)
		if err := os.WriteFile(filepath.Join(dir, f), []byte("a snapshot"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writing := "." + snapshot.Name{Time: old, Host: host, PID: sibling, Seq: 5, Trigger: "signal"}.String() + ".tmp789"
	if err := os.WriteFile(filepath.Join(dir, writing), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := start(t, Dir(dir), Keep(2))
	if _, err := os.Stat(filepath.Join(dir, writing)); err != nil {
		t.Errorf("a running sibling's temporary file was removed at Start: %v", err)
	}
	for range 3 {
		if _, err := a.Capture(""); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{theirs[0], theirs[3]} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the running sibling's baseline or latest was removed: %v", err)
		}
	}
	for _, f := range theirs[1:3] {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("the sibling's %s was kept beyond Keep(2): %v", f, err)
		}
	}
}
