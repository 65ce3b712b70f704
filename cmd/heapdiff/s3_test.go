package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/agent/upload/s3test"
	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/report"
)

// s3Fixture is a real S3 server holding testdata/leaky under leaky/, a
// simulated fleet under fleet/api/HOST/PID/, and the environment that
// points the CLI at it (with a cache of the test's own).
type s3Fixture struct {
	srv   *s3test.Server
	cache string
	put   func(key string, body []byte)
}

func newS3Fixture(t *testing.T, fleet heapgen.FleetConfig) *s3Fixture {
	t.Helper()
	srv := s3test.Start(t)
	srv.Setenv(t)
	srv.Bucket("snaps")
	client, err := upload.Connect(context.Background(), upload.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, body []byte) {
		t.Helper()
		_, err := client.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("snaps"), Key: aws.String(key), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(client.Explain(upload.Location{Bucket: "snaps", Key: key}, err))
		}
	}
	files, _ := filepath.Glob(filepath.Join(leakyDir, "heap-*.pb.gz"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		put("leaky/"+filepath.Base(f), b)
	}
	put("leaky/README.md", []byte("notes beside the snapshots are left out\n"))
	if fleet.Processes > 0 {
		var buf bytes.Buffer
		err := heapgen.Fleet(fleet, func(i, k int, at time.Time, p *pprofile.Profile) error {
			host, pid := heapgen.FleetProcess(i)
			buf.Reset()
			if err := p.Write(&buf); err != nil {
				return err
			}
			put(upload.Key("fleet", "api", snapshot.Name{Time: at, Host: host, PID: pid, Seq: k + 1, Trigger: "schedule"}), buf.Bytes())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return &s3Fixture{srv: srv, cache: t.TempDir(), put: put}
}

func (f *s3Fixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	if args[0] != "ls" { // ls downloads nothing
		args = append(args, "--cache-dir", f.cache)
	}
	return runCLI(t, nil, args...)
}

// trend, compare and check read s3:// prefixes and objects as they read
// directories and files, and say the same.
func TestS3TrendCompareCheck(t *testing.T) {
	f := newS3Fixture(t, heapgen.FleetConfig{})
	code, remoteOut, errOut := f.run(t, "trend", "s3://snaps/leaky/", "--top", "5")
	if code != exitOK || errOut != "" {
		t.Fatalf("trend s3://: exit %d, stderr %q", code, errOut)
	}
	code, localOut, _ := runCLI(t, nil, "trend", leakyDir, "--top", "5")
	if code != exitOK {
		t.Fatal("local trend failed")
	}
	// The same trend, the snapshots named by their cached copies.
	rows := func(out string) string { _, r, _ := strings.Cut(out, "\n\n"); return r }
	if rows(remoteOut) != rows(localOut) {
		t.Errorf("trend of the prefix differs from the directory's:\n%s\nwant\n%s", remoteOut, localOut)
	}
	if !strings.Contains(remoteOut, "snapshots  12, ") || !strings.Contains(remoteOut, filepath.Join("snaps", "leaky", "heap-01.pb.gz")) {
		t.Errorf("trend header: %s", remoteOut)
	}
	// No slash: a key that is no object is taken as a prefix.
	if code, out, errOut := f.run(t, "trend", "s3://snaps/leaky", "--top", "5"); code != exitOK || rows(out) != rows(localOut) {
		t.Errorf("s3://snaps/leaky: exit %d, %s", code, errOut)
	}

	code, out, errOut := f.run(t, "compare", "s3://snaps/leaky/heap-01.pb.gz", "s3://snaps/leaky/heap-12.pb.gz", "-f", "json")
	if code != exitOK {
		t.Fatalf("compare: exit %d, %s", code, errOut)
	}
	var cmp report.JSONComparison
	if err := json.Unmarshal([]byte(out), &cmp); err != nil || cmp.Total["inuse_space"].Delta <= 0 {
		t.Errorf("compare JSON: %v, total %+v", err, cmp.Total)
	}
	if code, _, _ := f.run(t, "check", "s3://snaps/leaky/", "--max-rate", "200MiB/h"); code != exitOK {
		t.Errorf("check within budget: exit %d", code)
	}
	if code, _, errOut := f.run(t, "check", "s3://snaps/leaky/", "--max-rate", "1MiB/h"); code != exitOverBudget {
		t.Errorf("check over budget: exit %d, %s", code, errOut)
	}
	// A local file and an object mix.
	if code, _, errOut := f.run(t, "compare", base, "s3://snaps/leaky/heap-12.pb.gz"); code != exitOK {
		t.Errorf("compare FILE s3://: exit %d, %s", code, errOut)
	}
}

// Reports name what they read from a store by its s3:// URL, never by its
// cached copy: compare and trend, in every format.
func TestS3ReportsNameURLs(t *testing.T) {
	f := newS3Fixture(t, heapgen.FleetConfig{})
	first, last := "s3://snaps/leaky/heap-01.pb.gz", "s3://snaps/leaky/heap-12.pb.gz"
	for _, format := range []string{"text", "json", "md", "html"} {
		for _, args := range [][]string{{"compare", first, last}, {"trend", "s3://snaps/leaky/"}, {"check", "s3://snaps/leaky/", "--max-rate", "200MiB/h"}} {
			if args[0] == "check" && format == "html" {
				continue // check writes no HTML
			}
			code, out, errOut := f.run(t, append(args, "-f", format)...)
			if code != exitOK {
				t.Fatalf("%s -f %s: exit %d, %s", args[0], format, code, errOut)
			}
			for _, want := range []string{first, last} {
				if !strings.Contains(out, want) {
					t.Errorf("%s -f %s does not name %s:\n%.600s", args[0], format, want, out)
				}
			}
			if strings.Contains(out, f.cache) || strings.Contains(out, filepath.Join("127.0.0.1")) {
				t.Errorf("%s -f %s names the cache:\n%.600s", args[0], format, out)
			}
		}
	}
	// A file beside an object keeps its path.
	code, out, _ := f.run(t, "compare", base, last, "-f", "json")
	var cmp report.JSONComparison
	if err := json.Unmarshal([]byte(out), &cmp); code != exitOK || err != nil || cmp.Base.Name != base || cmp.Target.Name != last {
		t.Errorf("compare FILE s3://: exit %d, %v, base %q, target %q", code, err, cmp.Base.Name, cmp.Target.Name)
	}
}

// Every failure is one line naming what failed, with exit status 1; a
// broken object stops the command unless --skip-broken leaves it out.
func TestS3Errors(t *testing.T) {
	f := newS3Fixture(t, heapgen.FleetConfig{})
	f.put("broken/heap-01.pb.gz", mustRead(t, filepath.Join(leakyDir, "heap-01.pb.gz")))
	f.put("broken/heap-02.pb.gz", []byte("this is not a heap profile"))
	for _, name := range []string{"heap-03.pb.gz", "heap-04.pb.gz", "heap-05.pb.gz"} {
		f.put("broken/"+name, mustRead(t, filepath.Join(leakyDir, name)))
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		say  []string
	}{
		{"no bucket", []string{"trend", "s3://nope/leaky/"}, nil, []string{"s3://nope/leaky/: no such bucket"}},
		{"no object", []string{"compare", "s3://snaps/leaky/heap-99.pb.gz", "s3://snaps/leaky/heap-01.pb.gz"}, nil,
			[]string{"s3://snaps/leaky/heap-99.pb.gz: no such object, nor any object under s3://snaps/leaky/heap-99.pb.gz/"}},
		{"wrong secret", []string{"trend", "s3://snaps/leaky/"}, map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong"},
			[]string{"access denied", "the secret key does not match"}},
		{"unreachable", []string{"trend", "s3://snaps/leaky/", "--s3-endpoint", "http://127.0.0.1:1"}, nil,
			[]string{"s3://snaps/leaky/: cannot reach the store", "http://127.0.0.1:1: connection refused"}},
		{"not a profile", []string{"trend", "s3://snaps/broken/"}, nil, []string{"s3://snaps/broken/heap-02.pb.gz"}},
		{"fleet not a profile", []string{"fleet", "s3://snaps/broken/"}, nil, []string{"s3://snaps/broken/heap-02.pb.gz", "--skip-broken"}},
		{"ls no bucket", []string{"ls", "s3://nope/"}, nil, []string{"s3://nope/: no such bucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, out, errOut := f.run(t, tc.args...)
			if code != exitError || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "heapdiff: ") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and one line", code, out, errOut)
			}
			for _, s := range tc.say {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr %q lacks %q", errOut, s)
				}
			}
			if strings.Contains(errOut, f.cache) {
				t.Errorf("stderr names the cache, not the object: %q", errOut)
			}
		})
	}
	code, out, errOut := f.run(t, "trend", "s3://snaps/broken/", "--skip-broken")
	if code != exitOK || !strings.Contains(out, "snapshots  4, ") || strings.Count(errOut, "\n") != 1 ||
		!strings.Contains(errOut, "heapdiff: skipped s3://snaps/broken/heap-02.pb.gz: ") {
		t.Errorf("--skip-broken: exit %d, stderr %q\n%s", code, errOut, out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The fleet view over a prefix finds the planted leaks, in every format,
// and ls tells what the prefix holds.
func TestS3FleetAndLs(t *testing.T) {
	cfg := heapgen.FleetConfig{Processes: 12, Snapshots: 12, Interval: 10 * time.Minute, Filler: 50, Seed: 1}
	f := newS3Fixture(t, cfg)
	// A process that came and went too soon to judge.
	var buf bytes.Buffer
	heapgen.Fleet(heapgen.FleetConfig{Processes: 1, Snapshots: 2, Interval: time.Minute}, func(i, k int, at time.Time, p *pprofile.Profile) error {
		buf.Reset()
		p.Write(&buf)
		f.put(upload.Key("fleet", "api", snapshot.Name{Time: at, Host: "web-short", PID: 7, Seq: k + 1, Trigger: "signal"}), buf.Bytes())
		return nil
	})

	code, out, errOut := f.run(t, "fleet", "s3://snaps/fleet/api/", "-f", "json")
	if code != exitOK {
		t.Fatalf("fleet: exit %d, %s", code, errOut)
	}
	var j report.JSONFleet
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatal(err)
	}
	if j.Schema != "heapdiff.fleet/v1" || len(j.Processes) != 13 || j.Judged != 12 || j.Snapshots != 144 {
		t.Fatalf("fleet: %d processes, %d judged, %d snapshots", len(j.Processes), j.Judged, j.Snapshots)
	}
	last := j.Processes[12]
	if last.Name != "api/web-short/7" || last.Judged || !strings.Contains(last.Problem, "2 snapshot(s)") {
		t.Errorf("the short-lived process: %+v", last)
	}
	// Every process with a planted leak ranks above every clean one, and
	// says so; no clean process has a suspect.
	planted := map[string]bool{}
	for i := range cfg.Processes {
		host, pid := heapgen.FleetProcess(i)
		planted["api/"+host+"/"+strconv.Itoa(pid)] = len(heapgen.FleetLeaks(cfg, i)) > 0
	}
	seenClean := false
	for _, p := range j.Processes[:12] {
		if planted[p.Name] {
			if seenClean || len(p.Suspects) == 0 || (p.Total.Shape != "steady_growth" && p.Total.Shape != "faint_growth") {
				t.Errorf("leaking %s: shape %s, %d suspects, after a clean process %v", p.Name, p.Total.Shape, len(p.Suspects), seenClean)
			}
		} else {
			seenClean = true
			if p.Leaking || len(p.Suspects) != 0 {
				t.Errorf("clean %s: leaking %v, suspects %v", p.Name, p.Leaking, p.Suspects)
			}
		}
	}
	if j.Leaking < 8 {
		t.Errorf("%d processes leaking steadily, want most of the 10 planted", j.Leaking)
	}
	spread := map[string]report.JSONSharedSuspect{}
	for _, s := range j.Suspects {
		spread[s.Name] = s
	}
	code_ := spread[heapgen.FleetCodeLeak+" main.go:50"]
	one := spread[heapgen.FleetOneLeak+" main.go:90"]
	some := spread[heapgen.FleetSomeLeak+" main.go:120"]
	if code_.Spread != "most" || len(code_.Processes) != 10 || one.Spread != "one" || len(one.Processes) != 1 || one.Processes[0] != "api/web-01/1001" ||
		some.Spread != "some" || len(some.Processes) != 2 {
		t.Errorf("suspects: %+v", j.Suspects)
	}

	for _, format := range []string{"text", "md", "html"} {
		code, out, errOut := f.run(t, "fleet", "s3://snaps/fleet/api/", "-f", format)
		if code != exitOK || !strings.Contains(out, heapgen.FleetCodeLeak) || !strings.Contains(out, "api/web-01/1001") {
			t.Errorf("-f %s: exit %d, %s", format, code, errOut)
		}
	}

	code, out, errOut = f.run(t, "ls", "s3://snaps/", "-f", "json")
	if code != exitOK {
		t.Fatalf("ls: exit %d, %s", code, errOut)
	}
	var l lsListing
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	if l.Snapshots != 12+146 || len(l.Services) != 2 || len(l.Processes) != 14 {
		t.Fatalf("ls: %d snapshots, %d services, %d processes", l.Snapshots, len(l.Services), len(l.Processes))
	}
	api := l.Services[slices.IndexFunc(l.Services, func(e lsEntry) bool { return e.Service == "api" })]
	if api.Hosts != 13 || api.Processes != 13 || api.Snapshots != 146 || api.Bytes == 0 ||
		!api.First.Equal(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("ls api: %+v", api)
	}
	if code, out, _ := f.run(t, "ls", "s3://snaps/fleet/"); code != exitOK || !strings.Contains(out, "web-11") || !strings.Contains(out, "api ") {
		t.Errorf("ls text: %s", out)
	}
}

// TestS3WithoutCredentialsIsOneLine checks that an s3:// argument without
// credentials gets one line, heapdiff's, and no line of the AWS SDK's
// before it (its EC2 metadata client warned "falling back to IMDSv1" on
// the process's standard error, which only a real process shows). Where an
// instance role applies the error is another, in one line too.
func TestS3WithoutCredentialsIsOneLine(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(heapdiffBinary(t), "fleet", "s3://nobucket/prefix/")
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none")}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != exitError || strings.Count(stderr.String(), "\n") != 1 || !strings.HasPrefix(stderr.String(), "heapdiff: s3://nobucket/prefix/: ") {
		t.Errorf("exit %d (%v), stderr:\n%s\nwant exit 1 and heapdiff's one line", code, err, stderr.String())
	}
}
