package upload_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/agent/upload/s3test"
)

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// startAgent starts an agent that captures only when asked.
func startAgent(t *testing.T) *agent.Agent {
	t.Helper()
	a, err := agent.Start(agent.Dir(t.TempDir()), agent.BaselineAfter(0), agent.Warmup(0), agent.GCBeforeCapture(false),
		agent.MinInterval(0), agent.Signals(), agent.Keep(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func capture(t *testing.T, a *agent.Agent, n int) {
	t.Helper()
	for range n {
		if _, err := a.Capture("test"); err != nil {
			t.Fatal(err)
		}
	}
}

// wantUploaded checks that the bucket holds exactly the agent's snapshots,
// byte for byte, under PREFIX/SERVICE/HOST/PID/. The listing is read from
// the server's own directory, not through the client under test.
func wantUploaded(t *testing.T, srv *s3test.Server, bucket, prefix, service string, a *agent.Agent) {
	t.Helper()
	files, err := snapshot.List(a.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		want = append(want, upload.Key(prefix, service, f.Name))
	}
	got := srv.Objects(bucket)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("bucket holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range files {
		local, _ := os.ReadFile(filepath.Join(a.Dir(), f.File))
		remote, _ := os.ReadFile(filepath.Join(srv.Root, bucket, upload.Key(prefix, service, f.Name)))
		if !bytes.Equal(local, remote) || len(local) == 0 {
			t.Errorf("%s: uploaded %d bytes differ from the %d on disk", f.File, len(remote), len(local))
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Every snapshot, those written before Attach included, lands in the store
// under the documented key, whole, with its metadata as object metadata.
func TestUploaderUploadsEverySnapshotWithItsMetadata(t *testing.T) {
	srv := s3test.Start(t)
	srv.Setenv(t)
	srv.Bucket("snaps")
	a := startAgent(t)
	capture(t, a, 1) // before the uploader: found on disk
	var logs logBuffer
	u, err := upload.New(upload.Config{URL: "s3://snaps/fleet/prod", Service: "api", Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	u.Attach(a)
	capture(t, a, 2)
	ctx, cancel := s3test.Wait()
	defer cancel()
	if err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wantUploaded(t, srv, "snaps", "fleet/prod", "api", a)
	if st := u.Stats(); st.Uploaded != 3 || st.Failures != 0 || st.Dropped != 0 || st.Bytes == 0 {
		t.Errorf("stats %+v, want 3 uploaded, no failure, no drop", st)
	}

	files, _ := snapshot.List(a.Dir())
	last := files[len(files)-1]
	client, err := upload.Connect(ctx, upload.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := client.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("snaps"), Key: aws.String(upload.Key("fleet/prod", "api", last.Name))})
	if err != nil {
		t.Fatal(client.Explain(upload.Location{Bucket: "snaps"}, err))
	}
	for k, want := range map[string]string{"service": "api", "trigger": "manual", "reason": "test", "seq": "3", "host": last.Host} {
		if got := head.Metadata[k]; got != want {
			t.Errorf("object metadata %s = %q, want %q (all: %v)", k, got, want, head.Metadata)
		}
	}
	if head.Metadata["live-heap-bytes"] == "" || head.Metadata["go-version"] == "" {
		t.Errorf("object metadata lacks the agent's figures: %v", head.Metadata)
	}
	if aws.ToString(head.ContentType) != "application/gzip" {
		t.Errorf("Content-Type %q", aws.ToString(head.ContentType))
	}
	if s := logs.String(); strings.Contains(s, "failed") {
		t.Errorf("logged a failure:\n%s", s)
	}
}

// The store going down costs the service nothing: captures go on, failed
// uploads are retried and logged once, a full queue drops and counts. Once
// the store is back every snapshot still on disk is uploaded, those dropped
// included.
func TestUploaderRidesOutTheStoreGoingDown(t *testing.T) {
	srv := s3test.Start(t)
	srv.Setenv(t)
	srv.Bucket("snaps")
	a := startAgent(t)
	var logs logBuffer
	u, err := upload.New(upload.Config{URL: "s3://snaps/fleet", Service: "api", Queue: 2, Timeout: 2 * time.Second,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	u.Attach(a)
	capture(t, a, 1)
	eventually(t, "the first upload", func() bool { return u.Stats().Uploaded == 1 })

	srv.Stop()
	began := time.Now()
	capture(t, a, 8)
	t.Logf("8 captures with the store down took %v", time.Since(began))
	eventually(t, "failures to be seen", func() bool { return u.Stats().Failing })
	st := u.Stats()
	if st.Dropped == 0 || st.Pending > 2 {
		t.Errorf("stats %+v: want drops and at most 2 queued", st)
	}
	if !strings.Contains(st.LastError, "cannot reach the store") || !strings.Contains(st.LastError, "connection refused") {
		t.Errorf("last error %q, want one saying the store is unreachable", st.LastError)
	}
	time.Sleep(300 * time.Millisecond) // several retries
	if u.Stats().Failures < 2 {
		t.Errorf("failed uploads are not retried: %+v", u.Stats())
	}

	srv.Restart()
	eventually(t, "every snapshot uploaded after the store came back", func() bool { return u.Stats().Uploaded == 9 })
	ctx, cancel := s3test.Wait()
	defer cancel()
	if err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wantUploaded(t, srv, "snaps", "fleet", "api", a)
	s := logs.String()
	for _, line := range []string{"upload failed", "upload queue full", "uploads resumed"} {
		if n := strings.Count(s, line); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", line, n, s)
		}
	}
}

// Wrong credentials are named as such in one line, never with the secret.
func TestWrongCredentialsAreSaidInOneLine(t *testing.T) {
	srv := s3test.Start(t)
	srv.Setenv(t)
	srv.Bucket("snaps")
	ctx, cancel := s3test.Wait()
	defer cancel()
	for _, tc := range []struct{ access, secret, want string }{
		{s3test.AccessKey, "not-the-secret", "the secret key does not match"},
		{"nobody-knows-me", s3test.SecretKey, "the store does not know the access key"},
	} {
		t.Setenv("AWS_ACCESS_KEY_ID", tc.access)
		t.Setenv("AWS_SECRET_ACCESS_KEY", tc.secret)
		client, err := upload.Connect(ctx, upload.ClientConfig{})
		if err != nil {
			t.Fatal(err)
		}
		loc := upload.Location{Bucket: "snaps", Key: "fleet/"}
		_, err = client.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("snaps")})
		err = client.Explain(loc, err)
		if !errors.Is(err, upload.ErrAccessDenied) || !strings.Contains(err.Error(), tc.want) ||
			strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), tc.secret) {
			t.Errorf("access %s: %v; want one line saying access denied: %s", tc.access, err, tc.want)
		}

		a := startAgent(t)
		u, err := upload.New(upload.Config{URL: "s3://snaps/fleet", MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		u.Attach(a)
		capture(t, a, 1)
		eventually(t, "the upload to fail", func() bool { return u.Stats().Failures > 0 })
		if st := u.Stats(); !strings.Contains(st.LastError, tc.want) {
			t.Errorf("uploader's last error %q, want %q", st.LastError, tc.want)
		}
		short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
		if err := u.Close(short); err == nil || !strings.Contains(err.Error(), "1 snapshot(s) not uploaded") {
			t.Errorf("Close with the upload failing: %v", err)
		}
		stop()
	}
}

// A missing bucket and an endpoint nobody listens on are told apart.
func TestMissingBucketAndUnreachableEndpoint(t *testing.T) {
	srv := s3test.Start(t)
	srv.Setenv(t)
	ctx, cancel := s3test.Wait()
	defer cancel()
	client, err := upload.Connect(ctx, upload.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	loc := upload.Location{Bucket: "no-such-bucket", Key: "x/"}
	_, err = client.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket)})
	if err := client.Explain(loc, err); !errors.Is(err, upload.ErrNoBucket) || !strings.Contains(err.Error(), "s3://no-such-bucket/x/: no such bucket") {
		t.Errorf("missing bucket: %v", err)
	}
	srv.Stop()
	down, err := upload.Connect(ctx, upload.ClientConfig{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = down.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("snaps")})
	if err := down.Explain(upload.Location{Bucket: "snaps"}, err); !errors.Is(err, upload.ErrUnreachable) ||
		!strings.Contains(err.Error(), srv.URL+": connection refused") {
		t.Errorf("stopped server: %v", err)
	}
	// --s3-endpoint's override wins over AWS_ENDPOINT_URL_S3.
	other, err := upload.Connect(ctx, upload.ClientConfig{Endpoint: "http://127.0.0.1:9"})
	if err != nil || other.Endpoint != "http://127.0.0.1:9" {
		t.Errorf("endpoint override: %v, %v", other, err)
	}
	if _, err := upload.Connect(ctx, upload.ClientConfig{Endpoint: "127.0.0.1:9000"}); err == nil {
		t.Error("an endpoint without a scheme was taken")
	}
}

var _ = io.EOF
