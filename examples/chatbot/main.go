// Command chatbot is a realistic chat-bot service for judging heapdiff's
// verdicts: it leaks the ways real services leak, and holds memory the ways
// real services hold it without leaking, and it takes heap snapshots with the
// capture agent on a schedule, so that "heapdiff trend" can be read against
// what the code is known to do.
//
// Leaks (all off with -leaks=false, the control):
//   - sessions: a map of per-user sessions that nobody prunes (separate
//     objects kept in a map);
//   - audit log: an event log appended to and never trimmed (an
//     append-grown slice);
//   - rate limiter: hits recorded in a map keyed by time, never expired (a
//     growing map with values stored inline);
//   - stuck workers: a goroutine per slow request, blocked forever on a
//     reply nobody sends, each holding its buffer;
//   - link previews: a 64-byte preview kept as a sub-slice of the 128 KiB
//     page it came from, which keeps the page alive.
//
// Memory that is not a leak:
//   - an LRU of 2000 rendered replies of 4 KiB, which fills over the first
//     third of a run and then holds, replacing entries;
//   - per-message churn: request buffers dropped at once;
//   - a sync.Pool of 16 KiB encode buffers;
//   - a 12 MiB lookup table built once at start (the warm-up).
//
// Run it for a while and read the trend:
//
//	go run ./examples/chatbot -dir /tmp/chatbot -every 2s -for 1m
//	heapdiff trend /tmp/chatbot --by func
//
// The workload is driven by the program itself, at -rate messages a second,
// from -seed, so runs are alike but not identical, as real ones are.
package main

import (
	"container/list"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/heapdiff/heapdiff/agent"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "chatbot:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "heap", "snapshot directory")
	every := flag.Duration("every", 2*time.Second, "take a snapshot on this schedule")
	runFor := flag.Duration("for", 0, "stop after this long (0: run until SIGINT or SIGTERM)")
	rate := flag.Int("rate", 400, "chat messages handled per second")
	seed := flag.Int64("seed", 1, "seed of the workload")
	leaks := flag.Bool("leaks", true, "plant the leaks (false: the control, with every leak fixed)")
	fill := flag.Duration("fill", 0, "time for the reply cache to fill (0: a third of -for, or 1m)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	a, err := agent.Start(
		agent.Dir(*dir),
		agent.Every(*every),
		agent.Keep(0),
		agent.BaselineAfter(0),
		agent.Signals(),
		agent.Logger(log),
	)
	if err != nil {
		return err
	}
	defer a.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *runFor)
		defer cancel()
	}
	fillTime := *fill
	if fillTime <= 0 {
		fillTime = time.Minute
		if *runFor > 0 {
			fillTime = *runFor / 3
		}
	}
	b := newBot(*seed, *leaks, *rate, fillTime)
	log.Info("chatbot: ready", "pid", os.Getpid(), "dir", a.Dir(), "leaks", *leaks, "seed", *seed)
	b.serve(ctx)
	log.Info("chatbot: stopping", "messages", b.handled)
	return nil
}

// bot is the service: every piece of state a message touches.
type bot struct {
	rng   *rand.Rand
	leaks bool
	rate  int
	users int // users seen so far

	// Cache inserts per message, so that the cache fills in the fill time.
	cacheInserts float64
	cacheCredit  float64

	sessions *sessionStore
	audit    *auditLog
	limiter  *rateLimiter
	workers  *workerPool
	previews *previewCache
	replies  *lruCache
	encoders sync.Pool
	table    []uint64 // built once at start

	handled int
}

func newBot(seed int64, leaks bool, rate int, fill time.Duration) *bot {
	b := &bot{
		rng:      rand.New(rand.NewSource(seed)),
		leaks:    leaks,
		rate:     rate,
		sessions: &sessionStore{byUser: map[string]*session{}, leaky: leaks},
		audit:    &auditLog{leaky: leaks},
		limiter:  &rateLimiter{hits: map[int64][64]byte{}, leaky: leaks},
		workers:  &workerPool{leaky: leaks},
		previews: &previewCache{leaky: leaks},
		replies:  newLRU(2000),
		table:    buildTable(12 << 20),
	}
	b.encoders.New = func() any { buf := make([]byte, 0, 16<<10); return &buf }
	b.cacheInserts = float64(b.replies.limit) / (fill.Seconds() * float64(max(rate, 1)))
	return b
}

// buildTable is the warm-up: a lookup table the service builds once.
func buildTable(size int) []uint64 {
	t := make([]uint64, size/8)
	for i := range t {
		t[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	return t
}

// serve handles b.rate messages a second until ctx is done, in batches of
// 10 ms.
func (b *bot) serve(ctx context.Context) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	perTick := float64(b.rate) / 100
	var credit float64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			credit += perTick
			for ; credit >= 1; credit-- {
				b.handleMessage()
			}
		}
	}
}

// handleMessage is one chat message: from a new user a quarter of the time.
func (b *bot) handleMessage() {
	b.handled++
	if b.users == 0 || b.rng.Intn(4) == 0 {
		b.users++
	}
	user := "user-" + strconv.Itoa(b.rng.Intn(b.users)+1)
	text := b.request()

	b.sessions.touch(user, text)
	b.audit.record(user, text)
	now := time.Now().UnixNano()
	for i := range int64(10) {
		// One hit per token of the message's quota.
		b.limiter.hit(now + i)
	}
	if b.rng.Intn(25) == 0 {
		b.workers.slowRequest(text)
	}
	if b.rng.Intn(80) == 0 {
		b.previews.fetch(b.rng)
	}
	b.cacheCredit += b.cacheInserts
	for ; b.cacheCredit >= 1; b.cacheCredit-- {
		// A reply for a question never asked before: a miss, rendered
		// and cached.
		b.replies.put(b.rng.Int63(), b.render(text))
	}
	b.encode(text)
	_ = b.table[b.rng.Intn(len(b.table))]
}

// request is the message's body, read into a fresh buffer: churn.
func (b *bot) request() []byte {
	buf := make([]byte, 512+b.rng.Intn(3584))
	for i := range buf {
		buf[i] = byte('a' + i%26)
	}
	return buf
}

// render builds a 4 KiB reply.
func (b *bot) render(text []byte) []byte {
	out := make([]byte, 4096)
	copy(out, text)
	return out
}

// encode serialises a reply through a pooled buffer.
func (b *bot) encode(text []byte) {
	bp := b.encoders.Get().(*[]byte)
	buf := append((*bp)[:0], text...)
	buf = append(buf, '\n')
	*bp = buf
	b.encoders.Put(bp)
}

// session is what the bot keeps per chat user.
type session struct {
	user    string
	context [4096]byte // the last messages, for the model's context
	seen    time.Time
}

// sessionStore keeps sessions by user. The leak: no session is ever
// removed. Fixed, sessions idle for a while are dropped.
type sessionStore struct {
	byUser map[string]*session
	leaky  bool
}

func (s *sessionStore) touch(user string, text []byte) {
	sess := s.byUser[user]
	if sess == nil || !s.leaky {
		// Fixed: a session is rebuilt per conversation and the store
		// keeps a bounded number of them.
		sess = &session{user: user}
		if !s.leaky && len(s.byUser) >= 500 {
			for k := range s.byUser {
				delete(s.byUser, k)
				break
			}
		}
		s.byUser[user] = sess
	}
	copy(sess.context[:], text)
	sess.seen = time.Now()
}

// event is one line of the audit log.
type event struct {
	at   int64
	user string
	size int
	meta [1024]byte // request headers, for the auditors
}

// auditLog is appended to on every message. The leak: it is never
// trimmed. Fixed, it is a ring of the last 4096 events.
type auditLog struct {
	events []event
	next   int
	leaky  bool
}

func (l *auditLog) record(user string, text []byte) {
	e := event{at: time.Now().UnixNano(), user: user, size: len(text)}
	copy(e.meta[:], text)
	if l.leaky {
		l.events = append(l.events, e)
		return
	}
	if len(l.events) < 4096 {
		l.events = append(l.events, e)
		return
	}
	l.events[l.next] = e
	l.next = (l.next + 1) % len(l.events)
}

// rateLimiter records each hit under its time. The leak: old hits are
// never expired. Fixed, the map is swept to the last 2000 hits.
type rateLimiter struct {
	hits  map[int64][64]byte
	leaky bool
	order []int64
}

func (r *rateLimiter) hit(now int64) {
	var v [64]byte
	v[0] = byte(now)
	r.hits[now] = v
	if r.leaky {
		return
	}
	r.order = append(r.order, now)
	if len(r.order) > 2000 {
		delete(r.hits, r.order[0])
		r.order = r.order[1:]
	}
}

// workerPool serves slow requests on their own goroutine. The leak: the
// goroutine waits for a reply that never comes, holding its buffer.
// Fixed, it gives up after a timeout.
type workerPool struct {
	leaky bool
}

func (w *workerPool) slowRequest(text []byte) {
	buf := make([]byte, 32<<10)
	copy(buf, text)
	reply := make(chan []byte)
	go func() {
		if w.leaky {
			out := <-reply // nobody ever sends
			buf = append(buf, out...)
		}
		_ = buf[len(buf)-1]
	}()
}

// previewCache keeps the last previews of linked pages. The leak: a
// preview is a sub-slice of the whole 128 KiB page, which it keeps alive.
// Fixed, the preview is copied.
type previewCache struct {
	previews [][]byte
	leaky    bool
}

func (p *previewCache) fetch(rng *rand.Rand) {
	page := make([]byte, 128<<10)
	rng.Read(page[:64])
	preview := page[:64]
	if !p.leaky {
		preview = append([]byte(nil), page[:64]...)
		if len(p.previews) >= 100 {
			p.previews = p.previews[1:]
		}
	}
	p.previews = append(p.previews, preview)
}

// lruCache is a bounded cache of rendered replies: not a leak. Once full,
// each insert evicts the least recently used entry.
type lruCache struct {
	limit int
	order *list.List
	byKey map[int64]*list.Element
}

type lruEntry struct {
	key   int64
	value []byte
}

func newLRU(limit int) *lruCache {
	return &lruCache{limit: limit, order: list.New(), byKey: map[int64]*list.Element{}}
}

func (c *lruCache) put(key int64, value []byte) {
	if e, ok := c.byKey[key]; ok {
		e.Value.(*lruEntry).value = value
		c.order.MoveToFront(e)
		return
	}
	c.byKey[key] = c.order.PushFront(&lruEntry{key: key, value: value})
	if c.order.Len() > c.limit {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.byKey, old.Value.(*lruEntry).key)
	}
}
