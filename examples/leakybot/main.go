// Command leakybot is a small service that leaks memory the way the chat bot
// heapdiff was made for did: a session map nobody cleans and a job history
// nobody trims. It runs the heapdiff capture agent, so you can watch it leak:
//
//	go run ./examples/leakybot -dir /tmp/leakybot &
//	sleep 60; kill -USR2 $!                         # a snapshot after the 30s baseline
//	heapdiff compare /tmp/leakybot/heap-*-baseline.pb.gz /tmp/leakybot/heap-*-signal.pb.gz
//	kill $!                                         # the summary names the pair to compare
//
// With -leak=false it is the leak-free control: sessions live in a cache of
// -sessions entries that drops the oldest, and the job history keeps the last
// 1,000 jobs. Its memory climbs while the cache fills, then stays flat.
//
// It also serves the agent's admin handler at /debug/heapdiff/ and
// net/http/pprof at /debug/pprof/ on -addr (127.0.0.1 only by default), for
// "heapdiff capture" pull mode.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
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
		fmt.Fprintln(os.Stderr, "leakybot:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:6060", "admin listener: agent handler and pprof (keep it internal)")
	dir := flag.String("dir", "heap", "snapshot directory")
	rate := flag.Int("rate", 200, "chat messages handled per second")
	every := flag.Duration("every", 0, "take a snapshot on this schedule (0: off)")
	baseline := flag.Duration("baseline-after", 0, "take the baseline snapshot this long after start (0: the first snapshot is the baseline; default: when warm-up ends)")
	minInterval := flag.Duration("min-interval", agent.DefaultMinInterval, "least time between snapshots asked for by signal")
	keep := flag.Int("keep", agent.DefaultKeep, "keep at most this many snapshots (0: no limit)")
	growth := flag.Float64("growth-alert", 32<<20, "alert when the live heap grows faster than this many bytes per hour")
	warmup := flag.Duration("warmup", 30*time.Second, "hold memory alerts this long after start; the baseline is taken when it ends unless -baseline-after says otherwise")
	sampleEvery := flag.Duration("sample-every", 5*time.Second, "memory sample interval")
	window := flag.Duration("growth-window", 5*time.Minute, "span of the growth fit")
	leak := flag.Bool("leak", true, "leak sessions and job history (false: the leak-free control)")
	sessions := flag.Int("sessions", 10000, "with -leak=false, how many sessions the cache holds")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	b := newBot(*leak, *sessions)
	opts := []agent.Option{
		agent.Dir(*dir),
		agent.Every(*every),
		agent.Warmup(*warmup),
		agent.MinInterval(*minInterval),
		agent.Keep(*keep),
		agent.SampleEvery(*sampleEvery),
		agent.GrowthWindow(*window),
		agent.GrowthAbove(*growth, 0.9),
		agent.Logger(log),
		agent.Gauge("sessions", b.sessionCount, agent.Above(1e6)),
		agent.Gauge("job_history", b.historyLen),
	}
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "baseline-after" { // otherwise the baseline is taken when warm-up ends
			opts = append(opts, agent.BaselineAfter(*baseline))
		}
	})
	a, err := agent.Start(opts...)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/heapdiff/", http.StripPrefix("/debug/heapdiff", a.Handler()))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go b.serve(ctx, *rate)
	log.Info("leakybot: ready", "pid", os.Getpid(), "dir", a.Dir(),
		"admin", "http://"+ln.Addr().String()+"/debug/heapdiff/")
	<-ctx.Done()
	log.Info("leakybot: stopping")
	return nil
}

// session is what the bot keeps per chat user. Nothing ever deletes one: the
// first leak.
type session struct {
	user    string
	history []byte // last messages, for context
	started time.Time
}

// job is one finished background job. The history is appended to and never
// trimmed: the second leak.
type job struct {
	id     int
	result string
	took   time.Duration
}

type bot struct {
	mu        sync.Mutex
	lastReply []byte // each message's reply replaces the last: garbage, as in any service
	leak      bool
	sessions  map[string]*session
	order     []string // without the leak: session keys, oldest first, at most limit
	limit     int
	history   []job
	next      int
}

func newBot(leak bool, limit int) *bot {
	return &bot{leak: leak, limit: max(limit, 1), sessions: map[string]*session{}}
}

// serve handles rate messages a second from ever new users until ctx is done.
func (b *bot) serve(ctx context.Context, rate int) {
	if rate <= 0 {
		return
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			b.handleMessage()
		}
	}
}

func (b *bot) handleMessage() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	user := "user-" + strconv.Itoa(b.next)
	b.sessions[user] = newSession(user)
	b.history = append(b.history, runJob(b.next))
	b.lastReply = renderReply(user, b.next)
	if b.leak {
		return
	}
	// The fix: a bounded session cache and a trimmed history.
	b.order = append(b.order, user)
	if len(b.order) > b.limit {
		delete(b.sessions, b.order[0])
		b.order = b.order[1:]
	}
	if len(b.history) >= 2000 {
		b.history = append(b.history[:0], b.history[len(b.history)-1000:]...)
	}
}

func newSession(user string) *session {
	return &session{user: user, history: make([]byte, 2048), started: time.Now()}
}

// renderReply builds a reply of some 32 KiB that lives until the next
// message: the short-lived garbage a real service makes far more of than it
// leaks, which keeps its garbage collector busy.
func renderReply(user string, id int) []byte {
	reply := make([]byte, 0, 32<<10)
	for len(reply) < 32<<10-64 {
		reply = fmt.Appendf(reply, "%s: reply %d\n", user, id)
	}
	return reply
}

func runJob(id int) job {
	return job{id: id, result: fmt.Sprintf("summarised conversation %d into %d tokens", id, id%512), took: time.Millisecond}
}

func (b *bot) sessionCount() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return float64(len(b.sessions))
}

func (b *bot) historyLen() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return float64(len(b.history))
}
