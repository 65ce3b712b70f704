package agent_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/heapdiff/heapdiff/agent"
)

// A service starts the agent once, early in main, and closes it on the way out.
// Here the snapshot is taken on demand; in a service, kill -USR2 <pid> does the
// same.
func Example() {
	dir, err := os.MkdirTemp("", "heapdiff-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	a, err := agent.Start(agent.Dir(dir), agent.BaselineAfter(0))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	path, err := a.Capture("before the batch job")
	if err != nil {
		log.Fatal(err)
	}
	name := filepath.Base(path)
	fmt.Println(strings.HasPrefix(name, "heap-"), strings.HasSuffix(name, "-manual.pb.gz"))
	fmt.Println("snapshots:", a.Stats().Snapshots)
	// Output:
	// true true
	// snapshots: 1
}
