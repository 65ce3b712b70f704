package v8

import (
	"encoding/json"
	"fmt"
)

// MetadataMember is the top-level member in which "heapdiff capture
// node://" writes its metadata into a heap snapshot or a sampling heap
// profile: an array of "heapdiff.key=value" strings (trigger, host, pid,
// RSS, heap used, ...), the comments the Go agent writes into a Go profile.
// V8 writes no such member; DevTools and memlab skip it.
const MetadataMember = "heapdiff"

// heapdiffMember is MetadataMember as the readers' switches spell it.
const heapdiffMember = MetadataMember

// maxHeapdiffMember bounds the member: what capture writes is about 1 KiB.
const maxHeapdiffMember = 64 << 10

// readHeapdiffMember reads the metadata member's value: an array of
// strings, at most maxHeapdiffMember bytes of JSON.
func readHeapdiffMember(s *jsonScanner) ([]string, error) {
	raw, err := s.raw(maxHeapdiffMember)
	if err != nil {
		return nil, err
	}
	var comments []string
	if err := json.Unmarshal(raw, &comments); err != nil {
		return nil, fmt.Errorf("%w: the %q member is not an array of strings", ErrMalformed, heapdiffMember)
	}
	return comments, nil
}
