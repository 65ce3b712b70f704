package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hookServer is a real HTTP server on 127.0.0.1 that records what it gets and
// answers with respond.
type hookServer struct {
	*httptest.Server
	hits   atomic.Int64
	mu     sync.Mutex
	bodies []string
}

func newHookServer(t *testing.T, respond func(hit int64, w http.ResponseWriter, r *http.Request)) *hookServer {
	s := &hookServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
		s.mu.Unlock()
		respond(n, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

const secretPath = "/services/T000/B000/XXXXSECRETXXXX"

// fireRSS makes the agent fire its RSS trigger once.
func fireRSS(a *Agent) {
	a.observe(Memory{Time: time.Now(), RSS: 2 << 30, LiveHeap: 1 << 30})
}

func TestWebhookPostsSlackJSON(t *testing.T) {
	srv := newHookServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	a, _ := start(t, RSSAbove(1<<30), Webhook(srv.URL+secretPath))
	fireRSS(a)
	eventually(t, "the webhook POST", func() bool { return a.Stats().Webhook.Sent == 1 })
	srv.mu.Lock()
	got := srv.bodies[0]
	srv.mu.Unlock()
	method, rest, _ := strings.Cut(got, " ")
	ctype, body, _ := strings.Cut(rest, " ")
	var msg struct{ Text string }
	if err := json.Unmarshal([]byte(body), &msg); err != nil || method != "POST" || ctype != "application/json" {
		t.Fatalf("webhook got %q (%v)", got, err)
	}
	if !strings.Contains(msg.Text, "RSS 2.0 GiB is above 1.0 GiB") || !strings.Contains(msg.Text, "-rss.pb.gz") {
		t.Errorf("text %q lacks the alert or its snapshot", msg.Text)
	}
}

func TestWebhookRetriesAFailingServerAndKeepsTheURLSecret(t *testing.T) {
	srv := newHookServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	})
	a, logs := start(t, RSSAbove(1<<30), Webhook(srv.URL+secretPath), withBackoff(time.Millisecond, time.Millisecond))
	fireRSS(a)
	eventually(t, "the webhook to give up", func() bool { return a.Stats().Webhook.Failed == 1 })
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("server hit %d times, want 3 (1 + 2 retries)", n)
	}
	if !strings.Contains(logs.String(), "500 Internal Server Error") {
		t.Errorf("failure not logged:\n%s", logs)
	}
	if strings.Contains(logs.String(), "SECRET") || strings.Contains(logs.String(), srv.URL) {
		t.Errorf("the webhook URL leaked into the log:\n%s", logs)
	}
}

func TestWebhookRetryThenSuccess(t *testing.T) {
	srv := newHookServer(t, func(hit int64, w http.ResponseWriter, _ *http.Request) {
		if hit == 1 {
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}
	})
	a, _ := start(t, RSSAbove(1<<30), Webhook(srv.URL), withBackoff(time.Millisecond))
	fireRSS(a)
	eventually(t, "the webhook to succeed", func() bool { return a.Stats().Webhook.Sent == 1 })
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("server hit %d times, want 2", n)
	}
}

func TestWebhookClientErrorIsNotRetried(t *testing.T) {
	srv := newHookServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no such hook", http.StatusNotFound)
	})
	a, _ := start(t, RSSAbove(1<<30), Webhook(srv.URL), withBackoff(time.Millisecond, time.Millisecond))
	fireRSS(a)
	eventually(t, "the webhook to give up", func() bool { return a.Stats().Webhook.Failed == 1 })
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("server hit %d times, want 1", n)
	}
}

// A server that never answers costs a timeout per attempt, on the webhook's
// goroutine; alerts beyond the queue are dropped and counted, never blocking.
func TestWebhookSlowServerTimesOutAndQueueDrops(t *testing.T) {
	release := make(chan struct{})
	srv := newHookServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	a, logs := start(t, RSSAbove(1<<30), Webhook(srv.URL+secretPath), WebhookTimeout(50*time.Millisecond),
		withBackoff(time.Millisecond))
	fireRSS(a)
	done := make(chan struct{})
	go func() {
		for range 10 * webhookQueue {
			a.hook.send("more")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sending alerts blocked on a slow webhook")
	}
	eventually(t, "the first alert to time out", func() bool { return a.Stats().Webhook.Failed >= 1 })
	if s := a.Stats().Webhook; s.Dropped == 0 {
		t.Errorf("webhook stats %+v: nothing dropped from a full queue", s)
	}
	if !strings.Contains(logs.String(), "Timeout") || strings.Contains(logs.String(), "SECRET") {
		t.Errorf("log:\n%s", logs)
	}
}

// A webhook that redirects gets neither the alert re-POSTed to the new place
// nor the secret URL sent along in a Referer: the second server, the redirect
// target, receives nothing at all, for every redirect status. The redirect is
// one failure, not retried, logged by status without the URL or Location.
func TestWebhookNeverFollowsRedirects(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			var mu sync.Mutex
			var referers []string
			target := newHookServer(t, func(_ int64, _ http.ResponseWriter, r *http.Request) {
				mu.Lock()
				referers = append(referers, r.Referer())
				mu.Unlock()
			})
			location := target.URL + "/elsewhere/LOCATIONSECRET"
			hook := newHookServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, location, code)
			})
			a, logs := start(t, RSSAbove(1<<30), Webhook(hook.URL+secretPath),
				withBackoff(time.Millisecond, time.Millisecond))
			fireRSS(a)
			eventually(t, "the webhook to finish", func() bool { s := a.Stats().Webhook; return s.Failed+s.Sent > 0 })
			if n := hook.hits.Load(); n != 1 {
				t.Errorf("webhook hit %d times, want 1: a redirect is not retried", n)
			}
			// Give a followed redirect, were there one, time to land.
			time.Sleep(50 * time.Millisecond)
			target.mu.Lock()
			defer target.mu.Unlock()
			mu.Lock()
			defer mu.Unlock()
			if n := target.hits.Load(); n != 0 {
				t.Errorf("redirect target got %d requests (bodies %q, Referer %q), want none", n, target.bodies, referers)
			}
			if s := a.Stats().Webhook; s.Sent != 0 || s.Failed != 1 {
				t.Errorf("webhook stats %+v: want one failure, nothing sent", s)
			}
			text := logs.String()
			if !strings.Contains(text, strconv.Itoa(code)) || !strings.Contains(text, "redirects are not followed") {
				t.Errorf("the redirect is not logged as such:\n%s", text)
			}
			for _, secret := range []string{"SECRET", hook.URL, target.URL} {
				if strings.Contains(text, secret) {
					t.Errorf("log shows %q:\n%s", secret, text)
				}
			}
		})
	}
}

// Alerts still queued at shutdown, or being sent to a server that does not
// answer, are dropped, not failed, and nothing is logged as the endpoint's
// failure: found by an exploratory test, the queue and shutdown were
// picked at random and queued alerts were tried with a cancelled context.
func TestWebhookShutdownDropsWhatIsQueued(t *testing.T) {
	for range 20 {
		hold := make(chan struct{})
		srv := newHookServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
			select {
			case <-hold:
			case <-r.Context().Done():
			}
		})
		logs := &logBuffer{}
		w := newWebhook(srv.URL, time.Minute, []time.Duration{time.Millisecond}, logs.logger())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.run(ctx); close(done) }()
		for range 5 {
			w.send("alert")
		}
		eventually(t, "the first alert to reach the server", func() bool { return srv.hits.Load() >= 1 })
		cancel()
		<-done
		close(hold)
		if f, d := w.failed.Load(), w.dropped.Load(); f != 0 || d != 5 {
			t.Fatalf("failed %d, dropped %d; want 0 and all 5:\n%s", f, d, logs)
		}
		if strings.Contains(logs.String(), "webhook failed") {
			t.Fatalf("shutdown logged as the endpoint's failure:\n%s", logs)
		}
	}
}
