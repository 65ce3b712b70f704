package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/agent/upload/s3test"
	"github.com/heapdiff/heapdiff/internal/nodetest"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// --upload, --service and --s3-endpoint reach a node:// capture; a URL that
// is not s3:// is refused in one line.
func TestCaptureNodeUploadFlags(t *testing.T) {
	var got *captureOptions
	cmd := captureCmd(&streams{}, func(_ context.Context, o *captureOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"node://127.0.0.1:9229", "--upload", "s3://snaps/node", "--service", "bot", "--s3-endpoint", "http://127.0.0.1:1"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	cfg, err := nodeConfig(got)
	if err != nil || cfg.Written == nil || got.Service != "bot" || got.S3Endpoint != "http://127.0.0.1:1" {
		t.Errorf("config with --upload: written set %v, %+v, %v", cfg.Written != nil, got.captureUploadFlags, err)
	}
	cmd = captureCmd(&streams{}, func(_ context.Context, o *captureOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"node://127.0.0.1:9229"})
	cmd.Execute()
	if cfg, _ := nodeConfig(got); cfg.Written != nil {
		t.Error("no --upload, yet a Written hook")
	}
	code, _, errOut := runCLI(t, nil, "capture", "node://127.0.0.1:9229", "--upload", "https://snaps/x")
	if code != exitUsage || !strings.HasPrefix(errOut, "heapdiff: --upload: ") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("--upload https://: exit %d, %q", code, errOut)
	}
}

// Keys carry a host as the Go agent names its own: a DNS name's first
// label; an address whole.
func TestKeyHost(t *testing.T) {
	for in, want := range map[string]string{"web-7f9c.prod.example.com": "web-7f9c", "web-7f9c": "web-7f9c",
		"127.0.0.1:9229": "127.0.0.1_9229", "10.0.0.7": "10.0.0.7", "::1": "__1", "[::1]:9229": "___1__9229", "": "host", "a b.c": "a_b"} {
		if got := keyHost(in); got != want {
			t.Errorf("keyHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// A real heapdiff watching a real leaking Node.js bot uploads each snapshot
// to a real S3 server right after writing it, under
// PREFIX/SERVICE/HOST/PID/ with its own name, byte for byte, its metadata
// as object metadata; ls lists the process, trend reads the prefix with
// rates per hour and names the objects by URL, and fleet judges it. With a
// wrong secret the snapshot stays on disk and the command fails in one
// line.
func TestCaptureNodeUploadEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Node.js for 12 s")
	}
	store := s3test.Start(t)
	store.Setenv(t)
	store.Bucket("snaps")
	bot := nodetest.Start(t, 0, nodetest.Bot(t), "--leak", "--tick", "5")
	dir, cache := t.TempDir(), t.TempDir()
	code, out, errOut := runCLI(t, nil, "capture", "node://"+bot.Addr, "--every", "4s", "--count", "4", "--dir", dir,
		"--sample-every", "500ms", "--upload", "s3://snaps/node", "--service", "bot", "--s3-endpoint", store.URL)
	if code != exitOK {
		t.Fatalf("node %s: capture: exit %d, stderr:\n%s", bot.Version, code, errOut)
	}
	paths := strings.Fields(out)
	if len(paths) != 4 {
		t.Fatalf("node %s: %d snapshots written: %q", bot.Version, len(paths), paths)
	}
	h, _ := os.Hostname()
	host := keyHost(h) // Node's os.hostname() on this machine
	pid := strconv.Itoa(bot.PID)
	var want []string
	for _, p := range paths {
		key, ok := upload.NodeKey("node", "bot", host, filepath.Base(p))
		if !ok || !strings.HasPrefix(key, "node/bot/"+host+"/"+pid+"/Heap.") {
			t.Fatalf("key of %s: %s, %v", p, key, ok)
		}
		want = append(want, key)
		local, _ := os.ReadFile(p)
		stored, _ := os.ReadFile(filepath.Join(store.Root, "snaps", key))
		if len(local) == 0 || !bytes.Equal(local, stored) {
			t.Errorf("node %s: %s: the object differs from the file", bot.Version, key)
		}
		if !strings.Contains(errOut, filepath.Base(p)+": uploaded to s3://snaps/"+key) {
			t.Errorf("node %s: upload of %s not logged:\n%s", bot.Version, key, errOut)
		}
	}
	got := store.Objects("snaps")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("bucket holds %q, want %q", got, want)
	}
	if !strings.Contains(errOut, "uploaded: 4") || !strings.Contains(errOut, "upload_failures: 0") {
		t.Errorf("node %s: summary:\n%s", bot.Version, errOut)
	}
	client, err := upload.Connect(context.Background(), upload.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := client.S3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("snaps"), Key: aws.String(want[3])})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"service": "bot", "trigger": "schedule", "pid": pid, "seq": "4", "node-version": bot.Version,
		"baseline": filepath.Base(paths[0])} {
		if head.Metadata[k] != v {
			t.Errorf("object metadata %s = %q, want %q (all %v)", k, head.Metadata[k], v, head.Metadata)
		}
	}
	if head.Metadata["rss-bytes"] == "" || aws.ToString(head.ContentType) != "application/json" {
		t.Errorf("metadata %v, content type %q", head.Metadata, aws.ToString(head.ContentType))
	}

	// ls: one process, its four snapshots, their times as the loader reads them.
	code, out, errOut = runCLI(t, nil, "ls", "s3://snaps/node/", "-f", "json")
	var l lsListing
	if err := json.Unmarshal([]byte(out), &l); code != exitOK || err != nil {
		t.Fatalf("ls: exit %d, %v, %s", code, err, errOut)
	}
	firstProf, err := profile.Load(paths[0], profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Processes) != 1 || l.Processes[0].Service != "bot" || l.Processes[0].Host != host || l.Processes[0].PID != pid ||
		l.Processes[0].Snapshots != 4 || !l.Processes[0].First.Equal(firstProf.Time) {
		t.Errorf("ls: %+v; want bot/%s/%s, 4 snapshots from %v", l.Processes, host, pid, firstProf.Time)
	}

	// trend of the process's prefix: rates per hour, the leak found, the
	// snapshots named by URL.
	prefix := "s3://snaps/node/bot/" + host + "/" + pid + "/"
	code, out, errOut = runCLI(t, nil, "trend", prefix, "--cache-dir", cache)
	if code != exitOK || !strings.Contains(out, "/h") || strings.Contains(errOut+out, "too short for rates per hour") ||
		!regexp.MustCompile(`(?m)^\s+\d+\s+steady growth.*ChatSession$`).MatchString(out) ||
		!strings.Contains(out, "s3://snaps/"+want[0]) || strings.Contains(out, cache) {
		t.Errorf("node %s: trend %s: exit %d, stderr %q, output:\n%s", bot.Version, prefix, code, errOut, out)
	}
	code, out, _ = runCLI(t, nil, "trend", prefix, "--cache-dir", cache, "-f", "json")
	var tr report.JSONTrend
	if err := json.Unmarshal([]byte(out), &tr); code != exitOK || err != nil || !tr.Timed || tr.SpanSeconds == nil || *tr.SpanSeconds < 10 ||
		len(tr.Snapshots) != 4 || tr.Snapshots[3].Name != "s3://snaps/"+want[3] {
		t.Errorf("node %s: trend -f json: exit %d, %v, timed %v, %d snapshots", bot.Version, code, err, tr.Timed, len(tr.Snapshots))
	}
	// fleet: the one process, judged.
	code, out, errOut = runCLI(t, nil, "fleet", "s3://snaps/node/", "--cache-dir", cache, "-f", "json")
	var fl report.JSONFleet
	if err := json.Unmarshal([]byte(out), &fl); code != exitOK || err != nil || len(fl.Processes) != 1 ||
		fl.Processes[0].Name != "bot/"+host+"/"+pid || !fl.Processes[0].Judged {
		t.Errorf("node %s: fleet: exit %d, %v, %s\n%s", bot.Version, code, err, errOut, out)
	}

	// A store that refuses: the snapshot is kept, the failure said.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	dir2 := t.TempDir()
	code, out, errOut = runCLI(t, nil, "capture", "node://"+bot.Addr, "--dir", dir2, "--upload", "s3://snaps/node", "--service", "bot")
	// versitygw may drop the connection of a refused upload before its
	// answer is read: then the message says to check the credentials.
	refused := strings.Contains(errOut, "access denied") || strings.Contains(errOut, "check the credentials")
	if code != exitError || !refused || !strings.Contains(errOut, "the file stays in "+dir2) ||
		!strings.Contains(errOut, "heapdiff: 1 of 1 snapshot(s) not uploaded to s3://snaps/node") {
		t.Errorf("node %s: wrong secret: exit %d, stderr:\n%s", bot.Version, code, errOut)
	}
	if files, _ := filepath.Glob(filepath.Join(dir2, "Heap.*.heapsnapshot")); len(files) != 1 || strings.TrimSpace(out) != files[0] {
		t.Errorf("node %s: after a refused upload, %q on disk, %q written", bot.Version, files, out)
	}
	if n := len(store.Objects("snaps")); n != 4 {
		t.Errorf("%d objects after a refused upload, want 4", n)
	}
}

// The time a Node.js file's key gives (upload.ParseKey, which ls, fleet and
// the ordering of an s3:// prefix use) is the time the loader reads from
// the file's name, and so is its pid: on the recorded sessions, here and
// again in a child process whose local time is 5 h 45 min east of UTC.
func TestNodeKeyTimesAgreeWithTheLoader(t *testing.T) {
	const zone = "Asia/Kathmandu"
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "node", "sessions", "Heap.*"))
	if len(files) < 2 {
		t.Fatalf("sessions: %q", files)
	}
	for _, path := range files {
		p, err := profile.Load(path, profile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		key, ok := upload.NodeKey("prod", "bot", "web-1", filepath.Base(path))
		f, parsed := upload.ParseKey(key)
		if !ok || !parsed || !f.Node {
			t.Fatalf("%s: key %q (%v), parsed %v", path, key, ok, parsed)
		}
		if p.TimeSource != profile.TimeFromFileName || !f.Name.Time.Equal(p.Time) ||
			snapshot.ParseComments(p.Comments).Get("pid") != strconv.Itoa(f.Name.PID) {
			t.Errorf("%s: key says %v pid %d; the loader %v (from %v), comments %q", path, f.Name.Time, f.Name.PID, p.Time, p.TimeSource, p.Comments)
		}
		if os.Getenv("TZ") == zone {
			if _, off := f.Name.Time.Zone(); off != (5*60+45)*60 {
				t.Errorf("%s: read in %v, not in local time (%s)", path, f.Name.Time, zone)
			}
		}
	}
	if os.Getenv("TZ") == zone {
		return
	}
	if _, err := time.LoadLocation(zone); err != nil {
		t.Skipf("no time zone data for %s: %v", zone, err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestNodeKeyTimesAgreeWithTheLoader$", "-test.count=1")
	child.Env = append(os.Environ(), "TZ="+zone)
	if out, err := child.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
		t.Errorf("with TZ=%s: %v\n%s", zone, err, out)
	}
}
