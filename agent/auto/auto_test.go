package auto

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestOptionsValid(t *testing.T) {
	vars := map[string]string{
		"HEAPDIFF_DIR":              t.TempDir(),
		"HEAPDIFF_EVERY":            "30m",
		"HEAPDIFF_SIGNAL":           "off",
		"HEAPDIFF_KEEP":             "100",
		"HEAPDIFF_MAX_BYTES":        "2GB",
		"HEAPDIFF_MAX_AGE":          "7d",
		"HEAPDIFF_MIN_INTERVAL":     "1m",
		"HEAPDIFF_GC":               "false",
		"HEAPDIFF_BASELINE_AFTER":   "0",
		"HEAPDIFF_WARMUP":           "15m",
		"HEAPDIFF_SAMPLE_EVERY":     "15s",
		"HEAPDIFF_GROWTH_WINDOW":    "6h",
		"HEAPDIFF_RSS_ALERT":        "1.5GiB",
		"HEAPDIFF_LIMIT_ALERT":      "85%",
		"HEAPDIFF_GROWTH_ALERT":     "50MiB/h",
		"HEAPDIFF_RSS_GROWTH_ALERT": "100MiB/h",
		"HEAPDIFF_GROWTH_R2":        "0.9",
		"HEAPDIFF_COOLDOWN":         "2h",
		"HEAPDIFF_WEBHOOK":          "https://hooks.example.com/services/SECRET",
		"HEAPDIFF_WEBHOOK_TIMEOUT":  "5s",
		"HEAPDIFF_TOKEN":            "tok",
	}
	opts, problems, enabled := Options(env(vars))
	if !enabled || len(problems) != 0 {
		t.Fatalf("enabled %v, problems %v", enabled, problems)
	}
	if want := len(variables) + 1; len(opts) != want {
		t.Errorf("%d options, want %d (one per variable and the directory)", len(opts), want)
	}
	a := Start(env(vars))
	if a == nil {
		t.Fatal("agent not started from a valid environment")
	}
	defer a.Close()
	if a.Dir() != vars["HEAPDIFF_DIR"] {
		t.Errorf("dir %q", a.Dir())
	}
}

func TestOptionsReportsEachMalformedValue(t *testing.T) {
	vars := map[string]string{
		"HEAPDIFF_DIR":          t.TempDir(),
		"HEAPDIFF_EVERY":        "half an hour",
		"HEAPDIFF_KEEP":         "-3",
		"HEAPDIFF_MAX_BYTES":    "lots",
		"HEAPDIFF_LIMIT_ALERT":  "120%",
		"HEAPDIFF_GROWTH_ALERT": "50MiB/h",
		"HEAPDIFF_GROWTH_R2":    "high",
		"HEAPDIFF_SIGNAL":       "KILL",
		"HEAPDIFF_WEBHOOK":      "hooks.example.com/SECRET",
		"HEAPDIFF_MIN_INTERVAL": "10s",
	}
	opts, problems, _ := Options(env(vars))
	if len(opts) != 3 { // the directory, HEAPDIFF_MIN_INTERVAL and HEAPDIFF_GROWTH_ALERT
		t.Errorf("%d options from two good values and a directory", len(opts))
	}
	text := ""
	for _, p := range problems {
		text += p.Error() + "\n"
	}
	for _, want := range []string{
		`HEAPDIFF_EVERY="half an hour" ignored: want a duration`,
		`HEAPDIFF_KEEP="-3" ignored`,
		`HEAPDIFF_MAX_BYTES="lots" ignored: want a size`,
		`HEAPDIFF_LIMIT_ALERT="120%" ignored`,
		`HEAPDIFF_GROWTH_R2="high" ignored: want a number from 0 to 1`,
		`HEAPDIFF_SIGNAL="KILL" ignored`,
		`HEAPDIFF_WEBHOOK="(secret)" ignored`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "SECRET") {
		t.Errorf("the webhook URL leaked:\n%s", text)
	}
	if len(problems) != 7 {
		t.Errorf("%d problems, want 7:\n%s", len(problems), text)
	}
}

// A malformed HEAPDIFF_GROWTH_R2 is blamed by its own name and keeps the
// default R²; the valid HEAPDIFF_GROWTH_ALERT still takes effect.
func TestGrowthR2MalformedKeepsRate(t *testing.T) {
	for _, r2 := range []string{"high", "1.5", "-0.1"} {
		logs := capture(t)
		vars := map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_SIGNAL": "off", "HEAPDIFF_BASELINE_AFTER": "0",
			"HEAPDIFF_GROWTH_ALERT": "50MiB/h", "HEAPDIFF_GROWTH_R2": r2}
		_, problems, _ := Options(env(vars))
		if len(problems) != 1 || !strings.Contains(problems[0].Error(), `HEAPDIFF_GROWTH_R2="`+r2+`" ignored`) {
			t.Errorf("R² %q: problems %v, want one naming HEAPDIFF_GROWTH_R2", r2, problems)
		}
		a := Start(env(vars))
		if a == nil {
			t.Fatalf("R² %q: agent not started:\n%s", r2, logs())
		}
		a.Close()
		if !strings.Contains(logs(), `growth_above="50.0 MiB/h" growth_min_r2=0.8`) {
			t.Errorf("R² %q: growth trigger not kept with the default R²:\n%s", r2, logs())
		}
	}
}

// Both growth alerts read HEAPDIFF_GROWTH_R2; a bad one is reported once and
// both alerts keep the default R². The live heap's is "growth_above", RSS's
// "rss_growth_above" in the start-up line.
func TestRSSGrowthAlertSharesR2(t *testing.T) {
	logs := capture(t)
	vars := map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_SIGNAL": "off", "HEAPDIFF_BASELINE_AFTER": "0",
		"HEAPDIFF_GROWTH_ALERT": "50MiB/h", "HEAPDIFF_RSS_GROWTH_ALERT": "2MiB/min", "HEAPDIFF_GROWTH_R2": "0.95"}
	a := Start(env(vars))
	if a == nil {
		t.Fatalf("agent not started:\n%s", logs())
	}
	a.Close()
	if want := `growth_above="50.0 MiB/h" growth_min_r2=0.95 rss_growth_above="120.0 MiB/h" rss_growth_min_r2=0.95`; !strings.Contains(logs(), want) {
		t.Errorf("want %s in:\n%s", want, logs())
	}
	vars["HEAPDIFF_GROWTH_R2"] = "steep"
	_, problems, _ := Options(env(vars))
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), `HEAPDIFF_GROWTH_R2="steep" ignored`) {
		t.Errorf("problems %v, want one naming HEAPDIFF_GROWTH_R2", problems)
	}
}

// HEAPDIFF_GROWTH_ALERT takes the rate spellings heapdiff check --max-rate
// takes, and a bare size per hour.
func TestGrowthAlertRateSpellings(t *testing.T) {
	for v, rate := range map[string]string{
		"50MiB/h": "50.0 MiB/h", "50MiB/hour": "50.0 MiB/h", "50 MiB / hr": "50.0 MiB/h", "50MiB": "50.0 MiB/h",
		"1200MiB/day": "50.0 MiB/h", "1MiB/min": "60.0 MiB/h",
	} {
		want := `growth_above="` + rate + `" growth_min_r2=0.9`
		logs := capture(t)
		vars := map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_SIGNAL": "off", "HEAPDIFF_BASELINE_AFTER": "0",
			"HEAPDIFF_GROWTH_ALERT": v, "HEAPDIFF_GROWTH_R2": "0.9"}
		if _, problems, _ := Options(env(vars)); len(problems) != 0 {
			t.Errorf("%q: %v", v, problems)
			continue
		}
		a := Start(env(vars))
		if a == nil {
			t.Fatalf("%q: agent not started:\n%s", v, logs())
		}
		a.Close()
		if !strings.Contains(logs(), want) {
			t.Errorf("HEAPDIFF_GROWTH_ALERT=%q: want %s in:\n%s", v, want, logs())
		}
	}
	_, problems, _ := Options(env(map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_GROWTH_ALERT": "50MiB/week"}))
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), `HEAPDIFF_GROWTH_ALERT="50MiB/week" ignored: want a size per time`) {
		t.Errorf("problems %v", problems)
	}
}

// lockedBuffer is written by other goroutines while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// capture routes slog.Default to a buffer for one test; the package itself
// never changes the default logger.
func capture(t *testing.T) func() string {
	var buf lockedBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return buf.String
}

func TestOffLogsOneLine(t *testing.T) {
	logs := capture(t)
	if a := Start(env(nil)); a != nil {
		a.Close()
		t.Fatal("agent started without HEAPDIFF_DIR")
	}
	if got := strings.Count(logs(), "\n"); got != 1 || !strings.Contains(logs(), "capture agent off") {
		t.Errorf("want one line saying the agent is off, got:\n%s", logs())
	}
}

func TestMalformedValueStillStarts(t *testing.T) {
	logs := capture(t)
	a := Start(env(map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_EVERY": "abc", "HEAPDIFF_BASELINE_AFTER": "0"}))
	if a == nil {
		t.Fatalf("agent not started:\n%s", logs())
	}
	defer a.Close()
	if !strings.Contains(logs(), `HEAPDIFF_EVERY=\"abc\" ignored`) {
		t.Errorf("malformed value not reported:\n%s", logs())
	}
}

func TestServesHandler(t *testing.T) {
	logs := capture(t)
	a := Start(env(map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_HTTP": "127.0.0.1:0",
		"HEAPDIFF_TOKEN": "tok", "HEAPDIFF_BASELINE_AFTER": "0"}))
	if a == nil {
		t.Fatalf("agent not started:\n%s", logs())
	}
	defer a.Close()
	m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(logs())
	if m == nil {
		t.Fatalf("no URL logged:\n%s", logs())
	}
	req, _ := http.NewRequest("GET", m[1], nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ Dir string }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&s) != nil || s.Dir != a.Dir() {
		t.Fatalf("GET %s: %s, dir %q", m[1], resp.Status, s.Dir)
	}
}

// Every variable is documented in the package doc and in README.md.
func TestVariablesDocumented(t *testing.T) {
	names := []string{"HEAPDIFF_DIR", "HEAPDIFF_GROWTH_R2", "HEAPDIFF_HTTP", "HEAPDIFF_LOG", "HEAPDIFF_SUMMARY_ON_SIGNAL"}
	for _, v := range variables {
		names = append(names, v.name)
	}
	src, err := os.ReadFile("auto.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ := strings.Cut(string(src), "package auto")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Capture agent")
	section, _, _ = strings.Cut(section, "\n## ")
	for _, n := range names {
		if !strings.Contains(doc, "//\t"+n+" ") {
			t.Errorf("package doc lacks %s", n)
		}
		if !strings.Contains(section, "`"+n+"`") {
			t.Errorf("README.md's Capture agent section lacks `%s`", n)
		}
	}
}

// The real thing: a process whose only agent code is the blank import, started
// with HEAPDIFF_DIR in its environment, writes a snapshot on SIGUSR2.
func TestInitStartsAgentFromEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGUSR2")
	}
	if os.Getenv("HEAPDIFF_AUTO_CHILD") == "1" {
		// The child: init has run; stay alive for the parent's signal.
		if Agent() == nil {
			os.Exit(3)
		}
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitStartsAgentFromEnvironment$")
	cmd.Env = append(os.Environ(), "HEAPDIFF_AUTO_CHILD=1", "HEAPDIFF_DIR="+dir,
		"HEAPDIFF_BASELINE_AFTER=0", "HEAPDIFF_LOG=json")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Signal once the agent says it started, then wait for the snapshot.
	deadline := time.Now().Add(30 * time.Second)
	signalled := false
	for {
		select {
		case err := <-exited:
			t.Fatalf("child exited: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot; child stderr:\n%s", stderr.String())
		}
		if !signalled && strings.Contains(stderr.String(), "agent started") {
			signalUSR2(t, cmd.Process)
			signalled = true
		}
		if files, _ := snapshot.List(dir); len(files) == 1 && files[0].Trigger == "signal" {
			if _, err := os.Stat(filepath.Join(dir, files[0].File)); err == nil {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Values each right alone and wrong together, or misread: found running
// the agent. HEAPDIFF_SAMPLE_EVERY=1h alone left a default window of an
// hour that holds one sample, and the agent did not start at all, not even
// for SIGUSR2; 0.85 for HEAPDIFF_LIMIT_ALERT was 0.85%; an unknown
// HEAPDIFF_LOG was taken as text without a word.
func TestValuesThatDoNotGoTogether(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"HEAPDIFF_SAMPLE_EVERY": "1h"},
			`HEAPDIFF_SAMPLE_EVERY=\"1h\" ignored: the growth window (1h0m0s) must hold at least 3 samples taken every 1h0m0s`},
		{map[string]string{"HEAPDIFF_SAMPLE_EVERY": "10s", "HEAPDIFF_GROWTH_WINDOW": "20s"},
			`HEAPDIFF_SAMPLE_EVERY=\"10s\" and HEAPDIFF_GROWTH_WINDOW=\"20s\" ignored`},
		{map[string]string{"HEAPDIFF_LIMIT_ALERT": "0.85"}, `HEAPDIFF_LIMIT_ALERT=\"0.85\" ignored: want a percentage like 85%`},
		{map[string]string{"HEAPDIFF_LIMIT_ALERT": "1"}, `HEAPDIFF_LIMIT_ALERT=\"1\" ignored: want a percentage like 85%`},
		{map[string]string{"HEAPDIFF_LOG": "xml"}, `HEAPDIFF_LOG=\"xml\" ignored: want text, json or off`},
		{map[string]string{"HEAPDIFF_EVERY": "1ns"}, `HEAPDIFF_EVERY=\"1ns\" ignored: want a duration like 30m, or 0 for off (1ns is under a second)`},
	} {
		logs := capture(t)
		tc.vars["HEAPDIFF_DIR"] = t.TempDir()
		a := Start(env(tc.vars))
		if a == nil {
			t.Errorf("%v: agent not started:\n%s", tc.vars, logs())
			continue
		}
		a.Close()
		if !strings.Contains(logs(), tc.want) {
			t.Errorf("%v: the log lacks %q:\n%s", tc.vars, tc.want, logs())
		}
	}
	// Right together, they stay.
	opts, problems, _ := Options(env(map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_SAMPLE_EVERY": "10s", "HEAPDIFF_GROWTH_WINDOW": "30s", "HEAPDIFF_LIMIT_ALERT": "0.5%"}))
	if len(opts) != 4 || len(problems) != 0 {
		t.Errorf("%d options, problems %v; want the directory and three options", len(opts), problems)
	}
}
