// Package remote finds heap profiles in object storage and brings them to
// local disk for the loaders: it lists a prefix (every object under it, in
// time order), downloads objects with bounded parallelism into a local
// cache keyed by ETag, so that a second run downloads nothing, and groups
// what it lists by service, host and process, as the capture agent's
// uploads lay them out (see github.com/heapdiff/heapdiff/agent/upload.Key).
// Local directories of snapshots are inventoried the same way.
//
// It sits before the pipeline (profile → diff → report): it only moves
// bytes, and never reads a profile.
package remote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
)

// ErrEmpty is wrapped by List's error for a prefix with no object under it.
var ErrEmpty = errors.New("no objects there")

// DefaultJobs is how many objects download at once.
const DefaultJobs = 8

// Options say how to reach the store and where to cache what it holds.
type Options struct {
	// Client chooses the endpoint and addressing; credentials come the
	// standard AWS way (see upload.Connect).
	Client upload.ClientConfig
	// CacheDir holds downloaded objects; empty means DefaultCacheDir.
	CacheDir string
	// Jobs bounds parallel downloads (default DefaultJobs).
	Jobs int
}

// DefaultCacheDir is where downloads are kept: heapdiff/s3 in the user's
// cache directory (~/.cache on Linux, $XDG_CACHE_HOME when set).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set XDG_CACHE_HOME or --cache-dir): %w", err)
	}
	return filepath.Join(d, "heapdiff", "s3"), nil
}

// An Object is one object in a store, or one file in a local directory.
type Object struct {
	// URL is s3://bucket/key, or the local path.
	URL string
	// Location is the bucket and key; zero for a local file.
	Location upload.Location
	// Key is the object key, or the path relative to the directory listed,
	// with '/' separators.
	Key      string
	ETag     string
	Size     int64
	Modified time.Time
	// Time is when the snapshot was taken, from its name when it is one
	// (the Go agent's heap-TIME-..., or Node.js's Heap.DATE.TIME..., read
	// in local time as the loader reads it), else Modified.
	Time time.Time
	// Process says which process the object belongs to.
	Process Process
	// Path is where the object is on local disk: the local file, or its
	// cached copy once Fetch has brought it ("" before).
	Path string
}

// A Process identifies the process an object's snapshot came from. For keys
// laid out by the agent's uploader, PREFIX/SERVICE/HOST/PID/FILE (the Go
// agent's snapshots and Node.js files alike), it is their SERVICE, HOST and
// PID; for another layout, the folder the object is in, with the host and
// pid its file name gives when it is a snapshot name (a Node.js file name
// gives a pid only).
type Process struct {
	Service string // "" when the layout does not say
	Host    string
	PID     string
	// Folder is the key's folder (everything before the file name); with
	// the file name's host and pid it tells processes apart.
	Folder string
}

// Name is how reports name the process: SERVICE/HOST/PID, or the folder
// and, when the file names give them, host and pid.
func (p Process) Name() string {
	if p.Service != "" {
		return p.Service + "/" + p.Host + "/" + p.PID
	}
	name := p.Folder
	if name == "" {
		name = "."
	}
	switch {
	case p.Host != "":
		name += " (" + p.Host + " pid " + p.PID + ")"
	case p.PID != "":
		name += " (pid " + p.PID + ")"
	}
	return name
}

// describe fills an object's time and process from its key.
func describe(o *Object) { describeAs(o, o.Key) }

// describeAs fills an object's time and process from key, which may hold
// more of the path than o.Key does (a local file's whole path: a directory
// below SERVICE still has SERVICE above it).
func describeAs(o *Object, key string) {
	o.Time = o.Modified
	folder, file := path.Split(o.Key)
	folder = strings.TrimSuffix(folder, "/")
	if f, ok := upload.ParseKey(key); ok {
		o.Time = f.Name.Time
		o.Process = Process{Service: f.Service, Host: f.Name.Host, PID: fmt.Sprint(f.Name.PID), Folder: folder}
		return
	}
	o.Process = Process{Folder: folder}
	if n, ok := snapshot.ParseName(file); ok {
		o.Time = n.Time
		o.Process.Host, o.Process.PID = n.Host, fmt.Sprint(n.PID)
	} else if n, ok := upload.ParseNodeName(file); ok {
		o.Time = n.Time
		o.Process.PID = fmt.Sprint(n.PID)
	}
}

// sortByTime orders objects by time, then key.
func sortByTime(objs []Object) {
	slices.SortStableFunc(objs, func(a, b Object) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
}

// A Store reads one S3-compatible store.
type Store struct {
	client *upload.Client
	opts   Options
	cache  string // CacheDir/ENDPOINT
}

// Open makes a store from the standard AWS configuration and opts. It
// sends nothing.
func Open(ctx context.Context, opts Options) (*Store, error) {
	client, err := upload.Connect(ctx, opts.Client)
	if err != nil {
		return nil, err
	}
	if opts.Jobs <= 0 {
		opts.Jobs = DefaultJobs
	}
	if opts.CacheDir == "" {
		if opts.CacheDir, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	// Two stores may hold buckets of the same name: each endpoint has its
	// own part of the cache.
	return &Store{client: client, opts: opts, cache: filepath.Join(opts.CacheDir, snapshot.Clean(endpointDir(client.Endpoint), "aws"))}, nil
}

// endpointDir names an endpoint as a directory: its host and port.
func endpointDir(ep string) string {
	if _, rest, ok := strings.Cut(ep, "://"); ok {
		ep, _, _ = strings.Cut(rest, "/")
	}
	return ep
}

// Endpoint returns where the store is, for messages.
func (s *Store) Endpoint() string { return s.client.Endpoint }

// Explain turns an error from a request about loc into one line (see
// upload.Client.Explain).
func (s *Store) Explain(loc upload.Location, err error) error { return s.client.Explain(loc, err) }

// List returns the objects at loc, in time order: every object under it
// when it is a prefix (a key ending in "/", or the whole bucket); the one
// object when it names one; and, for a key without a trailing "/" that
// names no object, every object under key + "/". It fails, in one line,
// when the bucket does not exist, access is denied, the store cannot be
// reached, or nothing is there.
func (s *Store) List(ctx context.Context, loc upload.Location) ([]Object, error) {
	if !loc.IsPrefix() {
		head, err := s.client.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
		if err == nil {
			o := Object{URL: loc.String(), Location: loc, Key: loc.Key, ETag: aws.ToString(head.ETag),
				Size: aws.ToInt64(head.ContentLength), Modified: aws.ToTime(head.LastModified)}
			describe(&o)
			return []Object{o}, nil
		}
		if err := s.client.Explain(loc, err); !errors.Is(err, upload.ErrNoObject) {
			return nil, err
		}
		objs, err := s.List(ctx, loc.Dir())
		if errors.Is(err, ErrEmpty) {
			return nil, fmt.Errorf("%s: %w, nor any object under %s", loc, upload.ErrNoObject, loc.Dir())
		}
		return objs, err
	}
	var objs []Object
	p := s3.NewListObjectsV2Paginator(s.client.S3, &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), Prefix: aws.String(loc.Key)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.client.Explain(loc, err)
		}
		for _, c := range page.Contents {
			key := aws.ToString(c.Key)
			if strings.HasSuffix(key, "/") { // a folder marker some consoles make
				continue
			}
			l := loc.Object(key)
			o := Object{URL: l.String(), Location: l, Key: key, ETag: aws.ToString(c.ETag), Size: aws.ToInt64(c.Size),
				Modified: aws.ToTime(c.LastModified)}
			describe(&o)
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: %w", loc, ErrEmpty)
	}
	sortByTime(objs)
	return objs, nil
}

// FetchStats counts what Fetch did.
type FetchStats struct {
	Objects    int   // objects asked for
	Cached     int   // found in the cache with the same ETag: not downloaded
	Downloaded int   // downloaded
	Bytes      int64 // bytes downloaded
}

// Fetch brings the objects to local disk, setting each one's Path: an
// object already in the cache with the same ETag is not downloaded; the
// others are, Jobs at a time, each written to a temporary file and renamed
// into place, so the cache never holds half an object. progress, when not
// nil, is called after each object (from several goroutines, one at a
// time). It stops at the first failure and returns it in one line.
func (s *Store) Fetch(ctx context.Context, objs []Object, progress func(done, total int)) (FetchStats, error) {
	st := FetchStats{Objects: len(objs)}
	var cached, downloaded atomic.Int64
	var bytes atomic.Int64
	var done atomic.Int64
	var progressMu sync.Mutex
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(objs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(s.opts.Jobs, len(objs)) {
		wg.Go(func() {
			for i := range jobs {
				hit, n, err := s.fetch(ctx, &objs[i])
				if err != nil {
					errs[i] = err
					cancel()
					continue
				}
				if hit {
					cached.Add(1)
				} else {
					downloaded.Add(1)
					bytes.Add(n)
				}
				if progress != nil {
					progressMu.Lock()
					progress(int(done.Add(1)), len(objs))
					progressMu.Unlock()
				}
			}
		})
	}
feed:
	for i := range objs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	st.Cached, st.Downloaded, st.Bytes = int(cached.Load()), int(downloaded.Load()), bytes.Load()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return st, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// CachePath returns where the cache keeps o: CACHE/ENDPOINT/BUCKET/KEY.
func (s *Store) CachePath(o Object) string {
	return filepath.Join(s.cache, snapshot.Clean(o.Location.Bucket, "bucket"), filepath.FromSlash(o.Key))
}

// etagFile returns the file that records the ETag of the cached copy at p.
func etagFile(p string) string { return filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".etag") }

// fetch brings one object to the cache, unless the cache has it with the
// same ETag; it reports a cache hit and the bytes downloaded.
func (s *Store) fetch(ctx context.Context, o *Object) (hit bool, n int64, err error) {
	dst := s.CachePath(*o)
	if !safeKey(o.Key) {
		return false, 0, fmt.Errorf("%s: a key with '..' or an empty element cannot be cached", o.URL)
	}
	o.Path = dst
	if o.ETag != "" {
		if tag, err := os.ReadFile(etagFile(dst)); err == nil && string(tag) == o.ETag {
			if st, err := os.Stat(dst); err == nil && st.Size() == o.Size {
				return true, 0, nil
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, 0, fmt.Errorf("cache %s: %w", o.URL, err)
	}
	out, err := s.client.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.Location.Bucket), Key: aws.String(o.Key)})
	if err != nil {
		return false, 0, s.client.Explain(o.Location, err)
	}
	defer out.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp*")
	if err != nil {
		return false, 0, fmt.Errorf("cache %s: %w", o.URL, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	n, err = io.Copy(tmp, out.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, n, s.client.Explain(o.Location, fmt.Errorf("download: %w", err))
	}
	// The ETag is recorded after the object is in place: a crash between
	// the two costs a download, never a stale copy.
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return false, n, fmt.Errorf("cache %s: %w", o.URL, err)
	}
	etag := aws.ToString(out.ETag)
	if etag == "" {
		etag = o.ETag
	}
	o.ETag, o.Size = etag, n
	if etag != "" {
		os.WriteFile(etagFile(dst), []byte(etag), 0o644)
	}
	return false, n, nil
}

// safeKey reports whether a key maps to a path inside its bucket's cache
// directory.
func safeKey(key string) bool {
	for _, e := range strings.Split(key, "/") {
		if e == "" || e == "." || e == ".." {
			return false
		}
	}
	return !strings.Contains(key, "\\") && !strings.ContainsRune(key, 0)
}

// ListLocal lists the regular files under dir, at any depth, as objects
// whose Key is their path relative to dir, in time order; a symbolic link
// to a regular file counts as one, unless the file it links to is listed
// already (an agent's "latest" link beside the snapshot), and dir may be a
// link to a directory. Hidden files and directories are left out.
func ListLocal(dir string) ([]Object, error) {
	var objs []Object
	root := dir
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		root = dir + string(filepath.Separator) // walked through the link
	}
	var regular, linked []fs.FileInfo // for links to files listed already
	var linkedAt []int
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != root {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		var info fs.FileInfo
		switch {
		case d.Type().IsRegular():
			info, err = d.Info()
		case d.Type()&fs.ModeSymlink != 0:
			info, err = os.Stat(p) // the file it links to
			if err == nil && !info.Mode().IsRegular() {
				return nil
			}
		default:
			return nil
		}
		if err != nil {
			return nil // removed since the walk saw it, or a dangling link
		}
		if d.Type()&fs.ModeSymlink != 0 {
			linked, linkedAt = append(linked, info), append(linkedAt, len(objs))
		} else {
			regular = append(regular, info)
		}
		rel, _ := filepath.Rel(dir, p)
		o := Object{URL: p, Key: filepath.ToSlash(rel), Size: info.Size(), Modified: info.ModTime(), Path: p}
		full := o.Key
		if abs, err := filepath.Abs(p); err == nil {
			full = filepath.ToSlash(abs)
		}
		describeAs(&o, full)
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	drop := map[int]bool{}
	for i, l := range linked {
		for _, f := range regular {
			if os.SameFile(l, f) {
				drop[linkedAt[i]] = true
				break
			}
		}
	}
	if len(drop) > 0 {
		kept := objs[:0]
		for i, o := range objs {
			if !drop[i] {
				kept = append(kept, o)
			}
		}
		objs = kept
	}
	sortByTime(objs)
	return objs, nil
}

// A Group is the objects of one process, in time order.
type Group struct {
	Process Process
	Objects []Object
}

// First and Last return the group's first and last times.
func (g Group) First() time.Time { return g.Objects[0].Time }

// Last returns the time of the group's last object.
func (g Group) Last() time.Time { return g.Objects[len(g.Objects)-1].Time }

// Bytes returns the size of the group's objects.
func (g Group) Bytes() int64 {
	var n int64
	for _, o := range g.Objects {
		n += o.Size
	}
	return n
}

// GroupByProcess splits objects into one group per process, ordered by
// service, host, pid (numerically) and folder; each group keeps the
// objects' time order.
func GroupByProcess(objs []Object) []Group {
	index := map[Process]int{}
	var groups []Group
	for _, o := range objs {
		i, ok := index[o.Process]
		if !ok {
			i = len(groups)
			index[o.Process] = i
			groups = append(groups, Group{Process: o.Process})
		}
		groups[i].Objects = append(groups[i].Objects, o)
	}
	slices.SortFunc(groups, func(a, b Group) int {
		pa, pb := a.Process, b.Process
		return cmp.Or(cmp.Compare(pa.Service, pb.Service), cmp.Compare(pa.Host, pb.Host),
			cmp.Compare(len(pa.PID), len(pb.PID)), cmp.Compare(pa.PID, pb.PID), cmp.Compare(pa.Folder, pb.Folder))
	})
	return groups
}
