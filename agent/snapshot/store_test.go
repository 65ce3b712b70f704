package snapshot

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/internal/pproftest"
)

// heapProfile returns this process's heap profile, gzipped, as the agent and
// net/http/pprof write it.
func heapProfile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&b, 0); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// write writes one snapshot through s, failing the test on an error.
func write(t *testing.T, s *Store, profile []byte, e Entry) Written {
	t.Helper()
	w, err := s.Write(bytes.NewReader(profile), e)
	if err != nil {
		t.Fatal(err)
	}
	if w.PruneErr != nil {
		t.Fatal(w.PruneErr)
	}
	return w
}

// A snapshot written by a store is named for its time, host, pid, sequence
// and trigger, and carries the store's comments, then the caller's, which
// pprof reads back; the baseline comment names the baseline from the second
// snapshot on.
func TestStoreNamesAndAnnotates(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(StoreConfig{Dir: dir, Host: "bot 1.example", PID: 4242})
	profile := heapProfile(t)
	first := write(t, s, profile, Entry{Time: t0, Trigger: "signal", Meta: []string{Comment("rss_bytes", "123")}})
	if want := "heap-20261126T154210Z-bot_1.example-4242-0001-signal.pb.gz"; first.File.File != want || first.Path != filepath.Join(dir, want) {
		t.Fatalf("wrote %s at %s, want %s in %s", first.File.File, first.Path, want, dir)
	}
	if first.Host != "bot_1.example" || first.PID != 4242 || first.Seq != 1 || first.Trigger != "signal" || !first.Time.Equal(t0) {
		t.Errorf("name fields %+v", first.Name)
	}
	if info, err := os.Stat(first.Path); err != nil || info.Size() != first.Size {
		t.Errorf("size %d, file %v, %v", first.Size, info, err)
	}
	p := pproftest.Parse(t, first.Path)
	want := []string{"heapdiff.trigger=signal", "heapdiff.time=2026-11-26T15:42:10Z", "heapdiff.host=bot 1.example",
		"heapdiff.pid=4242", "heapdiff.seq=1", "heapdiff.rss_bytes=123"}
	if !slices.Equal(p.Comments, want) {
		t.Errorf("comments %q, want %q", p.Comments, want)
	}
	second := write(t, s, profile, Entry{Time: t0.Add(time.Minute), Trigger: "schedule"})
	meta := ParseComments(pproftest.Parse(t, second.Path).Comments)
	if meta.Get("seq") != "2" || meta.Get("baseline") != first.File.File {
		t.Errorf("second snapshot's comments %+v: want seq 2 and the first as baseline", meta)
	}
	if st := s.State(); st.Baseline != first.File.File || st.Latest != second.File.File || st.Files != 2 ||
		st.Bytes != first.Size+second.Size {
		t.Errorf("state %+v", st)
	}
}

// Sequence numbers go on from the highest one on disk for the store's own
// host and pid, across runs; other hosts' and pids' numbers do not count.
func TestStoreSequenceResumes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []Name{
		{t0, "bot1", 0, 7, "pull"},
		{t0, "bot1", 99, 40, "signal"}, // another process on this host
		{t0, "bot2", 0, 50, "pull"},    // another target
	} {
		writeFile(t, dir, n.String(), "x")
	}
	profile := heapProfile(t)
	s := NewStore(StoreConfig{Dir: dir, Host: "bot1"})
	if w := write(t, s, profile, Entry{Time: t0.Add(time.Hour), Trigger: "pull"}); w.Seq != 8 {
		t.Errorf("first pull of a new run numbered %d, want 8", w.Seq)
	}
	if w := write(t, s, profile, Entry{Time: t0.Add(time.Hour), Trigger: "pull"}); w.Seq != 9 {
		t.Errorf("second pull numbered %d, want 9", w.Seq)
	}
	fresh := NewStore(StoreConfig{Dir: dir, Host: "bot1", PID: 1234})
	if w := write(t, fresh, profile, Entry{Time: t0.Add(time.Hour), Trigger: "manual"}); w.Seq != 1 {
		t.Errorf("a new process's first snapshot numbered %d, want 1", w.Seq)
	}
}

// Two stores of one host and pid writing into one directory at once (two
// "heapdiff capture" runs pulling from one target) number their snapshots
// after each other's, in the same second too, and so never replace one.
func TestStoresSharingADirectoryNeverCollide(t *testing.T) {
	dir := t.TempDir()
	profile := heapProfile(t)
	a := NewStore(StoreConfig{Dir: dir, Host: "bot1"})
	b := NewStore(StoreConfig{Dir: dir, Host: "bot1"})
	var seqs []int
	for i := range 3 {
		for _, s := range []*Store{a, b} {
			w := write(t, s, profile, Entry{Time: t0, Trigger: "pull"})
			seqs = append(seqs, w.Seq)
			if meta := ParseComments(pproftest.Parse(t, w.Path).Comments); meta.Get("seq") != strconv.Itoa(w.Seq) {
				t.Errorf("round %d: %s says seq %s", i, w.File.File, meta.Get("seq"))
			}
		}
	}
	if want := []int{1, 2, 3, 4, 5, 6}; !slices.Equal(seqs, want) {
		t.Errorf("sequence numbers %v, want %v", seqs, want)
	}
	if files, err := List(dir); err != nil || len(files) != 6 {
		t.Errorf("directory holds %d snapshots (%v), want all 6", len(files), err)
	}

	// A number another writer has claimed (its temporary file is there,
	// the snapshot not yet) is passed over, and its claim left alone.
	claimed := Name{t0, "bot1", 0, 7, "pull"}.String()
	writeFile(t, dir, tempName(claimed), "being written")
	if w := write(t, a, profile, Entry{Time: t0, Trigger: "pull"}); w.Seq != 8 {
		t.Errorf("with 7 claimed, numbered %d, want 8", w.Seq)
	}
	if b, err := os.ReadFile(filepath.Join(dir, tempName(claimed))); err != nil || string(b) != "being written" {
		t.Errorf("the other writer's claim: %q, %v", b, err)
	}

	// Two stores writing at once, in the same second, lose nothing.
	dir = t.TempDir()
	a, b = NewStore(StoreConfig{Dir: dir, Host: "bot1"}), NewStore(StoreConfig{Dir: dir, Host: "bot1"})
	const each = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, s := range []*Store{a, b} {
		wg.Go(func() {
			for range each {
				if _, err := s.Write(bytes.NewReader(profile), Entry{Time: t0, Trigger: "pull"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a write at once with another store's: %v", err)
	}
	files, err := List(dir)
	seen := map[int]bool{}
	for _, f := range files {
		seen[f.Seq] = true
	}
	if err != nil || len(files) != 2*each || len(seen) != 2*each {
		t.Errorf("two stores writing at once left %d snapshots with %d numbers (%v), want %d", len(files), len(seen), err, 2*each)
	}
}

// A failed write (no directory) uses its number up, sets no baseline, and the
// store writes again once the directory is back.
func TestStoreFailedWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snaps")
	s := NewStore(StoreConfig{Dir: dir, Host: "bot1", PID: 42})
	profile := heapProfile(t)
	if _, err := s.Write(bytes.NewReader(profile), Entry{Time: t0, Trigger: "manual"}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("write into a missing directory: %v", err)
	}
	if st := s.State(); st.Baseline != "" || st.Latest != "" {
		t.Fatalf("state after a failed write: %+v", st)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	w := write(t, s, profile, Entry{Time: t0, Trigger: "manual"})
	if w.Seq != 2 || s.State().Baseline != w.File.File {
		t.Errorf("after the directory came back: seq %d, state %+v", w.Seq, s.State())
	}
	// Not a gzipped profile: refused, and nothing is left behind.
	if _, err := s.Write(strings.NewReader("not a profile"), Entry{Time: t0, Trigger: "manual"}); err == nil {
		t.Error("plain text written as a snapshot")
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{w.File.File}) {
		t.Errorf("directory holds %q", got)
	}
}

// With AwaitBaseline, snapshots before the one marked Baseline are ordinary
// and there is no baseline until it comes; without, the first is the
// baseline.
func TestStoreBaseline(t *testing.T) {
	profile := heapProfile(t)
	s := NewStore(StoreConfig{Dir: t.TempDir(), Host: "bot1", PID: 42, AwaitBaseline: true})
	early := write(t, s, profile, Entry{Time: t0, Trigger: "signal"})
	if st := s.State(); st.Baseline != "" || st.Latest != early.File.File {
		t.Fatalf("state before the baseline: %+v", st)
	}
	base := write(t, s, profile, Entry{Time: t0.Add(time.Minute), Trigger: "baseline", Baseline: true})
	later := write(t, s, profile, Entry{Time: t0.Add(2 * time.Minute), Trigger: "schedule"})
	if st := s.State(); st.Baseline != base.File.File {
		t.Errorf("baseline %q, want %q", st.Baseline, base.File.File)
	}
	for _, w := range []Written{early, base} {
		if b := ParseComments(pproftest.Parse(t, w.Path).Comments).Get("baseline"); b != "" {
			t.Errorf("%s names baseline %q before there was one", w.File.File, b)
		}
	}
	if b := ParseComments(pproftest.Parse(t, later.Path).Comments).Get("baseline"); b != base.File.File {
		t.Errorf("the snapshot after the baseline names %q", b)
	}

	s = NewStore(StoreConfig{Dir: t.TempDir(), Host: "bot1", PID: 42})
	first := write(t, s, profile, Entry{Time: t0, Trigger: "signal"})
	write(t, s, profile, Entry{Time: t0.Add(time.Minute), Trigger: "signal"})
	if st := s.State(); st.Baseline != first.File.File {
		t.Errorf("baseline %q, want the first snapshot %q", st.Baseline, first.File.File)
	}
}

// Retention removes the oldest of the store's own snapshots, but never the
// baseline, the latest, or those the caller protects; other hosts' and other
// kinds' snapshots are neither removed nor counted.
func TestStoreRetention(t *testing.T) {
	dir := t.TempDir()
	others := []string{
		Name{t0.Add(-48 * time.Hour), "bot2", 7, 1, "baseline"}.String(), // a replica's baseline
		Name{t0.Add(-48 * time.Hour), "bot1", 0, 1, "pull"}.String(),     // pulled from this host
		"notes.txt",
	}
	for _, f := range others {
		writeFile(t, dir, f, "x")
	}
	mine := Name{t0.Add(-48 * time.Hour), "bot1", 41, 1, "signal"}.String() // an earlier process of this host
	writeFile(t, dir, mine, "x")
	profile := heapProfile(t)
	s := NewStore(StoreConfig{Dir: dir, Host: "bot1", PID: 42, Retention: Retention{Keep: 2, MaxAge: 24 * time.Hour}})
	if err := s.Tidy(t0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, mine)); !os.IsNotExist(err) {
		t.Errorf("Tidy left an owned snapshot older than MaxAge: %v", err)
	}
	var written []Written
	for i := range 5 {
		e := Entry{Time: t0.Add(time.Duration(i) * time.Minute), Trigger: "schedule"}
		if i == 4 {
			e.Protect = []string{written[3].File.File} // an alert named it
		}
		written = append(written, write(t, s, profile, e))
	}
	if removed := written[3].Removed; !slices.Equal(removed, []string{written[2].File.File}) {
		t.Errorf("the fourth write removed %q, want the one before it", removed)
	}
	// Keep 2, but the baseline, the latest and the protected one stay.
	want := []string{written[0].File.File, written[3].File.File, written[4].File.File}
	want = append(want, others...)
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %q\nwant %q", got, want)
	}
	if st := s.State(); st.Files != 3 || st.Bytes != written[0].Size+written[3].Size+written[4].Size {
		t.Errorf("state %+v: want the 3 kept files of this store", st)
	}
}

// Tidy removes the temporary files that earlier processes of this host left
// and, from anyone, those older than an hour; not a live write of another
// host or kind.
func TestStoreTidyTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	temp := func(n Name) string { return "." + n.String() + ".tmp123" }
	crashed := temp(Name{t0, "bot1", 41, 3, "signal"})
	live := []string{
		temp(Name{t0, "bot1", 42, 3, "signal"}), // this process's own
		temp(Name{t0, "bot2", 41, 3, "signal"}), // another host's
		temp(Name{t0, "bot1", 0, 3, "pull"}),    // a pull from this host, under way
	}
	old := temp(Name{t0, "bot3", 7, 1, "signal"})
	for _, f := range append([]string{crashed, old}, live...) {
		writeFile(t, dir, f, "x")
	}
	long := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, old), long, long); err != nil {
		t.Fatal(err)
	}
	s := NewStore(StoreConfig{Dir: dir, Host: "bot1", PID: 42})
	if err := s.Tidy(time.Now()); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(live)
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
}

// Write reuses its buffers: after the first snapshot, one more costs little
// beyond the comments' strings, whatever the profile's size.
func TestStoreWriteAllocatesLittle(t *testing.T) {
	s := NewStore(StoreConfig{Dir: t.TempDir(), Host: "bot1", PID: 42, Retention: Retention{Keep: 2}})
	profile := heapProfile(t)
	write(t, s, profile, Entry{Time: t0, Trigger: "schedule"})
	const n = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		write(t, s, profile, Entry{Time: t0.Add(time.Duration(i+1) * time.Second), Trigger: "schedule"})
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("%d bytes per snapshot after the first", per)
	if per > 64<<10 {
		t.Errorf("a snapshot allocates %d bytes, want under 64 KiB (a fresh gzip writer alone is over 800 KiB)", per)
	}
}
