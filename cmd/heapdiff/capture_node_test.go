package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The node:// flags reach the monitor's configuration; flags for the other
// kind of target, bad values and remote addresses are refused with one line
// and exit status 2.
func TestCaptureNodeFlags(t *testing.T) {
	var got *captureOptions
	cmd := captureCmd(&streams{}, func(_ context.Context, o *captureOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"node://127.0.0.1:9229", "--every", "10m", "--dir", "snaps/", "--keep", "50",
		"--growth-alert", "10MiB/h", "--webhook", "http://127.0.0.1:1/hook", "--sample-every", "30s", "--warmup", "1m",
		"--rss-above", "1GiB", "--heap-above", "512MiB", "--limit-above", "90", "--cooldown", "5m", "--gc", "--sampling"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	cfg, err := nodeConfig(got)
	if err != nil {
		t.Fatal(err)
	}
	tr := cfg.Triggers
	if cfg.Addr != "127.0.0.1:9229" || cfg.Every != 10*time.Minute || cfg.Retention.Keep != 50 || cfg.SampleEvery != 30*time.Second ||
		cfg.Warmup != time.Minute || tr.GrowthAbove != 10<<20 || tr.RSSAbove != 1<<30 || tr.HeapAbove != 512<<20 ||
		tr.LimitPercent != 90 || tr.Cooldown != 5*time.Minute || !cfg.GC || !cfg.Sampling || cfg.Once ||
		cfg.Webhook != "http://127.0.0.1:1/hook" {
		t.Errorf("config %+v", cfg)
	}
	// With nothing to watch for, one snapshot.
	cmd = captureCmd(&streams{}, func(_ context.Context, o *captureOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"node://localhost:9229"})
	cmd.Execute()
	if cfg, err := nodeConfig(got); err != nil || !cfg.Once {
		t.Errorf("node://localhost:9229 alone: once %v, %v", cfg.Once, err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"node://10.1.2.3:9229"}, "--allow-remote"},
		{[]string{"node://example.com:9229"}, "ssh -L"},
		{[]string{"node://127.0.0.1"}, "node://HOST:PORT"},
		{[]string{"node://127.0.0.1:9229", "--token", "x"}, "--token is for http(s):// targets only"},
		{[]string{"http://127.0.0.1:6060/debug/pprof/heap", "--growth-alert", "1MiB/h"}, "--growth-alert is for node:// targets only"},
		{[]string{"node://127.0.0.1:9229", "--growth-alert", "fast"}, `--growth-alert: "fast"`},
		{[]string{"node://127.0.0.1:9229", "--webhook", "ftp://secret@x"}, "--webhook: not an http or https URL"},
		{[]string{"node://127.0.0.1:9229", "--sampling"}, "a single profile taken at once is empty: add --every"},
	} {
		code, _, errOut := runCLI(t, nil, append([]string{"capture"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "secret") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, code, errOut, tc.want)
		}
	}
	// Nothing listening: one line naming what was tried, exit 1.
	code, _, errOut := runCLI(t, nil, "capture", "node://127.0.0.1:1", "--dir", t.TempDir())
	if code != exitError || !strings.Contains(errOut, "/json/list") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("nothing listening: exit %d, stderr %q", code, errOut)
	}
}
