package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gpprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/report"
)

// The tests of issue 16: what the command line says, and how it takes what
// users type.

// TestPprofSpellingsAreOurFlags checks that pprof's spellings of flags that
// mean what one of ours does, and our long flags written with one dash, give
// exactly the output of our own spelling. Before, -sample_index failed as
// "unknown shorthand flag: 's'", and -focus=x was read as -f ocus=x.
func TestPprofSpellingsAreOurFlags(t *testing.T) {
	for _, tc := range []struct {
		cmd         string
		pprof, ours []string
	}{
		{"compare", []string{"-sample_index=alloc_space"}, []string{"-i", "alloc_space"}},
		{"compare", []string{"-sample_index", "alloc_space"}, []string{"-i", "alloc_space"}},
		{"compare", []string{"--sample_index=inuse_objects"}, []string{"-i", "inuse_objects"}},
		{"compare", []string{"-alloc_objects"}, []string{"-i", "alloc_objects"}},
		{"compare", []string{"-inuse_space=true"}, []string{"-i", "inuse_space"}},
		{"compare", []string{"-nodecount=2"}, []string{"--top", "2"}},
		{"compare", []string{"-lines"}, []string{"--by", "line"}},
		{"compare", []string{"-functions", "-focus=Cache"}, []string{"--by", "func", "--focus", "Cache"}},
		{"compare", []string{"-hide", "runtime", "-top", "3", "-normalize"}, []string{"--hide", "runtime", "--top", "3", "--normalize"}},
		{"trend", []string{"-sample_index=inuse_objects", "-nodecount", "2"}, []string{"-i", "inuse_objects", "--top", "2"}},
		{"check", []string{"-sample_index=alloc_space", "-max-growth=10%"}, []string{"-i", "alloc_space", "--max-growth", "10%"}},
	} {
		inputs := []string{base, target}
		if tc.cmd == "trend" {
			inputs = []string{leakyDir}
		}
		run := func(flags []string) (int, string, string) {
			return runCLI(t, nil, append(append([]string{tc.cmd}, inputs...), flags...)...)
		}
		wantCode, want, wantErr := run(tc.ours)
		code, got, errOut := run(tc.pprof)
		if want == "" || (wantCode != exitOK && wantCode != exitOverBudget) {
			t.Fatalf("%s %v: exit %d, stderr %q", tc.cmd, tc.ours, wantCode, wantErr)
		}
		if code != wantCode || got != want || errOut != wantErr {
			t.Errorf("%s %v: exit %d, stderr %q; want what %v gives (exit %d, stderr %q)\n%s", tc.cmd, tc.pprof, code, errOut, tc.ours, wantCode, wantErr, got)
		}
	}
}

// TestRespellLeavesValuesAlone checks that the rewriting touches flags only:
// a flag's value that looks like a flag, the files, and everything after
// "--" stay as they are.
func TestRespellLeavesValuesAlone(t *testing.T) {
	fs := newCompareCmd(&streams{}, nil).Flags()
	for _, tc := range []struct{ in, want []string }{
		{[]string{"--focus", "-hide", "a", "b"}, []string{"--focus", "-hide", "a", "b"}},
		{[]string{"-i", "-sample_index", "a"}, []string{"-i", "-sample_index", "a"}},
		{[]string{"-o", "-focus", "-focus", "x"}, []string{"-o", "-focus", "--focus", "x"}},
		{[]string{"-fjson", "-cum", "a", "--", "-focus"}, []string{"-fjson", "--cum", "a", "--", "-focus"}},
		{[]string{"-", "b", "-top=4"}, []string{"-", "b", "--top=4"}},
		{[]string{"-lines=false", "-tagfocuz=x"}, []string{"-lines=false", "-tagfocuz=x"}},
	} {
		if got, err := respell(fs, tc.in); err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("respell(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestUsageErrorsExitTwo checks README's exit code table: every usage error,
// an invalid value of a flag included, exits 2 with one line; an error in
// the input exits 1.
func TestUsageErrorsExitTwo(t *testing.T) {
	const (
		snapBefore = "../../testdata/node/leaky-before.heapsnapshot.gz"
		snapAfter  = "../../testdata/node/leaky-after.heapsnapshot.gz"
	)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"compare", base, target, "-i", "cpu"}, 2, `sample index "cpu" must be one of: alloc_objects, alloc_space, inuse_objects, inuse_space`},
		{[]string{"check", base, target, "-i", "cpu", "--max-growth", "1MiB"}, 2, `sample index "cpu" must be one of`},
		{[]string{"trend", leakyDir, "-i", "cpu"}, 2, `sample index "cpu" must be one of`},
		{[]string{"compare", snapBefore, snapAfter, "-i", "inuse_space"}, 2, `leaky-before.heapsnapshot.gz: sample index "inuse_space" must be one of: objects, shallow_size, retained_size`},
		// --by class on a Go heap profile: refused in one line, naming the
		// file and what to use instead.
		{[]string{"compare", base, target, "--by", "class"}, 2, "heap-01.pb.gz is a heap profile, whose stacks are allocation stacks with no classes: --by class groups heap snapshots' objects; use --by func or --by site"},
		{[]string{"check", base, target, "--by", "class", "--max-growth", "1MiB"}, 2, "--by class groups heap snapshots' objects"},
		{[]string{"trend", leakyDir, "--by", "class"}, 2, "--by class groups heap snapshots' objects"},
		{[]string{"compare", base, target, "-sample_indx=x"}, 2, `unknown flag -sample_indx=x (heapdiff's flags are spelled --name; "heapdiff compare --help" lists them)`},
		{[]string{"compare", base, target, "--nope"}, 2, "unknown flag: --nope"},
		// It listed "0 snapshots", exit 0.
		{[]string{"ls", base}, 2, "heap-01.pb.gz is a file; ls lists a directory tree or an s3:// prefix"},
		// pprof's flags that no flag of heapdiff's stands for: what to do
		// instead, where pflag read -flat as -f lat and -http as -h.
		{[]string{"compare", base, target, "-diff_base=" + base}, 2, "pprof's -diff_base is not a flag of heapdiff's: give the base profile as the first argument: heapdiff compare BASE TARGET"},
		{[]string{"compare", base, target, "-flat"}, 2, "pprof's -flat is not a flag of heapdiff's: flat values are what heapdiff shows"},
		{[]string{"compare", base, target, "-http=:8080"}, 2, "pprof's -http is not a flag of heapdiff's: heapdiff serves no page; -o report.html writes one"},
		{[]string{"trend", leakyDir, "-tagfocus=bytes=1kb"}, 2, "pprof's -tagfocus is not a flag of heapdiff's: heapdiff does not read pprof's labels"},
		{[]string{"compare", base, target, "-svg"}, 2, "pprof's -svg is not a flag of heapdiff's: heapdiff writes text, json, csv, md or html: -f FORMAT, -o FILE"},
		{[]string{"compare", base, target, "--top", "-1"}, 2, "--top must be 0 or more"},
		{[]string{"trend", leakyDir, "--top", "-1"}, 2, "--top must be 0 or more"},
		{[]string{"compare", base, filepath.Join(dir, "missing.pb.gz")}, 1, "missing.pb.gz: no such file"},
		{[]string{"compare", base, target, "--open", "-o", filepath.Join(dir, "r.html.gz")}, 2, "--open: a browser does not open a gzipped page like"},
		// --max-size says what is wrong with the size; 1PiB was "not a size".
		{[]string{"compare", base, target, "--max-size", "12 parsecs"}, 2, `--max-size: size "12 parsecs": unknown unit "parsecs" (use B, KB,`},
		{[]string{"compare", base, target, "--max-size", "0"}, 2, "--max-size 0: must be more than 0"},
	} {
		code, out, errOut := runCLI(t, nil, tc.args...)
		if code != tc.code || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "heapdiff: ") || !strings.Contains(errOut, tc.say) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line saying %q", tc.args, code, errOut, tc.code, tc.say)
		}
		if out != "" {
			t.Errorf("%v: wrote %q to stdout", tc.args, out)
		}
	}
	// A limit no file reaches is no limit, not an error.
	for _, size := range []string{"1PiB", "8000PiB"} {
		code, _, errOut := runCLI(t, nil, "compare", base, target, "--max-size", size)
		if code != exitOK {
			t.Errorf("--max-size %s: exit %d, stderr %q", size, code, errOut)
		}
	}
	// The class view itself is fine with --by class.
	if code, out, errOut := runCLI(t, nil, "compare", snapBefore, snapAfter, "--by", "class"); code != exitOK || !strings.Contains(out, "LeakySession") {
		t.Errorf("--by class on heap snapshots: exit %d, stderr %q", code, errOut)
	}
}

// TestOutputDirectoryIsRefusedFirst checks that -o naming a directory is
// refused in one line that names the path as given (never a temporary file
// of ours), before anything is loaded: the inputs here do not exist.
func TestOutputDirectoryIsRefusedFirst(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pb.gz")
	for _, args := range [][]string{
		{"compare", missing, missing, "-o", dir},
		{"compare", base, target, "-o", dir + "/", "-f", "html"},
		{"trend", leakyDir, "-o", dir},
		{"check", dir, "-o", dir, "--max-growth", "1MiB"},
	} {
		code, out, errOut := runCLI(t, nil, args...)
		o := args[slices.Index(args, "-o")+1]
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "heapdiff: -o "+o+": is a directory") ||
			strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, ".tmp") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", args, code, errOut, "heapdiff: -o "+o+": is a directory")
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("files left in the directory: %v", left)
	}
}

// TestCaptureAssumesHTTP checks that capture takes host:port, as pprof does,
// and fetches over http from the real endpoint.
func TestCaptureAssumesHTTP(t *testing.T) {
	srv := newPprofServer(t)
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	code, out, errOut := runCLI(t, nil, "capture", hostPort, "--dir", dir)
	if code != exitOK || errOut != "" {
		t.Fatalf("capture %s: exit %d, stderr %q", hostPort, code, errOut)
	}
	files, err := snapshot.List(dir)
	if err != nil || len(files) != 1 || strings.TrimSpace(out) != filepath.Join(dir, files[0].File) {
		t.Fatalf("snapshots %v (%v), stdout %q", files, err, out)
	}
	f, err := os.Open(filepath.Join(dir, files[0].File))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := gpprof.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if src := snapshot.ParseComments(p.Comments).Get("source"); src != "http://"+hostPort+"/debug/pprof/heap" {
		t.Errorf("source %q, want http://%s/debug/pprof/heap", src, hostPort)
	}
	// A scheme other than http or https is still refused.
	if code, _, errOut := runCLI(t, nil, "capture", "ftp://"+hostPort, "--dir", dir); code != exitUsage || !strings.Contains(errOut, "is not an http or https URL") {
		t.Errorf("ftp: exit %d, stderr %q", code, errOut)
	}
}

// shownRows returns the rows of a text comparison's table (after its header,
// up to the blank line), and the count in its "(N more rows)" line, -1 when
// there is none.
func shownRows(t *testing.T, out string) (rows []string, more int) {
	t.Helper()
	more = -1
	moreRx := regexp.MustCompile(`\((\d+) more rows( cut by --top)?\)`)
	in := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case !in:
			in = strings.Contains(l, "  base  ") && strings.Contains(l, "target") || strings.HasPrefix(l, "# new")
		case l == "":
			return rows, more
		case moreRx.MatchString(l):
			fmt.Sscan(moreRx.FindStringSubmatch(l)[1], &more)
		default:
			rows = append(rows, l)
		}
	}
	if !in {
		t.Fatalf("no table in:\n%s", out)
	}
	return rows, more
}

// TestTopShowsTheRowsAsked checks that --top N shows N rows of what the
// view without --top shows, in its order, and that "(M more rows)" counts
// the rows it would show after them. Before, diff's Top counted rows the
// text view hides (no value of the shown type, or of it cum), so --top 3
// by package with --cum showed two rows, then "(6 more rows)" of which one
// would show, and the leaky pair by site said "(12 more rows)" for four.
func TestTopShowsTheRowsAsked(t *testing.T) {
	const (
		snapBefore = "../../testdata/node/leaky-before.heapsnapshot.gz"
		snapAfter  = "../../testdata/node/leaky-after.heapsnapshot.gz"
	)
	for _, tc := range []struct {
		pair  []string
		flags []string
	}{
		{[]string{base, target}, nil},
		{[]string{base, target}, []string{"--by", "package", "--cum"}},
		{[]string{base, target}, []string{"--by", "stack", "--cum"}},
		{[]string{base, target}, []string{"--by", "func", "-i", "alloc_space"}},
		{[]string{snapBefore, snapAfter}, nil},
	} {
		args := append(append([]string{"compare"}, tc.pair...), tc.flags...)
		_, all, _ := runCLI(t, nil, args...)
		full, more := shownRows(t, all)
		if more != -1 || len(full) < 4 {
			t.Fatalf("%v: %d rows, more %d: a case needs at least 4 rows and no cut", args, len(full), more)
		}
		for _, top := range []int{1, 3, len(full) - 1, len(full), len(full) + 5} {
			code, out, errOut := runCLI(t, nil, append(args, "--top", fmt.Sprint(top))...)
			if code != exitOK {
				t.Fatalf("%v --top %d: exit %d, %s", args, top, code, errOut)
			}
			rows, more := shownRows(t, out)
			wantRows, wantMore := full, -1
			if top < len(full) {
				wantRows, wantMore = full[:top], len(full)-top
			}
			if !slices.Equal(stripPad(rows), stripPad(wantRows)) || more != wantMore {
				t.Errorf("%v --top %d: %d rows, then (%d more rows); want the first %d of the %d shown without --top, then %d more:\n%s",
					args, top, len(rows), more, len(wantRows), len(full), wantMore, out)
			}
		}
	}
	// Markdown cuts alike.
	_, md, _ := runCLI(t, nil, "compare", base, target, "--by", "package", "--cum", "-f", "md", "--top", "2")
	if n := strings.Count(md, "\n| `"); n != 2 || !strings.Contains(md, "| *2 more rows* |") {
		t.Errorf("markdown --top 2: %d rows:\n%s", n, md)
	}
	// JSON keeps every row diff finds, whatever the text view shows: --top
	// cuts them there as before.
	_, js, _ := runCLI(t, nil, "compare", base, target, "-f", "json", "--top", "3")
	var doc report.JSONComparison
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Rows) != 3 || doc.Rest == nil || doc.Rest.Rows != 12 {
		t.Errorf("json --top 3: %v, %d rows, rest %+v", err, len(doc.Rows), doc.Rest)
	}
}

// stripPad drops the padding of table lines: a cut table's columns may be
// narrower.
func stripPad(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Join(strings.Fields(l), " ")
	}
	return out
}

// TestProgressOnlyOnATerminal checks that compare and check draw their
// progress on stderr when it is a terminal, and clear it, and write nothing
// there when it is not.
func TestProgressOnlyOnATerminal(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		says []string
	}{
		{[]string{"compare", base, target, "--by", "stack", "--cum"}, exitOK, []string{"\rloading " + base + " and " + target, "\rcomparing by stack"}},
		{[]string{"compare", base, target, "-o", filepath.Join(dir, "r.html")}, exitOK, []string{"\rcomparing by site", "\rwriting " + filepath.Join(dir, "r.html")}},
		{[]string{"check", base, target, "--max-growth", "1GiB"}, exitOK, []string{"\rcomparing by site"}},
		{[]string{"check", leakyDir, "--max-growth", "1GiB"}, exitOK, []string{"\rloading 12/12 " + leakyDir + "/heap-12.pb.gz"}},
	} {
		code, out, errOut := runCLI(t, &streams{ErrIsTerminal: true}, tc.args...)
		if code != tc.code {
			t.Fatalf("%v: exit %d, stderr %q", tc.args, code, errOut)
		}
		for _, want := range tc.says {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: the progress %q does not say %q", tc.args, errOut, want)
			}
		}
		// Cleared, and before the report: nothing of it is left on the
		// line the report starts on.
		if !strings.HasSuffix(errOut, "\r\x1b[K") {
			t.Errorf("%v: progress not cleared: %q", tc.args, errOut)
		}
		_, plain, errPlain := runCLI(t, nil, tc.args...)
		if errPlain != "" {
			t.Errorf("%v: progress off a terminal: %q", tc.args, errPlain)
		}
		if out != plain {
			t.Errorf("%v: the progress changed standard output", tc.args)
		}
	}
}

// TestProgressShowsTimeAndStops checks the progress line's clock: a step
// that lasts more than a second says how long it has run, and nothing is
// drawn once it is done.
func TestProgressShowsTimeAndStops(t *testing.T) {
	var buf syncBuffer
	pr := newProgress(&streams{ErrOut: &buf, ErrIsTerminal: true})
	pr.show("comparing by %s", "stack")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "\rcomparing by stack (1s)\x1b[K") {
		if time.Now().After(deadline) {
			t.Fatalf("no time shown after 10s: %q", buf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	pr.done()
	drawn := buf.String()
	if !strings.HasSuffix(drawn, "\r\x1b[K") {
		t.Errorf("not cleared: %q", drawn)
	}
	time.Sleep(1200 * time.Millisecond)
	if buf.String() != drawn {
		t.Errorf("drawn after done: %q", strings.TrimPrefix(buf.String(), drawn))
	}
	if newProgress(&streams{ErrOut: &buf}) != nil {
		t.Error("a progress line off a terminal")
	}
}

// syncBuffer is a bytes.Buffer safe to read while the progress line's clock
// writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDumbTerminalGetsNoColor checks that TERM=dumb, a terminal that shows
// escape sequences as text, turns --color=auto's colors off, as NO_COLOR
// does.
func TestDumbTerminalGetsNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm-256color")
	if newStdStreams().NoColor {
		t.Fatal("no color on xterm-256color without NO_COLOR")
	}
	t.Setenv("TERM", "dumb")
	if !newStdStreams().NoColor {
		t.Error("color on TERM=dumb")
	}
}
