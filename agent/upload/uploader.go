package upload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// Defaults of [Config].
const (
	// DefaultQueue is how many snapshots wait for upload before new ones
	// are dropped (and counted); they stay on disk.
	DefaultQueue = 32
	// DefaultTimeout bounds one attempt to upload one snapshot.
	DefaultTimeout = 2 * time.Minute
	// DefaultMinBackoff and DefaultMaxBackoff bound the wait before each
	// retry of a failed upload: it doubles from the first to the second.
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
	// MaxMetadata bounds the bytes of object metadata an upload carries
	// (S3 allows 2 KiB of user metadata per object).
	MaxMetadata = 1800
)

// Config says where and how an [Uploader] uploads.
type Config struct {
	// URL is the destination, s3://bucket/prefix; snapshots go under
	// PREFIX/SERVICE/HOST/PID/ (see [Key]).
	URL string
	// Service names the program in keys; empty means the executable's
	// base name.
	Service string
	// Client chooses the endpoint and addressing (see [Connect]).
	Client ClientConfig
	// Queue is how many snapshots may wait (default [DefaultQueue]).
	Queue int
	// Timeout bounds one attempt (default [DefaultTimeout]).
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the waits between attempts (defaults
	// [DefaultMinBackoff], [DefaultMaxBackoff]).
	MinBackoff, MaxBackoff time.Duration
	// Logger gets one line when uploads start failing, one when they
	// resume, and one when the queue first drops a snapshot. nil logs
	// nothing.
	Logger *slog.Logger
}

// Stats counts what an [Uploader] did.
type Stats struct {
	Uploaded uint64 `json:"uploaded"` // snapshots now in the store
	Bytes    uint64 `json:"bytes"`    // their total size
	// Failures counts failed attempts; each is retried with backoff.
	Failures uint64 `json:"failures"`
	// Dropped counts snapshots the full queue turned away. They stay on
	// disk: once uploads succeed again, those that retention kept are
	// found and uploaded.
	Dropped uint64 `json:"dropped"`
	// Gone counts snapshots removed from disk (by retention) before they
	// could be uploaded.
	Gone      uint64 `json:"gone"`
	Pending   int    `json:"pending"` // waiting in the queue
	Failing   bool   `json:"failing"` // the last attempt failed
	LastError string `json:"last_error,omitempty"`
}

// An Uploader uploads snapshots to object storage from a bounded queue on
// its own goroutine, so the service never waits for the store: [Uploader.Add]
// returns at once, a full queue drops (and counts) what it cannot hold, and
// a failed upload is retried with exponential backoff until it succeeds, its
// file is removed by retention, or [Uploader.Close] gives up. When uploads
// succeed again after failures, the snapshots of this process still on disk
// that were dropped are found and uploaded, oldest first.
//
// Each object is the snapshot file as written, under the key [Key] gives,
// with Content-Type application/gzip and the snapshot's metadata (trigger,
// time, host, pid, seq, memory figures, main module, ...) as object
// metadata, x-amz-meta-KEY with '_' and '.' in keys turned into '-'.
type Uploader struct {
	cfg    Config
	dest   Location
	client *Client
	log    *slog.Logger

	queue   chan agent.Snapshot
	closing chan struct{}
	done    chan struct{}
	cancel  context.CancelFunc
	ctx     context.Context
	once    sync.Once

	mu       sync.Mutex // guards the fields below
	dir      string     // where this process's snapshots are, for catching up
	host     string     // this process's host, as snapshot names carry it
	pid      int
	uploaded map[string]bool // base names uploaded (or found gone)
	queued   map[string]bool // base names in the queue or in flight
	catchUp  bool            // look for snapshots on disk that were not uploaded
	failing  bool
	lastErr  string
	dropLog  bool // a drop was logged during this outage

	uploadedN, bytes, failures, dropped, gone atomic.Uint64
}

// New makes an uploader and starts its goroutine. It reads the AWS
// configuration but sends nothing: a wrong bucket or key shows, logged, at
// the first upload.
func New(cfg Config) (*Uploader, error) {
	dest, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Service == "" {
		cfg.Service = filepath.Base(os.Args[0])
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = min(DefaultMinBackoff, cfg.MaxBackoff)
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cc := cfg.Client
	cc.MaxAttempts = 1 // one attempt per try: the uploader retries on its own schedule
	ctx, cancel := context.WithCancel(context.Background())
	client, err := Connect(ctx, cc)
	if err != nil {
		cancel()
		return nil, err
	}
	u := &Uploader{cfg: cfg, dest: dest.Dir(), client: client, log: log, queue: make(chan agent.Snapshot, cfg.Queue),
		closing: make(chan struct{}), done: make(chan struct{}), ctx: ctx, cancel: cancel,
		uploaded: map[string]bool{}, queued: map[string]bool{}, pid: os.Getpid(), host: defaultHost()}
	if dest.Key == "" {
		u.dest = dest
	}
	go u.run()
	return u, nil
}

// defaultHost is the host name as the agent names its snapshots: the first
// label of os.Hostname, cleaned.
func defaultHost() string {
	h, _ := os.Hostname()
	return snapshot.Clean(strings.SplitN(h, ".", 2)[0], "host")
}

// Destination returns where the uploader puts snapshots: the bucket and the
// prefix under which SERVICE/HOST/PID/ go.
func (u *Uploader) Destination() Location { return u.dest }

// Service returns the service name keys carry.
func (u *Uploader) Service() string { return snapshot.Clean(u.cfg.Service, "service") }

// Attach uploads every snapshot a writes from now on, and those of this
// process already in a's directory (written before Attach).
func (u *Uploader) Attach(a *agent.Agent) {
	u.mu.Lock()
	u.dir = a.Dir()
	u.catchUp = true
	u.mu.Unlock()
	a.OnSnapshot(u.Add)
	u.findBacklog()
}

// Add queues a snapshot for upload and returns at once. When the queue is
// full the snapshot is dropped and counted; the first drop of an outage is
// logged. It is safe to call from any goroutine, and does nothing after
// Close.
func (u *Uploader) Add(s agent.Snapshot) {
	select {
	case <-u.closing:
		return
	default:
	}
	base := filepath.Base(s.Path)
	u.mu.Lock()
	if u.queued[base] || u.uploaded[base] {
		u.mu.Unlock()
		return
	}
	if s.Name.Host != "" && s.Name.PID == u.pid {
		u.host = s.Name.Host
	}
	u.queued[base] = true
	u.mu.Unlock()
	select {
	case u.queue <- s:
	default:
		u.mu.Lock()
		delete(u.queued, base)
		u.catchUp = u.dir != ""
		logIt := !u.dropLog
		u.dropLog = true
		u.mu.Unlock()
		u.dropped.Add(1)
		if logIt {
			u.log.Warn("heapdiff: upload queue full: snapshots are dropped from it and counted; they stay on disk, and those retention keeps are uploaded once the store answers (repeats are not logged)",
				"queue", u.cfg.Queue, "dest", u.dest.String())
		}
	}
}

// Stats returns what the uploader did so far.
func (u *Uploader) Stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	return Stats{Uploaded: u.uploadedN.Load(), Bytes: u.bytes.Load(), Failures: u.failures.Load(), Dropped: u.dropped.Load(),
		Gone: u.gone.Load(), Pending: len(u.queue), Failing: u.failing, LastError: u.lastErr}
}

// Close stops taking snapshots and uploads those queued, waiting until they
// are in the store or ctx is done; then it gives up on the rest, which stay
// on disk, and returns ctx's error. It is safe to call more than once.
func (u *Uploader) Close(ctx context.Context) error {
	u.once.Do(func() { close(u.closing) })
	select {
	case <-u.done:
		return nil
	case <-ctx.Done():
		u.mu.Lock()
		left := len(u.queued) // queued and in flight
		u.mu.Unlock()
		u.cancel()
		<-u.done
		return fmt.Errorf("upload to %s: gave up with %d snapshot(s) not uploaded (they stay on disk): %w", u.dest, left, ctx.Err())
	}
}

// run uploads queued snapshots until Close, then what is still queued.
func (u *Uploader) run() {
	defer close(u.done)
	defer u.cancel()
	for {
		var s agent.Snapshot
		select {
		case s = <-u.queue:
		case <-u.ctx.Done():
			return
		case <-u.closing:
			for {
				select {
				case s = <-u.queue:
					if !u.upload(s) {
						return
					}
				default:
					return
				}
			}
		}
		if !u.upload(s) {
			return // given up by Close
		}
		if len(u.queue) == 0 {
			u.findBacklog()
		}
	}
}

// upload puts one snapshot, retrying with backoff; it reports false when
// Close gave up.
func (u *Uploader) upload(s agent.Snapshot) bool {
	base := filepath.Base(s.Path)
	defer func() {
		u.mu.Lock()
		delete(u.queued, base)
		u.mu.Unlock()
	}()
	wait := u.cfg.MinBackoff
	for {
		err := u.put(s)
		switch {
		case err == nil:
			u.succeeded(base, s.Bytes)
			return true
		case errors.Is(err, fs.ErrNotExist):
			u.gone.Add(1)
			u.mu.Lock()
			u.uploaded[base] = true // nothing left to upload
			u.mu.Unlock()
			return true
		}
		if u.ctx.Err() != nil {
			return false
		}
		u.failed(err)
		select {
		case <-time.After(wait):
		case <-u.ctx.Done():
			return false
		}
		wait = min(2*wait, u.cfg.MaxBackoff)
	}
}

// put makes one attempt to upload s.
func (u *Uploader) put(s agent.Snapshot) error {
	ctx, cancel := context.WithTimeout(u.ctx, u.cfg.Timeout)
	defer cancel()
	return Put(ctx, u.client, u.dest, u.Service(), s)
}

// Put uploads one snapshot file under dest, at the key [Key] gives, with
// its metadata as object metadata (see [Metadata]), in one attempt. An
// error is one line (see [Client.Explain]); a file gone from disk gives an
// error wrapping fs.ErrNotExist.
func Put(ctx context.Context, c *Client, dest Location, service string, s agent.Snapshot) error {
	f, err := os.Open(s.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	key := Key(dest.Key, service, s.Name)
	_, err = c.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(dest.Bucket),
		Key:           aws.String(key),
		Body:          f,
		ContentLength: aws.Int64(st.Size()),
		ContentType:   aws.String("application/gzip"),
		Metadata:      Metadata(service, s),
	})
	if err != nil {
		return c.Explain(dest.Object(key), err)
	}
	return nil
}

func (u *Uploader) succeeded(base string, size int64) {
	u.uploadedN.Add(1)
	u.bytes.Add(uint64(max(size, 0)))
	u.mu.Lock()
	u.uploaded[base] = true
	wasFailing := u.failing
	u.failing, u.dropLog = false, false
	u.mu.Unlock()
	if wasFailing {
		u.log.Info("heapdiff: uploads resumed", "dest", u.dest.String(), "failures", u.failures.Load(), "dropped", u.dropped.Load())
	}
}

func (u *Uploader) failed(err error) {
	u.failures.Add(1)
	u.mu.Lock()
	first := !u.failing
	u.failing = true
	u.lastErr = err.Error()
	u.catchUp = u.catchUp || u.dir != ""
	u.mu.Unlock()
	if first {
		u.log.Warn("heapdiff: upload failed; retrying with backoff, the service goes on and snapshots stay on disk (repeats are not logged)",
			"err", err.Error())
	}
}

// findBacklog queues this process's snapshots on disk that were neither
// uploaded nor queued, oldest first, as far as the queue has room: those
// written before Attach, and those dropped while the store was down. It
// looks only when there may be some (after Attach, a drop or a failure)
// and while uploads succeed.
func (u *Uploader) findBacklog() {
	u.mu.Lock()
	if !u.catchUp || u.failing || u.dir == "" {
		u.mu.Unlock()
		return
	}
	u.catchUp = false
	dir, host, pid := u.dir, u.host, u.pid
	u.mu.Unlock()
	files, err := snapshot.List(dir)
	if err != nil {
		return
	}
	present := map[string]bool{}
	for _, f := range files {
		present[f.File] = true
		if f.Host != host || f.PID != pid {
			continue
		}
		u.mu.Lock()
		skip := u.uploaded[f.File] || u.queued[f.File]
		u.mu.Unlock()
		if skip {
			continue
		}
		if len(u.queue) == cap(u.queue) {
			u.mu.Lock()
			u.catchUp = true // the rest next time the queue empties
			u.mu.Unlock()
			break
		}
		c := snapshot.Comment
		u.Add(agent.Snapshot{Path: filepath.Join(dir, f.File), Name: f.Name, Bytes: f.Size, Comments: []string{
			c("trigger", f.Trigger), c("time", f.Time.UTC().Format(time.RFC3339)), c("host", f.Host),
			c("pid", strconv.Itoa(f.PID)), c("seq", strconv.Itoa(f.Seq))}})
	}
	// Forget what retention removed, so the record stays as small as the
	// directory.
	u.mu.Lock()
	for name := range u.uploaded {
		if !present[name] {
			delete(u.uploaded, name)
		}
	}
	u.mu.Unlock()
}

// Metadata returns the object metadata of a snapshot: its comments'
// key=value pairs (heapdiff's own and other producers'), plus "service",
// with '_' and '.' in keys turned into '-' and values made header-safe
// (percent-encoded when they hold anything but printable ASCII), up to
// [MaxMetadata] bytes in all; pairs past that are left out (they stay in
// the profile's comments).
func Metadata(service string, s agent.Snapshot) map[string]string {
	m := map[string]string{"service": service}
	size := len("service") + len(service)
	for _, f := range snapshot.ParseComments(s.Comments) {
		if f.Key == "" {
			continue
		}
		k := metadataKey(f.Key)
		if k == "" {
			continue
		}
		if _, dup := m[k]; dup {
			continue
		}
		v := escapeValue(f.Value)
		if size+len(k)+len(v) > MaxMetadata {
			continue
		}
		m[k] = v
		size += len(k) + len(v)
	}
	return m
}

// metadataKey makes a comment key a metadata key: lower case letters,
// digits and '-'; "" when nothing is left.
func metadataKey(k string) string {
	b := []byte(strings.ToLower(k))
	out := b[:0]
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			out = append(out, c)
		case c == '_' || c == '.':
			out = append(out, '-')
		}
	}
	return strings.Trim(string(out), "-")
}
