package v8

import "errors"

// ErrMalformed is wrapped by every error that says an input breaks its
// format: a snapshot or profile that is cut short, contradicts itself, or
// asks for more than its size can honestly hold. Its text is the one
// package profile gives its own ErrMalformed, so that a message reads the
// same whichever decoder wrote it.
var ErrMalformed = errors.New("malformed profile")

// MaxFramesPerByte bounds the frames the stacks of a V8 file may hold in
// all, per byte of the file: the bound package profile puts on pprof
// profiles. A call tree shares callers between callees, but each stack
// lists all of its frames, so a chain of n calls allocating at every level
// expands to n²/2 frames: the frames are counted before any stack is made,
// and a file past the bound is refused as malformed, since no real one
// comes near it.
const MaxFramesPerByte = 4

// frameBudget is how many frames the stacks of a V8 file of size bytes may
// hold in all: MaxFramesPerByte per byte, and 65,536 for any file.
func frameBudget(size int64) int64 {
	return max(size, 0)*MaxFramesPerByte + 1<<16
}
