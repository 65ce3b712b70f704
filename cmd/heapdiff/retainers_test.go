package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	retainers0 = "../../testdata/node/retainers/retainers-0.heapsnapshot.gz"
	retainers1 = "../../testdata/node/retainers/retainers-1.heapsnapshot.gz"
	retainers2 = "../../testdata/node/retainers/retainers-2.heapsnapshot.gz"
)

// TestCompareRetainers: compare --retainers says who holds what grew in
// text (the program's part of each path first) and JSON (every step).
func TestCompareRetainers(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "compare", retainers1, retainers2, "--retainers")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"who holds the new objects of the classes that grew most",
		"300    28.1KiB  sessions (variable) → Map → table → UserSession",
		"held through the module system: global:",
		"cache (variable) → Object → ", " (one of 300 keys) → Buffer",
		"(sessions): 360 → 660 entries",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runCLI(t, nil, "compare", retainers1, retainers2, "--retainers", "-f", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Retainers struct {
			NewOnly bool `json:"new_only"`
			Classes []struct {
				Class string `json:"class"`
				Paths []struct {
					Objects   int64  `json:"objects"`
					UserStart int    `json:"user_start"`
					Root      string `json:"root"`
					Text      string `json:"text"`
					Steps     []struct {
						Edge *struct{ Type, Name string }
						Node struct {
							Type, Class string
							ID          uint64
						}
					} `json:"steps"`
				} `json:"paths"`
			} `json:"classes"`
		} `json:"retainers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range doc.Retainers.Classes {
		if c.Class != "UserSession" {
			continue
		}
		found = true
		p := c.Paths[0]
		user := p.Steps[p.UserStart]
		last := p.Steps[len(p.Steps)-1]
		if p.Objects != 300 || p.Root != "module" || user.Edge == nil || user.Edge.Type != "context" || user.Edge.Name != "sessions" ||
			last.Node.Class != "UserSession" || last.Node.ID == 0 || p.Steps[0].Edge != nil {
			t.Errorf("UserSession's first path: %+v", p)
		}
	}
	if !found || !doc.Retainers.NewOnly {
		t.Errorf("no UserSession paths, or not of new objects: %+v", doc.Retainers)
	}
}

// TestRetainersOfGoProfiles: a Go heap profile has no object graph;
// --retainers says so in one line, pointing at the README, instead of
// printing nothing.
func TestRetainersOfGoProfiles(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "compare", base, target, "--retainers")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "retainer paths need heap snapshots") {
			lines++
			if !strings.HasPrefix(l, "retainers: ") || !strings.Contains(l, `"Who holds it: retainer paths" in the README`) {
				t.Errorf("the line reads %q", l)
			}
		}
	}
	if lines != 1 {
		t.Errorf("%d lines say why there are no paths, want 1:\n%s", lines, out)
	}
	// trend --retainers, which lists the collections that grew, says it
	// in a warning (it said nothing).
	code, out, errOut = runCLI(t, nil, "trend", leakyDir, "--retainers")
	if code != exitOK || !strings.Contains(out, "warning: growing collections need heap snapshots: these profiles record where memory was allocated") {
		t.Errorf("trend --retainers of Go profiles: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	if _, out, _ = runCLI(t, nil, "trend", leakyDir); strings.Contains(out, "need heap snapshots") {
		t.Errorf("trend without --retainers warns of them:\n%s", out)
	}
	// The HTML page, which looks for retainers by default, says it too.
	page := filepath.Join(t.TempDir(), "go.html")
	if code, _, errOut := runCLI(t, nil, "compare", base, target, "-o", page); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), "retainer paths need heap snapshots"); n != 1 || !strings.Contains(string(html), `id="holders-panel"`) {
		t.Errorf("the page says %d times why there are no paths, want once, in its panel", n)
	}
}

// TestCompareHTMLHasRetainersByDefault: the HTML page of two snapshots
// carries who holds what grew unless --retainers=false.
func TestCompareHTMLHasRetainersByDefault(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, true}, {[]string{"--retainers=false"}, false}} {
		page := filepath.Join(dir, "page.html")
		code, _, errOut := runCLI(t, nil, append([]string{"compare", retainers1, retainers2, "-o", page}, c.args...)...)
		if code != exitOK {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		html, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(html), `id="holders-panel"`) && strings.Contains(string(html), `sessions (variable)`); got != c.want {
			t.Errorf("%v: the page has retainer paths: %v, want %v", c.args, got, c.want)
		}
	}
}

// TestTrendRetainers: trend --retainers lists the collections that grew at
// every step of the three snapshots, and not the one emptied.
func TestTrendRetainers(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "trend", retainers0, retainers1, retainers2, "--retainers", "--top", "3")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"collections that grew at every step", "(sessions): 60 → 360 → 660 entries", "(bus._events.broadcast): 60 → 360 → 660 entries"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "(recent)") {
		t.Errorf("recent, emptied at the last step, is listed:\n%s", out)
	}
}
