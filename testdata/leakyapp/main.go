// Command leakyapp simulates a long-running service with known memory
// behaviour and writes a series of heap profiles, one per simulated tick. Its
// output under testdata/leaky/ is what heapdiff's tests and README run on.
//
// Planted behaviour (see testdata/leaky/README.md):
//   - leak:    (*SessionStore).Open keeps every session in a map forever;
//   - leak:    (*JobQueue).Finish appends every finished job to a history that
//     is never trimmed;
//   - plateau: (*Cache).Put fills a bounded cache during the first ticks, then
//     only replaces entries;
//   - sawtooth: (*Batcher).Grow holds a batch that alternates between small
//     and large;
//   - flat:    loadConfig allocates once at start;
//   - churn:   handleRequest allocates short-lived buffers that die at once.
//
// The workload is deterministic; heap sampling (one sample per 512 KiB) is
// not, so each run writes slightly different values. Profile times are
// simulated: tick i is stamped start + i*interval, so rates per hour read as
// they would for a real service. Regenerate with:
//
//	go run -trimpath ./testdata/leakyapp -out testdata/leaky
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	pprofile "github.com/google/pprof/profile"
)

// Session is one user's session; the store never drops it.
type Session struct {
	ID    string
	State [2048]byte
}

// SessionStore leaks: sessions are added and never evicted.
type SessionStore struct{ sessions map[string]*Session }

// Open creates a session and keeps it forever.
func (s *SessionStore) Open(id string) *Session {
	sess := &Session{ID: id}
	s.sessions[id] = sess
	return sess
}

// JobRecord is what the queue remembers of a finished job.
type JobRecord struct {
	ID     int
	Output []byte
}

// JobQueue leaks: every finished job is appended to a history nobody trims.
type JobQueue struct{ history []JobRecord }

// Finish records a finished job.
func (q *JobQueue) Finish(id int, output []byte) {
	rec := JobRecord{ID: id, Output: make([]byte, len(output))}
	copy(rec.Output, output)
	q.history = append(q.history, rec)
}

// Cache is bounded: once full, Put replaces entries instead of adding.
type Cache struct {
	limit   int
	entries map[int][]byte
}

// Put stores a value, evicting the same slot once the cache is full.
func (c *Cache) Put(key int, size int) {
	slot := key % c.limit
	c.entries[slot] = make([]byte, size)
}

// Batcher holds a batch of buffers whose size alternates tick by tick.
type Batcher struct{ batch [][]byte }

// Grow resizes the batch to n buffers of 64 KiB.
func (b *Batcher) Grow(n int) {
	b.batch = b.batch[:0:0]
	for i := 0; i < n; i++ {
		b.batch = append(b.batch, make([]byte, 64<<10))
	}
}

var (
	config   []byte
	sessions = &SessionStore{sessions: map[string]*Session{}}
	jobs     = &JobQueue{}
	cache    = &Cache{limit: 3000, entries: map[int][]byte{}}
	batcher  = &Batcher{}
	sink     int
)

func loadConfig() []byte { return bytes.Repeat([]byte("config;"), 300_000) }

// handleRequest allocates and drops buffers: churn that must not look like a leak.
func handleRequest(rng *rand.Rand) int {
	buf := make([]byte, 1024+rng.Intn(4096))
	for i := range buf {
		buf[i] = byte(i)
	}
	out := fmt.Sprintf("%x", buf[:64])
	return len(out) + len(buf)
}

func tick(i int, rng *rand.Rand) {
	for n := 0; n < 2500; n++ {
		sessions.Open(fmt.Sprintf("s-%d-%d", i, n))
	}
	out := make([]byte, 1024)
	for n := 0; n < 3000; n++ {
		jobs.Finish(i*3000+n, out)
	}
	if i < 4 {
		for n := 0; n < 900; n++ {
			cache.Put(i*900+n, 8192)
		}
	} else {
		// Warm: most requests hit, a few miss and replace an entry.
		for n := 0; n < 20; n++ {
			cache.Put(rng.Intn(cache.limit), 8192)
		}
	}
	if i%2 == 0 {
		batcher.Grow(16)
	} else {
		batcher.Grow(64)
	}
	for n := 0; n < 20000; n++ {
		sink += handleRequest(rng)
	}
}

func main() {
	out := flag.String("out", "testdata/leaky", "directory for the profiles")
	ticks := flag.Int("ticks", 12, "number of snapshots")
	interval := flag.Duration("interval", 10*time.Minute, "simulated time between snapshots")
	start := flag.String("start", "2026-11-26T10:00:00Z", "simulated time of the first snapshot")
	flag.Parse()
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	config = loadConfig()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < *ticks; i++ {
		tick(i, rng)
		at := t0.Add(time.Duration(i) * *interval)
		name := filepath.Join(*out, fmt.Sprintf("heap-%02d.pb.gz", i+1))
		if err := snapshot(name, at, i+1); err != nil {
			log.Fatal(err)
		}
	}
	runtime.KeepAlive(config)
}

// snapshot writes a fresh heap profile stamped with the simulated time.
func snapshot(name string, at time.Time, seq int) error {
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		return err
	}
	p, err := pprofile.Parse(&buf)
	if err != nil {
		return err
	}
	p.TimeNanos = at.UnixNano()
	p.Comments = append(p.Comments,
		"host=leakyapp",
		fmt.Sprintf("trigger=schedule seq=%d", seq),
		"note=simulated service from testdata/leakyapp; times are simulated")
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
