package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/report"
)

func TestCheckExitStatus(t *testing.T) {
	snap := func(n string) string { return filepath.Join(leakyDir, n) }
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // the first line of standard output
		err  string // standard error
	}{
		{"pair over", []string{base, target, "--max-growth", "20MiB", "--max-site-growth", "20MiB", "--max-rate", "10MiB/h"},
			exitOverBudget, "FAIL over budget: total growth +118.7MiB > 20.0MiB; 2 site(s) over site growth 20.0MiB: main.(*SessionStore).Open main.go:50 +57.1MiB, main.(*JobQueue).Finish main.go:66 +39.0MiB; total rate +64.8MiB/h > 10.0MiB/h", ""},
		{"pair within", []string{base, target, "--max-growth", "200MB", "--max-site-growth", "60MiB", "--max-rate", "2GB/day"},
			exitOK, "PASS within budget", ""},
		{"percent", []string{base, target, "--max-growth", "500%"}, exitOverBudget, "FAIL over budget: total growth % +523.8% > 500.0%", ""},
		{"series over", []string{leakyDir, "--max-rate", "10MiB/h"}, exitOverBudget, "FAIL over budget: total rate +61.8MiB/h > 10.0MiB/h", ""},
		{"series within", []string{leakyDir, "--max-rate", "80MiB/h", "--max-site-rate", "40MiB/h"}, exitOK, "PASS within budget", ""},
		{"series of files", []string{snap("heap-01.pb.gz"), snap("heap-06.pb.gz"), snap("heap-12.pb.gz"), "--max-site-rate", "25MiB/h", "--by", "func"},
			exitOverBudget, "FAIL over budget: 1 site(s) over site rate 25.0MiB/h: main.(*SessionStore).Open +31.9MiB/h", ""},
		// The batcher grew 0 → 0.5MiB, one sample: far over 100KiB, but
		// within noise, so it passes.
		{"noise", []string{snap("heap-01.pb.gz"), snap("heap-03.pb.gz"), "--focus", "Batcher", "--max-site-growth", "100KiB", "--max-growth", "100KiB"},
			exitOK, "PASS within budget", ""},
		{"json over", []string{base, target, "--max-site-growth", "45MiB", "-f", "json"}, exitOverBudget, "{",
			"heapdiff: over budget: 1 site(s) over site growth 45.0MiB: main.(*SessionStore).Open main.go:50 +57.1MiB\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, append([]string{"check"}, tc.args...)...)
			if code != tc.code || errOut != tc.err {
				t.Errorf("exit %d, want %d; stderr %q, want %q", code, tc.code, errOut, tc.err)
			}
			if first, _, _ := strings.Cut(out, "\n"); !strings.HasPrefix(first, tc.out) {
				t.Errorf("first line %q, want %q", first, tc.out)
			}
		})
	}
	_, out, _ := runCLI(t, nil, "check", snap("heap-01.pb.gz"), snap("heap-03.pb.gz"), "--focus", "Batcher", "--max-site-growth", "100KiB")
	if !strings.Contains(out, "~ ok (within noise)") {
		t.Errorf("the verdict does not say the growth is within noise:\n%s", out)
	}
}

func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "comment.md")
	code, out, errOut := runCLI(t, nil, "check", base, target, "--max-site-growth", "20MiB", "-o", md)
	data, _ := os.ReadFile(md)
	if code != exitOverBudget || out != "" || !strings.HasPrefix(string(data), "### heapdiff check: ❌ over budget") {
		t.Errorf("exit %d, stdout %q, file:\n%s", code, out, data)
	}
	// Written to a file, the verdict still reaches the log, on stderr.
	if !strings.HasPrefix(errOut, "heapdiff: over budget: 2 site(s) over site growth 20.0MiB") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr %q", errOut)
	}
	code, out, _ = runCLI(t, nil, "check", leakyDir, "--max-rate", "1MiB/h", "-f", "json")
	var doc report.JSONCheck
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOverBudget || !doc.Over || !doc.Series || doc.Snapshots != 12 {
		t.Errorf("exit %d, %v, %+v", code, err, doc)
	}
}

func TestCheckErrors(t *testing.T) {
	dir := t.TempDir()
	untimed := filepath.Join(dir, "untimed.pb.gz")
	if err := retime(base, untimed, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"check", base, target}, exitUsage, "check needs a budget"},
		{[]string{"check", "--max-rate", "1MiB/h"}, exitUsage, "check needs two profiles"},
		{[]string{"check", base, "--max-growth", "1MiB"}, exitUsage, "check needs two profiles (BASE TARGET) or a series (a directory or more profiles), got 1"},
		{[]string{"check", base, target, "--max-growth", "lots"}, exitUsage, `--max-growth: "lots" is not a size`},
		{[]string{"check", base, target, "--max-growth", "x%"}, exitUsage, `--max-growth: "x%" is not a percentage`},
		{[]string{"check", base, target, "--max-growth", "NaN%"}, exitUsage, `--max-growth: "NaN%" is not a percentage`},
		{[]string{"check", base, target, "--max-growth", "inf%"}, exitUsage, `--max-growth: "inf%" is not a percentage`},
		{[]string{"check", base, target, "--max-site-growth", "-5MB"}, exitUsage, "--max-site-growth"},
		{[]string{"check", base, target, "--max-rate", "10MiB"}, exitUsage, `--max-rate: "10MiB" is not a rate like 10MiB/h`},
		{[]string{"check", base, target, "--max-site-rate", "10MiB/week"}, exitUsage, "--max-site-rate"},
		{[]string{"check", base, target, "--max-growth", "1MB", "-o", filepath.Join(dir, "c.html")}, exitUsage, "check writes text, json, csv or md, not html"},
		{[]string{"check", untimed, target, "--max-rate", "10MiB/h"}, exitError, "need profiles that carry their time"},
		{[]string{"check", target, target, "--max-rate", "10MiB/h"}, exitError, "need profiles that carry their time, taken at least 10s apart, and these are not"},
		{[]string{"check", base, filepath.Join(dir, "missing.pb.gz"), "--max-growth", "1MB"}, exitError, "missing.pb.gz: no such file"},
	} {
		code, out, errOut := runCLI(t, nil, tc.args...)
		if code != tc.code || !strings.HasPrefix(errOut, "heapdiff: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q, want one line saying %q", tc.args, code, tc.code, errOut, tc.msg)
		}
		if out != "" {
			t.Errorf("%v: wrote to stdout: %q", tc.args, out)
		}
	}
}

func TestParseBudgets(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"10MiB/h", 10 << 20},
		{"10 MiB / hour", 10 << 20},
		{"200KiB/min", 200 << 10 * 60},
		{"1GB/day", 1e9 / 24},
		{"5MB/s", 5e6 * 3600},
		{"512KiB/hr", 512 << 10},
		{"1000/h", 1000},
	} {
		if got, err := parseRate("--max-rate", tc.in); err != nil || got != tc.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"10MiB", "10MiB/week", "/h", "abc/h", "-1MiB/h"} {
		if _, err := parseRate("--max-rate", bad); err == nil {
			t.Errorf("parseRate(%q) accepted", bad)
		}
	}
	for in, want := range map[string]float64{"512KiB": 512 << 10, "20MB": 20e6, "1.5GiB": 1.5 * (1 << 30), "1000": 1000} {
		if got, err := parseSize("--max-growth", in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

// TestCheckSaysPassOnStderr checks that a passing verdict reaches CI logs
// when the report itself goes to a file or is not text.
func TestCheckSaysPassOnStderr(t *testing.T) {
	code, _, errOut := runCLI(t, nil, "check", base, target, "--max-growth", "100GiB", "-f", "json")
	if code != exitOK || !strings.HasPrefix(errOut, "heapdiff: within budget") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := runCLI(t, nil, "check", base, target, "--max-growth", "100GiB")
	if code != exitOK || errOut != "" || !strings.Contains(out, "within budget") {
		t.Errorf("text on stdout: exit %d, stderr %q", code, errOut)
	}
}

// TestSizesReadOneWay checks that a size means the same in every flag: a
// growth budget, a rate budget and --max-size.
func TestSizesReadOneWay(t *testing.T) {
	for _, s := range []string{"10K", "10KiB", "10KB", "1.5M", "2G", "512"} {
		growth, err := parseSize("--max-growth", s)
		if err != nil {
			t.Fatal(err)
		}
		rate, err := parseRate("--max-rate", s+"/h")
		if err != nil {
			t.Fatal(err)
		}
		lo, err := loadOptions(&streams{}, s)
		if err != nil {
			t.Fatal(err)
		}
		if growth != rate || int64(growth) != lo.MaxSize {
			t.Errorf("%s: growth %v, rate %v/h, max size %d", s, growth, rate, lo.MaxSize)
		}
	}
	if g, _ := parseSize("--max-growth", "10K"); g != 10<<10 {
		t.Errorf("10K = %v, want %d", g, 10<<10)
	}
}

// TestCheckCarriesTheWarnings checks that check says what compare and
// trend would warn of: a verdict on a pair given in the wrong order, or on
// a series with a snapshot named twice, is read with the warning, in text
// and in JSON.
func TestCheckCarriesTheWarnings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", target, base, "--max-growth", "1GiB"}, "did you swap them?"},
		{[]string{"check", base, target, target, "--max-growth", "1GiB"}, "heap-12.pb.gz repeats"},
	} {
		code, out, _ := runCLI(t, nil, tc.args...)
		if code != exitOK || !strings.Contains(out, "warning: ") || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, output:\n%s\nwant a warning with %q", tc.args, code, out, tc.want)
		}
		code, out, _ = runCLI(t, nil, append(tc.args, "-f", "json")...)
		var doc struct{ Warnings []string }
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOK || len(doc.Warnings) != 1 || !strings.Contains(doc.Warnings[0], tc.want) {
			t.Errorf("%v -f json: exit %d, warnings %q (%v)", tc.args, code, doc.Warnings, err)
		}
	}
}
