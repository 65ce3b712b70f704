package snapshot

import (
	"slices"
	"strconv"
	"testing"
)

func TestParseComments(t *testing.T) {
	comments := []string{
		"heapdiff.trigger=signal",
		"pid=42",
		"heapdiff.reason=a=b c",
		"just a note",
		"heapdiff.bad key=1",
		"heapdiff.=empty",
		"heapdiff.trigger=again",
	}
	want := Meta{
		{Text: comments[0], Key: "trigger", Value: "signal", Heapdiff: true},
		{Text: comments[1], Key: "pid", Value: "42"},
		{Text: comments[2], Key: "reason", Value: "a=b c", Heapdiff: true},
		{Text: comments[3]},
		{Text: comments[4]},
		{Text: comments[5]},
		{Text: comments[6], Key: "trigger", Value: "again", Heapdiff: true},
	}
	got := ParseComments(comments)
	if !slices.Equal(got, want) {
		t.Errorf("ParseComments = %+v\nwant %+v", got, want)
	}
	for key, value := range map[string]string{"trigger": "signal", "pid": "42", "reason": "a=b c", "bad key": "", "": "", "host": ""} {
		if v := got.Get(key); v != value {
			t.Errorf("Get(%q) = %q, want %q", key, v, value)
		}
	}
	if v, ok := ParseComments([]string{"pid="}).Lookup("pid"); !ok || v != "" {
		t.Errorf(`Lookup("pid") in "pid=" = %q, %v; want an empty value that is there`, v, ok)
	}
	if _, ok := got.Lookup("host"); ok {
		t.Error(`Lookup("host") found a key no comment has`)
	}
	// What Comment writes, ParseComments reads.
	for _, v := range []string{"", "x", "a=b", strconv.Itoa(-1)} {
		m := ParseComments([]string{Comment("k", v)})
		if len(m) != 1 || m[0].Key != "k" || m[0].Value != v || !m[0].Heapdiff {
			t.Errorf("Comment(k, %q) reads back as %+v", v, m)
		}
	}
}
