package profile

import (
	"testing"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// TestV8FrameBoundIsPprofs: the stacks of V8 files are held to the bound on
// frames per byte that pprof profiles are, which package v8 states apart.
func TestV8FrameBoundIsPprofs(t *testing.T) {
	if v8.MaxFramesPerByte != maxFramesPerByte {
		t.Errorf("v8.MaxFramesPerByte is %d, pprof's bound %d: the memory rule states one", v8.MaxFramesPerByte, maxFramesPerByte)
	}
}
