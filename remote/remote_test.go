package remote

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/agent/upload/s3test"
)

func put(t *testing.T, st *Store, key string, body []byte) {
	t.Helper()
	_, err := st.client.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("snaps"), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(st.Explain(upload.Location{Bucket: "snaps", Key: key}, err))
	}
}

// A prefix lists in time order, whatever the keys' order, grouped by
// process; a second fetch downloads nothing, and an object changed in the
// store (a new ETag) is downloaded again, alone.
func TestListFetchAndTheCache(t *testing.T) {
	srv := s3test.Start(t)
	srv.Setenv(t)
	srv.Bucket("snaps")
	ctx := context.Background()
	st, err := Open(ctx, Options{CacheDir: t.TempDir(), Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var want []string
	for i := range 12 {
		// Host b's snapshots are taken between host a's.
		host, at := "a", t0.Add(time.Duration(i)*time.Minute)
		if i%2 == 1 {
			host, at = "b", t0.Add(time.Duration(i)*time.Minute+30*time.Second)
		}
		key := upload.Key("prod", "api", snapshot.Name{Time: at, Host: host, PID: 1, Seq: i/2 + 1, Trigger: "schedule"})
		put(t, st, key, bytes.Repeat([]byte{byte(i)}, 1000+i))
		want = append(want, key)
	}
	put(t, st, "prod/api/a/1/", nil) // a folder marker, as consoles make
	objs, err := st.List(ctx, upload.Location{Bucket: "snaps", Key: "prod/"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("listed\n%q\nwant time order\n%q", keys, want)
	}
	groups := GroupByProcess(objs)
	if len(groups) != 2 || groups[0].Process.Name() != "api/a/1" || len(groups[0].Objects) != 6 || groups[1].Process.Name() != "api/b/1" {
		t.Fatalf("groups %+v", groups)
	}

	fs, err := st.Fetch(ctx, objs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fs.Downloaded != 12 || fs.Cached != 0 || fs.Bytes == 0 {
		t.Errorf("first fetch %+v, want 12 downloaded", fs)
	}
	for i, o := range objs {
		b, err := os.ReadFile(o.Path)
		if err != nil || !bytes.Equal(b, bytes.Repeat([]byte{byte(i)}, 1000+i)) {
			t.Errorf("%s: cached copy %s differs (%v)", o.URL, o.Path, err)
		}
	}
	again, _ := st.List(ctx, upload.Location{Bucket: "snaps", Key: "prod/api/"})
	if fs, err := st.Fetch(ctx, again, nil); err != nil || fs.Downloaded != 0 || fs.Cached != 12 {
		t.Errorf("second fetch %+v, %v: want everything from the cache", fs, err)
	}
	put(t, st, want[3], []byte("changed in the store"))
	again, _ = st.List(ctx, upload.Location{Bucket: "snaps", Key: "prod/api/"})
	fs, err = st.Fetch(ctx, again, nil)
	if err != nil || fs.Downloaded != 1 || fs.Cached != 11 {
		t.Errorf("after a change: %+v, %v; want 1 downloaded, 11 cached", fs, err)
	}
	if b, _ := os.ReadFile(again[3].Path); string(b) != "changed in the store" {
		t.Errorf("the changed object's copy holds %q", b)
	}
	// One object by its key.
	one, err := st.List(ctx, upload.Location{Bucket: "snaps", Key: want[0]})
	if err != nil || len(one) != 1 || one[0].Key != want[0] || one[0].ETag == "" {
		t.Errorf("one object: %+v, %v", one, err)
	}
	if _, err := st.List(ctx, upload.Location{Bucket: "snaps", Key: "nothing/"}); err == nil {
		t.Error("an empty prefix listed without error")
	}
	if _, err := st.List(ctx, upload.Location{Bucket: "nope", Key: "x/"}); !errors.Is(err, upload.ErrNoBucket) {
		t.Errorf("missing bucket: %v", err)
	}
}

// Keys that would leave the bucket's cache directory are refused.
func TestUnsafeKeysAreNotCached(t *testing.T) {
	for _, k := range []string{"../x", "a/../../x", "a//b", "/a", "a/./b", "a\\b"} {
		if safeKey(k) {
			t.Errorf("safeKey(%q) = true", k)
		}
	}
	if !safeKey("prod/api/a/1/heap-x.pb.gz") {
		t.Error("a plain key is refused")
	}
}

// A local tree is listed and grouped as a store's prefix is; without the
// key layout, by folder and by the host and pid in snapshot names.
func TestListLocal(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	write := func(rel string) {
		p := dir + "/" + rel
		os.MkdirAll(p[:len(p)-len(lastElem(rel))], 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		write(snapshot.Name{Time: t0.Add(time.Duration(i) * time.Minute), Host: "h", PID: 10, Seq: i + 1, Trigger: "signal"}.String())
		write(snapshot.Name{Time: t0.Add(time.Duration(i) * time.Minute), Host: "h", PID: 11, Seq: i + 1, Trigger: "signal"}.String())
	}
	write("other/heap.pb.gz")
	write(".hidden/heap.pb.gz")
	objs, err := ListLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	groups := GroupByProcess(objs)
	var names []string
	for _, g := range groups {
		names = append(names, g.Process.Name())
	}
	if !slices.Equal(names, []string{"other", ". (h pid 10)", ". (h pid 11)"}) || len(objs) != 7 {
		t.Errorf("%d objects in groups %q", len(objs), names)
	}
}

// A tree laid out as uploads are, listed from below SERVICE, still names
// its processes SERVICE/HOST/PID.
func TestListLocalBelowTheService(t *testing.T) {
	dir := t.TempDir()
	n := snapshot.Name{Time: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Host: "web-1", PID: 7, Seq: 1, Trigger: "signal"}
	key := upload.Key("", "api", n)
	if err := os.MkdirAll(dir+"/"+key[:len(key)-len(lastElem(key))], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+key, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{dir, dir + "/api", dir + "/api/web-1"} {
		objs, err := ListLocal(from)
		if err != nil || len(objs) != 1 || objs[0].Process.Name() != "api/web-1/7" || !objs[0].Time.Equal(n.Time) {
			t.Errorf("from %s: %+v, %v", from, objs, err)
		}
	}
}

func lastElem(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
