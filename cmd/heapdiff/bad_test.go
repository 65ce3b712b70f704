//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/report"
)

// badCase is one run of the real CLI on a bad, odd or hostile input.
type badCase struct {
	name  string   // the case, and the file in testdata/bad it reads, if any
	cmd   string   // the subcommand; default compare
	args  []string // arguments after "heapdiff CMD"
	dir   string   // working directory; default testdata/bad
	exit  int
	names []string // the file names the one line on stderr must carry
	say   string   // what stderr says (exit 1), or stdout holds (exit 0)
	// maxRSS bounds the process's peak resident memory, in bytes (Linux).
	// A case that reads a file of testdata/bad gets the memory rule's
	// bound for it (see memoryRule) unless it sets its own.
	maxRSS int64
	asUser *syscall.Credential // run as another user
	stdin  string              // a file of testdata/bad to give on standard input
	env    []string            // added to the environment
	check  func(t *testing.T, stdout string)
}

const (
	badDir   = "../../testdata/bad"
	goodFile = "../leaky/heap-01.pb.gz" // relative to badDir
	// caseTimeout is generous: every case takes well under a second on an
	// idle machine; a hang is what it catches.
	caseTimeout = 30 * time.Second
)

// failing is a case where the file is the base profile and the command
// must fail, naming it.
func failing(file, say string, extra ...string) badCase {
	return badCase{name: file, args: append([]string{file, goodFile}, extra...), exit: exitError, names: []string{file}, say: say}
}

// TestBadInputs runs heapdiff compare on every case of testdata/bad (see its
// README) and on the cases that cannot be files in a repository.
func TestBadInputs(t *testing.T) {
	bin := heapdiffBinary(t)
	bomb := failing("bomb.pb.gz", "decompressed size exceeds the limit of 1073741824 bytes")
	bomb.maxRSS = 3 << 29 // 1.5 GiB: the 1 GiB limit and change, never the 2 GiB the bomb holds
	smallBomb := failing("bomb.pb.gz", "exceeds the limit of 67108864 bytes (raise the limit with --max-size)", "--max-size", "64MiB")
	smallBomb.name += " --max-size 64MiB"
	smallBomb.maxRSS = 256 << 20
	cases := []badCase{
		failing("empty.pb.gz", "empty.pb.gz: empty file"),
		failing("random.bin", "random.bin: not a profile"),
		failing("truncated.pb.gz", "truncated.pb.gz: truncated gzip stream"),
		failing("garbage.gz", "garbage.gz: not a profile"),
		failing("notes.txt", "notes.txt: not a profile: text in no known profile format"),
		bomb, smallBomb,
		failing("notypes.pb.gz", "notypes.pb.gz: profile has no sample types"),
		failing("missingloc.pb.gz", "missingloc.pb.gz: malformed profile: a sample refers to missing location 99"),
		failing("framebomb.pb", "framebomb.pb: malformed profile: its samples expand to more than"),
		failing("dupids.pb.gz", "dupids.pb.gz: malformed profile: multiple locations with the same id 1"),
		failing("cpu.pb.gz", "cpu.pb.gz: not a memory profile: its sample types are samples/count, cpu/nanoseconds"),
		failing("truncated.heapsnapshot", "truncated.heapsnapshot: malformed profile"),
		{name: "incompatible.pb.gz", args: []string{"incompatible.pb.gz", goodFile}, exit: exitError,
			names: []string{"incompatible.pb.gz", goodFile}, say: "cannot be compared: they share no sample type"},
		{name: "negative.pb.gz", args: []string{goodFile, "negative.pb.gz", "-f", "json"}, exit: exitOK, check: checkNegative},
		{name: "nofunc.pb.gz", args: []string{goodFile, "nofunc.pb.gz"}, exit: exitOK,
			say: "svc+0x401000", check: func(t *testing.T, out string) {
				if !strings.Contains(out, "warning: nofunc.pb.gz has no symbols") {
					t.Errorf("no warning about the missing symbols:\n%s", out)
				}
			}},
		{name: "deep.pb.gz", args: []string{goodFile, "deep.pb.gz", "--by", "stack", "--cum"}, exit: exitOK,
			say: "main.recurse0 main.go:10 < main.recurse1 main.go:11 < main.recurse2 main.go:12"},
		{name: "a directory", args: []string{".", goodFile}, exit: exitError, names: []string{"."}, say: "load .: is a directory, not a profile"},
		failing("missing.pb.gz", "missing.pb.gz: no such file"),
	}
	cases = append(cases, hostileCases()...)
	cases = append(cases, v8HostileCases()...)
	cases = append(cases, parallelBombCases(t)...)
	cases = append(cases, unreadableCase(t), nonUTF8Case(t), trendCase(t),
		badCase{name: "check on the bomb", cmd: "check", args: []string{"bomb.pb.gz", goodFile, "--max-growth", "1MB", "--max-size", "16MiB"},
			exit: exitError, names: []string{"bomb.pb.gz"}, say: "exceeds the limit of 16777216 bytes", maxRSS: 256 << 20})

	// Every file of testdata/bad has a case; a hostile V8 file without a
	// case of its own gets one that asks only what every file must get:
	// one line naming it, or a comparison, within the memory rule.
	files, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name() == "README.md" {
			continue
		}
		var covered bool
		for _, c := range cases {
			covered = covered || c.name == f.Name()
		}
		switch {
		case covered:
		case isV8File(f.Name()):
			cases = append(cases, failing(f.Name(), f.Name()))
		default:
			t.Errorf("testdata/bad/%s has no case in TestBadInputs", f.Name())
		}
	}
	// Every case that reads a file of testdata/bad is held to the memory
	// rule, unless it sets a bound of its own.
	for i, c := range cases {
		file := c.stdin
		if file == "" {
			file = c.name
		}
		if c.maxRSS == 0 && c.dir == "" {
			if _, err := os.Stat(filepath.Join(badDir, file)); err == nil {
				cases[i].maxRSS = memoryRule(t, filepath.Join(badDir, file), maxSizeOf(t, c.args))
			}
		}
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runBadCase(t, bin, c) })
	}
}

func runBadCase(t *testing.T, bin string, c badCase) {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	defer cancel()
	sub := c.cmd
	if sub == "" {
		sub = "compare"
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{sub}, c.args...)...)
	cmd.Dir = badDir
	if c.dir != "" {
		cmd.Dir = c.dir
	}
	if c.stdin != "" {
		f, err := os.Open(filepath.Join(badDir, c.stdin))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	if c.env != nil {
		cmd.Env = append(os.Environ(), c.env...)
	}
	if c.asUser != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.asUser}
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("did not finish within %s", caseTimeout)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		if c.asUser != nil && errors.Is(err, syscall.EPERM) {
			t.Skipf("cannot run a process as uid %d here (%v), so an unreadable file cannot be tested: root reads it anyway", c.asUser.Uid, err)
		}
		t.Fatal(err)
	}
	out, errOut := stdout.String(), stderr.String()
	t.Logf("%v; stderr: %s", elapsed.Round(time.Millisecond), strings.TrimSpace(errOut))
	if code := cmd.ProcessState.ExitCode(); code != c.exit {
		t.Fatalf("exit status %d, want %d; stderr:\n%s", code, c.exit, errOut)
	}
	if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine ") {
		t.Fatalf("a panic or stack trace on stderr:\n%s", errOut)
	}
	if c.maxRSS > 0 && runtime.GOOS == "linux" && raceDetector {
		t.Log("peak memory is checked without -race (.ci/run does)")
	}
	if c.maxRSS > 0 && runtime.GOOS == "linux" && !raceDetector {
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		t.Logf("peak memory %d MiB, at most %d MiB", rss>>20, c.maxRSS>>20)
		if rss > c.maxRSS {
			t.Errorf("peak memory %d MiB, want at most %d MiB", rss>>20, c.maxRSS>>20)
		}
	}
	if c.exit == exitOK {
		if errOut != "" {
			t.Errorf("stderr: %q", errOut)
		}
		if !strings.Contains(out, c.say) {
			t.Errorf("stdout lacks %q:\n%s", c.say, out)
		}
		if c.check != nil {
			c.check(t, out)
		}
		return
	}
	if out != "" {
		t.Errorf("wrote to stdout: %q", out)
	}
	if !strings.HasPrefix(errOut, "heapdiff: ") || strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") {
		t.Errorf("stderr is not one line starting with \"heapdiff: \": %q", errOut)
	}
	for _, name := range c.names {
		if !strings.Contains(errOut, name) {
			t.Errorf("stderr does not name %s: %q", name, errOut)
		}
	}
	if !strings.Contains(errOut, c.say) {
		t.Errorf("stderr does not say %q: %q", c.say, errOut)
	}
}

// hostileCases are the inputs crafted to make a decoder take far more memory
// than the file's size, or to crash it (see testdata/bad/README.md). Each is
// also held to the memory rule.
func hostileCases() []badCase {
	fed := failing("nested.pb.gz", "load -: not a profile: gzip inside gzip")
	fed.name, fed.args, fed.stdin, fed.names = "nested.pb.gz on standard input", []string{"-", goodFile}, "nested.pb.gz", []string{"-"}
	smallLimit := failing("javaheapz.txt.gz", "decompressed size exceeds the limit for a text profile", "--max-size", "256MiB")
	smallLimit.name += " --max-size 256MiB"
	return []badCase{
		failing("emptylocations.pb.gz", "emptylocations.pb.gz: malformed profile: found location with reserved id 0"),
		failing("emptyfunctions.pb.gz", "emptyfunctions.pb.gz: malformed profile: found function with reserved id 0"),
		failing("emptysamples.pb.gz", "emptysamples.pb.gz: malformed profile: a sample has 0 values for 1 sample types"),
		{name: "emptystrings.pb.gz", args: []string{goodFile, "emptystrings.pb.gz"}, exit: exitOK, say: "target  emptystrings.pb.gz"},
		failing("typesxsamples.pb.gz", `typesxsamples.pb.gz: malformed profile: sample type "" appears twice`),
		failing("comments.pb.gz", "comments.pb.gz: malformed profile: more than 65536 comments"),
		failing("nested.pb.gz", "nested.pb.gz: not a profile: gzip inside gzip"),
		fed,
		{name: "javaheapz.txt.gz", args: []string{goodFile, "javaheapz.txt.gz"}, exit: exitOK, say: "target  javaheapz.txt.gz"},
		smallLimit,
		failing("javaheapzbomb.txt.gz", "javaheapzbomb.txt.gz: decompressed size exceeds the limit for a text profile"),
	}
}

// parallelLimit is the --max-size of parallelBombCases: the bombs load in
// parallel, and together must stay near one limit, not one each.
const parallelLimit = 256 << 20

// parallelBombCases load gzip bombs side by side: compare loads its two
// files at once, and trend loads several ahead (as many as GOMAXPROCS, up
// to 4). Before --max-size bounded the loads together, two bombs took twice
// the limit and four took four times.
func parallelBombCases(t *testing.T) []badCase {
	dir := t.TempDir()
	var names []string
	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("heap-%02d.pb.gz", i)
		copyFile(t, filepath.Join(badDir, "bomb.pb.gz"), filepath.Join(dir, name), 0o644)
		names = append(names, name)
	}
	bound := int64(parallelLimit + parallelLimit/4 + memoryConstant)
	say := fmt.Sprintf("exceeds the limit of %d bytes", parallelLimit)
	return []badCase{
		{name: "compare bomb bomb", args: []string{"bomb.pb.gz", "bomb.pb.gz", "--max-size", "256MiB"},
			exit: exitError, names: []string{"bomb.pb.gz"}, say: say, maxRSS: bound},
		{name: "trend of four bombs", cmd: "trend", dir: dir, args: append([]string{"--max-size", "256MiB"}, names...),
			env: []string{"GOMAXPROCS=4"}, exit: exitError, names: []string{"heap-01.pb.gz"}, say: say, maxRSS: bound},
	}
}

// The memory rule (README.md, "Limits and safety"): loading a profile takes at
// most memoryMultiple times its decompressed size plus memoryConstant,
// whatever its bytes. Legacy text, which pprof's parser reads, takes up to
// legacyMultiple times its size, and is refused past 1/legacyMultiple of
// --max-size.
const (
	memoryMultiple = 16
	memoryConstant = 64 << 20
	legacyMultiple = 128
)

// memoryRule returns the most memory heapdiff may take to load the file at
// path with the given --max-size, by the rule: its size once inflated
// (never more than the limit: loading stops there), times the multiple,
// plus the constant.
func memoryRule(t *testing.T, path string, limit int64) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var content io.Reader = bufio.NewReader(f)
	if magic, _ := content.(*bufio.Reader).Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if zr, err := gzip.NewReader(content); err == nil {
			content = zr
		}
	}
	var head bytes.Buffer
	size, _ := io.Copy(io.Discard, io.TeeReader(io.LimitReader(content, limit+1), &limitedWriter{&head, 512}))
	size = min(size, limit)
	if isLegacyText(head.Bytes()) && size <= limit/legacyMultiple {
		return legacyMultiple*size + memoryConstant
	}
	return memoryMultiple*size + memoryConstant
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	b *bytes.Buffer
	n int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if room := w.n - w.b.Len(); room > 0 {
		w.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// isLegacyText reports whether a file starts as the text formats pprof's
// legacy parsers read do: printable text, and not JSON (a V8 file).
func isLegacyText(head []byte) bool {
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] == '{' || trimmed[0] == '[' {
		return false
	}
	for _, c := range head {
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// maxSizeOf returns the --max-size among args, or the default.
func maxSizeOf(t *testing.T, args []string) int64 {
	t.Helper()
	for i, a := range args {
		if a == "--max-size" && i+1 < len(args) {
			n, err := snapshot.ParseBytes(args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			return int64(n)
		}
	}
	return 1 << 30
}

// isV8File reports whether name is a V8 heap snapshot or sampling heap
// profile, gzipped or not.
func isV8File(name string) bool {
	name = strings.TrimSuffix(name, ".gz")
	return strings.HasSuffix(name, ".heapsnapshot") || strings.HasSuffix(name, ".heapprofile")
}

// TestGuardTurnsAPanicIntoOneLine checks the last resort of main: a panic
// (a bug, never an answer to bad input) prints one line asking for a
// report, and exit status 1, not a stack trace.
func TestGuardTurnsAPanicIntoOneLine(t *testing.T) {
	var errOut bytes.Buffer
	s := &streams{ErrOut: &errOut}
	code := guard(s, func() int { panic(fmt.Errorf("index out of range [3]\nwith length 2")) })
	if code != exitError {
		t.Errorf("exit status %d, want %d", code, exitError)
	}
	got := errOut.String()
	if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "heapdiff: internal error: index out of range [3] with length 2") || !strings.Contains(got, "please report it") {
		t.Errorf("stderr = %q, want one line naming the error and asking for a report", got)
	}
	if code := guard(s, func() int { return exitOverBudget }); code != exitOverBudget {
		t.Errorf("without a panic, exit status %d, want the command's %d", code, exitOverBudget)
	}
}

// checkNegative checks that a comparison with negative values is sensible:
// the negative values are kept, and rows still add up to the total.
func checkNegative(t *testing.T, out string) {
	var doc report.JSONComparison
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, typ := range doc.SampleTypes {
		var sum int64
		negative := false
		for _, r := range doc.Rows {
			sum += r.Flat[typ.Type].Target
			negative = negative || r.Flat[typ.Type].Target < 0
		}
		if !negative {
			t.Errorf("%s: no row has a negative value", typ.Type)
		}
		if total := doc.Total[typ.Type].Target; sum != total {
			t.Errorf("%s: rows add up to %d, the total is %d", typ.Type, sum, total)
		}
	}
}

// unreadableCase makes a profile that its reader has no permission to read.
// Root reads any file, so when the tests run as root the command runs as
// nobody, from a directory nobody can enter.
func unreadableCase(t *testing.T) badCase {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "../../testdata/leaky/heap-01.pb.gz", filepath.Join(dir, "heap-01.pb.gz"), 0o644)
	copyFile(t, "../../testdata/leaky/heap-02.pb.gz", filepath.Join(dir, "secret.pb.gz"), 0o000)
	c := badCase{name: "no read permission", dir: dir, args: []string{"secret.pb.gz", "heap-01.pb.gz"}, exit: exitError,
		names: []string{"secret.pb.gz"}, say: "load secret.pb.gz: permission denied"}
	if os.Geteuid() == 0 {
		c.asUser = &syscall.Credential{Uid: 65534, Gid: 65534} // nobody
		// t.TempDir's parent is private to its creator: nobody must be able
		// to walk to the directory.
		for d := filepath.Dir(dir); d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c
}

// trendCase is a series of good snapshots and one hostile one: trend must
// name the hostile one.
func trendCase(t *testing.T) badCase {
	dir := t.TempDir()
	for _, name := range []string{"heap-01.pb.gz", "heap-02.pb.gz", "heap-03.pb.gz"} {
		copyFile(t, "../../testdata/leaky/"+name, filepath.Join(dir, name), 0o644)
	}
	copyFile(t, filepath.Join(badDir, "framebomb.pb"), filepath.Join(dir, "heap-04.pb.gz"), 0o644)
	return badCase{name: "trend with a frame bomb among snapshots", cmd: "trend", dir: dir, args: []string{"."}, exit: exitError,
		names: []string{"heap-04.pb.gz"}, say: "its samples expand to more than"}
}

// nonUTF8Case gives random bytes a file name that is not valid UTF-8: the
// error names it with the bad bytes escaped.
func nonUTF8Case(t *testing.T) badCase {
	dir := t.TempDir()
	name := "bad-\xff\xfe.pb.gz"
	copyFile(t, filepath.Join(badDir, "random.bin"), filepath.Join(dir, name), 0o644)
	copyFile(t, "../../testdata/leaky/heap-01.pb.gz", filepath.Join(dir, "heap-01.pb.gz"), 0o644)
	return badCase{name: "file name not UTF-8", dir: dir, args: []string{name, "heap-01.pb.gz"}, exit: exitError,
		names: []string{`bad-\xff\xfe.pb.gz`}, say: `load bad-\xff\xfe.pb.gz: not a profile`}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to, mode); err != nil { // WriteFile's mode is filtered by the umask
		t.Fatal(err)
	}
}
