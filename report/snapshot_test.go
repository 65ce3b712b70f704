package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

func nodeComparison(t *testing.T, base, target string) *diff.Comparison {
	t.Helper()
	ps, err := profile.LoadAll([]string{"../testdata/node/" + base, "../testdata/node/" + target}, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := diff.Compare(ps[0], ps[1], diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSnapshotRenderers renders the leaky Node pair in every format and
// finds DevTools' Comparison columns for LeakySession: 1000 new, 0 deleted.
func TestSnapshotRenderers(t *testing.T) {
	c := nodeComparison(t, "leaky-before.heapsnapshot.gz", "leaky-after.heapsnapshot.gz")
	render := func(f Format) string {
		var b bytes.Buffer
		if err := Render(&b, f, c, Options{}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	text := render(FormatText)
	if !strings.Contains(text, "# new  # deleted  # delta  size delta  retained delta  class") ||
		!regexp.MustCompile(`(?m)^\s+1000\s+0\s+\+1000\s+\+\S+KiB\s+\+\S+KiB\s+LeakySession$`).MatchString(text) {
		t.Errorf("text lacks the LeakySession comparison row:\n%s", text)
	}
	if strings.Contains(text, "StableRecord") {
		t.Errorf("text lists StableRecord, which did not change:\n%s", text)
	}
	var doc JSONComparison
	if err := json.Unmarshal([]byte(render(FormatJSON)), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range doc.Rows {
		if r.Name == "LeakySession" {
			found = r.Objects != nil && r.Objects.New == 1000 && r.Objects.Deleted == 0 && r.Flat["objects"].Delta == 1000
		}
	}
	if !found {
		t.Error("JSON: no LeakySession row with 1000 new objects")
	}
	recs, err := csv.NewReader(strings.NewReader(render(FormatCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	if head[len(head)-2] != "new_objects" || head[len(head)-1] != "deleted_objects" {
		t.Errorf("CSV header ends %q", head[len(head)-2:])
	}
	md := render(FormatMarkdown)
	if !strings.Contains(md, "| `LeakySession` | 1000 | 0 | +1000 |") {
		t.Errorf("Markdown lacks the LeakySession row:\n%s", md)
	}
}

// TestBunSnapshotText: with ids that do not match, # new and # deleted are
// empty and a warning says why.
func TestBunSnapshotText(t *testing.T) {
	c := nodeComparison(t, "bun-before.heapsnapshot.gz", "bun-after.heapsnapshot.gz")
	var b bytes.Buffer
	if err := Text(&b, c, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "do not match") || !regexp.MustCompile(`(?m)^\s+\+1000\s+\+\S+\s+\+\S+\s+LeakySession$`).MatchString(out) {
		t.Errorf("Bun comparison:\n%s", out)
	}
}

// TestSnapshotTextNamesTheGrouping: the last column is "class" for classes,
// and the grouping for traced snapshots grouped by allocation stack.
func TestSnapshotTextNamesTheGrouping(t *testing.T) {
	for _, tc := range []struct {
		allocation bool
		by         diff.Grouping
		want       string
	}{
		{false, diff.BySite, "class"},
		{false, diff.ByClass, "class"},
		{true, diff.BySite, "site"},
		{true, diff.ByFunc, "func"},
		{true, diff.ByPackage, "package"},
		{true, diff.ByStack, "stack"},
	} {
		ps, err := profile.LoadAll([]string{"../testdata/node/tracked-before.heapsnapshot.gz", "../testdata/node/tracked-after.heapsnapshot.gz"}, profile.Options{AllocationStacks: tc.allocation})
		if err != nil {
			t.Fatal(err)
		}
		c, err := diff.Compare(ps[0], ps[1], diff.Options{By: tc.by})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Text(&b, c, Options{}); err != nil {
			t.Fatal(err)
		}
		if head := "retained delta  " + tc.want + "\n"; !strings.Contains(b.String(), head) {
			t.Errorf("allocation stacks %v, by %s: no header ending %q in\n%.600s", tc.allocation, tc.by, head, b.String())
		}
	}
}
