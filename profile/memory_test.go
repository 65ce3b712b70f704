package profile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/heapdiff/heapdiff/internal/profiletest"
)

// The memory rule every loader keeps (README, "Limits and safety"): loading a
// file takes at most memoryMultiple times its decompressed size, plus
// memoryConstant, whatever its bytes; legacy text, which pprof's parser
// reads, at most legacyCost times its size, and it may hold only 1/legacyCost
// of the limit. cmd/heapdiff's TestBadInputs checks the same rule on the
// files of testdata/bad, through the real command.
const (
	memoryMultiple = 16
	memoryConstant = 64 << 20
)

// childFileEnv names the file TestLoadInChild loads, in a child process.
const childFileEnv = "HEAPDIFF_TEST_LOAD_FILE"

// TestLoadInChild is the child process of TestLoaderMemoryRule: it loads one
// file and prints the outcome. Run directly, it does nothing.
func TestLoadInChild(t *testing.T) {
	path := os.Getenv(childFileEnv)
	if path == "" {
		t.Skip("the child process of TestLoaderMemoryRule")
	}
	p, err := Load(path, Options{})
	if err != nil {
		fmt.Printf("error: %v\n", err)
		return
	}
	fmt.Printf("loaded: %d stacks, %d frames\n", len(p.Stacks), len(p.Frames))
}

// TestLoaderMemoryRule loads each class of hostile input (the records a
// decoder may keep per two bytes of input, counts multiplied before they are
// checked, and the valid profiles that cost the model the most per byte) in
// a child process, and checks its peak memory against the rule.
func TestLoaderMemoryRule(t *testing.T) {
	if testing.Short() {
		t.Skip("loads about 100 MB of generated profiles")
	}
	if runtime.GOOS != "linux" {
		t.Skip("peak memory (Maxrss) is read as Linux reports it")
	}
	if raceDetector {
		t.Skip("peak memory means nothing under -race; .ci/run runs this without it")
	}
	const n = 4 << 20 // records of two bytes: 8 MiB
	for _, tc := range []struct {
		name     string
		data     func() []byte
		multiple int64
		want     string // in the child's output
	}{
		{"empty locations", func() []byte { return profiletest.EmptyRecords(profiletest.FieldLocation, n) }, memoryMultiple, "found location with reserved id 0"},
		{"empty functions", func() []byte { return profiletest.EmptyRecords(profiletest.FieldFunction, n) }, memoryMultiple, "found function with reserved id 0"},
		{"empty samples", func() []byte { return profiletest.EmptyRecords(profiletest.FieldSample, n) }, memoryMultiple, "a sample has 0 values for 1 sample types"},
		{"empty strings", func() []byte { return profiletest.EmptyRecords(profiletest.FieldString, n) }, memoryMultiple, "loaded: 0 stacks"},
		{"duplicate types times samples", func() []byte { return profiletest.TypesTimesSamples(1000, n) }, memoryMultiple, `sample type "" appears twice`},
		{"too many types", func() []byte { return profiletest.TypesTimesSamples(n/2, n/2) }, memoryMultiple, "more than 1024 sample types"},
		{"packed comments", func() []byte { return profiletest.PackedComments(2 * n) }, memoryMultiple, "more than 65536 comments"},
		{"distinct lines", func() []byte { return profiletest.DistinctLines(1_000_000) }, memoryMultiple, "loaded: 1 stacks, 1000000 frames"},
		{"distinct addresses", func() []byte { return profiletest.DistinctAddresses(800_000) }, memoryMultiple, "loaded: 0 stacks, 800000 frames"},
		{"distinct stacks", func() []byte { return profiletest.DistinctStacks(900_000) }, memoryMultiple, "loaded: 900000 stacks"},
		{"java heapz text", func() []byte { return profiletest.JavaHeapText(400_000) }, legacyCost, "loaded: 1 stacks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data()
			path := filepath.Join(t.TempDir(), "hostile")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			data = nil
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestLoadInChild$", "-test.v")
			cmd.Env = append(os.Environ(), childFileEnv+"="+path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("the child did not say %q:\n%s", tc.want, out)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
			bound := tc.multiple*st.Size() + memoryConstant
			t.Logf("%d MiB of input: peak %d MiB (%.1fx), bound %d MiB", st.Size()>>20, rss>>20, float64(rss)/float64(st.Size()), bound>>20)
			if rss > bound {
				t.Errorf("peak memory %d MiB, more than %d x %d MiB + %d MiB", rss>>20, tc.multiple, st.Size()>>20, memoryConstant>>20)
			}
		})
	}
}

// TestHostileCountsAreRefusedEarly decodes, in process, the inputs whose
// counts used to size tables before anything was checked: many sample types
// times many samples crashed make ("cap out of range"), and empty records
// took 24 to 80 bytes each. They are refused, and what the decoder
// allocates stays within a few times their size.
func TestHostileCountsAreRefusedEarly(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"types times samples overflow", profiletest.TypesTimesSamples(1000, 1<<20), `sample type "" appears twice`},
		{"more types than any producer", profiletest.TypesTimesSamples(5000, 1000), "more than 1024 sample types"},
		{"empty locations", profiletest.EmptyRecords(profiletest.FieldLocation, 1<<20), "found location with reserved id 0"},
		{"empty functions", profiletest.EmptyRecords(profiletest.FieldFunction, 1<<20), "found function with reserved id 0"},
		{"empty samples", profiletest.EmptyRecords(profiletest.FieldSample, 1<<20), "a sample has 0 values"},
		{"comments", profiletest.PackedComments(1 << 20), "more than 65536 comments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allocated := allocatedBy(func() {
				_, err := Parse("hostile.pb", tc.data, Options{})
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Parse = %v, want a malformed profile: %s", err, tc.want)
				}
			})
			// The input is the caller's; tables of four bytes a record
			// cost at most twice its size.
			if limit := 3*uint64(len(tc.data)) + 1<<20; allocated > limit {
				t.Errorf("allocated %d bytes for %d bytes of input, more than %d", allocated, len(tc.data), limit)
			}
		})
	}
	// Many empty strings are a valid profile: loaded, they cost nothing.
	data := profiletest.EmptyRecords(profiletest.FieldString, 1<<20)
	allocated := allocatedBy(func() {
		if _, err := Parse("strings.pb", data, Options{}); err != nil {
			t.Fatal(err)
		}
	})
	if limit := 3*uint64(len(data)) + 1<<20; allocated > limit {
		t.Errorf("empty strings: allocated %d bytes for %d bytes of input, more than %d", allocated, len(data), limit)
	}
}

// allocatedBy returns the bytes fn allocates (the whole process's, so no
// other test may run meanwhile: none in this package is parallel).
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// padded returns a valid profile padded to size bytes with a field no
// decoder reads.
func padded(t *testing.T, seed int64, size int) []byte {
	t.Helper()
	b := profiletest.EncodeUncompressed(profiletest.Generate(profiletest.Config{Seed: seed, Samples: 200}))
	if len(b)+16 > size {
		t.Fatalf("the profile alone is %d bytes", len(b))
	}
	pad := size - len(b) - 1 - protowire.SizeVarint(uint64(size))
	b = protowire.AppendTag(b, 100, protowire.BytesType)
	b = protowire.AppendBytes(b, make([]byte, pad))
	return b
}

// gzipMembers gzips data as two members, the second of its last tail
// bytes: the size in the trailer, which loads reserve at first, is then
// tail, as when gzipped files are concatenated.
func gzipMembers(t *testing.T, data []byte, tail int) []byte {
	gz := gzipBytes(t, data[:len(data)-tail])
	last := gzipBytes(t, data[len(data)-tail:])
	if size := binary.LittleEndian.Uint32(last[len(last)-4:]); size != uint32(tail) {
		t.Fatalf("the trailer says %d", size)
	}
	return append(gz, last...)
}

// TestLoadAllSharesTheLimit loads several files side by side and checks that
// together they never held more inflated bytes than one limit: gzip bombs,
// which used to cost one limit each (compare bomb bomb took twice the
// memory of one), and valid profiles that together exceed the limit, which
// must all load, one waiting for another (or, when their gzip trailer lied
// about their size, starting over once the others are done).
func TestLoadAllSharesTheLimit(t *testing.T) {
	const limit = 8 << 20
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	bomb := gzipBytes(t, make([]byte, 4*limit))
	var bombs []string
	for i := range 4 {
		bombs = append(bombs, write(fmt.Sprintf("bomb%d.pb.gz", i), bomb))
	}
	var plain, forged []string
	for i := range 3 {
		data := padded(t, int64(i+1), limit*4/10)
		plain = append(plain, write(fmt.Sprintf("plain%d.pb", i), data))
		forged = append(forged, write(fmt.Sprintf("forged%d.pb.gz", i), gzipMembers(t, data, 100)))
	}
	opts := Options{MaxSize: limit}
	for _, tc := range []struct {
		name  string
		paths []string
		err   error
	}{
		{"four bombs", bombs, ErrTooLarge},
		{"three files of 40% of the limit", plain, nil},
		{"three gzipped files whose trailers say 100 bytes", forged, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inflight.mu.Lock()
			inflight.peak = inflight.held
			inflight.mu.Unlock()
			got, err := LoadAll(tc.paths, opts)
			if !errors.Is(err, tc.err) {
				t.Fatalf("LoadAll = %v, want %v", err, tc.err)
			}
			inflight.mu.Lock()
			peak, held := inflight.peak, inflight.held
			inflight.mu.Unlock()
			if peak > limit {
				t.Errorf("the loads held %d bytes at once, more than the limit of %d", peak, limit)
			}
			if held != 0 {
				t.Errorf("%d bytes are still held after LoadAll returned", held)
			}
			for i, p := range got {
				alone, err := Load(tc.paths[i], opts)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(p, alone) {
					t.Errorf("%s loads differently alone", tc.paths[i])
				}
			}
		})
	}
}

// TestBudget checks the rules of the shared budget: loads wait their turn
// for bytes, in order; a load grows its reservation without waiting, and is
// told to start over (errBusy) when the bytes are held by others, or that it
// is too large when they are more than its own limit.
func TestBudget(t *testing.T) {
	b := newBudget()
	a := b.reserve(60, 100)
	if err := a.use(60); err != nil {
		t.Fatal(err)
	}
	// A second load needing 60 more waits until the first is done.
	started := make(chan *reservation)
	go func() { started <- b.reserve(60, 100) }()
	select {
	case <-started:
		t.Fatal("a reservation past the limit did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	if err := a.use(30); err != nil { // 90 of 100: it may still grow
		t.Fatal(err)
	}
	if err := a.use(20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("110 bytes of a limit of 100: %v, want ErrTooLarge", err)
	}
	a.release()
	second := <-started
	// Alone it grows freely; beside another load, it must start over.
	third := b.reserve(10, 100)
	if err := second.use(80); err != nil {
		t.Fatal(err)
	}
	if err := second.use(15); !errors.Is(err, errBusy) {
		t.Fatalf("growing into bytes another load holds: %v, want errBusy", err)
	}
	third.release()
	second.release()
	if b.held != 0 {
		t.Fatalf("%d bytes held after every release", b.held)
	}
	// Waiting loads are served in the order they asked.
	big := b.reserve(100, 100)
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := b.reserve(100, 100)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			r.release()
		}()
		for { // let it take its ticket before the next one asks
			b.mu.Lock()
			n := b.next
			b.mu.Unlock()
			if n == uint64(4+i+1) {
				break
			}
			runtime.Gosched()
		}
	}
	big.release()
	wg.Wait()
	if !reflect.DeepEqual(order, []int{0, 1, 2}) {
		t.Errorf("served in the order %v, want 0 1 2", order)
	}
}

// TestNestedGzipIsRefused gives a file gzipped twice, which pprof's parser
// would inflate a second time with no limit, through every way in: a file,
// standard input and Parse. Each refuses it, the same way, before
// inflating the inner layer.
func TestNestedGzipIsRefused(t *testing.T) {
	inner := gzipBytes(t, make([]byte, 64<<20)) // 64 MiB of zeros, past the limit below
	outer := gzipBytes(t, inner)
	path := filepath.Join(t.TempDir(), "twice.pb.gz")
	if err := os.WriteFile(path, outer, 0o600); err != nil {
		t.Fatal(err)
	}
	opts := Options{MaxSize: 1 << 20, Stdin: bytes.NewReader(outer)}
	for name, load := range map[string]func() (*Profile, error){
		"file":  func() (*Profile, error) { return Load(path, opts) },
		"stdin": func() (*Profile, error) { return Load("-", opts) },
		"Parse": func() (*Profile, error) { return Parse(path, outer, opts) },
	} {
		_, err := load()
		if !errors.Is(err, ErrNotProfile) || !strings.Contains(err.Error(), "gzip inside gzip") {
			t.Errorf("%s: %v, want a refusal of gzip inside gzip", name, err)
		}
	}
}

// TestLegacyTextIsBounded checks that legacy text, which pprof's parser
// reads at up to 75 times its size, may hold at most 1/legacyCost of the
// limit, and that binary bytes that are not protobuf never reach that
// parser.
func TestLegacyTextIsBounded(t *testing.T) {
	text := profiletest.JavaHeapText(100_000) // about 1 MB
	p, err := Parse("java.heap", text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != FormatLegacy || len(p.Stacks) != 1 {
		t.Fatalf("loaded %s with %d stacks, want legacy text with 1", p.Format, len(p.Stacks))
	}
	limit := int64(len(text)) * legacyCost / 2
	_, err = Parse("java.heap", text, Options{MaxSize: limit})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "for a text profile") {
		t.Fatalf("text of more than 1/%d of the limit: %v, want ErrTooLarge for a text profile", legacyCost, err)
	}
	// Not text: not even tried as a legacy profile.
	binary := append([]byte{0x00, 0x01}, text...)
	if _, err := Parse("bin", binary, Options{}); !errors.Is(err, ErrNotProfile) || !strings.Contains(err.Error(), "neither pprof protobuf") {
		t.Fatalf("binary: %v", err)
	}
}

// TestCommentTextIsBounded gives a profile whose comments all name one
// string of a megabyte: cheap to load (the string is shared), but every
// report prints each comment, so it is refused.
func TestCommentTextIsBounded(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	var b []byte
	for _, s := range []string{"", "inuse_space", "bytes", long} {
		b = protowire.AppendString(protowire.AppendTag(b, 6, protowire.BytesType), s)
	}
	b = protowire.AppendBytes(protowire.AppendTag(b, 1, protowire.BytesType), []byte{0x08, 0x01, 0x10, 0x02})
	p, err := Parse("one.pb", protowire.AppendVarint(protowire.AppendTag(b, 13, protowire.VarintType), 3), Options{})
	if err != nil || len(p.Comments) != 1 || p.Comments[0] != long {
		t.Fatalf("one comment of a megabyte: %v", err)
	}
	b = protowire.AppendBytes(protowire.AppendTag(b, 13, protowire.BytesType), bytes.Repeat([]byte{3}, 1000))
	if _, err := Parse("many.pb", b, Options{}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "comments hold more than") {
		t.Fatalf("a thousand comments of a megabyte: %v", err)
	}
}
