package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func serve(t *testing.T, a *Agent) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/debug/heapdiff/", http.StripPrefix("/debug/heapdiff", a.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, token string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestHandler(t *testing.T) {
	a, _ := start(t, MinInterval(time.Hour), Gauge("queue", func() float64 { return 7 }))
	a.observe(a.sampleNow())
	srv := serve(t, a)
	base := srv.URL + "/debug/heapdiff"

	code, body, _ := do(t, "POST", base+"/capture?reason=test", "")
	var made struct{ File string }
	if code != 200 || json.Unmarshal(body, &made) != nil || !strings.HasSuffix(made.File, "-http.pb.gz") {
		t.Fatalf("POST /capture: %d %s", code, body)
	}
	if code, _, h := do(t, "POST", base+"/capture", ""); code != http.StatusTooManyRequests || h.Get("Retry-After") != "3600" {
		t.Fatalf("second POST /capture within MinInterval: %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	if code, _, _ := do(t, "GET", base+"/capture", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /capture: %d", code)
	}

	code, body, _ = do(t, "GET", base+"/", "")
	var s Stats
	if code != 200 || json.Unmarshal(body, &s) != nil {
		t.Fatalf("GET /: %d %s", code, body)
	}
	if s.Snapshots != 1 || s.Memory.RSS == 0 || s.LastCapture == nil || len(s.Gauges) != 1 || s.UptimeSeconds <= 0 {
		t.Errorf("summary %s", body)
	}
	for _, key := range []string{`"growth"`, `"r2"`, `"limit"`, `"uptime_seconds"`, `"gauges"`} {
		if !strings.Contains(string(body), key) {
			t.Errorf("summary lacks %s", key)
		}
	}

	os.WriteFile(filepath.Join(a.Dir(), "notes.txt"), []byte("private"), 0o644)
	code, body, _ = do(t, "GET", base+"/snapshots", "")
	var list []snapshotEntry
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list) != 1 || list[0].File != made.File || !list[0].Baseline {
		t.Fatalf("GET /snapshots: %d %s", code, body)
	}

	code, body, _ = do(t, "GET", base+"/snapshots/"+made.File, "")
	onDisk, _ := os.ReadFile(filepath.Join(a.Dir(), made.File))
	if code != 200 || string(body) != string(onDisk) {
		t.Fatalf("download: %d, %d bytes, want %d", code, len(body), len(onDisk))
	}

	secret := filepath.Join(filepath.Dir(a.Dir()), "secret.txt")
	os.WriteFile(secret, []byte("secret"), 0o644)
	for _, p := range []string{
		"/snapshots/notes.txt",
		"/snapshots/..%2fsecret.txt",
		"/snapshots/..%2f..%2fetc%2fpasswd",
		"/snapshots/%2e%2e",
		"/snapshots/heap-20261126T154210Z-x-1-0001-manual.pb.gz",
	} {
		code, body, _ := do(t, "GET", base+p, "")
		if code == 200 || strings.Contains(string(body), "secret") || strings.Contains(string(body), "private") {
			t.Errorf("GET %s: %d %q", p, code, body)
		}
	}
}

func TestHandlerToken(t *testing.T) {
	a, _ := start(t, Token("s3cret"))
	srv := serve(t, a)
	url := srv.URL + "/debug/heapdiff/"
	for _, tok := range []string{"", "wrong", "s3cretX", "S3CRET"} {
		if code, _, h := do(t, "GET", url, tok); code != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d", tok, code)
		}
	}
	if code, _, _ := do(t, "POST", url+"capture", ""); code != http.StatusUnauthorized {
		t.Errorf("POST without token: %d", code)
	}
	if code, _, _ := do(t, "GET", url, "s3cret"); code != 200 {
		t.Errorf("right token: %d", code)
	}
	if n := a.Stats().Snapshots; n != 0 {
		t.Errorf("%d snapshots taken without a token", n)
	}
}

// A token HTTP cannot carry (spaces at either end, control characters) is
// an invalid option, reported without echoing the token; an empty one means
// no token.
func TestTokenRefusesWhatHTTPCannotCarry(t *testing.T) {
	for _, tok := range []string{" ", " secret", "secret ", "sec\nret", "sec\x00ret", "\tsecret"} {
		err := Validate(Token(tok))
		if err == nil {
			t.Errorf("Token(%q) accepted", tok)
		} else if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "sec") {
			t.Errorf("Token(%q): error %q echoes the token", tok, err)
		}
	}
	for _, tok := range []string{"", "s3cret", "with inner space"} {
		if err := Validate(Token(tok)); err != nil {
			t.Errorf("Token(%q): %v", tok, err)
		}
	}
}
