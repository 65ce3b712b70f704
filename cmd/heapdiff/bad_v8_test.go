//go:build unix

package main

// v8HostileCases are the hostile V8 files of testdata/bad (written by
// testdata/badgen/v8.go): crafted heap snapshots and sampling heap profiles
// that crashed the decoder or took gigabytes from kilobytes. The refused
// ones are held to the memory rule (see memoryRule); those that load are
// given tighter bounds, well below what they once took.
func v8HostileCases() []badCase {
	const snapshotBase, profileBase = "../node/leaky-before.heapsnapshot.gz", "../node/before.heapprofile.gz"
	loads := func(name string, args []string, say string, maxRSS int64) badCase {
		return badCase{name: name, args: args, exit: exitOK, say: say, maxRSS: maxRSS}
	}
	return []badCase{
		failing("v8-dupheader.heapsnapshot", `v8-dupheader.heapsnapshot: malformed profile: the snapshot has a second "snapshot" member`),
		failing("v8-namebomb.heapsnapshot", "v8-namebomb.heapsnapshot: malformed profile: node 1 names string 4294967295 of 2"),
		failing("v8-tracecycle.heapsnapshot", "v8-tracecycle.heapsnapshot: malformed profile: trace node id 2 appears twice"),
		failing("v8-tracechain.heapsnapshot.gz", "v8-tracechain.heapsnapshot.gz: malformed profile: its allocation stacks expand to more than", "--by", "func"),
		failing("v8-bristles.heapprofile.gz", "v8-bristles.heapprofile.gz: malformed profile: its stacks expand to more than"),
		// Once 2.1 GiB, 16 bytes for each of 40 million empty strings.
		loads("v8-strings.heapsnapshot.gz", []string{snapshotBase, "v8-strings.heapsnapshot.gz"}, "target  v8-strings.heapsnapshot.gz", 128<<20),
		// Once 310 MiB, 24 bytes for each of 4 million trace functions.
		loads("v8-funcinfos.heapsnapshot.gz", []string{snapshotBase, "v8-funcinfos.heapsnapshot.gz", "--by", "func"}, "+100B  A", 192<<20),
		// Grouped by class, the chain's traces are not expanded.
		loads("v8-tracechain.heapsnapshot.gz by class", []string{snapshotBase, "v8-tracechain.heapsnapshot.gz"}, "has allocation traces", 128<<20),
		// Once 18 s and 150 MiB: each of 200,000 leaves copied a path of
		// 4,901 frames. They share one stack.
		loads("v8-broom.heapprofile.gz", []string{profileBase, "v8-broom.heapprofile.gz", "-i", "objects"}, "+200.0k     new            (anonymous)", 0),
	}
}
