package nodemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// Snapshot files carry the names Node.js gives its own,
//
//	Heap.YYYYMMDD.HHMMSS.PID.0.SEQ.heapsnapshot   (or .heapprofile)
//
// in local time, so heapdiff reads each one's time and process from its
// name as it does for snapshots Node.js writes (profile/v8time.go): compare,
// trend and check order them by time and refuse to mix processes. SEQ
// counts a process's snapshots from 001 and goes on across runs of heapdiff
// capture, so two snapshots taken in the same second never share a name.

// Extensions of the two kinds of file.
const (
	extSnapshot = ".heapsnapshot"
	extProfile  = ".heapprofile"
)

// memberKey is the top-level JSON member that carries heapdiff's metadata
// in a file it wrote: an array of "heapdiff.key=value" strings, the comments
// the agent writes into a Go profile (see snapshot.Comment).
const memberKey = `"heapdiff"`

// fileName is the name of a process's seq'th snapshot, taken at t.
func fileName(t time.Time, pid, seq int, ext string) string {
	t = t.Local()
	return fmt.Sprintf("Heap.%s.%s.%d.0.%03d%s", t.Format("20060102"), t.Format("150405"), pid, seq, ext)
}

// parseFileName reads a name fileName wrote (the thread always 0), in local
// time. It reports false for any other name.
func parseFileName(name string) (snapshot.Name, bool) {
	ext := filepath.Ext(name)
	if ext != extSnapshot && ext != extProfile {
		return snapshot.Name{}, false
	}
	parts := strings.Split(strings.TrimSuffix(name, ext), ".")
	if len(parts) != 6 || parts[0] != "Heap" || parts[4] != "0" {
		return snapshot.Name{}, false
	}
	t, err := time.ParseInLocation("20060102150405", parts[1]+parts[2], time.Local)
	pid, err1 := strconv.Atoi(parts[3])
	seq, err2 := strconv.Atoi(parts[5])
	if err != nil || err1 != nil || err2 != nil || pid <= 0 || seq <= 0 {
		return snapshot.Name{}, false
	}
	return snapshot.Name{Time: t, PID: pid, Seq: seq}, true
}

// metadataMember is the JSON member holding comments, ending in a comma and
// a newline, to go before a snapshot's "nodes" member.
func metadataMember(comments []string) []byte {
	b, _ := json.Marshal(comments)
	return append(append([]byte(memberKey+":"), b...), ",\n"...)
}

// nodesKey is where the metadata goes in a heap snapshot: right after the
// header ("snapshot"), before the nodes array, so it is found by reading
// the first few KiB. The key's first occurrence in the stream is the key
// itself: the header holds "node_fields", "node_count" and the like, never
// "nodes". Readers find members by key: heapdiff skips members it does not
// know, and Chrome DevTools' loader, which reads the header and then looks
// for the text "nodes", passes over it (a member after the strings table
// would break DevTools, which reads that table up to the file's last "]").
var nodesKey = []byte(`"nodes":`)

// inserter copies a heap snapshot to w with a member inserted before the
// nodes array, as the snapshot streams through.
type inserter struct {
	w      io.Writer
	member []byte
	tail   []byte // the last bytes seen, which may begin the key
	done   bool
}

func (in *inserter) Write(p []byte) (int, error) {
	if in.done {
		return in.w.Write(p)
	}
	data := append(in.tail, p...)
	if i := bytes.Index(data, nodesKey); i >= 0 {
		in.done = true
		for _, b := range [][]byte{data[:i], in.member, data[i:]} {
			if _, err := in.w.Write(b); err != nil {
				return 0, err
			}
		}
		in.tail = nil
		return len(p), nil
	}
	keep := min(len(data), len(nodesKey)-1)
	if _, err := in.w.Write(data[:len(data)-keep]); err != nil {
		return 0, err
	}
	in.tail = append(in.tail[:0:0], data[len(data)-keep:]...)
	return len(p), nil
}

// close reports a snapshot that had no nodes array, and so no metadata.
func (in *inserter) close() error {
	if !in.done {
		return errors.New("the snapshot has no nodes array")
	}
	return nil
}

// withMember returns a JSON object (a sampling heap profile) with the
// member added at its end; such profiles are read whole by every tool.
func withMember(object []byte, comments []string) ([]byte, error) {
	o := bytes.TrimRight(object, " \t\r\n")
	if len(o) < 2 || o[0] != '{' || o[len(o)-1] != '}' {
		return nil, errors.New("the profile is not a JSON object")
	}
	m := bytes.TrimSuffix(metadataMember(comments), []byte(",\n"))
	out := make([]byte, 0, len(o)+len(m)+2)
	out = append(out, o[:len(o)-1]...)
	out = append(out, ',')
	out = append(out, m...)
	return append(out, "}\n"...), nil
}

// ownFiles lists the files in dir that heapdiff capture wrote, oldest
// first: named by fileName and carrying the metadata member (checked once
// per file, in its first 64 KiB for a snapshot, its last for a profile:
// owned caches the verdicts). Snapshots Node.js wrote itself, under the same
// kind of name, are never listed, so retention never removes them.
func ownFiles(dir string, owned map[string]bool) ([]snapshot.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var files []snapshot.File
	for _, e := range entries {
		n, ok := parseFileName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		mine, known := owned[e.Name()]
		if !known {
			mine = hasMember(filepath.Join(dir, e.Name()))
			owned[e.Name()] = mine
		}
		if mine {
			files = append(files, snapshot.File{Name: n, File: e.Name(), Size: info.Size()})
		}
	}
	slices.SortFunc(files, func(a, b snapshot.File) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := a.Seq - b.Seq; c != 0 {
			return c
		}
		return strings.Compare(a.File, b.File)
	})
	return files, nil
}

// hasMember reports whether the file holds heapdiff's metadata member:
// before the nodes array of a heap snapshot, at the end of a sampling
// profile.
func hasMember(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	const window = 64 << 10
	off := int64(0)
	if strings.HasSuffix(path, extProfile) {
		off = max(0, fi.Size()-window)
	}
	buf := make([]byte, min(window, fi.Size()-off))
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	if !strings.HasSuffix(path, extProfile) {
		i := bytes.Index(buf, nodesKey)
		if i < 0 {
			return false
		}
		buf = buf[:i]
	}
	return bytes.Contains(buf, []byte(memberKey+`:["heapdiff.`))
}
