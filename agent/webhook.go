package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// webhookQueue is how many alerts wait to be sent before new ones are dropped.
const webhookQueue = 16

// defaultBackoff is the wait before each retry of a failed POST.
var defaultBackoff = []time.Duration{time.Second, 4 * time.Second, 16 * time.Second}

// webhook posts alerts as Slack-compatible JSON from a bounded queue, on its
// own goroutine, so a slow or failing endpoint never blocks the service.
type webhook struct {
	url     string // a secret: never logged
	client  *http.Client
	backoff []time.Duration
	log     *slog.Logger
	queue   chan string

	sent, failed, dropped atomic.Uint64
}

func newWebhook(rawURL string, timeout time.Duration, backoff []time.Duration, log *slog.Logger) *webhook {
	return &webhook{
		url: rawURL,
		client: &http.Client{
			Timeout: timeout,
			// Never follow a redirect: following would re-POST the alert to
			// wherever the endpoint points, and send the secret URL along in
			// the Referer header. A 3xx answer is a failure (see postOnce).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		backoff: backoff,
		log:     log,
		queue:   make(chan string, webhookQueue),
	}
}

// send queues text, or drops and counts it when the queue is full.
func (w *webhook) send(text string) {
	select {
	case w.queue <- text:
	default:
		if w.dropped.Add(1) == 1 {
			w.log.Warn("heapdiff: webhook queue full; alerts are dropped and counted")
		}
	}
}

// run sends queued alerts until ctx is done; what is still queued then, and
// an alert whose sending shutdown cut short, is counted as dropped, not as
// the endpoint's failure.
func (w *webhook) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case <-w.queue:
					w.dropped.Add(1)
				default:
					return
				}
			}
		case text := <-w.queue:
			if ctx.Err() != nil {
				// Both were ready and select took the queue: the alert
				// is one of those shutdown leaves queued.
				w.dropped.Add(1)
				continue
			}
			err := w.post(ctx, text)
			switch {
			case err == nil:
				w.sent.Add(1)
			case ctx.Err() != nil:
				w.dropped.Add(1)
			default:
				w.failed.Add(1)
				w.log.Warn("heapdiff: webhook failed", "err", err)
			}
		}
	}
}

// post sends one alert, retrying network errors, 429 and 5xx answers. A
// redirect is a failure, not retried and not followed.
func (w *webhook) post(ctx context.Context, text string) error {
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		retry, err := w.postOnce(ctx, body)
		if err == nil {
			return nil
		}
		if !retry || attempt >= len(w.backoff) {
			return fmt.Errorf("after %d attempts: %w", attempt+1, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up on shutdown: %w", err)
		case <-time.After(w.backoff[attempt]):
		}
	}
}

func (w *webhook) postOnce(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("cannot build request") // the error would quote the URL
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which is a secret: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, fmt.Errorf("POST: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("POST: %s", resp.Status)
	case resp.StatusCode/100 == 3:
		// The Location header may hold a secret too: name only the status.
		return false, fmt.Errorf("POST: %s: the webhook redirects, and redirects are not followed; give the final URL", resp.Status)
	}
	return false, fmt.Errorf("POST: %s", resp.Status)
}

// A WebhookSender posts alerts to a Slack-compatible webhook exactly as the
// agent's [Webhook] option does: {"text": "..."} from a bounded queue on its
// own goroutine, with a timeout, retries with backoff for network errors,
// 429 and 5xx answers, redirects never followed, and the URL, a secret,
// never logged. It is exported for programs that watch another process,
// such as "heapdiff capture node://".
type WebhookSender struct{ w *webhook }

// NewWebhookSender checks rawURL and returns a sender that logs failures to
// log. Nothing is sent until [WebhookSender.Run] runs.
func NewWebhookSender(rawURL string, timeout time.Duration, log *slog.Logger) (*WebhookSender, error) {
	if err := Webhook(rawURL)(&config{}); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	return &WebhookSender{w: newWebhook(rawURL, timeout, defaultBackoff, log)}, nil
}

// Run sends queued alerts until ctx is done; what is still queued then is
// counted as dropped.
func (s *WebhookSender) Run(ctx context.Context) { s.w.run(ctx) }

// Send queues text, or drops and counts it when the queue is full. It never
// blocks.
func (s *WebhookSender) Send(text string) { s.w.send(text) }

// Stats counts what was sent, failed and dropped.
func (s *WebhookSender) Stats() WebhookStats {
	return WebhookStats{Sent: s.w.sent.Load(), Failed: s.w.failed.Load(), Dropped: s.w.dropped.Load()}
}
