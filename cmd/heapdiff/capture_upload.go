package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
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
	f.StringVar(&cf.Upload, "upload", "", "also upload each snapshot to s3://bucket/prefix, under PREFIX/SERVICE/HOST/0/ (credentials and endpoint the standard AWS way)")
	f.StringVar(&cf.Service, "service", "", "with --upload: the service's name in keys (default: the target's host name)")
	f.StringVar(&cf.S3Endpoint, "s3-endpoint", "", "with --upload: the store's URL, such as http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the AWS profile's, else AWS S3)")
}

// snapshotUploader puts each snapshot capture writes, right after the
// write: a command waits for its work, unlike a service.
type snapshotUploader struct {
	client  *upload.Client
	dest    upload.Location
	service string
}

// newSnapshotUploader returns nil when --upload is not given.
func newSnapshotUploader(cf *captureUploadFlags, target *url.URL) (*snapshotUploader, error) {
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
	service := cf.Service
	if service == "" {
		service = target.Hostname()
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
