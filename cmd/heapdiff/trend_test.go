package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

const leakyDir = "../../testdata/leaky"

func TestTrendFlags(t *testing.T) {
	var got *trendOptions
	cmd := newTrendCmd(&streams{}, func(o *trendOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"snaps/", "x.pb.gz", "y.pb.gz", "--by", "func", "-i", "alloc_space", "--top", "7", "--focus", "F",
		"--ignore", "I", "--hide", "H", "--allow-mixed", "-f", "json", "-o", "t.json", "--max-size", "2GiB", "--color", "never"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := trendOptions{Paths: []string{"snaps/", "x.pb.gz", "y.pb.gz"}, analysisFlags: analysisFlags{By: "func", SampleIndex: "alloc_space",
		Focus: "F", Ignore: "I", Hide: "H", AllowMixed: true, MaxSize: "2GiB", ByChosen: true, Format: "json", Output: "t.json", Color: "never"},
		viewFlags: viewFlags{Top: 7}}
	if !slices.Equal(got.Paths, want.Paths) || got.analysisFlags != want.analysisFlags || got.viewFlags != want.viewFlags || got.warmUpFlags != want.warmUpFlags {
		t.Errorf("options = %+v\nwant      %+v", *got, want)
	}
}

func TestTrendRanksTheLeaks(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "trend", leakyDir)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(out, "\n")
	var rows []string
	for _, l := range lines {
		if len(l) > 3 && l[0] >= '1' && l[0] <= '9' {
			rows = append(rows, l)
		}
	}
	cache := slices.IndexFunc(rows, func(r string) bool { return strings.Contains(r, "main.(*Cache).Put") })
	if len(rows) < 4 || !strings.Contains(rows[0], "steady growth") || !strings.Contains(rows[0], "main.(*SessionStore).Open") ||
		!strings.Contains(rows[1], "steady growth") || !strings.Contains(rows[1], "main.(*JobQueue).Finish") ||
		cache < 2 || !strings.Contains(rows[cache], "plateau since 10:") {
		t.Errorf("ranking:\n%s", strings.Join(rows, "\n"))
	}
	for _, want := range []string{"snapshots  12, " + leakyDir + "/heap-01.pb.gz … " + leakyDir + "/heap-12.pb.gz", "(1h50m)", "inuse_space/bytes, by site", "▁"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// The same series named file by file, in any order, gives the same trend.
	files, _ := filepath.Glob(filepath.Join(leakyDir, "heap-*.pb.gz"))
	slices.Reverse(files)
	_, out2, _ := runCLI(t, nil, append([]string{"trend"}, files...)...)
	if strings.SplitN(out2, "\n", 2)[1] != strings.SplitN(out, "\n", 2)[1] {
		t.Error("files given in reverse give another trend")
	}
}

func TestTrendFormats(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, nil, "trend", leakyDir, "-f", "json", "--by", "func")
	var doc report.JSONTrend
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || doc.Schema != report.TrendJSONSchema || doc.Sites[0].Shape != "steady_growth" {
		t.Fatalf("exit %d, %v, %+v", code, err, doc.Sites)
	}
	code, _, errOut := runCLI(t, nil, "trend", leakyDir, "-o", filepath.Join(dir, "t.md"), "--top", "3")
	data, _ := os.ReadFile(filepath.Join(dir, "t.md"))
	if code != 0 || !strings.HasPrefix(string(data), "### heapdiff trend: `inuse_space` by site") || strings.Count(string(data), "\n| ") != 5 {
		t.Errorf("exit %d (%s), markdown:\n%s", code, errOut, data)
	}
	code, out, _ = runCLI(t, nil, "trend", leakyDir, "-f", "csv")
	if code != 0 || !strings.HasPrefix(out, "rank,name,function,") || !strings.Contains(out, ",v12\n") {
		t.Errorf("exit %d, csv:\n%.300s", code, out)
	}
}

func TestTrendProgressOnlyOnATerminal(t *testing.T) {
	_, _, errOut := runCLI(t, &streams{ErrIsTerminal: true}, "trend", leakyDir)
	if !strings.Contains(errOut, "\rloading 12/12 "+leakyDir+"/heap-12.pb.gz") || !strings.HasSuffix(errOut, "\r\x1b[K") {
		t.Errorf("progress on a terminal: %q", errOut)
	}
	if _, _, errOut := runCLI(t, nil, "trend", leakyDir); errOut != "" {
		t.Errorf("progress on a pipe: %q", errOut)
	}
}

// TestLoadSeriesInOrder checks that profiles reach the trend in the order
// given, however the parallel loads finish, and that loading stops at the
// first bad file, naming it.
func TestLoadSeriesInOrder(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(leakyDir, "heap-*.pb.gz"))
	bad := filepath.Join(t.TempDir(), "bad.pb.gz")
	os.WriteFile(bad, []byte("not a profile"), 0o644)
	paths := append(append(append([]string{}, files[:5]...), bad), files[5:]...)
	var got []string
	same := func(p *profile.Profile) *profile.Profile { return p }
	err := loadSeries(&streams{}, paths, profile.Options{}, same, func(p *profile.Profile, _ string) error {
		got = append(got, p.Name)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "bad.pb.gz: not a profile") {
		t.Errorf("error %v", err)
	}
	if !slices.Equal(got, files[:5]) {
		t.Errorf("added %v, want the five files before the bad one", got)
	}
}

func TestTrendErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	junk := filepath.Join(dir, "junk")
	os.Mkdir(junk, 0o755)
	data, _ := os.ReadFile(filepath.Join(leakyDir, "heap-01.pb.gz"))
	os.WriteFile(filepath.Join(junk, "heap-01.pb.gz"), data, 0o644)
	os.WriteFile(filepath.Join(junk, "notes.txt"), []byte("notes"), 0o644)
	os.WriteFile(filepath.Join(junk, "README.md"), []byte("skipped"), 0o644)
	os.WriteFile(filepath.Join(junk, ".heap-02.pb.gz.tmp"), []byte("skipped"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"trend"}, exitUsage, "needs a directory of snapshots"},
		{[]string{"trend", leakyDir, "--by", "file"}, exitUsage, `unknown grouping "file"`},
		{[]string{"trend", leakyDir, "--ignore", "("}, exitUsage, "--ignore: invalid regular expression"},
		{[]string{"trend", leakyDir, "-f", "pdf"}, exitUsage, `unknown format "pdf"`},
		{[]string{"trend", filepath.Join(leakyDir, "heap-01.pb.gz")}, exitUsage, "at least three profiles, got 1"},
		{[]string{"trend", filepath.Join(leakyDir, "heap-01.pb.gz"), filepath.Join(leakyDir, "heap-02.pb.gz")}, exitUsage, "compare two with: heapdiff compare"},
		{[]string{"trend", empty}, exitError, "empty holds no profiles"},
		{[]string{"trend", junk}, exitError, "notes.txt: not a profile"},
		{[]string{"trend", leakyDir, "-i", "cpu"}, exitUsage, `sample index "cpu" must be one of`},
		{[]string{"trend", leakyDir, "--max-size", "1KiB"}, exitError, "raise the limit with --max-size"},
		{[]string{"trend", filepath.Join(leakyDir, "heap-12.pb.gz"), filepath.Join(leakyDir, "heap-01.pb.gz"), filepath.Join(leakyDir, "heap-02.pb.gz")},
			exitOK, ""},
	} {
		code, out, errOut := runCLI(t, nil, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errOut)
		}
		if tc.code == exitOK {
			continue
		}
		if !strings.HasPrefix(errOut, "heapdiff: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: stderr %q, want one line saying %q", tc.args, errOut, tc.msg)
		}
		if out != "" {
			t.Errorf("%v: wrote to stdout: %q", tc.args, out)
		}
	}
}

// TestTrendRefusesARestart builds a series in which the process restarted
// (its alloc_* totals fall) and checks that trend refuses it unless told to
// go on.
func TestTrendRefusesARestart(t *testing.T) {
	dir := t.TempDir()
	// heap-01's alloc_* totals are lower than heap-12's: its content
	// stamped after heap-12 is what a restarted process would write.
	for _, n := range []string{"heap-11.pb.gz", "heap-12.pb.gz"} {
		data, _ := os.ReadFile(filepath.Join(leakyDir, n))
		os.WriteFile(filepath.Join(dir, n), data, 0o644)
	}
	code, _, errOut := runCLI(t, nil, "trend", dir, filepath.Join(leakyDir, "heap-01.pb.gz"), "--by", "func")
	if code != exitOK {
		t.Fatalf("ordered by time, heap-01 comes first and nothing falls: exit %d %s", code, errOut)
	}
	restarted := filepath.Join(dir, "heap-13.pb.gz")
	if err := retime(filepath.Join(leakyDir, "heap-01.pb.gz"), restarted, "2026-11-26T12:00:00Z"); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI(t, nil, "trend", dir)
	if code != exitError || !strings.Contains(errOut, "restarted in between") || !strings.Contains(errOut, "pass --allow-mixed to go on") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := runCLI(t, nil, "trend", dir, "--allow-mixed")
	if code != exitOK || !strings.Contains(out, "warning: snapshots do not belong to one series") {
		t.Errorf("--allow-mixed: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
}

// retime copies the pprof profile src to dst with its time set to at (RFC
// 3339), or with no time when at is empty.
func retime(src, dst, at string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := pprofile.Parse(f)
	if err != nil {
		return err
	}
	p.TimeNanos = 0
	if at != "" {
		when, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return err
		}
		p.TimeNanos = when.UnixNano()
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := p.Write(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func TestTrendHTML(t *testing.T) {
	out := filepath.Join(t.TempDir(), "trend.html")
	code, stdout, errOut := runCLI(t, nil, "trend", leakyDir, "-o", out)
	page, err := os.ReadFile(out)
	if code != exitOK || stdout != "" || err != nil || !strings.HasPrefix(string(page), "<!DOCTYPE html>") ||
		!strings.Contains(string(page), "<h1>Heap trend report</h1>") || !strings.Contains(string(page), `"main.(*SessionStore).Open main.go:50"`) {
		t.Fatalf("exit %d, stderr %q, %v, page %.80q", code, errOut, err, page)
	}

	script, record := fakeBrowser(t, 0)
	t.Setenv("BROWSER", script)
	code, stdout, errOut = runCLI(t, nil, "trend", leakyDir, "--open")
	if code != exitOK || stdout != "" {
		t.Fatalf("--open: exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	args := recorded(t, record)
	t.Cleanup(func() { os.Remove(args[0]) })
	if opened, err := os.ReadFile(args[0]); err != nil || !strings.Contains(string(opened), "<h1>Heap trend report</h1>") || !strings.Contains(errOut, args[0]) {
		t.Errorf("the browser got %q (%v); stderr %q", args, err, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "trend", leakyDir, "-f", "csv", "--open"); code != exitUsage || !strings.Contains(errOut, "--open shows HTML") {
		t.Errorf("--open with csv: exit %d, stderr %q", code, errOut)
	}
}

// TestTrendProgressEscapesFileNames checks that a crafted file name cannot
// send control sequences to the terminal through the progress line.
func TestTrendProgressEscapesFileNames(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"heap-01.pb.gz", "heap-02\x1b]0;PWNED\x07.pb.gz", "heap-03.pb.gz"} {
		data, err := os.ReadFile(filepath.Join(leakyDir, fmt.Sprintf("heap-%02d.pb.gz", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := runCLI(t, &streams{ErrIsTerminal: true}, "trend", dir, "-f", "json")
	if code != 0 || strings.Contains(errOut, "\x1b]0;") || strings.Contains(errOut, "\x07") || !strings.Contains(errOut, `\x1b]0;PWNED\x07`) {
		t.Errorf("exit %d, progress %q", code, errOut)
	}
}

// TestTrendAndCheckLeaveOutTheWarmUp runs trend and check with --skip and
// --since: the snapshots left out are not in the report, bad values are
// usage errors naming the flag, and leaving out too many says so.
func TestTrendAndCheckLeaveOutTheWarmUp(t *testing.T) {
	for _, args := range [][]string{{"--skip", "4"}, {"--since", "40m"}, {"--since", "2026-11-26T10:35:00Z"}} {
		code, out, errOut := runCLI(t, nil, append([]string{"trend", leakyDir}, args...)...)
		if code != exitOK || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if !strings.Contains(out, "snapshots  8, ../../testdata/leaky/heap-05.pb.gz … ../../testdata/leaky/heap-12.pb.gz") {
			t.Errorf("%v: the trend does not start at heap-05:\n%s", args, out)
		}
	}
	// check on the same window: the leaks fail a site rate of 4MiB/h, the
	// cache (a plateau) is excused however fast it grew.
	code, out, _ := runCLI(t, nil, "check", leakyDir, "--skip", "2", "--max-site-rate", "4MiB/h", "--by", "func")
	if code != exitOverBudget || !strings.Contains(out, "main.(*SessionStore).Open") || strings.Contains(out, "snapshots, ../../testdata/leaky/heap-01") {
		t.Errorf("check --skip 2: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trend", leakyDir, "--skip", "10"}, "2 of 12 snapshots are left after the warm-up"},
		{[]string{"trend", leakyDir, "--skip", "-1"}, "--skip -1"},
		{[]string{"trend", leakyDir, "--since", "soon"}, "--since soon"},
		{[]string{"check", leakyDir, "--since", "3h", "--max-rate", "1MiB/h"}, "0 of 12 snapshots are left"},
	} {
		code, _, errOut := runCLI(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") > 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
}

// TestMissingDirectoryIsNamed checks that trend and check on a path that does
// not exist say so, instead of counting their arguments.
func TestMissingDirectoryIsNamed(t *testing.T) {
	for _, args := range [][]string{{"trend", "no/such/snaps"}, {"check", "no/such/snaps", "--max-rate", "1MiB/h"}} {
		code, _, errOut := runCLI(t, nil, args...)
		if code != exitError || errOut != "heapdiff: no/such/snaps: no such file or directory\n" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestCompareRefusesTwoPrograms checks compare on profiles of two programs:
// refused with one line naming both and --allow-mixed, which goes on with a
// warning.
func TestCompareRefusesTwoPrograms(t *testing.T) {
	dir := t.TempDir()
	write := func(name, module string) string {
		f, err := os.Open(filepath.Join(leakyDir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, err := pprofile.Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		p.Comments = append(p.Comments, "heapdiff.main_module="+module)
		path := filepath.Join(dir, name)
		out, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		if err := p.Write(out); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a, b := write("heap-01.pb.gz", "example.com/bot"), write("heap-12.pb.gz", "example.com/shop")
	code, _, errOut := runCLI(t, nil, "compare", a, b)
	if code != exitError || !strings.Contains(errOut, "example.com/bot") || !strings.Contains(errOut, "example.com/shop") ||
		!strings.Contains(errOut, "--allow-mixed") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, out, _ := runCLI(t, nil, "compare", a, b, "--allow-mixed")
	if code != exitOK || !strings.Contains(out, "different programs") {
		t.Errorf("--allow-mixed: exit %d\n%s", code, out)
	}
}
