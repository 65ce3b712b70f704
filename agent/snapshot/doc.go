// Package snapshot names, writes and prunes heap snapshot files, and reads the
// metadata they carry. Its [Store] is used by both the capture agent (package
// agent) and the "heapdiff capture" command, so a snapshot taken inside a
// service and one fetched over HTTP look alike on disk and follow one set of
// rules.
//
// A snapshot file is a gzipped pprof protobuf heap profile named
//
//	heap-20261126T154210Z-bot1-4242-0007-signal.pb.gz
//
// that is: UTC time, host, process id (0 for a snapshot pulled from another
// process), sequence number, and the trigger that caused it. Names sort by
// time. Files are written atomically (temporary file in the same directory,
// fsync, rename), so a crash never leaves a partial profile under a final
// name, and retention only ever removes files whose names it recognises.
//
// The profile's comments carry metadata as "heapdiff.key=value" lines, made
// by [Comment] and read by [ParseComments].
//
// The package imports only the standard library.
package snapshot
