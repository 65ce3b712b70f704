// Package auto starts the heapdiff capture agent from environment variables,
// exactly as github.com/heapdiff/heapdiff/agent/auto does, and uploads its
// snapshots to object storage when HEAPDIFF_UPLOAD is set. A service imports
// it instead of agent/auto:
//
//	import _ "github.com/heapdiff/heapdiff/agent/upload/auto"
//
// Besides agent/auto's variables (HEAPDIFF_DIR turns the agent on), it reads:
//
//	Variable                     Meaning                                  Default
//	HEAPDIFF_UPLOAD              where snapshots go: s3://bucket/prefix   (uploads off)
//	HEAPDIFF_SERVICE             the service's name in object keys        the executable's name
//	HEAPDIFF_UPLOAD_QUEUE        snapshots waiting before drops           32
//	HEAPDIFF_UPLOAD_TIMEOUT      bound of one upload attempt              2m
//	HEAPDIFF_UPLOAD_MAX_BACKOFF  longest wait between attempts            1m
//	HEAPDIFF_S3_PATH_STYLE       force path-style (true) or not (false)   by endpoint
//
// Snapshots go under PREFIX/SERVICE/HOST/PID/ (see
// [github.com/heapdiff/heapdiff/agent/upload.Key]). Credentials, region and
// endpoint come the standard AWS way: AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared files, pod and instance
// roles; AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) for a compatible store
// such as MinIO or R2, reached path-style.
//
// Uploads never hold the service up: they run on their own goroutine from
// a bounded queue, failed ones are retried with backoff, and a store that is
// down costs one log line (and one more when it is back). Snapshots stay on
// disk under the agent's retention either way. A malformed value is logged
// and uploads stay off; the service always starts.
//
// Call [Close] in the service's shutdown path to upload what is queued.
package auto

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/agent"
	agentauto "github.com/heapdiff/heapdiff/agent/auto"
	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
)

var running *upload.Uploader

func init() {
	agentauto.ClaimUpload()
	running = Start(os.LookupEnv, agentauto.Agent())
}

// Uploader returns the uploader started from the environment, or nil when
// uploads are off.
func Uploader() *upload.Uploader { return running }

// Close closes the agent (see agent/auto's Close), then waits until the
// queued snapshots are uploaded or ctx is done. Without an uploader it
// only closes the agent.
func Close(ctx context.Context) error {
	agentauto.Close()
	if running == nil {
		return nil
	}
	return running.Close(ctx)
}

// Config reads the upload variables through lookup. ok is false when
// HEAPDIFF_UPLOAD is unset or empty; problems lists malformed values, each
// naming its variable.
func Config(lookup func(string) (string, bool)) (cfg upload.Config, ok bool, problems []error) {
	dest, set := lookup("HEAPDIFF_UPLOAD")
	if !set || strings.TrimSpace(dest) == "" {
		return upload.Config{}, false, nil
	}
	cfg.URL = strings.TrimSpace(dest)
	if _, err := upload.ParseURL(cfg.URL); err != nil {
		problems = append(problems, fmt.Errorf("HEAPDIFF_UPLOAD: %w", err))
	}
	cfg.Service, _ = lookup("HEAPDIFF_SERVICE")
	if v, set := lookup("HEAPDIFF_UPLOAD_QUEUE"); set && v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			problems = append(problems, fmt.Errorf("HEAPDIFF_UPLOAD_QUEUE=%q: want a whole number, 1 or more", v))
		}
		cfg.Queue = n
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"HEAPDIFF_UPLOAD_TIMEOUT", &cfg.Timeout}, {"HEAPDIFF_UPLOAD_MAX_BACKOFF", &cfg.MaxBackoff}} {
		v, set := lookup(d.name)
		if !set || v == "" {
			continue
		}
		t, err := snapshot.ParseDuration(v)
		if err != nil || t <= 0 {
			problems = append(problems, fmt.Errorf("%s=%q: want a duration like 30s or 2m", d.name, v))
		}
		*d.dst = t
	}
	return cfg, true, problems
}

// Start starts uploading a's snapshots as the environment, read through
// lookup, says, and returns the uploader; nil when HEAPDIFF_UPLOAD is unset,
// a value is malformed, or a is nil (the agent is off). It logs every
// problem and never fails: the package's init calls it.
func Start(lookup func(string) (string, bool), a *agent.Agent) *upload.Uploader {
	cfg, ok, problems := Config(lookup)
	if !ok {
		return nil
	}
	log := agentauto.Logger(lookup)
	if len(problems) > 0 {
		for _, p := range problems {
			log.Error("heapdiff: uploads off: " + p.Error())
		}
		return nil
	}
	if a == nil {
		log.Warn("heapdiff: HEAPDIFF_UPLOAD ignored: the capture agent is off (set HEAPDIFF_DIR)")
		return nil
	}
	cfg.Logger = log
	u, err := upload.New(cfg)
	if err != nil {
		log.Error("heapdiff: uploads off", "err", err.Error())
		return nil
	}
	u.Attach(a)
	log.Info("heapdiff: uploading snapshots", "dest", u.Destination().String(), "service", u.Service())
	return u
}
