// Package v8 reads what V8 writes about its heap, as Node.js, Chromium and
// Bun save it: heap snapshots (.heapsnapshot) and sampling heap profiles
// (.heapprofile), and the names Node.js and Bun give those files. It is
// where package profile, the first stage of heapdiff's pipeline, goes for
// them: v8 returns its own neutral data (a snapshot's graph, its objects
// grouped by class with their sizes and ids, a sampling profile's frames
// and stacks), and profile's adapter makes its model of that. v8 does not
// depend on profile.
//
// # Reading
//
// Both formats are JSON. A scanner of our own (scanner.go) reads them from
// one reusable buffer: a snapshot of 200 MB is tens of millions of small
// integers and a table of strings, which it reads straight into typed
// columns without building a tree, as the file streams in (ReadSnapshot) or
// from memory (ParseSnapshot, ParseHeapProfile). A Snapshot keeps one
// column per field of its nodes and edges, indexed by ordinal, and of the
// string table only the strings the analysis reads; nothing the file's
// counts announce is allocated before what they count has been read.
//
// # Analysis
//
// Snapshot.Analyze computes what DevTools shows: shallow sizes (an array
// one object owns counts as its owner's), every object's class as DevTools
// keys and labels it (classkeys.go, locations.go), the dominator tree
// (Lengauer and Tarjan's algorithm, over the edges DevTools deems
// essential: dominators.go) and retained sizes, and groups the objects by
// class (Analysis.Classes) or, for snapshots taken with allocation
// tracking, by the stack that allocated them (Analysis.AllocationStacks).
// ParseHeapProfile reduces a sampling heap profile's call tree to its
// distinct stacks.
//
// # Memory
//
// Loading a V8 file takes at most ten times its decompressed size plus 64
// MiB, whatever its bytes (package profile's tests hold every V8 load to
// it, on the worst honest inputs and on hostile ones); a real snapshot of
// 200 MB takes about 1.2 times its size. To that end the analysis borrows
// its node-length arrays from one pool (scratch.go), so that each step
// reuses what the one before is done with rather than leaving it to the
// garbage collector; columns whose length the input does not give grow by
// chunks or by doubling; and an analysis that is the snapshot's last use
// (AnalyzeOptions.Drop) drops the graph's names, types and ids as soon as
// the groups are made, before the dominator tree, its peak, is built.
// Counts that would expand to more than the file can honestly hold (the
// frames of allocation stacks, see MaxFramesPerByte) are refused as
// ErrMalformed before anything is made of them.
package v8
