package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/spf13/cobra"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/internal/units"
	"github.com/heapdiff/heapdiff/profile"
)

// captureOptions holds everything "heapdiff capture" was asked to do.
type captureOptions struct {
	IO *streams

	URL      string
	Every    time.Duration
	Count    int
	Dir      string
	Keep     int
	MaxBytes string
	MaxAge   time.Duration
	Timeout  time.Duration
	NoGC     bool
	Token    string
	MaxSize  string

	captureUploadFlags                    // capture_upload.go: --upload s3://...
	Node               nodeCaptureOptions // node://HOST:PORT (capture_node.go)
}

func newCaptureCmd(s *streams) *cobra.Command { return captureCmd(s, nil) }

// captureCmd builds the command; runF, when set, replaces runCapture so tests
// can check flag parsing alone.
func captureCmd(s *streams, runF func(context.Context, *captureOptions) error) *cobra.Command {
	opts := &captureOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "capture URL",
		Short: "Fetch heap snapshots from a running service's net/http/pprof endpoint",
		Long: `Capture fetches heap profiles from any Go service that serves net/http/pprof,
with no change to its code, and keeps them the way heapdiff's agent does:
named by time, host, sequence and trigger ("pull"), written atomically, with
metadata in the profile's comments, and pruned by --keep, --max-bytes and
--max-age among its own pulls from that host (never the first snapshot of the
run, its baseline, nor the latest; never another process's file).

URL is the heap endpoint, such as http://host:6060/debug/pprof/heap; a URL
with no path gets /debug/pprof/heap, and one with no scheme (host:6060) http://. "gc=1" is added so each profile is taken
right after a garbage collection. Each snapshot's path is printed on standard
output; progress is drawn on standard error when it is a terminal. Ctrl-C
stops cleanly between or during fetches.

What the endpoint serves is checked before it is kept: it must be a gzipped
heap profile (not a goroutine or CPU profile, not debug=1 text) that
inflates to no more than --max-size, which is checked as it downloads, so a
gzip bomb is refused after reading only what it takes to pass the limit.
The token is sent only to the URL's own origin (scheme, host and port): a
redirect anywhere else is followed without it.`,
		Example: `  heapdiff capture http://127.0.0.1:6060/debug/pprof/heap --dir snaps/
  heapdiff capture http://host:6060/debug/pprof/heap --every 1m --count 10 --dir snaps/
  heapdiff compare snaps/heap-*-0001-pull.pb.gz snaps/heap-*-0010-pull.pb.gz`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("capture needs one URL; got %d argument(s)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.URL = args[0]
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if runF != nil {
				return runF(ctx, opts)
			}
			return runCapture(ctx, opts)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&opts.Every, "every", 0, "fetch a snapshot this often (0: once)")
	f.IntVar(&opts.Count, "count", 0, "stop after this many snapshots (0: 1 without --every, until Ctrl-C with it)")
	f.StringVar(&opts.Dir, "dir", ".", "directory to write snapshots to (created if missing)")
	f.IntVar(&opts.Keep, "keep", agent.DefaultKeep, "keep at most this many snapshots in --dir (0: no limit)")
	f.StringVar(&opts.MaxBytes, "max-bytes", "512MiB", "keep at most this many bytes of snapshots (0: no limit)")
	opts.MaxAge = agent.DefaultMaxAge
	f.Var((*durationFlag)(&opts.MaxAge), "max-age", "remove snapshots older than this, e.g. 12h or 7d (0: no limit)")
	f.DurationVar(&opts.Timeout, "timeout", time.Minute, "give up on one fetch after this long")
	f.BoolVar(&opts.NoGC, "no-gc", false, "do not ask for a garbage collection before each profile (gc=1)")
	f.StringVar(&opts.Token, "token", "", "send \"Authorization: Bearer TOKEN\" (default: $HEAPDIFF_TOKEN); never on a redirect to another origin")
	f.StringVar(&opts.MaxSize, "max-size", "1GiB", "refuse profiles that decompress to more than this")
	opts.captureUploadFlags.register(f)
	addNodeCaptureFlags(cmd, &opts.Node)
	return cmd
}

// puller fetches snapshots from one endpoint.
type puller struct {
	opts   *captureOptions
	url    string // with gc=1
	source string // the URL without credentials or query, for metadata
	client *http.Client
	load   profile.Options // with the --max-size limit
	store  *snapshot.Store
	upload *snapshotUploader // nil without --upload
}

// runCapture fetches snapshots until the count is reached or ctx is done. A
// failed fetch is reported and the next one tried; the command fails if any
// did.
func runCapture(ctx context.Context, opts *captureOptions) error {
	if handled, err := captureNode(ctx, opts); handled {
		return err
	}
	p, err := newPuller(opts)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return fmt.Errorf("snapshot directory %s: %w", profile.Printable(opts.Dir), pathless(err))
	}
	count := opts.Count
	if count == 0 && opts.Every == 0 {
		count = 1
	}
	s := opts.IO
	var done, failed int
	var lastErr error
	for {
		file, size, err := p.pull(ctx)
		switch {
		case err == nil:
			// Counted first: a snapshot written just before Ctrl-C is
			// still reported.
			done++
			p.progress("")
			fmt.Fprintln(s.Out, file)
		case ctx.Err() != nil:
			p.progress("")
			fmt.Fprintf(s.ErrOut, "stopped: %d snapshot(s) in %s\n", done, profile.Printable(opts.Dir))
			return nil
		default:
			failed++
			lastErr = err
			p.progress("")
			if count == 1 {
				return err
			}
			fmt.Fprintf(s.ErrOut, "heapdiff: %s\n", oneLine(err.Error()))
		}
		if count > 0 && done+failed >= count {
			break
		}
		next := time.Now().Add(opts.Every)
		if !p.wait(ctx, next, done, count, size) {
			p.progress("")
			fmt.Fprintf(s.ErrOut, "stopped: %d snapshot(s) in %s\n", done, profile.Printable(opts.Dir))
			return nil
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d captures failed; last: %w", failed, done+failed, lastErr)
	}
	return nil
}

func newPuller(opts *captureOptions) (*puller, error) {
	u, err := url.Parse(assumeHTTP(opts.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Errorf("capture: %q is not an http or https URL", redactURL(opts.URL))}
	}
	if opts.Every < 0 || opts.Count < 0 || opts.Keep < 0 || opts.MaxAge < 0 || opts.Timeout <= 0 {
		return nil, usageError{errors.New("capture: --every, --count, --keep and --max-age must not be negative, --timeout must be positive")}
	}
	maxBytes, err := snapshot.ParseBytes(opts.MaxBytes)
	if err != nil {
		return nil, usageError{fmt.Errorf("--max-bytes: %w", err)}
	}
	if opts.MaxSize == "" {
		opts.MaxSize = "1GiB"
	}
	load, err := loadOptions(opts.IO, opts.MaxSize)
	if err != nil {
		return nil, err
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/debug/pprof/heap"
	}
	source := *u
	source.User, source.RawQuery, source.Fragment = nil, "", ""
	if !opts.NoGC {
		q := u.Query()
		q.Set("gc", "1")
		u.RawQuery = q.Encode()
	}
	if opts.Token == "" {
		opts.Token = os.Getenv("HEAPDIFF_TOKEN")
	}
	up, err := newSnapshotUploader(&opts.captureUploadFlags, u.Hostname())
	if err != nil {
		return nil, err
	}
	return &puller{
		upload: up,
		opts:   opts,
		url:    u.String(),
		source: source.String(),
		client: &http.Client{Timeout: opts.Timeout, CheckRedirect: sameOriginCredentials},
		load:   load,
		// Pulled (pid 0) from this target: the store prunes only these,
		// never another process's snapshots in the same directory, and
		// keeps the run's first as its baseline.
		store: snapshot.NewStore(snapshot.StoreConfig{Dir: opts.Dir, Host: snapshot.Clean(u.Host, "host"),
			Retention: snapshot.Retention{Keep: opts.Keep, MaxBytes: int64(min(maxBytes, 1<<62)), MaxAge: opts.MaxAge}}),
	}, nil
}

// maxRedirects is how many redirects a fetch follows, as net/http's default.
const maxRedirects = 10

// sameOriginCredentials is the client's redirect policy: it follows up to
// maxRedirects redirects, and drops the Authorization header (the bearer
// token) and the Referer (which repeats the query) from the first request
// that leaves the origin of the URL asked for (its scheme, host and port),
// and from every later one. net/http alone would send the token to another
// port of the same host, or from https to http.
func sameOriginCredentials(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	for _, r := range append(via[1:], req) {
		if !sameOrigin(r.URL, via[0].URL) {
			req.Header.Del("Authorization")
			req.Header.Del("Referer")
			break
		}
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port,
// a missing port being the scheme's own.
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// redactURL drops credentials and the query from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// assumeHTTP gives a URL without a scheme (host:6060, as pprof takes it)
// the scheme http://; any other URL is returned as it is.
func assumeHTTP(raw string) string {
	if strings.Contains(raw, "://") {
		return raw
	}
	return "http://" + raw
}

// pull fetches one profile and writes it as a snapshot.
func (p *puller) pull(ctx context.Context) (path string, size int64, err error) {
	p.progress(fmt.Sprintf("fetching %s ...", p.source))
	now := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return "", 0, fmt.Errorf("fetch %s: %w", p.source, err)
	}
	if p.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.opts.Token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, query and all
		}
		return "", 0, fmt.Errorf("fetch %s: %w", p.source, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("fetch %s: %s", p.source, resp.Status)
	}
	body, err := readGzipped(resp.Body, p.load.MaxSize)
	if err != nil {
		return "", 0, fmt.Errorf("fetch %s: %w", p.source, err)
	}
	// Only a heap profile is kept: loaded as compare will load it, it
	// must be one, with sample types that count bytes.
	parsed, err := profile.Parse(p.source, body, p.load)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // Parse's "load URL:" would name the URL twice
		}
		if errors.Is(err, profile.ErrNotMemory) {
			err = fmt.Errorf("%w; capture keeps heap profiles only, such as /debug/pprof/heap or /debug/pprof/allocs", err)
		}
		return "", 0, fmt.Errorf("fetch %s: %w", p.source, explainLoadError(err))
	}
	if parsed.Format != profile.FormatPprof {
		// Snapshots are pprof files with heapdiff's comments added: a
		// heap snapshot or a text profile has no place for them.
		return "", 0, fmt.Errorf("fetch %s: a %s, not a pprof protobuf profile: capture pulls those over HTTP (a Node.js process: capture node://HOST:PORT through its inspector)", p.source, parsed.Format)
	}
	meta := []string{snapshot.Comment("source", p.source), snapshot.Comment("gc", strconv.FormatBool(!p.opts.NoGC))}
	w, err := p.store.Write(bytes.NewReader(body), snapshot.Entry{Time: now, Trigger: "pull", Meta: meta})
	if err != nil {
		return "", 0, err
	}
	if err := p.upload.put(ctx, w, meta); err != nil {
		return "", 0, err
	}
	if w.PruneErr != nil {
		fmt.Fprintf(p.opts.IO.ErrOut, "heapdiff: %s\n", oneLine(w.PruneErr.Error()))
	}
	return w.Path, w.Size, nil
}

// readGzipped reads a gzipped profile, inflating it as it arrives to check
// its size: once it inflates to more than limit bytes it is refused, without
// reading the rest or keeping what it inflated to. Only the compressed bytes
// are kept, and no more than a deflate stream of limit bytes can take.
func readGzipped(r io.Reader, limit int64) ([]byte, error) {
	// Deflate's stored blocks add 5 bytes per 64 KiB; gzip members 18
	// bytes each. Anything longer inflates to more than it weighs.
	compressedLimit := limit + limit/1024 + 64<<10
	var body bytes.Buffer
	br := bufio.NewReader(io.TeeReader(io.LimitReader(r, compressedLimit+1), &body))
	if magic, err := br.Peek(2); err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return nil, errors.New("the answer is not a gzipped pprof profile; is it a heap profile endpoint, without debug=1?")
	}
	zr, err := gzip.NewReader(br)
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, io.LimitReader(zr, limit+1))
		if n > limit {
			return nil, fmt.Errorf("%w of %d bytes (raise the limit with --max-size)", profile.ErrTooLarge, limit)
		}
	}
	if int64(body.Len()) > compressedLimit {
		return nil, fmt.Errorf("the answer is over %d bytes, more than a profile of --max-size %d bytes can take", compressedLimit, limit)
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: the answer ended early", profile.ErrTruncated)
		}
		return nil, fmt.Errorf("%w: %v", profile.ErrCorrupt, err)
	}
	return body.Bytes(), nil
}

// wait sleeps until next, drawing a countdown on a terminal. It reports false
// if ctx ended first.
func (p *puller) wait(ctx context.Context, next time.Time, done, count int, size int64) bool {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	of := ""
	if count > 0 {
		of = fmt.Sprintf("/%d", count)
	}
	for {
		p.progress(fmt.Sprintf("%d%s snapshots, last %s; next in %s (Ctrl-C stops)",
			done, of, units.Bytes(size), time.Until(next).Round(time.Second)))
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-tick.C:
		}
	}
}

// progress redraws one status line on a terminal; "" clears it. Off a terminal
// it prints nothing, so logs and pipes stay clean.
func (p *puller) progress(msg string) {
	if !p.opts.IO.ErrIsTerminal {
		return
	}
	fmt.Fprintf(p.opts.IO.ErrOut, "\r\033[K%s", msg)
}
