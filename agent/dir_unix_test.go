//go:build unix

package agent

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// nobody is the uid and gid of "another local user" in these tests.
const nobody = 65534

// sharedTemp makes a temporary directory that, like /tmp, every user may
// write to (mode 1777), and points TMPDIR, and so DefaultDir, at it.
func sharedTemp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", dir)
	if got := DefaultDir(); got != filepath.Join(dir, "heapdiff") {
		t.Fatalf("DefaultDir %q does not follow TMPDIR %q", got, dir)
	}
	return dir
}

// startDefault starts an agent with no Dir option, so it uses DefaultDir.
func startDefault(t *testing.T, opts ...Option) (*Agent, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	base := []Option{BaselineAfter(0), GCBeforeCapture(false), MinInterval(0), Signals(), Logger(logs.logger())}
	a, err := Start(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, logs
}

func perm(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a directory another user owns")
	}
}

// The default directory, absent, is created private (0700), and used.
func TestDefaultDirIsCreatedPrivate(t *testing.T) {
	sharedTemp(t)
	a, logs := startDefault(t)
	if a.Dir() != DefaultDir() {
		t.Fatalf("dir %q, want DefaultDir %q", a.Dir(), DefaultDir())
	}
	if p := perm(t, a.Dir()); p != 0o700 {
		t.Errorf("DefaultDir created with mode %04o, want 0700", p)
	}
	path, err := a.Capture("test")
	if err != nil || filepath.Dir(path) != a.Dir() {
		t.Fatalf("capture into a fresh DefaultDir: %q, %v\n%s", path, err, logs)
	}
	if strings.Contains(logs.String(), "refused") || strings.Contains(logs.String(), "made the snapshot directory private") {
		t.Errorf("own new directory refused, or not created private at once:\n%s", logs)
	}
}

// The agent's own default directory, left readable by an older version,
// is made private and used.
func TestDefaultDirOfOwnIsMadePrivate(t *testing.T) {
	sharedTemp(t)
	if err := os.Mkdir(DefaultDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(DefaultDir(), 0o755) // whatever the umask
	a, logs := startDefault(t)
	if p := perm(t, a.Dir()); p != 0o700 {
		t.Errorf("own DefaultDir left at mode %04o, want 0700", p)
	}
	if _, err := a.Capture("test"); err != nil {
		t.Fatalf("capture: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "made the snapshot directory private") {
		t.Errorf("tightening not logged:\n%s", logs)
	}
}

// A default directory that another user could control (made first by them,
// or writable by them, or a link to somewhere else) is refused: one log line
// says why and what to do, no capture writes into it, and nothing already in
// it is removed or served, however often captures are asked for.
func TestDefaultDirRefusedWhenAnotherUserCouldControlIt(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, dir string) (contents string)
		why  string
	}{
		{"owned by another user", func(t *testing.T, dir string) string {
			needRoot(t)
			mkdir(t, dir, 0o700)
			if err := os.Chown(dir, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "is owned by uid 65534, not by this process's uid 0"},
		{"world-writable", func(t *testing.T, dir string) string {
			mkdir(t, dir, 0o777)
			return dir
		}, "is writable by other users (mode 0777)"},
		{"group-writable", func(t *testing.T, dir string) string {
			mkdir(t, dir, 0o770)
			return dir
		}, "is writable by other users (mode 0770)"},
		{"symbolic link", func(t *testing.T, dir string) string {
			target := t.TempDir()
			if err := os.Symlink(target, dir); err != nil {
				t.Fatal(err)
			}
			return target
		}, "is a symbolic link"},
		{"a file", func(t *testing.T, dir string) string {
			if err := os.WriteFile(dir, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return ""
		}, "is not a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sharedTemp(t)
			dir := DefaultDir()
			contents := c.make(t, dir)
			var planted []string
			if contents != "" {
				// A crash's leftover and an old snapshot, both of this host, which
				// an accepted directory would have cleaned up and pruned.
				planted = plant(t, contents)
			}
			before, _ := os.Lstat(dir)
			a, logs := startDefault(t, Keep(1))
			for range 3 {
				if _, err := a.Capture("test"); !errors.Is(err, errDirRefused) {
					t.Fatalf("capture into a refused directory: %v", err)
				}
			}
			text := logs.String()
			if n := strings.Count(text, "snapshot directory refused"); n != 1 {
				t.Errorf("%d refusal lines, want exactly 1:\n%s", n, text)
			}
			for _, want := range []string{dir + " " + c.why, "remove it, or choose a directory of your own"} {
				if !strings.Contains(text, want) {
					t.Errorf("log lacks %q:\n%s", want, text)
				}
			}
			if s := a.Stats(); s.Snapshots != 0 || s.CaptureFailures < 3 || !strings.Contains(s.LastError, c.why) {
				t.Errorf("stats: %d snapshots, %d failures, last error %q", s.Snapshots, s.CaptureFailures, s.LastError)
			}
			if contents != "" {
				entries, _ := os.ReadDir(contents)
				if len(entries) != len(planted) {
					t.Errorf("refused directory holds %d files, want only the %d planted: %v", len(entries), len(planted), entries)
				}
			}
			if after, _ := os.Lstat(dir); after.Mode() != before.Mode() {
				t.Errorf("refused directory's mode changed from %v to %v", before.Mode(), after.Mode())
			}
			srv := serve(t, a)
			for _, p := range []string{"/snapshots", "/snapshots/heap-20200101T000000Z-h-1-0001-manual.pb.gz"} {
				if code, body, _ := do(t, "GET", srv.URL+"/debug/heapdiff"+p, ""); code != http.StatusServiceUnavailable {
					t.Errorf("GET %s from a refused directory: %d %s", p, code, body)
				}
			}
		})
	}
}

// Removed after the agent started (by a temporary-file cleaner, say) and
// made again by another user, the default directory is refused at the next
// capture.
func TestDefaultDirReplacedByAnotherUserIsRefused(t *testing.T) {
	needRoot(t)
	sharedTemp(t)
	a, logs := startDefault(t)
	if _, err := a.Capture("before"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(a.Dir()); err != nil {
		t.Fatal(err)
	}
	mkdir(t, a.Dir(), 0o755)
	if err := os.Chown(a.Dir(), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Capture("after"); !errors.Is(err, errDirRefused) {
		t.Fatalf("capture into the replaced directory: %v", err)
	}
	if entries, _ := os.ReadDir(a.Dir()); len(entries) != 0 {
		t.Errorf("wrote %v into another user's directory", entries)
	}
	if n := logs.count("snapshot directory refused"); n != 1 {
		t.Errorf("%d refusal lines, want 1:\n%s", n, logs)
	}
}

// A directory the user names is created 0700, parents too; one that exists
// keeps its mode, whatever it is, when it is outside a shared folder.
func TestNamedDirModes(t *testing.T) {
	parent := t.TempDir()
	fresh := filepath.Join(parent, "a", "b")
	a, logs := start(t, Dir(fresh))
	for _, d := range []string{filepath.Join(parent, "a"), fresh} {
		if p := perm(t, d); p != 0o700 {
			t.Errorf("%s created with mode %04o, want 0700", d, p)
		}
	}
	if _, err := a.Capture("test"); err != nil {
		t.Fatalf("capture: %v\n%s", err, logs)
	}
	for _, mode := range []os.FileMode{0o755, 0o775, 0o777} {
		existing := filepath.Join(t.TempDir(), "heap")
		mkdir(t, existing, mode)
		a, logs := start(t, Dir(existing))
		if p := perm(t, existing); p != mode {
			t.Errorf("existing %04o directory changed to %04o", mode, p)
		}
		if _, err := a.Capture("test"); err != nil {
			t.Errorf("capture into an existing %04o directory: %v\n%s", mode, err, logs)
		}
	}
}

// A named directory in a folder everyone can write to, DefaultDir among them,
// is checked as DefaultDir is.
func TestNamedDirInSharedFolderIsChecked(t *testing.T) {
	shared := sharedTemp(t)
	for _, dir := range []string{DefaultDir(), filepath.Join(shared, "mybot")} {
		mkdir(t, dir, 0o777)
		a, logs := start(t, Dir(dir))
		if _, err := a.Capture("test"); !errors.Is(err, errDirRefused) {
			t.Errorf("Dir(%s), mode 0777 in a shared folder: capture %v", dir, err)
		}
		if n := logs.count("snapshot directory refused"); n != 1 {
			t.Errorf("Dir(%s): %d refusal lines, want 1:\n%s", dir, n, logs)
		}
	}
	own := filepath.Join(shared, "mine")
	a, logs := start(t, Dir(own))
	if p := perm(t, own); p != 0o700 {
		t.Errorf("%s created with mode %04o, want 0700", own, p)
	}
	if _, err := a.Capture("test"); err != nil {
		t.Errorf("capture into a new named directory in a shared folder: %v\n%s", err, logs)
	}
}

// mkdir makes dir with exactly mode, whatever the umask.
func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

// plant puts a snapshot and a crash's temporary file of this host into dir,
// files an accepted directory's retention (Keep(1) with a new capture) and
// clean-up would remove, and returns their names.
func plant(t *testing.T, dir string) []string {
	t.Helper()
	host, _ := os.Hostname()
	host = snapshot.Clean(strings.SplitN(host, ".", 2)[0], "host")
	old := "heap-20200101T000000Z-" + host + "-1-0001-manual.pb.gz"
	temp := "." + old + ".tmp123"
	for _, f := range []string{old, temp} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("planted"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{old, temp}
}
