package snapshot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	// Prefix starts every snapshot file name.
	Prefix = "heap-"
	// Ext ends every snapshot file name: a gzipped pprof protobuf.
	Ext = ".pb.gz"

	timeLayout = "20060102T150405Z"
	tempMark   = ".tmp"
	maxField   = 32
)

// Name is the parsed form of a snapshot file name.
type Name struct {
	Time    time.Time // capture time, UTC, whole seconds
	Host    string    // host name (or, for pulled snapshots, the target host)
	PID     int       // process id; 0 when unknown (pulled snapshots)
	Seq     int       // sequence number within the process, from 1
	Trigger string    // what caused the capture: signal, schedule, manual, rss, ...
}

// String returns the file name, for example
// heap-20261126T154210Z-bot1-4242-0007-signal.pb.gz. Host and trigger are
// cleaned with [Clean] so the name is always a single safe path element.
func (n Name) String() string {
	return fmt.Sprintf("%s%s-%s-%d-%04d-%s%s", Prefix, n.Time.UTC().Format(timeLayout),
		Clean(n.Host, "host"), n.PID, n.Seq, Clean(strings.ReplaceAll(n.Trigger, "-", "_"), "manual"), Ext)
}

// ParseName parses a file name written by [Name.String]. It reports false for
// any other name, which is how retention knows which files are its own.
func ParseName(file string) (Name, bool) {
	rest, ok := strings.CutPrefix(file, Prefix)
	if !ok {
		return Name{}, false
	}
	rest, ok = strings.CutSuffix(rest, Ext)
	if !ok || len(rest) < len(timeLayout)+1 || rest[len(timeLayout)] != '-' {
		return Name{}, false
	}
	t, err := time.Parse(timeLayout, rest[:len(timeLayout)])
	if err != nil {
		return Name{}, false
	}
	// host may contain '-', so take the other fields from the right.
	parts := strings.Split(rest[len(timeLayout)+1:], "-")
	if len(parts) < 4 {
		return Name{}, false
	}
	k := len(parts)
	trigger, seqS, pidS := parts[k-1], parts[k-2], parts[k-3]
	host := strings.Join(parts[:k-3], "-")
	pid, err1 := strconv.Atoi(pidS)
	seq, err2 := strconv.Atoi(seqS)
	if err1 != nil || err2 != nil || pid < 0 || seq < 0 || host == "" || trigger == "" ||
		Clean(host, "") != host || Clean(trigger, "") != trigger {
		return Name{}, false
	}
	return Name{Time: t, Host: host, PID: pid, Seq: seq, Trigger: trigger}, true
}

// tempName is the name of the temporary file that becomes final: a hidden
// file, so tools that list *.pb.gz never see it, and one name for each
// final name, so that creating it claims final (see claim).
func tempName(final string) string { return "." + final + tempMark }

// ParseTemp recognises a temporary file left by an interrupted write of the
// snapshot it names (tempName's, or, as earlier versions named them, with
// random digits after it), and returns that snapshot's name.
func ParseTemp(file string) (Name, bool) {
	rest, ok := strings.CutPrefix(file, ".")
	if !ok {
		return Name{}, false
	}
	i := strings.LastIndex(rest, Ext+tempMark)
	if i < 0 || strings.ContainsAny(rest[i+len(Ext+tempMark):], ".-/\\") {
		return Name{}, false
	}
	return ParseName(rest[:i+len(Ext)])
}

// Clean turns s into a file-name field: letters, digits, '.', '_' and '-' are
// kept, anything else becomes '_', and the result is cut to 32 bytes. An empty
// result is replaced by def.
func Clean(s, def string) string {
	b := []byte(s)
	if len(b) > maxField {
		b = b[:maxField]
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			b[i] = '_'
		}
	}
	// A name made only of dots would be a path element like "..".
	if strings.Trim(string(b), ".") == "" {
		return def
	}
	return string(b)
}
