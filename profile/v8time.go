package profile

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// Heap snapshots and sampling heap profiles carry no time and no process
// id; the names Node.js and Bun give their files do (v8.ParseFileName). The
// name holds the writer's local time without its zone: it is read in the
// zone of the machine reading it, time.Local, which Go takes from the TZ
// environment variable (TZ=Europe/Berlin) or the system's setting. Read
// snapshots written by a server in another zone with TZ set to the
// server's.

// TimeSource says where a profile's Time came from.
type TimeSource uint8

const (
	// TimeFromProfile: the producer wrote the time in the profile (pprof's
	// time_nanos), or Time is zero.
	TimeFromProfile TimeSource = iota
	// TimeFromFileName: the file's name, as Node.js and Bun name heap
	// snapshots, read as local time.
	TimeFromFileName
	// TimeFromModTime: the file's modification time (UseModTime), a last
	// resort: copying a file can change it.
	TimeFromModTime
)

// String says where the time came from, for a report's header.
func (s TimeSource) String() string {
	switch s {
	case TimeFromFileName:
		return "file name"
	case TimeFromModTime:
		return "file modification time"
	}
	return "profile"
}

// addFileNameFacts gives a profile loaded from path what its name says when
// Node.js or Bun named it: its time, when the profile has none, and its
// process, as the comment "pid=N" (and "thread=N" for a worker thread's
// heap), the form heapdiff's process checks read. Load calls it.
func addFileNameFacts(p *Profile, path string) {
	if path == "-" {
		return
	}
	f, ok := v8.ParseFileName(path, time.Local)
	if !ok {
		return
	}
	if p.Time.IsZero() {
		p.Time, p.TimeSource = f.Time, TimeFromFileName
		p.Comments = append(p.Comments, "time from file name, read as local time ("+f.Time.Format("MST -0700")+")")
	}
	if !hasComment(p.Comments, "pid") {
		p.Comments = append(p.Comments, "pid="+strconv.FormatInt(f.PID, 10))
		if f.Thread != 0 {
			p.Comments = append(p.Comments, "thread="+strconv.FormatInt(f.Thread, 10))
		}
	}
}

// hasComment reports whether comments hold key=value (or heapdiff.key=value,
// as heapdiff's agent writes them) for key.
func hasComment(comments []string, key string) bool {
	for _, c := range comments {
		if k, _, ok := strings.Cut(strings.TrimPrefix(c, "heapdiff."), "="); ok && k == key {
			return true
		}
	}
	return false
}

// UseModTime gives p, loaded from path, the modification time of that
// file when p carries no time of its own and its name gives none: a last
// resort for heap snapshots of other names, which hold no time, so that a
// trend can still have rates. Copying or unpacking files can change their
// times: it is used only when a caller asks. It records the source in
// p.TimeSource and in a comment.
func UseModTime(p *Profile, path string) error {
	if !p.Time.IsZero() || path == "-" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("modification time of %s: %w", printable(path), describeOpenError(err))
	}
	p.Time, p.TimeSource = fi.ModTime(), TimeFromModTime
	p.Comments = append(p.Comments, "time from file modification time")
	return nil
}
