// Package snapshot names, writes and prunes heap snapshot files. It is shared by
// the capture agent (package agent) and the "heapdiff capture" command, so a
// snapshot taken inside a service and one fetched over HTTP look alike on disk.
//
// A snapshot file is a gzipped pprof protobuf heap profile named
//
//	heap-20261126T154210Z-bot1-4242-0007-signal.pb.gz
//
// that is: UTC time, host, process id, sequence number within the process, and
// the trigger that caused it. Names sort by time. Files are written atomically
// (temporary file in the same directory, fsync, rename), so a crash never leaves
// a partial profile under a final name, and retention only ever removes files
// whose names it recognises.
//
// The package imports only the standard library.
package snapshot
