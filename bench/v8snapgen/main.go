// Command v8snapgen writes a large synthetic V8 heap snapshot pair for
// bench/v8snapshot.sh: about 2.2 million nodes and 11 million edges each
// (over 200 MB of JSON), the target with 5% more nodes of class "Leak".
// The output is deterministic.
//
//	go run ./bench/v8snapgen -out bench/out
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

const header = `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],` +
	`"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"],` +
	`"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},` +
	`"node_count":%d,"edge_count":%d,"trace_function_count":0},` + "\n"

const (
	classes   = 200   // object class names
	propNames = 50000 // property names
	nodeWidth = 7
	children  = 2 // tree edges per node: every node is reachable
	extra     = 3 // random edges per node, one of them weak
)

func main() {
	out := flag.String("out", "bench/out", "directory to write v8-base.heapsnapshot and v8-target.heapsnapshot into")
	nodes := flag.Int("nodes", 2_200_000, "nodes in the base snapshot")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"v8-base.heapsnapshot", *nodes}, {"v8-target.heapsnapshot", *nodes + *nodes/20}} {
		if err := write(filepath.Join(*out, f.name), f.n, *nodes); err != nil {
			log.Fatal(err)
		}
	}
}

// write writes a snapshot of n nodes; nodes at or past base are leaks.
func write(path string, n, base int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	edgesOf := func(i int) int {
		if i == 0 {
			return 2
		}
		c := 0
		for k := 1; k <= children; k++ {
			if children*i+k < n {
				c++
			}
		}
		return c + extra
	}
	total := 0
	for i := range n {
		total += edgesOf(i)
	}
	fmt.Fprintf(w, header, n, total)
	// Strings: 0 "", 1 "(GC roots)", 2 "global", then classes, "Leak", properties.
	leakName := 3 + classes
	prop0 := leakName + 1
	var buf []byte
	num := func(v int) { buf = strconv.AppendInt(buf, int64(v), 10) }
	w.WriteString(`"nodes":[`)
	for i := range n {
		typ, name, size := 3, 3+i%classes, 16+int(rand.New(rand.NewPCG(uint64(i), 1)).IntN(240))
		switch {
		case i == 0:
			typ, name, size = 9, 0, 0
		case i == 1:
			name = 2
		case i == 2:
			typ, name, size = 9, 1, 0
		case i >= base:
			name = leakName
		}
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ",\n"...)
		}
		for k, v := range []int{typ, name, 2*i + 1, size, edgesOf(i), 0, 0} {
			if k > 0 {
				buf = append(buf, ',')
			}
			num(v)
		}
		w.Write(buf)
	}
	w.WriteString("],\n\"edges\":[")
	first := true
	edge := func(typ, name, to int) {
		buf = buf[:0]
		if !first {
			buf = append(buf, ",\n"...)
		}
		first = false
		num(typ)
		buf = append(buf, ',')
		num(name)
		buf = append(buf, ',')
		num(to * nodeWidth)
		w.Write(buf)
	}
	for i := range n {
		if i == 0 {
			edge(5, 2, 1) // shortcut to the global object
			edge(1, 1, 2) // element to (GC roots)
			continue
		}
		r := rand.New(rand.NewPCG(uint64(i), 2))
		for k := 1; k <= children; k++ {
			if c := children*i + k; c < n {
				edge(2, prop0+r.IntN(propNames), c)
			}
		}
		for k := range extra {
			typ := 2
			if k == 0 {
				typ = 6
			}
			edge(typ, prop0+r.IntN(propNames), 1+r.IntN(n-1))
		}
	}
	w.WriteString("],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n\"strings\":[\"\",\"(GC roots)\",\"global\"")
	for c := range classes {
		fmt.Fprintf(w, ",\n\"Class%03d\"", c)
	}
	w.WriteString(",\n\"Leak\"")
	for p := range propNames {
		fmt.Fprintf(w, ",\n\"property_%d\"", p)
	}
	w.WriteString("]}\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
