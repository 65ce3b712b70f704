// Command stackcount prints how many distinct stacks heapdiff reads in each
// profile, and their total: the count compare's memory budget allows 512
// bytes for (README.md, "Limits and safety"). bench/memory.sh uses it.
//
//	go run ./bench/stackcount base.pb.gz target.pb.gz
package main

import (
	"fmt"
	"os"

	"github.com/heapdiff/heapdiff/profile"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: stackcount PROFILE...")
		os.Exit(2)
	}
	total := 0
	for _, path := range os.Args[1:] {
		p, err := profile.Load(path, profile.Options{MaxSize: 1 << 30})
		if err != nil {
			fmt.Fprintln(os.Stderr, "stackcount:", err)
			os.Exit(1)
		}
		fmt.Printf("%s %d\n", path, len(p.Stacks))
		total += len(p.Stacks)
	}
	fmt.Printf("total %d\n", total)
}
