package main

import (
	"fmt"
	"os"

	"github.com/heapdiff/heapdiff/diff"
)

// spillAfter is how many bytes of a trend's values stay in memory before
// they go to tempSpill (diff.TrendOptions.SpillAfter): about 15 snapshots
// of the large benchmark profile's 90,000 sites. A variable, so that tests
// can spill every snapshot.
var spillAfter int64 = diff.DefaultSpillAfter

// tempSpill makes the file where a trend's values go once they pass
// spillAfter bytes (diff.TrendOptions.Spill): a temporary file
// in $TMPDIR, removed as soon as it is made where the system allows it (on
// Unix it then vanishes when closed, or when the process ends however it
// ends), else when it is closed.
func tempSpill() (diff.SpillFile, error) {
	f, err := os.CreateTemp("", "heapdiff-trend-*")
	if err != nil {
		return nil, fmt.Errorf("%w (set TMPDIR to a directory with room)", err)
	}
	if os.Remove(f.Name()) == nil {
		return f, nil
	}
	return removedOnClose{f}, nil
}

// removedOnClose is a temporary file that could not be removed while open
// (Windows): Close removes it.
type removedOnClose struct{ *os.File }

func (f removedOnClose) Close() error {
	err := f.File.Close()
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
}
