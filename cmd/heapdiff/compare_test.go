package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/report"
)

const (
	base   = "../../testdata/leaky/heap-01.pb.gz"
	target = "../../testdata/leaky/heap-12.pb.gz"
)

// runCLI runs heapdiff with args and in-memory streams, returning the exit
// status and what it wrote.
func runCLI(t *testing.T, s *streams, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if s == nil {
		s = &streams{}
	}
	s.Out, s.ErrOut = &out, &errOut
	if s.In == nil {
		s.In = strings.NewReader("")
	}
	code = run(args, s)
	return code, out.String(), errOut.String()
}

func TestCompareFlags(t *testing.T) {
	var got *compareOptions
	cmd := newCompareCmd(&streams{}, func(o *compareOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a.pb.gz", "b.pb.gz", "--by", "func", "-i", "alloc_space", "--top", "20", "--cum",
		"--focus", "F", "--ignore", "I", "--hide", "H", "--normalize", "-f", "json", "-o", "x.json", "--max-size", "2GiB"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := compareOptions{Base: "a.pb.gz", Target: "b.pb.gz", Cum: true, Normalize: true, viewFlags: viewFlags{Top: 20},
		analysisFlags: analysisFlags{By: "func", SampleIndex: "alloc_space", Focus: "F", Ignore: "I", Hide: "H", ByChosen: true,
			Format: "json", Output: "x.json", Color: "auto", MaxSize: "2GiB"}}
	if *got != want {
		t.Errorf("options = %+v\nwant      %+v", *got, want)
	}
}

func TestCompareText(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "compare", base, target)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"base    " + base, "target  " + target, "(1h50m later)", "inuse_space/bytes, by site",
		"main.(*SessionStore).Open main.go:", "per hour", "# trigger=schedule seq=12"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colors on a pipe")
	}
}

func TestCompareColor(t *testing.T) {
	_, out, _ := runCLI(t, &streams{OutIsTerminal: true}, "compare", base, target)
	if !strings.Contains(out, "\x1b[31m") {
		t.Error("no color on a terminal")
	}
	_, out, _ = runCLI(t, &streams{OutIsTerminal: true, NoColor: true}, "compare", base, target)
	if strings.Contains(out, "\x1b[") {
		t.Error("colors despite NO_COLOR")
	}
	_, out, _ = runCLI(t, &streams{}, "compare", base, target, "--color", "always")
	if !strings.Contains(out, "\x1b[31m") {
		t.Error("--color always gives no color")
	}
}

func TestCompareFormats(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args  []string
		file  string
		check func(string) bool
	}{
		{[]string{"-f", "json"}, "", func(s string) bool { return json.Valid([]byte(s)) && strings.Contains(s, report.JSONSchema) }},
		{[]string{"-f", "csv"}, "", func(s string) bool { return strings.HasPrefix(s, "name,function,file,line,") }},
		{[]string{"-f", "markdown"}, "", func(s string) bool { return strings.HasPrefix(s, "### heapdiff") }},
		{[]string{"-o", filepath.Join(dir, "d.json")}, "d.json", func(s string) bool { return json.Valid([]byte(s)) }},
		{[]string{"-o", filepath.Join(dir, "d.md")}, "d.md", func(s string) bool { return strings.Contains(s, "| site | base |") }},
		{[]string{"-o", filepath.Join(dir, "d.out"), "-f", "csv"}, "d.out", func(s string) bool { return strings.HasPrefix(s, "name,") }},
		// A report named *.gz is gzipped, in the format named before .gz.
		{[]string{"-o", filepath.Join(dir, "d.csv.gz")}, "d.csv.gz", func(s string) bool { return strings.HasPrefix(s, "name,function,file,line,") }},
		{[]string{"-o", filepath.Join(dir, "d.html.GZ")}, "d.html.GZ", func(s string) bool { return strings.HasPrefix(s, "<!DOCTYPE html>") }},
		{[]string{"-o", filepath.Join(dir, "d.gz"), "-f", "json"}, "d.gz", func(s string) bool { return json.Valid([]byte(s)) }},
	} {
		code, out, errOut := runCLI(t, nil, append([]string{"compare", base, target}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut)
		}
		if tc.file != "" {
			if out != "" {
				t.Errorf("%v: wrote to stdout too", tc.args)
			}
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if report.Gzipped(tc.file) {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("%v: %s is not gzipped: %v", tc.args, tc.file, err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					t.Fatalf("%v: %s: %v", tc.args, tc.file, err)
				}
			}
			out = string(data)
		}
		if !tc.check(out) {
			t.Errorf("%v: unexpected output:\n%.300s", tc.args, out)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestCompareStdin(t *testing.T) {
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, &streams{In: bytes.NewReader(data)}, "compare", "-", target, "-f", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, fromFile, _ := runCLI(t, nil, "compare", base, target, "-f", "json")
	if strings.Replace(out, `"name": "-"`, `"name": "`+base+`"`, 1) != fromFile {
		t.Error("reading the base from standard input changes the result")
	}
	// check and trend read "-" too (they said "-: no such file").
	for _, args := range [][]string{
		{"check", "-", target, "--max-growth", "1GiB"},
		{"trend", "-", "../../testdata/leaky/heap-06.pb.gz", target},
	} {
		code, out, errOut := runCLI(t, &streams{In: bytes.NewReader(data)}, args...)
		if code != exitOK || !strings.Contains(out, "- ") {
			t.Errorf("%v: exit %d, stderr %q, output:\n%s", args, code, errOut, out)
		}
	}
}

// TestCompareErrors checks that every failure is one line on stderr naming the
// problem, with exit status 1 for bad input and 2 for bad usage.
func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pb.gz")
	os.WriteFile(empty, nil, 0o644)
	notProfile := filepath.Join(dir, "notes.txt")
	os.WriteFile(notProfile, []byte("just some notes\n"), 0o644)
	existing := filepath.Join(dir, "keep.json")
	os.WriteFile(existing, []byte("precious"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"compare", base}, exitUsage, "needs two profiles"},
		{[]string{"compare", base, target, "--by", "file"}, exitUsage, `unknown grouping "file"`},
		{[]string{"compare", base, target, "--focus", "("}, exitUsage, "--focus: invalid regular expression"},
		{[]string{"compare", base, target, "--nope"}, exitUsage, "unknown flag: --nope"},
		{[]string{"compare", base, target, "-f", "pdf"}, exitUsage, `unknown format "pdf"`},
		{[]string{"compare", base, target, "--max-size", "lots"}, exitUsage, "--max-size"},
		{[]string{"compare", "-", "-"}, exitUsage, "only one profile"},
		{[]string{"compare", base, filepath.Join(dir, "missing.pb.gz")}, exitError, "missing.pb.gz: no such file"},
		// A runtime error is exit 1 whatever words it holds.
		{[]string{"compare", base, filepath.Join(dir, "x accepts y")}, exitError, "x accepts y: no such file"},
		{[]string{"compare", base, filepath.Join(dir, "unknown command.pb")}, exitError, "no such file"},
		{[]string{"nosuchcommand"}, exitUsage, `unknown command "nosuchcommand"`},
		{[]string{"compare", dir, target}, exitError, "is a directory"},
		{[]string{"compare", empty, target}, exitError, "empty.pb.gz: empty file"},
		{[]string{"compare", notProfile, target}, exitError, "notes.txt: not a profile"},
		// A sample type the profiles lack is an invalid value of -i: a usage error.
		{[]string{"compare", base, target, "-i", "cpu"}, exitUsage, `heap-01.pb.gz: sample index "cpu" must be one of`},
		{[]string{"compare", base, target, "--max-size", "1KiB"}, exitError, "raise the limit with --max-size"},
		{[]string{"compare", empty, target, "-o", existing}, exitError, "empty file"},
	} {
		code, out, errOut := runCLI(t, nil, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errOut)
		}
		if !strings.HasPrefix(errOut, "heapdiff: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: stderr %q, want one line saying %q", tc.args, errOut, tc.msg)
		}
		if out != "" {
			t.Errorf("%v: wrote to stdout: %q", tc.args, out)
		}
		if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
			t.Errorf("%v: stack trace on stderr", tc.args)
		}
	}
	if data, _ := os.ReadFile(existing); string(data) != "precious" {
		t.Error("a failed compare clobbered the existing output file")
	}
}

// TestHeapSnapshotsOfTwoProcessesAreRefused checks README's promise that
// heap snapshots of two processes (Node.js names its files with the pid)
// are refused, exit 1, unless --allow-mixed: objects are matched by id,
// which only one process gives. They were compared with a warning (found
// by an exploratory test against a restarted process).
func TestHeapSnapshotsOfTwoProcessesAreRefused(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, src := range []string{"leaky-before", "leaky-after"} {
		data, err := os.ReadFile("../../testdata/node/" + src + ".heapsnapshot.gz")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("Heap.20261201.10%d000.%d.0.00%d.heapsnapshot.gz", i, 111*(i+1), i+1))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	code, _, errOut := runCLI(t, nil, "compare", paths[0], paths[1])
	if code != exitError || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "comes from pid=111 but") ||
		!strings.Contains(errOut, "--allow-mixed") || strings.Contains(errOut, "host=") {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line naming both pids and --allow-mixed", code, errOut)
	}
	code, out, errOut := runCLI(t, nil, "compare", paths[0], paths[1], "--allow-mixed")
	if code != exitOK || !strings.Contains(out, "warning: ") || !strings.Contains(out, "object ids are its process's own") {
		t.Errorf("--allow-mixed: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
}
