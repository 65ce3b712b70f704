package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
)

// captureUploadFlags send what "heapdiff capture" writes to object storage,
// as the agent's uploader does.
type captureUploadFlags struct {
	Upload     string
	Service    string
	S3Endpoint string
}

func (cf *captureUploadFlags) register(f *pflag.FlagSet) {
	f.StringVar(&cf.Upload, "upload", "", "also upload each snapshot to s3://bucket/prefix, under PREFIX/SERVICE/HOST/PID/ (PID 0 for a pulled Go profile; node://: the process's pid, the file keeping its name); credentials and endpoint the standard AWS way")
	f.StringVar(&cf.Service, "service", "", `with --upload: the service's name in keys (default: the target's host name; node://: "node")`)
	f.StringVar(&cf.S3Endpoint, "s3-endpoint", "", "with --upload: the store's URL, such as http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the AWS profile's, else AWS S3)")
}

// snapshotUploader puts each snapshot capture writes, right after the
// write: a command waits for its work, unlike a service.
type snapshotUploader struct {
	client  *upload.Client
	dest    upload.Location
	service string
}

// newSnapshotUploader returns nil when --upload is not given; service is
// the service's name when --service does not give one.
func newSnapshotUploader(cf *captureUploadFlags, service string) (*snapshotUploader, error) {
	if cf.Upload == "" {
		return nil, nil
	}
	dest, err := upload.ParseURL(cf.Upload)
	if err != nil {
		return nil, usageError{fmt.Errorf("--upload: %w", err)}
	}
	client, err := upload.Connect(context.Background(), upload.ClientConfig{Endpoint: cf.S3Endpoint})
	if err != nil {
		return nil, usageError{fmt.Errorf("--upload: %w", err)}
	}
	if cf.Service != "" {
		service = cf.Service
	}
	return &snapshotUploader{client: client, dest: dest.Dir(), service: snapshot.Clean(service, "service")}, nil
}

// put uploads a snapshot just written, with its metadata (the store's
// comments, then meta); the error says the file stays on disk.
func (u *snapshotUploader) put(ctx context.Context, w snapshot.Written, meta []string) error {
	if u == nil {
		return nil
	}
	c := snapshot.Comment
	comments := append([]string{c("trigger", w.Trigger), c("time", w.Time.UTC().Format(time.RFC3339)), c("host", w.Host),
		c("seq", strconv.Itoa(w.Seq))}, meta...)
	err := upload.Put(ctx, u.client, u.dest, u.service, agent.Snapshot{Path: w.Path, Name: w.Name, Bytes: w.Size, Comments: comments})
	if err != nil {
		return fmt.Errorf("upload: %w (the snapshot stays in %s)", err, w.Path)
	}
	return nil
}

// putNode is the Node.js monitor's Written hook: it uploads a snapshot
// just written, under its own name, at PREFIX/SERVICE/HOST/PID/, HOST being
// the process's host as the snapshot's comments give it, with those
// comments as object metadata. It returns the object's URL.
func (u *snapshotUploader) putNode(ctx context.Context, path string, size int64, comments []string) (string, error) {
	host := keyHost(snapshot.ParseComments(comments).Get("host"))
	loc, err := upload.PutNode(ctx, u.client, u.dest, u.service, host, path, comments)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	return loc.String(), nil
}

// keyHost is a host name as keys carry it: the first label of a DNS name,
// as the Go agent names its host; an address (with a port, as the monitor
// names a process whose host it could not read) stays whole.
func keyHost(h string) string {
	if hostOnly, _, err := net.SplitHostPort(h); err == nil || net.ParseIP(h) != nil || net.ParseIP(hostOnly) != nil {
		return snapshot.Clean(h, "host")
	}
	first, _, _ := strings.Cut(h, ".")
	return snapshot.Clean(first, "host")
}
