package snapshot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// staleTemp is how old a temporary file must be before any store treats it
// as left over by a crash, whoever was writing it.
const staleTemp = time.Hour

// A Store keeps one writer's snapshots in a directory. It is the one place
// that decides what a snapshot is called and numbered, what its comments say
// about where it came from, how it reaches the disk, which snapshot is the
// baseline, and which snapshots retention removes. The capture agent (one
// store per process) and "heapdiff capture" (one per run, pulling from one
// target) both write through a Store, so their files look alike and follow
// the same rules.
//
// A store owns the snapshots in its directory that carry its host and are of
// its kind: taken inside a process (a pid in the name) or pulled from one (pid
// 0). Retention counts and removes only those, so replicas, and pulls from
// other targets, that share the directory never remove each other's files;
// of a process of its host other than its own that still runs (on Unix), it
// keeps the baseline and the latest snapshot (see siblingsKept).
//
// Its methods are safe for concurrent use; writes happen one at a time.
type Store struct {
	dir           string
	host          string // as given, for the host comment
	nameHost      string // cleaned, as file names carry it
	pid           int
	keep          Retention
	awaitBaseline bool

	writeMu   sync.Mutex // one write at a time; guards the fields up to mu
	seq       int        // of the last snapshot written, or found on disk
	commenter commenter
	fileBuf   *bufio.Writer
	comments  []string

	mu       sync.Mutex // guards the fields below
	baseline string
	latest   string
	files    int
	bytes    int64
}

// StoreConfig says where a [Store] writes and what it keeps.
type StoreConfig struct {
	Dir string
	// Host names the machine the heap belongs to: the host name for a
	// process's own heap, the target's address for pulled ones. File names
	// carry it cleaned by [Clean]; the host comment carries it as given.
	Host string
	// PID is the process whose heap the store writes, or 0 for snapshots
	// pulled from another process.
	PID       int
	Retention Retention
	// AwaitBaseline makes the baseline the snapshot written with
	// [Entry].Baseline, and none until then. Without it the first snapshot
	// the store writes is the baseline, unless one is marked before.
	AwaitBaseline bool
}

// An Entry is one snapshot for [Store.Write].
type Entry struct {
	// Time is when the snapshot was taken: its name, its time comment and
	// retention's clock.
	Time time.Time
	// Trigger is what caused it: signal, schedule, pull, ...
	Trigger string
	// Baseline makes the snapshot the store's baseline.
	Baseline bool
	// Meta holds more comments, each made by [Comment], written after the
	// store's own: trigger, time, host, pid (when not 0), seq, and the
	// baseline's file name when there is one.
	Meta []string
	// Protect names more snapshots retention must keep besides the baseline
	// and the latest, such as the ones alerts named.
	Protect []string
}

// Written describes a snapshot [Store.Write] wrote.
type Written struct {
	File        // its name's fields, base name and size
	Path string // the directory joined with its base name
	// Removed lists the snapshots retention removed after it was written.
	Removed []string
	// PruneErr says why retention failed; the snapshot itself is written.
	PruneErr error
}

// State is what a [Store] knows of its snapshots.
type State struct {
	Baseline string // base name of the baseline; "" until there is one
	Latest   string // base name of the last snapshot written; "" before the first
	Files    int    // the store's own snapshots on disk after the last retention pass
	Bytes    int64  // their total size
}

// NewStore returns a store for c. It does not touch the disk: the directory
// may be created later, and [Store.Tidy] prepares it.
func NewStore(c StoreConfig) *Store {
	return &Store{dir: c.Dir, host: c.Host, nameHost: Clean(c.Host, "host"), pid: c.PID, keep: c.Retention,
		awaitBaseline: c.AwaitBaseline}
}

// Forget drops the store's baseline and latest snapshot, whose directory
// was removed: the next snapshot written with Entry.Baseline is the
// baseline.
func (s *Store) Forget() {
	s.mu.Lock()
	s.baseline, s.latest = "", ""
	s.mu.Unlock()
}

// State returns what the store knows of its snapshots now.
func (s *Store) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return State{Baseline: s.baseline, Latest: s.latest, Files: s.files, Bytes: s.bytes}
}

// owns reports whether a snapshot is this store's to count and remove: its
// host, and its kind (in-process or pulled).
func (s *Store) owns(n Name) bool { return n.Host == s.nameHost && (n.PID == 0) == (s.pid == 0) }

// Write writes profile, a gzipped pprof profile, as the store's next
// snapshot: named by e.Time, the host, the pid, the next sequence number and
// e.Trigger; with the store's comments and e.Meta appended to the profile's
// comments; atomically (see below). Then it applies retention, which never
// removes the baseline, this snapshot, or those e.Protect names.
//
// Sequence numbers go on from the highest one the directory holds for this
// host and pid when the snapshot is written, so names from successive runs,
// or from two runs at once, never collide; a failed write uses its number
// up.
//
// The file is written as a hidden temporary file in the same directory,
// synced and given its name, so readers see either no snapshot or the whole
// of it, even if the process is killed mid-write. A file that has the name
// already (another writer took it in the same second) is never replaced:
// the write fails. Write reuses its buffers, gzip
// reader and writer from one snapshot to the next, so it allocates little.
func (s *Store) Write(profile io.Reader, e Entry) (Written, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// The directory is read at every write, not only the first: another
	// writer of this host and pid (a second "heapdiff capture" pulling
	// from the same target) may have numbered snapshots since. Unreadable
	// now (a missing directory), the write says why.
	if files, err := List(s.dir); err == nil {
		for _, f := range files {
			if f.Host == s.nameHost && f.PID == s.pid {
				s.seq = max(s.seq, f.Seq)
			}
		}
	}
	// The next number whose name no other writer holds: another capture
	// of the same target may have claimed it since the directory was read.
	var name string
	var f *os.File
	for tries := 0; ; tries++ {
		s.seq++
		name = Name{Time: e.Time, Host: s.host, PID: s.pid, Seq: s.seq, Trigger: e.Trigger}.String()
		var err error
		if f, err = claim(s.dir, name); err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || tries == maxClaims {
			return Written{}, fmt.Errorf("create temporary file in %s: %w", s.dir, err)
		}
	}
	before := s.State().Baseline
	c := append(s.comments[:0], Comment("trigger", e.Trigger), Comment("time", e.Time.UTC().Format(time.RFC3339)),
		Comment("host", s.host))
	if s.pid != 0 {
		c = append(c, Comment("pid", strconv.Itoa(s.pid)))
	}
	c = append(c, Comment("seq", strconv.Itoa(s.seq)))
	if before != "" {
		c = append(c, Comment("baseline", before))
	}
	c = append(c, e.Meta...)
	s.comments = c
	size, err := writeClaimed(f, s.dir, name, func(w io.Writer) error {
		// Buffered: the gzip writer would otherwise write the file in
		// small pieces, one system call each.
		if s.fileBuf == nil {
			s.fileBuf = bufio.NewWriterSize(w, 64<<10)
		} else {
			s.fileBuf.Reset(w)
		}
		defer s.fileBuf.Reset(nil) // do not keep the file
		if err := s.commenter.addComments(s.fileBuf, profile, c); err != nil {
			return err
		}
		return s.fileBuf.Flush()
	})
	if err != nil {
		return Written{}, err
	}
	n, _ := ParseName(name)
	s.mu.Lock()
	if e.Baseline || (!s.awaitBaseline && s.baseline == "") {
		s.baseline = name
	}
	s.latest = name
	s.mu.Unlock()
	removed, perr := s.prune(e.Time, e.Protect)
	return Written{File: File{Name: n, File: name, Size: size}, Path: filepath.Join(s.dir, name), Removed: removed,
		PruneErr: perr}, nil
}

// maxClaims bounds how many sequence numbers a write tries past the first
// that another writer holds.
const maxClaims = 100

// Tidy prepares the directory for a store that starts: it removes the
// temporary files that interrupted writes of earlier processes of its kind
// left (of this host, another pid that is no longer running), then applies
// retention as of now, so that [Store.State] counts what is on disk before
// the first write.
func (s *Store) Tidy(now time.Time) error {
	_, err := cleanTemp(s.dir, func(n Name, _ os.FileInfo) bool { return s.owns(n) && n.PID != s.pid && !processRunning(n.PID) })
	_, perr := s.prune(now, nil)
	return errors.Join(err, perr)
}

// prune applies retention to the store's own snapshots, keeping the
// baseline, the latest and those protect names, and the baseline and latest
// of every other process of this host that is still running (replicas on
// one host sharing a directory: see siblingsKept); removes temporary files
// left long ago by any writer; and records what remains.
func (s *Store) prune(now time.Time, protect []string) (removed []string, err error) {
	st := s.State()
	protect = append([]string{st.Baseline, st.Latest}, protect...)
	kept, removed, err := prune(s.dir, s.keep, now, s.owns, protect, s.pid)
	cleanTemp(s.dir, func(_ Name, fi os.FileInfo) bool { return now.Sub(fi.ModTime()) > staleTemp })
	var total int64
	for _, f := range kept {
		total += f.Size
	}
	s.mu.Lock()
	s.files, s.bytes = len(kept), total
	s.mu.Unlock()
	return removed, err
}
