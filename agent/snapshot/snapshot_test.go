package snapshot

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/internal/pproftest"
)

var t0 = time.Date(2026, 11, 26, 15, 42, 10, 0, time.UTC)

func TestNameRoundTrip(t *testing.T) {
	tests := []struct {
		name Name
		want string
	}{
		{Name{t0, "bot1", 4242, 7, "signal"}, "heap-20261126T154210Z-bot1-4242-0007-signal.pb.gz"},
		{Name{t0, "ip-10-0-0-1", 1, 12345, "growth"}, "heap-20261126T154210Z-ip-10-0-0-1-1-12345-growth.pb.gz"},
		{Name{t0, "db.example.com", 0, 1, "pull"}, "heap-20261126T154210Z-db.example.com-0-0001-pull.pb.gz"},
	}
	for _, tt := range tests {
		got := tt.name.String()
		if got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		back, ok := ParseName(got)
		if !ok || back != tt.name {
			t.Errorf("ParseName(%q) = %+v, %v; want %+v", got, back, ok, tt.name)
		}
	}
}

func TestNameCleansFields(t *testing.T) {
	n := Name{t0.Add(500 * time.Millisecond).In(time.FixedZone("X", 3600)), "../evil/host", 9, 1, "before deploy-2"}
	got := n.String()
	if want := "heap-20261126T154210Z-.._evil_host-9-0001-before_deploy_2.pb.gz"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if strings.ContainsAny(got, `/\`) {
		t.Fatalf("name %q has a path separator", got)
	}
	if _, ok := ParseName(got); !ok {
		t.Fatalf("ParseName(%q) failed", got)
	}
	if got := (Name{t0, "..", 1, 1, ""}).String(); got != "heap-20261126T154210Z-host-1-0001-manual.pb.gz" {
		t.Fatalf("dots-only host: %q", got)
	}
}

func TestParseNameRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"notes.txt",
		"heap-20261126T154210Z-bot1-4242-0007-signal.pb",
		"heap-20261126T154210Z-bot1-4242-0007-signal.pb.gz.tmp123",
		"heap-2026112T154210Z-bot1-4242-0007-signal.pb.gz",
		"heap-20261126T154210Z-4242-0007-signal.pb.gz",
		"heap-20261126T154210Z-bot1-x-0007-signal.pb.gz",
		"heap-20261126T154210Z-bot1-4242-0007-.pb.gz",
		"heap-20261126T154210Z-bo t1-4242-0007-signal.pb.gz",
		"heap-20261126T154210Z-../x-4242-0007-signal.pb.gz",
		"heap.pb.gz",
	} {
		if n, ok := ParseName(s); ok {
			t.Errorf("ParseName(%q) = %+v, want rejection", s, n)
		}
	}
}

func TestParseTemp(t *testing.T) {
	final := Name{t0, "bot1", 42, 3, "signal"}.String()
	for _, tmp := range []string{tempName(final), tempName(final) + "2718281828"} {
		n, ok := ParseTemp(tmp)
		if !ok || n.String() != final {
			t.Fatalf("ParseTemp(%q) = %v, %v", tmp, n, ok)
		}
	}
	for _, s := range []string{final, "." + final, ".notes.tmp1", "." + final + ".tmp1.bak"} {
		if _, ok := ParseTemp(s); ok {
			t.Errorf("ParseTemp(%q) accepted", s)
		}
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	name := Name{t0, "bot1", 42, 1, "manual"}.String()
	size, err := writeAtomic(dir, name, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello")
		return err
	})
	if err != nil || size != 5 {
		t.Fatalf("writeAtomic = %d, %v", size, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != "hello" {
		t.Fatalf("read back %q, %v", b, err)
	}

	// A failed write leaves neither the final file nor a temporary file.
	boom := errors.New("boom")
	name2 := Name{t0, "bot1", 42, 2, "manual"}.String()
	_, err = writeAtomic(dir, name2, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{name}) {
		t.Fatalf("directory holds %q, want only %q", got, name)
	}

	// A name that is taken is never replaced: the write fails, saying so,
	// and leaves the file there as it was, and no temporary file.
	_, err = writeAtomic(dir, name, func(w io.Writer) error {
		_, err := io.WriteString(w, "other writer")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "exists already") || !strings.Contains(err.Error(), name) {
		t.Fatalf("writing over %s: err = %v, want it refused", name, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != "hello" {
		t.Fatalf("after a refused write, %s holds %q (%v), want hello", name, b, err)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{name}) {
		t.Fatalf("directory holds %q, want only %q", got, name)
	}

	// A missing directory is an error that names it.
	missing := filepath.Join(dir, "nope")
	if _, err := writeAtomic(missing, name, func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing dir: err = %v", err)
	}
}

func TestCleanTemp(t *testing.T) {
	dir := t.TempDir()
	mine := Name{t0, "bot1", 42, 1, "signal"}.String()
	other := Name{t0, "bot2", 42, 1, "signal"}.String()
	files := []string{"." + mine + ".tmp123", "." + other + ".tmp9", mine, "notes.tmp", ".hidden"}
	for _, f := range files {
		writeFile(t, dir, f, "x")
	}
	removed, err := cleanTemp(dir, func(n Name, _ os.FileInfo) bool { return n.Host == "bot1" })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{"." + mine + ".tmp123"}) {
		t.Fatalf("removed %q", removed)
	}
	want := []string{".hidden", "." + other + ".tmp9", mine, "notes.tmp"}
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("left %q, want %q", got, want)
	}
}

func TestPrune(t *testing.T) {
	name := func(i int) string {
		return Name{t0.Add(time.Duration(i) * time.Hour), "bot1", 42, i + 1, "schedule"}.String()
	}
	tests := []struct {
		desc    string
		r       Retention
		protect []string
		want    []int // indexes of snapshot files kept
	}{
		{"no limits", Retention{}, nil, []int{0, 1, 2, 3, 4}},
		{"keep 2", Retention{Keep: 2}, nil, []int{3, 4}},
		{"keep 2 with baseline", Retention{Keep: 2}, []string{name(0)}, []int{0, 4}},
		{"bytes", Retention{MaxBytes: 250}, nil, []int{3, 4}},
		{"bytes with baseline", Retention{MaxBytes: 250}, []string{name(0)}, []int{0, 4}},
		{"age", Retention{MaxAge: 150 * time.Minute}, nil, []int{3, 4}},
		{"age with baseline", Retention{MaxAge: 150 * time.Minute}, []string{name(0)}, []int{0, 3, 4}},
		{"all", Retention{Keep: 4, MaxBytes: 1000, MaxAge: 24 * time.Hour}, nil, []int{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			for i := range 5 {
				writeFile(t, dir, name(i), strings.Repeat("x", 100))
			}
			// Files the agent did not name, including one that looks close.
			foreign := []string{"notes.txt", "heap-old.pb.gz", "heap-20200101T000000Z-bot1-1-0001-x.pb.gz.bak"}
			for _, f := range foreign {
				writeFile(t, dir, f, strings.Repeat("y", 5000))
			}
			now := t0.Add(5 * time.Hour)
			kept, _, err := prune(dir, tt.r, now, func(Name) bool { return true }, tt.protect, 0)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, name(i))
			}
			var got []string
			for _, f := range kept {
				got = append(got, f.File)
			}
			if !slices.Equal(got, want) {
				t.Errorf("kept %q, want %q", got, want)
			}
			onDisk := dirNames(t, dir)
			for _, f := range append(foreign, want...) {
				if !slices.Contains(onDisk, f) {
					t.Errorf("%s was removed", f)
				}
			}
			if len(onDisk) != len(foreign)+len(want) {
				t.Errorf("directory holds %q", onDisk)
			}
		})
	}
}

// Comments added to a profile are the ones pprof reads back, and nothing
// else in the profile changes: pprof's dump of it, but for the comments, is
// the dump of the original.
func TestAddComments(t *testing.T) {
	var raw bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&raw, 0); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	before := filepath.Join(dir, "before.pb.gz")
	writeFile(t, dir, "before.pb.gz", raw.String())
	comments := []string{"heapdiff.trigger=signal", "heapdiff.rss_bytes=123", "ünïcode and spaces"}
	var out bytes.Buffer
	if err := addComments(&out, &raw, comments); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "after.pb.gz", out.String())
	want, got := pproftest.Parse(t, before), pproftest.Parse(t, filepath.Join(dir, "after.pb.gz"))
	if !slices.Equal(got.Comments, comments) {
		t.Errorf("Comments = %q, want %q", got.Comments, comments)
	}
	dropComments := func(raw string) string {
		lines := strings.Split(raw, "\n")
		return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Comment: ") }), "\n")
	}
	if !strings.Contains(want.Raw, "Samples:") || dropComments(got.Raw) != dropComments(want.Raw) {
		t.Errorf("the profile changed beyond its comments:\n%s\nwant\n%s", got.Raw, want.Raw)
	}
}

func TestAddCommentsRejects(t *testing.T) {
	if err := addComments(io.Discard, strings.NewReader("not gzip"), nil); err == nil {
		t.Error("plain text accepted")
	}
	var gz bytes.Buffer
	// A gzipped stream that ends inside a field.
	if err := addComments(&gz, gzipped(t, []byte{0x32, 0x10, 'a'}), nil); err == nil {
		t.Error("truncated profile accepted")
	}
}

func gzipped(t *testing.T, b []byte) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return &buf
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// prune leaves alone, and does not count, the snapshots owns rejects: another
// replica's baseline in a shared directory survives any bound.
func TestPruneOnlyOwned(t *testing.T) {
	dir := t.TempDir()
	mine := func(i int) string {
		return Name{t0.Add(time.Duration(i) * time.Hour), "bot1", 42, i + 1, "schedule"}.String()
	}
	theirs := []string{
		Name{t0.Add(-48 * time.Hour), "bot2", 4242, 1, "baseline"}.String(),
		Name{t0.Add(-47 * time.Hour), "bot2", 4242, 2, "signal"}.String(),
	}
	for i := range 3 {
		writeFile(t, dir, mine(i), strings.Repeat("x", 100))
	}
	for _, f := range theirs {
		writeFile(t, dir, f, strings.Repeat("y", 100))
	}
	r := Retention{Keep: 2, MaxBytes: 200, MaxAge: 90 * time.Minute}
	kept, removed, err := prune(dir, r, t0.Add(2*time.Hour), func(n Name) bool { return n.Host == "bot1" }, []string{mine(0)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := removed, []string{mine(1)}; !slices.Equal(got, want) {
		t.Errorf("removed %q, want %q", got, want)
	}
	if len(kept) != 2 || kept[0].File != mine(0) || kept[1].File != mine(2) {
		t.Errorf("kept %+v, want this host's baseline and newest", kept)
	}
	want := append([]string{mine(0), mine(2)}, theirs...)
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
}
