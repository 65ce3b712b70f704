package report_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// An HTML page draws more than the rows: HTMLOptions asks Compare for the
// page's detail, which it keeps in its one pass over the profiles, and the
// page renders from the comparison alone.
func ExampleHTMLOptions() {
	ps, err := profile.LoadAll([]string{"../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz"}, profile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	c, err := diff.Compare(ps[0], ps[1], report.HTMLOptions(diff.Options{By: diff.ByFunc}))
	if err != nil {
		log.Fatal(err)
	}
	top := c.Detail.Stacks[0][0]
	fmt.Println("grew most:", c.Rows[0].Name)
	fmt.Printf("its largest stack: %d frames, %s\n", len(top.Frames), top.Frames[len(top.Frames)-1].Function)
	fmt.Println("largest site:", c.Detail.Sites[0].Name)

	var page bytes.Buffer
	if err := report.Render(&page, report.FormatHTML, c, report.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(page.String(), "<!DOCTYPE html>"))
	// Output:
	// grew most: main.(*SessionStore).Open
	// its largest stack: 4 frames, runtime.main
	// largest site: main.(*SessionStore).Open main.go:50
	// true
}
