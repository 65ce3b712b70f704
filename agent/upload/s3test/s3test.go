// Package s3test runs a real S3 server for tests: versitygw (Apache-2.0, a
// Go S3 gateway) with its POSIX backend, on 127.0.0.1, serving a temporary
// directory whose subdirectories are buckets. No mock: requests are signed,
// sent and answered as against any S3-compatible store.
//
// versitygw is found as $HEAPDIFF_VERSITYGW, on $PATH, in
// ~/.cache/heapdiff/bin (where .ci/run installs it) or in $GOPATH/bin.
// Without it tests skip, saying how to install it, except under CI=true,
// where they fail.
package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the versitygw release the tests are known to pass with.
const Version = "v1.8.0"

// Install is the command that installs it where Binary looks.
const Install = "GOBIN=$HOME/.cache/heapdiff/bin go install github.com/versity/versitygw/cmd/versitygw@" + Version

// Credentials of the server's root user.
const (
	AccessKey = "heapdiff-test-access"
	SecretKey = "heapdiff-test-secret-0123456789"
)

// Binary returns the path of versitygw, or "" when it is not installed.
func Binary() string {
	if p := os.Getenv("HEAPDIFF_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "heapdiff", "bin"))
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	} else if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// A Server is a running versitygw.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL string
	// Root is the directory it serves: each subdirectory is a bucket.
	Root string

	t    testing.TB
	bin  string
	addr string
	mu   sync.Mutex
	cmd  *exec.Cmd
	logs *os.File
}

// Start starts versitygw on a free port of 127.0.0.1, serving a new
// temporary directory, and stops it when the test ends. It skips the test
// when versitygw is not installed, unless CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("versitygw is not installed (.ci/run installs it): %s", Install)
		}
		t.Skipf("needs versitygw, a real S3 server: %s", Install)
	}
	root := t.TempDir()
	s := &Server{Root: filepath.Join(root, "buckets"), t: t, bin: bin}
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	logs, err := os.Create(filepath.Join(root, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	s.logs = logs
	// A free port: listen, note it, close. Another process could take it
	// in between; start fails clearly then.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	l.Close()
	s.URL = "http://" + s.addr
	t.Cleanup(func() {
		s.Stop()
		logs.Close()
	})
	s.Restart()
	return s
}

// Restart starts the server again, on the same address and directory,
// after Stop (or the first time, from Start), and waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.t.Fatal("s3test: Restart of a running server")
	}
	cmd := exec.Command(s.bin, "--access", AccessKey, "--secret", SecretKey, "--port", s.addr, "--quiet", "posix", s.Root)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	// Not from the test's environment: versitygw reads VGW_* and ROOT_*.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start versitygw: %v", err)
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			return // the goroutine above reaps it when it exits
		}
		select {
		case err := <-exited:
			s.cmd = nil
			logs, _ := os.ReadFile(s.logs.Name())
			s.t.Fatalf("versitygw exited at start: %v\n%s", err, logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("versitygw did not listen on %s within 30s", s.addr)
		}
	}
}

// Stop stops the server (SIGKILL: a store that vanishes) and waits until its
// port is closed. The directory stays, for Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

// Bucket creates a bucket (a directory of Root) and returns its name.
func (s *Server) Bucket(name string) string {
	s.t.Helper()
	if err := os.Mkdir(filepath.Join(s.Root, name), 0o755); err != nil {
		s.t.Fatal(err)
	}
	return name
}

// Env returns the environment that points an AWS client at the server with
// its root credentials, and at nothing else: no shared config or
// credentials file, no instance metadata service.
func (s *Server) Env() []string {
	return EnvFor(s.URL, AccessKey, SecretKey)
}

// EnvFor returns the environment for an endpoint and credentials, as Env.
func EnvFor(endpoint, access, secret string) []string {
	none := filepath.Join(os.TempDir(), "heapdiff-s3test-none")
	return []string{
		"AWS_ACCESS_KEY_ID=" + access,
		"AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_ENDPOINT_URL_S3=" + endpoint,
		"AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + none,
		"AWS_SHARED_CREDENTIALS_FILE=" + none,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Setenv sets Env in the test's own environment (t.Setenv), for clients made
// in the test process, and clears variables that would point elsewhere.
func (s *Server) Setenv(t testing.TB) {
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "HEAPDIFF_S3_PATH_STYLE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Objects lists the keys in a bucket's directory (the posix backend keeps
// objects as files), for checks that do not trust the client under test.
func (s *Server) Objects(bucket string) []string {
	s.t.Helper()
	var keys []string
	base := filepath.Join(s.Root, bucket)
	err := filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			rel, _ := filepath.Rel(base, p)
			keys = append(keys, filepath.ToSlash(rel))
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != base {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return keys
}

// Wait is a context for one test step: 60 s.
func Wait() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 60*time.Second)
}

// String names the server in messages.
func (s *Server) String() string { return fmt.Sprintf("versitygw %s at %s", Version, s.URL) }
