package upload

import (
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in             string
		bucket, key    string
		prefix         bool
		wantErrContain string
	}{
		{in: "s3://snaps", bucket: "snaps", key: "", prefix: true},
		{in: "s3://snaps/", bucket: "snaps", key: "", prefix: true},
		{in: "s3://snaps/prod/api/", bucket: "snaps", key: "prod/api/", prefix: true},
		{in: "S3://snaps/prod/heap.pb.gz", bucket: "snaps", key: "prod/heap.pb.gz"},
		{in: "s3:///key", wantErrContain: "no bucket"},
		{in: "s3://host:9000/key", wantErrContain: "bucket name"},
		{in: "s3://snaps/a?versionId=1", wantErrContain: "ambiguous"},
		{in: "s3://snaps/a//b", wantErrContain: "empty path element"},
		{in: "/tmp/snaps", wantErrContain: "not an s3://"},
	} {
		l, err := ParseURL(tc.in)
		if tc.wantErrContain != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrContain) {
				t.Errorf("ParseURL(%q) = %v, %v; want an error saying %q", tc.in, l, err, tc.wantErrContain)
			}
			continue
		}
		if err != nil || l.Bucket != tc.bucket || l.Key != tc.key || l.IsPrefix() != tc.prefix {
			t.Errorf("ParseURL(%q) = %+v (prefix %v), %v; want %s %q prefix %v", tc.in, l, l.IsPrefix(), err, tc.bucket, tc.key, tc.prefix)
		}
	}
}

// Keys group by service, host and process and sort by time, and read back.
func TestKeyLayout(t *testing.T) {
	at := time.Date(2026, 11, 26, 15, 42, 10, 0, time.UTC)
	n := snapshot.Name{Time: at, Host: "web-7f9c", PID: 1, Seq: 7, Trigger: "signal"}
	for _, tc := range []struct{ prefix, service, want string }{
		{"fleet", "api", "fleet/api/web-7f9c/1/heap-20261126T154210Z-web-7f9c-1-0007-signal.pb.gz"},
		{"/fleet/prod/", "api", "fleet/prod/api/web-7f9c/1/heap-20261126T154210Z-web-7f9c-1-0007-signal.pb.gz"},
		{"", "my service/v2", "my_service_v2/web-7f9c/1/heap-20261126T154210Z-web-7f9c-1-0007-signal.pb.gz"},
		{"p", "..", "p/service/web-7f9c/1/heap-20261126T154210Z-web-7f9c-1-0007-signal.pb.gz"},
	} {
		got := Key(tc.prefix, tc.service, n)
		if got != tc.want {
			t.Errorf("Key(%q, %q) = %s, want %s", tc.prefix, tc.service, got, tc.want)
			continue
		}
		f, ok := ParseKey(got)
		if !ok || f.Name != n || f.Prefix != strings.Trim(tc.prefix, "/") || f.Service != snapshot.Clean(tc.service, "service") {
			t.Errorf("ParseKey(%s) = %+v, %v", got, f, ok)
		}
	}
	later := Key("fleet", "api", snapshot.Name{Time: at.Add(time.Second), Host: "web-7f9c", PID: 1, Seq: 8, Trigger: "schedule"})
	if earlier := Key("fleet", "api", n); !(earlier < later) {
		t.Errorf("keys do not sort by time: %s !< %s", earlier, later)
	}
	for _, bad := range []string{
		"heap-20261126T154210Z-web-1-0007-signal.pb.gz",                            // no layout
		"fleet/api/web-other/1/heap-20261126T154210Z-web-7f9c-1-0007-signal.pb.gz", // host disagrees
		"fleet/api/web-7f9c/2/heap-20261126T154210Z-web-7f9c-1-0007-signal.pb.gz",  // pid disagrees
		"fleet/api/web-7f9c/1/notes.md",
	} {
		if f, ok := ParseKey(bad); ok {
			t.Errorf("ParseKey(%s) = %+v, want false", bad, f)
		}
	}
}

// Object metadata carries the snapshot's metadata, in header-safe keys and
// values, and stays within S3's 2 KiB.
func TestMetadata(t *testing.T) {
	c := snapshot.Comment
	comments := []string{c("trigger", "signal"), c("live_heap_bytes", "123456"), c("main_module", "example.com/api@v1.2.3"),
		c("reason", "nach Überlast\nneu"), "host=other-producer", "free text", c("gauge.queue.depth", "17")}
	for i := range 100 {
		comments = append(comments, c("gauge.filler_"+strings.Repeat("x", 10)+string(rune('a'+i%26))+string(rune('a'+i/26)), strings.Repeat("9", 20)))
	}
	m := Metadata("api", agent.Snapshot{Comments: comments})
	for k, want := range map[string]string{"service": "api", "trigger": "signal", "live-heap-bytes": "123456",
		"main-module": "example.com/api@v1.2.3", "host": "other-producer", "gauge-queue-depth": "17",
		"reason": "nach%20%C3%9Cberlast%0Aneu"} {
		if m[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, m[k], want)
		}
	}
	size := 0
	for k, v := range m {
		size += len(k) + len(v)
		for _, r := range k + v {
			if r < 0x20 || r > 0x7e {
				t.Errorf("metadata %s=%q is not printable ASCII", k, v)
			}
		}
	}
	if size > MaxMetadata {
		t.Errorf("metadata holds %d bytes, over %d", size, MaxMetadata)
	}
	if len(m) < 20 {
		t.Errorf("only %d pairs kept; the bound should leave room for many", len(m))
	}
}

// Node.js names read back as the names say, in local time; anything else,
// a worker thread's file or a date that does not exist, is not one.
func TestParseNodeName(t *testing.T) {
	for _, tc := range []struct {
		file     string
		at       time.Time
		pid, seq int
	}{
		{"Heap.20261201.032357.6773.0.001.heapsnapshot", time.Date(2026, 12, 1, 3, 23, 57, 0, time.Local), 6773, 1},
		{"Heap.20261201.032358.6773.0.002.heapsnapshot.gz", time.Date(2026, 12, 1, 3, 23, 58, 0, time.Local), 6773, 2},
		{"Heap.20280229.235959.1.0.120.heapprofile", time.Date(2028, 2, 29, 23, 59, 59, 0, time.Local), 1, 120},
	} {
		n, ok := ParseNodeName(tc.file)
		if !ok || !n.Time.Equal(tc.at) || n.Time.Location() != time.Local || n.PID != tc.pid || n.Seq != tc.seq {
			t.Errorf("ParseNodeName(%s) = %+v, %v; want %v pid %d seq %d", tc.file, n, ok, tc.at, tc.pid, tc.seq)
		}
	}
	for _, bad := range []string{
		"Heap.20261201.032357.6773.1.001.heapsnapshot", // a worker thread's heap
		"Heap.20270229.120000.6773.0.001.heapsnapshot", // 29 February 2027
		"Heap.20261201.246000.6773.0.001.heapsnapshot",
		"Heap.20261201.032357.0.0.001.heapsnapshot",
		"Heap.20261201.032357.+6773.0.001.heapsnapshot",
		"Heap.20261201.032357.6773.0.000.heapsnapshot",
		"Heap.20261201.032357.6773.0.001.json",
		"Heap-20261101-032357-6773-0.heapsnapshot", // Bun's, month from 0: not one heapdiff uploads
		"heap-20261126T154210Z-web-7f9c-1-0007-signal.pb.gz",
	} {
		if n, ok := ParseNodeName(bad); ok {
			t.Errorf("ParseNodeName(%s) = %+v, want false", bad, n)
		}
	}
}

// Node.js files keep their names in the agent's layout, under the host and
// pid of their process, and read back; keys that disagree do not.
func TestNodeKeyLayout(t *testing.T) {
	file := "Heap.20261201.032357.6773.0.001.heapsnapshot"
	for _, tc := range []struct{ prefix, service, host, want string }{
		{"fleet/prod", "bot", "web-7f9c", "fleet/prod/bot/web-7f9c/6773/" + file},
		{"", "my bot", "", "my_bot/host/6773/" + file},
	} {
		got, ok := NodeKey(tc.prefix, tc.service, tc.host, file)
		if !ok || got != tc.want {
			t.Errorf("NodeKey(%q, %q, %q) = %s, %v; want %s", tc.prefix, tc.service, tc.host, got, ok, tc.want)
			continue
		}
		f, ok := ParseKey(got)
		n, _ := ParseNodeName(file)
		if !ok || !f.Node || f.File != file || f.Prefix != tc.prefix || f.Service != snapshot.Clean(tc.service, "service") ||
			f.Name.Host != snapshot.Clean(tc.host, "host") || f.Name.PID != 6773 || f.Name.Seq != 1 || !f.Name.Time.Equal(n.Time) {
			t.Errorf("ParseKey(%s) = %+v, %v", got, f, ok)
		}
	}
	if k, ok := NodeKey("p", "bot", "h", "heap.bin"); ok {
		t.Errorf("NodeKey of heap.bin = %s, want false", k)
	}
	// Within a process, keys of files taken later sort later (the same day).
	a, _ := NodeKey("p", "bot", "h", "Heap.20261201.032357.6773.0.001.heapsnapshot")
	b, _ := NodeKey("p", "bot", "h", "Heap.20261201.040000.6773.0.002.heapsnapshot")
	if !(a < b) {
		t.Errorf("%s !< %s", a, b)
	}
	for _, bad := range []string{
		"p/bot/h/6774/" + file, // pid disagrees
		"p/bot/h o/6773/" + file,
		"p/bot//6773/" + file,
		"bot/h/6773/Heap.20261201.032357.6773.2.001.heapsnapshot",
	} {
		if f, ok := ParseKey(bad); ok {
			t.Errorf("ParseKey(%s) = %+v, want false", bad, f)
		}
	}
}
