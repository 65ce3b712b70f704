package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

// The snapshots of testdata/node/gen/retainers.js (see its README).
const (
	retainersBefore = "../testdata/node/retainers/retainers-1.heapsnapshot.gz"
	retainersAfter  = "../testdata/node/retainers/retainers-2.heapsnapshot.gz"
)

// holdersPage loads a pair with retainers, compares it, finds who holds
// what grew, and renders the HTML page.
func holdersPage(t *testing.T, base, target string) (*diff.Comparison, []byte) {
	t.Helper()
	ps, err := profile.LoadAll([]string{base, target}, profile.Options{Retainers: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := diff.Compare(ps[0], ps[1], HTMLOptions(diff.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	c.Holders = diff.FindHolders(c, ps[0], ps[1], diff.HolderOptions{})
	var buf strings.Builder
	if err := HTML(&buf, c); err != nil {
		t.Fatal(err)
	}
	return c, []byte(buf.String())
}

// clickRow clicks the table's row of a class and returns the text of the
// detail row it opens ("" when none opens).
const clickRow = `(function (name) {
	var tr = Array.from(document.querySelectorAll('#rows-body tr.row')).find(function (tr) { return tr.cells[0].textContent === name; });
	if (!tr) { return 'no row ' + name; }
	tr.click();
	tr = Array.from(document.querySelectorAll('#rows-body tr.row')).find(function (tr) { return tr.cells[0].textContent === name; });
	var next = tr.nextElementSibling;
	return next && next.className === 'stacks' ? next.textContent : '';
})`

// TestHoldersHTMLInBrowser opens the page of two snapshots of retainers.js
// in Chromium: a class that grew opens, on a click, the paths that hold its
// new objects, as the program holds them; a class without paths does not
// open; the panel lists the collections that grew.
func TestHoldersHTMLInBrowser(t *testing.T) {
	c, html := holdersPage(t, retainersBefore, retainersAfter)
	p := openHTML(t, startBrowser(t), "holders.html", html)

	got := eval[string](p, clickRow+`('UserSession')`)
	if !strings.Contains(got, "300 objects") || !strings.Contains(got, "sessions (variable) → Map → table → UserSession") ||
		!strings.Contains(got, "held through the module system") {
		t.Errorf("UserSession's paths read %q", got)
	}
	got = eval[string](p, clickRow+`('ListenerContext')`)
	if !strings.Contains(got, "bus (variable) → EventEmitter → _events → Object → broadcast → Array → […] → onBroadcast() → ctx (variable) → ListenerContext") {
		t.Errorf("ListenerContext's paths read %q", got)
	}
	got = eval[string](p, clickRow+`('SessionMeta')`)
	if !strings.Contains(got, "UserSession → (WeakMap entry of this key) → SessionMeta") || strings.Contains(got, "WeakMap →") {
		t.Errorf("SessionMeta's paths read %q; want them through its key, never the WeakMap", got)
	}
	// A class with no paths (it did not grow) does not open.
	var shrank string
	for _, r := range snapshotRows(c) {
		if r.Flat[c.Index].Delta() < 0 {
			shrank = r.Named().Name
			break
		}
	}
	if shrank != "" {
		if got := eval[string](p, clickRow+`(`+jsString(shrank)+`)`); got != "" {
			t.Errorf("%s, which shrank, opened %q", shrank, got)
		}
	}
	panel := eval[string](p, `document.getElementById('holders').textContent`)
	for _, want := range []string{"Map @", "(sessions): 360 → 660 entries", "(bus._events.broadcast): 360 → 660 entries", "(cache): 360 → 660 entries"} {
		if !strings.Contains(panel, want) {
			t.Errorf("the collections panel lacks %q: %q", want, panel)
		}
	}
	p.screenshot("holders.png")
	p.checkClean()
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// writeMaliciousSnapshots writes two V8 heap snapshots whose property
// names, class name and variable name carry maliciousPayload; the target
// holds more objects of that class than the base.
func writeMaliciousSnapshots(t *testing.T) (base, target string) {
	t.Helper()
	dir := t.TempDir()
	for i, leaks := range []int{2, 6} {
		strs := []string{"", "global", maliciousPayload, "Object", "Evil<b>bold</b>" + maliciousPayload, "system / Context"}
		var nodes, edges []string
		// 0 root, 1 global, 2 scope, 3 holder, 4.. leaks.
		node := func(typ, name, id, size, edgeCount int) {
			nodes = append(nodes, fmt.Sprintf("%d,%d,%d,%d,%d", typ, name, id, size, edgeCount))
		}
		edge := func(typ, name, to int) { edges = append(edges, fmt.Sprintf("%d,%d,%d", typ, name, to*5)) }
		node(9, 0, 1, 0, 1)
		edge(5, 1, 1) // shortcut global
		node(3, 1, 3, 32, 1)
		edge(2, 2, 2) // a property named with the payload
		node(3, 5, 5, 32, 1)
		edge(0, 2, 3) // a variable named with the payload
		node(3, 3, 7, 32, leaks)
		for k := range leaks {
			strs = append(strs, fmt.Sprintf("key%d%s", k, maliciousPayload))
			edge(2, len(strs)-1, 4+k)
		}
		for k := range leaks {
			node(3, 4, 101+2*k, 64, 0)
		}
		doc := `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],` +
			`"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number"],` +
			`"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},` +
			fmt.Sprintf(`"node_count":%d,"edge_count":%d},`, len(nodes), len(edges)) +
			`"nodes":[` + strings.Join(nodes, ",") + `],"edges":[` + strings.Join(edges, ",") + `],"strings":[`
		for j, s := range strs {
			if j > 0 {
				doc += ","
			}
			doc += fmt.Sprintf("%q", s)
		}
		doc += "]}"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%d.heapsnapshot", i)), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "s0.heapsnapshot"), filepath.Join(dir, "s1.heapsnapshot")
}

// TestHoldersHTMLMaliciousNamesAreText: property, variable and class names
// are the program's strings; on the page they are text, never markup, in
// the paths a click opens and in the collections panel.
func TestHoldersHTMLMaliciousNamesAreText(t *testing.T) {
	base, target := writeMaliciousSnapshots(t)
	c, html := holdersPage(t, base, target)
	if c.Holders == nil || len(c.Holders.Classes) == 0 {
		t.Fatalf("no paths for the crafted snapshots: %+v", c.Holders)
	}
	if strings.Contains(string(html), "<img") || strings.Contains(string(html), "<b>bold") {
		t.Fatal("a snapshot string reached the page as markup")
	}
	p := openHTML(t, startBrowser(t), "holders-malicious.html", html)
	class := "Evil<b>bold</b>" + maliciousPayload
	got := eval[string](p, clickRow+`(`+jsString(class)+`)`)
	if strings.HasPrefix(got, "no row") {
		t.Logf("rows: %q", eval[[]string](p, `Array.from(document.querySelectorAll('#rows-body tr.row td.name')).map(function (e) { return e.textContent; })`))
	}
	want := maliciousPayload + " (variable) → Object → key2" + maliciousPayload + " (one of 4 keys) → " + class
	if !strings.Contains(got, want) {
		t.Errorf("the path reads %q, want it to hold %q", got, want)
	}
	if pwned := eval[any](p, `window.__pwned === undefined ? null : window.__pwned`); pwned != nil {
		t.Errorf("the payload ran: window.__pwned = %v", pwned)
	}
	if n := eval[int](p, `document.querySelectorAll('img, b').length`); n != 0 {
		t.Errorf("%d elements were injected", n)
	}
	p.checkClean()
}
