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
// # Retainer paths
//
// A snapshot read with ReadOptions.Names and analysed with
// AnalyzeOptions.Retainers also answers who holds its objects
// (Analysis.Retainers), and lists its collections, the objects holding
// many others (Analysis.Collections, which AnalyzeOptions.Collections asks
// for alone). An object's path is the chain Chrome DevTools' Retainers
// view expands when the object is selected: its retainers sorted by their
// distance from the roots (DevTools' distances, breadth first from the
// global object), then by name in JavaScript's string order, then in the
// reverse of the file's order, and the first taken, level after level, up
// to the global object (retainers.go). One exception: a WeakMap holds a
// value only while its key lives, so the key, not the WeakMap's table, is
// given as its retainer (DevTools' retained sizes charge it to the key
// too). Retainers.Paths clusters the paths of a class's objects by the way
// they are held (the keys of one dictionary, and the places deep in a
// linked list, count as one way) and says where the program's own part of
// each path starts, after the runtime's objects.
//
// Why this way, and not from the dominator tree: the first retainer of
// every node is found once, by one breadth-first walk from the roots and
// one pass over the edges, both linear in the size of the graph, and a
// node's path is then read by following first retainers, in as many steps
// as the path is long. Nothing is walked per object asked for, so the
// paths of every new object of twenty classes cost no more walking than
// one's. The dominator tree answers another question (what would be
// freed), and its chain of immediate dominators skips the edges a reader
// needs to see (a Map's table, the variable in a closure's scope). Names
// break ties as DevTools breaks them, so the paths are those a DevTools
// user sees; the tests check them against DevTools' own on snapshots of a
// program whose holders are known (testdata/node/retainers).
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
// Retainers and collections, which read every edge's name (four bytes an
// edge, kept only when ReadOptions.Names asks), are found first, and those
// names dropped as soon as the dominator tree's essential edges are known:
// what the retainers' index keeps (about 32 bytes a node, and the strings
// paths show) is all that stays of them, and a snapshot of 64 MiB or more
// is collected then, so that the analysis's arrays do not pile onto the
// names. Names are compared in the string table's bytes, never made
// strings of for each edge.
// Counts that would expand to more than the file can honestly hold (the
// frames of allocation stacks, see MaxFramesPerByte) are refused as
// ErrMalformed before anything is made of them.
package v8
