package heapgen

import (
	"fmt"
	"os"

	"github.com/google/pprof/profile"
)

// WriteFile writes p to path as gzipped protobuf, as the Go runtime does.
func WriteFile(path string, p *profile.Profile) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
