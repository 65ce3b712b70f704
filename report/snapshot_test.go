package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"slices"
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
	// 1000 new sessions of 40 bytes, none deleted: DevTools' alloc. size
	// and size delta, and the class's shallow delta, are 39.1KiB.
	if !strings.Contains(text, "# new  # deleted  # delta  alloc. size  freed size  size delta  shallow delta  retained delta  class") ||
		!regexp.MustCompile(`(?m)^\s+1000\s+0\s+\+1000\s+39\.1KiB\s+0B\s+\+39\.1KiB\s+\+39\.1KiB\s+\+\S+KiB\s+LeakySession$`).MatchString(text) {
		t.Errorf("text lacks the LeakySession comparison row:\n%s", text)
	}
	if !strings.Contains(text, "size delta is DevTools'") || !strings.Contains(text, "retained sizes of different classes overlap") {
		t.Errorf("text lacks the footer on its size columns:\n%s", text)
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
			found = r.Objects != nil && r.Objects.New == 1000 && r.Objects.Deleted == 0 && r.Flat["objects"].Delta == 1000 &&
				r.Objects.NewSize == 40000 && r.Objects.DeletedSize == 0
		}
	}
	if !found {
		t.Error("JSON: no LeakySession row with 1000 new objects of 40000 bytes")
	}
	recs, err := csv.NewReader(strings.NewReader(render(FormatCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	if want := []string{"new_objects", "deleted_objects", "new_size", "deleted_size"}; !slices.Equal(head[len(head)-4:], want) {
		t.Errorf("CSV header ends %q, want %q", head[len(head)-4:], want)
	}
	for _, rec := range recs[1:] {
		if rec[0] == "LeakySession" && !slices.Equal(rec[len(rec)-4:], []string{"1000", "0", "40000", "0"}) {
			t.Errorf("CSV: LeakySession ends %q", rec[len(rec)-4:])
		}
	}
	md := render(FormatMarkdown)
	if !strings.Contains(md, "| class | # new | # deleted | # delta | alloc. size | freed size | size delta | shallow delta | retained delta |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n") ||
		!strings.Contains(md, "| `LeakySession` | 1000 | 0 | +1000 | 39.1KiB | 0B | +39.1KiB | +39.1KiB |") {
		t.Errorf("Markdown lacks the LeakySession row:\n%s", md)
	}
}

// TestBunSnapshotText: with ids that do not match (Bun renumbers objects),
// # new, # deleted, alloc. size, freed size and size delta are empty (the
// row has three values: # delta, shallow and retained delta) and a warning
// says why.
func TestBunSnapshotText(t *testing.T) {
	c := nodeComparison(t, "bun-before.heapsnapshot.gz", "bun-after.heapsnapshot.gz")
	var b bytes.Buffer
	if err := Text(&b, c, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "do not match") || !strings.Contains(out, "Alloc. Size, Freed Size, Size Delta) are not counted") || !regexp.MustCompile(`(?m)^\s+\+1000\s+\+\S+\s+\+\S+\s+LeakySession$`).MatchString(out) {
		t.Errorf("Bun comparison:\n%s", out)
	}
}

// TestSnapshotTextNamesTheGrouping: the last column is "class" for classes,
// and the grouping for traced snapshots grouped by allocation stack. Rows
// of allocation stacks have no new and deleted objects (ids are matched by
// class): their text and Markdown tables leave those columns out, and their
// footer speaks of rows, not classes.
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
		var b, md bytes.Buffer
		if err := Text(&b, c, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := Markdown(&md, c); err != nil {
			t.Fatal(err)
		}
		text := b.String()
		head := "# new  # deleted  # delta  alloc. size  freed size  size delta  shallow delta  retained delta  " + tc.want + "\n"
		mdHead := "| " + tc.want + " | # new | # deleted | # delta | alloc. size | freed size | size delta | shallow delta | retained delta |\n"
		footer := "retained sizes of different classes overlap"
		if tc.allocation {
			head = "\n# delta  shallow delta  retained delta  " + tc.want + "\n"
			mdHead = "| " + tc.want + " | # delta | shallow delta | retained delta |\n|---|--:|--:|--:|\n"
			footer = "retained sizes of different rows overlap"
		}
		if !strings.Contains(text, head) || !strings.Contains(text, footer) {
			t.Errorf("allocation stacks %v, by %s: no header %q or no footer %q in\n%s", tc.allocation, tc.by, head, footer, text)
		}
		if !strings.Contains(md.String(), mdHead) || !strings.Contains(md.String(), "heap snapshots by "+tc.want) || !strings.Contains(md.String(), footer) {
			t.Errorf("allocation stacks %v, by %s: Markdown has no header %q or no footer %q:\n%s", tc.allocation, tc.by, mdHead, footer, md.String())
		}
		if tc.allocation && (strings.Contains(text, "classes") || strings.Contains(md.String(), "classes")) {
			t.Errorf("by %s: the text or Markdown speaks of classes:\n%s\n%s", tc.by, text, md.String())
		}
		// JSON keeps its schema: rows without objects have no "objects".
		doc := NewJSONComparison(c)
		withObjects := 0
		for _, r := range doc.Rows {
			if r.Objects != nil {
				withObjects++
			}
		}
		want := len(doc.Rows)
		if tc.allocation {
			want = 0
		}
		if withObjects != want {
			t.Errorf("allocation stacks %v, by %s: %d of %d JSON rows have objects, want %d", tc.allocation, tc.by, withObjects, len(doc.Rows), want)
		}
	}
}
