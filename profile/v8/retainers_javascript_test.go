package v8

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// jsStrings are names that tell JavaScript's string order (UTF-16 code
// units) from Go's (bytes), and names DevTools quotes or counts.
var jsStrings = []string{
	"", "a", "B", "Object", "{a}", "a,b", `q"uote`, "brace}", "apos'", "tab\there", "nl\n", "\x01ctl",
	"é", "z", "\uE000", "\uFFFD", "\U0001F600", "\U0001F601", "\U00010000", "ſ", "日本", "12", "012", " 7x", "-3", "+4", "x9", "9007199254740993",
}

// TestJSHelpersAsJavaScript checks the JavaScript semantics DevTools'
// retainer order and names rest on against Node.js itself: the order of
// strings (<), their length, parseInt and the quoting of property names.
func TestJSHelpersAsJavaScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" {
			t.Fatal("CI is set but node is missing")
		}
		t.Skip("no node on PATH")
	}
	in, _ := json.Marshal(jsStrings)
	script := `const s = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {order: [], len: [], parse: [], quote: []};
for (const a of s) { out.len.push(a.length); const p = parseInt(a, 10); out.parse.push(isNaN(p) ? null : p);
  out.quote.push(/[,'"{}]/.test(a) ? (() => { const j = JSON.stringify({[a]: 0}); return j.substring(1, j.length - 3); })() : a);
  for (const b of s) out.order.push(a < b ? -1 : a > b ? 1 : 0); }
process.stdout.write(JSON.stringify(out));`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader(string(in))
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want struct {
		Order []int
		Len   []int
		Parse []*float64
		Quote []string
	}
	if err := json.Unmarshal(outb, &want); err != nil {
		t.Fatal(err)
	}
	sign := func(x int) int {
		switch {
		case x < 0:
			return -1
		case x > 0:
			return 1
		}
		return 0
	}
	k := 0
	for i, a := range jsStrings {
		if got := jsLen(a); got != want.Len[i] {
			t.Errorf("jsLen(%q) = %d, JavaScript %d", a, got, want.Len[i])
		}
		v, ok := jsParseInt(a)
		switch w := want.Parse[i]; {
		case w == nil && ok, w != nil && !ok:
			t.Errorf("jsParseInt(%q) = %d, %v; JavaScript %v", a, v, ok, w)
		case w != nil && *w < 1<<53 && float64(v) != *w:
			t.Errorf("jsParseInt(%q) = %d, JavaScript %v", a, v, *w)
		}
		if got := formatPropertyName(a); got != want.Quote[i] {
			t.Errorf("formatPropertyName(%q) = %q, JavaScript %q", a, got, want.Quote[i])
		}
		for _, b := range jsStrings {
			if got := sign(jsCompare(a, b)); got != want.Order[k] {
				t.Errorf("jsCompare(%q, %q) = %d, JavaScript %d", a, b, got, want.Order[k])
			}
			if got := sign(jsCompare([]byte(a), []byte(b))); got != want.Order[k] {
				t.Errorf("jsCompare(bytes %q, %q) = %d, JavaScript %d", a, b, got, want.Order[k])
			}
			k++
		}
	}
}
