package profile

import "testing"

// TestMaxObjectIDFallsOnRestart: the largest heap object id grows from one
// snapshot of a process to the next, and falls to the next process's.
// Bun: two processes' snapshots as Bun named them. Node.js: leaky-*.gz and
// tracked-*.gz are two runs of gen/leaky.js. Native nodes' ids, left out,
// would make tracked-after's fall below tracked-before's within one process.
func TestMaxObjectIDFallsOnRestart(t *testing.T) {
	id := func(name string) uint64 {
		t.Helper()
		p := mustLoad(t, name, Options{})
		if p.MaxObjectID == 0 {
			t.Fatalf("%s: no MaxObjectID", name)
		}
		return p.MaxObjectID
	}
	facts := readFacts(t, "bun-named")
	if len(facts.Processes) != 2 || len(facts.Processes[0].Snapshots) != 2 {
		t.Fatalf("bun-named/facts.json: want two snapshots of one process, then one of another")
	}
	first := facts.Processes[0].Snapshots
	b1, b2 := id("bun-named/"+first[0].File+".gz"), id("bun-named/"+first[1].File+".gz")
	b3 := id("bun-named/" + facts.Processes[1].Snapshots[0].File + ".gz")
	sessionsBefore, sessionsAfter := sessionsPair(t, Options{})
	for _, c := range []struct {
		what        string
		prev, next  uint64
		sameProcess bool
	}{
		{"Bun, one process", b1, b2, true},
		{"Bun, a restart", b2, b3, false},
		{"Node.js, leaky", id("leaky-before.heapsnapshot.gz"), id("leaky-after.heapsnapshot.gz"), true},
		{"Node.js, tracked", id("tracked-before.heapsnapshot.gz"), id("tracked-after.heapsnapshot.gz"), true},
		{"Node.js, sessions", sessionsBefore.MaxObjectID, sessionsAfter.MaxObjectID, true},
		{"Node.js, leaky's last then tracked's first", id("leaky-after.heapsnapshot.gz"), id("tracked-before.heapsnapshot.gz"), false},
	} {
		if grows := c.next > c.prev; grows != c.sameProcess {
			t.Errorf("%s: MaxObjectID %d then %d", c.what, c.prev, c.next)
		}
	}
	if p := mustLoad(t, "after.heapprofile.gz", Options{}); p.MaxObjectID != 0 {
		t.Errorf("a sampling heap profile has MaxObjectID %d", p.MaxObjectID)
	}
}
