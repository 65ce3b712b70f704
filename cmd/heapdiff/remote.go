package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/internal/units"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/remote"
)

// remoteFlags choose how s3:// arguments are read.
type remoteFlags struct {
	Endpoint   string
	CacheDir   string
	Jobs       int
	SkipBroken bool
}

func (rf *remoteFlags) register(f *pflag.FlagSet) {
	f.StringVar(&rf.Endpoint, "s3-endpoint", "", "for s3:// arguments: the store's URL, such as http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the AWS profile's, else AWS S3)")
	f.StringVar(&rf.CacheDir, "cache-dir", "", "for s3:// arguments: where downloaded objects are kept, by ETag (default: heapdiff/s3 in the user's cache directory)")
	f.IntVar(&rf.Jobs, "jobs", remote.DefaultJobs, "for s3:// arguments: objects downloaded at once")
	f.BoolVar(&rf.SkipBroken, "skip-broken", false, "skip, with a warning, objects under an s3:// prefix that are not heap profiles (default: stop at the first)")
}

// open opens the store the flags point at.
func (rf *remoteFlags) open(ctx context.Context) (*remote.Store, error) {
	if rf.Jobs < 1 {
		return nil, usageError{fmt.Errorf("--jobs %d: want 1 or more", rf.Jobs)}
	}
	st, err := remote.Open(ctx, remote.Options{Client: upload.ClientConfig{Endpoint: rf.Endpoint}, CacheDir: rf.CacheDir, Jobs: rf.Jobs})
	if err != nil {
		if strings.HasPrefix(err.Error(), "endpoint ") {
			return nil, usageError{fmt.Errorf("--s3-endpoint: %w", err)}
		}
		return nil, err
	}
	return st, nil
}

// addRemoteSources lets compare, trend and check take s3://bucket/key and
// s3://bucket/prefix/ wherever they take files and directories: before the
// command checks its arguments, each s3:// one is listed and downloaded
// (to the cache) and replaced by the local copies, a prefix by its objects
// in time order; reports name each profile by its URL (see
// streams.displayName), and errors that name a cached copy name its URL
// instead.
func addRemoteSources(root *cobra.Command, s *streams) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "compare", "trend", "check":
			readRemote(c, s)
		}
	}
}

func readRemote(c *cobra.Command, s *streams) {
	rf := &remoteFlags{}
	rf.register(c.Flags())
	args, runE := c.Args, c.RunE
	c.Args = func(cmd *cobra.Command, a []string) error {
		if hasRemote(a) {
			return nil // checked once the URLs are resolved (in RunE)
		}
		if args == nil {
			return nil
		}
		return args(cmd, a)
	}
	c.RunE = func(cmd *cobra.Command, a []string) error {
		if !hasRemote(a) {
			return runE(cmd, a)
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		maxSize, _ := cmd.Flags().GetString("max-size")
		local, names, err := resolveRemote(ctx, s, rf, a, maxSize)
		if err != nil {
			return err
		}
		s.sourceNames = names.urls
		defer func() { s.sourceNames = nil }()
		if args != nil {
			if err := args(cmd, local); err != nil {
				return names.rename(err)
			}
		}
		return names.rename(runE(cmd, local))
	}
}

func hasRemote(args []string) bool {
	for _, a := range args {
		if upload.IsURL(a) {
			return true
		}
	}
	return false
}

// cacheNames maps cached copies back to the URLs they came from: urls for
// the profiles' names in reports, r for error messages.
type cacheNames struct {
	r    *strings.Replacer
	urls map[string]string
}

// rename rewrites an error that names cached copies to name their URLs.
func (n cacheNames) rename(err error) error {
	if err == nil || n.r == nil {
		return err
	}
	msg := err.Error()
	if renamed := n.r.Replace(msg); renamed != msg {
		return renamedError{msg: renamed, err: err}
	}
	return err
}

// renamedError is an error whose message names URLs for cached copies; it
// unwraps to the original, so exit statuses and errors.Is still work.
type renamedError struct {
	msg string
	err error
}

func (e renamedError) Error() string { return e.msg }
func (e renamedError) Unwrap() error { return e.err }

// resolveRemote replaces each s3:// argument by the local copies of what it
// names, fetched into the cache: an object by one file, a prefix by its
// objects in time order (leaving out hidden objects and reports, as a
// directory does). With --skip-broken, objects under a prefix that do not
// load as heap profiles are left out, each with a warning.
func resolveRemote(ctx context.Context, s *streams, rf *remoteFlags, args []string, maxSize string) ([]string, cacheNames, error) {
	st, err := rf.open(ctx)
	if err != nil {
		return nil, cacheNames{}, err
	}
	var local []string
	var pairs []string
	urls := map[string]string{}
	for _, a := range args {
		if !upload.IsURL(a) {
			local = append(local, a)
			continue
		}
		loc, err := upload.ParseURL(a)
		if err != nil {
			return nil, cacheNames{}, usageError{err}
		}
		objs, err := st.List(ctx, loc)
		if err != nil {
			return nil, cacheNames{}, err
		}
		fromPrefix := len(objs) != 1 || objs[0].Key != loc.Key
		if fromPrefix {
			objs = profileObjects(objs)
			if len(objs) == 0 {
				return nil, cacheNames{}, fmt.Errorf("%s holds no profiles", loc)
			}
		}
		fs, err := st.Fetch(ctx, objs, fetchProgress(s, loc.String()))
		if err != nil {
			return nil, cacheNames{}, err
		}
		if s.ErrIsTerminal {
			fmt.Fprintf(s.ErrOut, "%s: %d object(s), %d downloaded (%s), %d from the cache\n", loc, fs.Objects, fs.Downloaded, units.Bytes(fs.Bytes), fs.Cached)
		}
		for _, o := range objs {
			pairs = append(pairs, o.Path, o.URL)
			urls[profile.Printable(o.Path)] = profile.Printable(o.URL) // as the loader names profiles
			if fromPrefix && rf.SkipBroken {
				if err := checkProfile(o.Path, maxSize); err != nil {
					fmt.Fprintf(s.ErrOut, "heapdiff: skipped %s: %s\n", profile.Printable(o.URL), oneLine(strings.ReplaceAll(err.Error(), o.Path, o.URL)))
					continue
				}
			}
			local = append(local, o.Path)
		}
	}
	return local, cacheNames{r: strings.NewReplacer(pairs...), urls: urls}, nil
}

// profileObjects leaves out what a directory argument leaves out: hidden
// files and reports or notes (see notProfileExts).
func profileObjects(objs []remote.Object) []remote.Object {
	var out []remote.Object
	for _, o := range objs {
		base := path.Base(o.Key)
		if strings.HasPrefix(base, ".") || notProfileName(base) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// checkProfile loads a profile to see that it is one.
func checkProfile(p, maxSize string) error {
	opts := profile.Options{}
	if maxSize != "" {
		o, err := loadOptions(&streams{}, maxSize)
		if err != nil {
			return err
		}
		opts = o
	}
	_, err := profile.Load(p, opts)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // Load's "load PATH:" is said by the caller
		}
	}
	return err
}

// fetchProgress draws downloads on a terminal.
func fetchProgress(s *streams, what string) func(done, total int) {
	if !s.ErrIsTerminal {
		return nil
	}
	return func(done, total int) {
		fmt.Fprintf(s.ErrOut, "\rfetching %s %d/%d\x1b[K", profile.Printable(what), done, total)
		if done == total {
			fmt.Fprint(s.ErrOut, "\r\x1b[K")
		}
	}
}

// listOnly lists an s3:// prefix (nothing downloaded) or a local directory
// tree.
func listOnly(ctx context.Context, rf *remoteFlags, source string) ([]remote.Object, error) {
	if !upload.IsURL(source) {
		st, err := os.Stat(source)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", profile.Printable(source), pathless(err))
		}
		if !st.IsDir() {
			return nil, usageError{fmt.Errorf("%s is a file; ls lists a directory tree or an s3:// prefix", profile.Printable(source))}
		}
		return remote.ListLocal(source)
	}
	loc, err := upload.ParseURL(source)
	if err != nil {
		return nil, usageError{err}
	}
	st, err := rf.open(ctx)
	if err != nil {
		return nil, err
	}
	return st.List(ctx, loc.Dir())
}
