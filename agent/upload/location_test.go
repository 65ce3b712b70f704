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
