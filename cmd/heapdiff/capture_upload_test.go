package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/agent/upload/s3test"
)

// capture --upload puts every snapshot it writes under the agent's key
// layout, byte for byte; a store that refuses is a failed capture whose
// snapshot stays on disk.
func TestCaptureUploads(t *testing.T) {
	store := s3test.Start(t)
	store.Setenv(t)
	store.Bucket("snaps")
	srv := newPprofServer(t)
	opts := captureOpts(t, srv.URL+"/debug/pprof/heap")
	opts.Every, opts.Count = 10*time.Millisecond, 3
	opts.Upload, opts.Service = "s3://snaps/pulled", "api"
	if err := runCapture(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	files, err := snapshot.List(opts.Dir)
	if err != nil || len(files) != 3 {
		t.Fatalf("%d snapshots, %v", len(files), err)
	}
	var want []string
	for _, f := range files {
		key := upload.Key("pulled", "api", f.Name)
		want = append(want, key)
		local, _ := os.ReadFile(filepath.Join(opts.Dir, f.File))
		remote, _ := os.ReadFile(filepath.Join(store.Root, "snaps", key))
		if len(local) == 0 || !bytes.Equal(local, remote) {
			t.Errorf("%s: the uploaded object differs from the file", key)
		}
	}
	got := store.Objects("snaps")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("bucket holds %q, want %q", got, want)
	}
	if !strings.HasPrefix(want[0], "pulled/api/127.0.0.1_") || !strings.Contains(want[0], "/0/heap-") {
		t.Errorf("key %s does not follow PREFIX/SERVICE/HOST/0/", want[0])
	}

	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	opts = captureOpts(t, srv.URL+"/debug/pprof/heap")
	opts.Upload = "s3://snaps/pulled"
	err = runCapture(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), "the snapshot stays in "+opts.Dir) {
		t.Errorf("upload with a wrong secret: %v", err)
	}
	if files, _ := snapshot.List(opts.Dir); len(files) != 1 {
		t.Errorf("%d snapshots on disk after a refused upload, want 1", len(files))
	}
	if code, _, errOut := runCLI(t, nil, "capture", srv.URL, "--upload", "https://snaps/x", "--dir", t.TempDir()); code != exitUsage ||
		!strings.Contains(errOut, "--upload") {
		t.Errorf("--upload https://: exit %d, %s", code, errOut)
	}
}
