package v8

// Telling processes apart. Heap snapshots hold no process id; Node.js's and
// Bun's file names do (see ParseFileName). Without them, object ids tell: V8
// numbers the objects of its heap from a counter that only grows in a
// process (an object keeps its id for its life; Bun renumbers every object
// at each snapshot, going on from the last id it gave), so the largest id,
// MaxHeapObjectID, does not fall from one snapshot of a process to the
// next. After a restart the new process counts from the
// start again: measured on the snapshots of testdata/node, a process's
// second snapshot is at 90,983 and the next process's first at 81,259.
// A new process can also have grown past the old one's largest id; then
// the ids both snapshots hold name objects of different classes (about 5%
// the same class, against 100% in one process), which the comparison's id
// check finds.

// MaxHeapObjectID returns the largest id of a node of the JavaScript heap:
// native nodes (the embedder's objects) and synthetic ones (roots) are left
// out, as V8 derives their ids from their addresses or labels, not from
// the counter it numbers heap objects with.
func (g *Snapshot) MaxHeapObjectID() uint64 { return g.maxHeapID }

// maxHeapObjectID computes MaxHeapObjectID from the nodes.
func (g *Snapshot) maxHeapObjectID() uint64 {
	native, synthetic := indexOf(g.nodeTypes, "native"), indexOf(g.nodeTypes, "synthetic")
	var largest uint64
	for i, t := range g.typ {
		if int(t) != native && int(t) != synthetic {
			largest = max(largest, g.nodeID(uint32(i)))
		}
	}
	return largest
}
