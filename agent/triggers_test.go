package agent

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Triggers, used alone as "heapdiff capture node://" uses them: each
// threshold fires once per cooldown, the heap trigger names the heap as
// told, memory triggers wait for warm-up, and a growth needs a straight
// enough fit over half the window.
func TestTriggersAlone(t *testing.T) {
	tr := Triggers{RSSAbove: 100, HeapAbove: 50, GrowthAbove: 10, GrowthMinR2: 0.8, Window: time.Hour, Cooldown: time.Minute,
		HeapName: "heap used"}
	t0 := time.Unix(1e9, 0)
	m := Memory{Time: t0, RSS: 200, LiveHeap: 60}
	steep := Growth{BytesPerHour: 100, R2: 0.99, Samples: 10, Span: 1800}
	if got := tr.Due(m, 0, Growth{}, steep, nil, false); len(got) != 0 {
		t.Errorf("during warm-up: %v", got)
	}
	got := tr.Due(m, 0, Growth{}, steep, nil, true)
	var names []string
	for _, f := range got {
		names = append(names, f.Trigger)
	}
	if strings.Join(names, ",") != "rss,heap,growth" || !strings.Contains(got[1].Why, "heap used 60 B is above 50 B") ||
		!strings.Contains(got[2].Why, "heap used grows") {
		t.Errorf("fired %+v", got)
	}
	m.Time = t0.Add(30 * time.Second)
	if again := tr.Due(m, 0, Growth{}, steep, nil, true); len(again) != 0 {
		t.Errorf("within the cooldown: %v", again)
	}
	m.Time = t0.Add(2 * time.Minute)
	noisy := Growth{BytesPerHour: 100, R2: 0.3, Samples: 10, Span: 1800}
	if after := tr.Due(m, 0, Growth{}, noisy, nil, true); len(after) != 2 {
		t.Errorf("after the cooldown, with a noisy fit: %v, want rss and heap only", after)
	}
	tr.Reset()
	if len(tr.Due(m, 0, Growth{}, steep, nil, true)) != 3 {
		t.Error("Reset did not forget the cooldowns")
	}
}

// GrowthFit fits a heap that climbs 1 MiB a minute as 60 MiB/h with R² 1,
// and leaves out of the heap's fit the samples that are not fresh.
func TestGrowthFit(t *testing.T) {
	g := NewGrowthFit(time.Hour, time.Minute)
	t0 := time.Unix(1e9, 0)
	for i := range 20 {
		g.Add(t0.Add(time.Duration(i)*time.Minute), float64(i<<20), float64(i<<20), i%2 == 0)
	}
	rss, heap := g.Fit(time.Hour)
	near := func(v, want float64) bool { return math.Abs(v-want) < 1 }
	if !near(rss.BytesPerHour, 60<<20) || rss.R2 < 0.999 || rss.Samples != 20 || heap.Samples != 10 || !near(heap.BytesPerHour, 60<<20) {
		t.Errorf("rss %+v heap %+v", rss, heap)
	}
}

// A WebhookSender posts Slack's {"text": ...} and counts what it sent.
func TestWebhookSender(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Text string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		got <- body.Text
	}))
	defer srv.Close()
	if _, err := NewWebhookSender("ftp://x", 0, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("an ftp URL was accepted")
	}
	s, err := NewWebhookSender(srv.URL, time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	s.Send("heap grows")
	select {
	case text := <-got:
		if text != "heap grows" {
			t.Errorf("posted %q", text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing posted")
	}
	for deadline := time.Now().Add(5 * time.Second); s.Stats().Sent != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", s.Stats())
		}
	}
}
