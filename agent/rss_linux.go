package agent

import (
	"bytes"
	"os"
)

// rssReader reads VmRSS and VmHWM from /proc/self/status, keeping the file
// open and reading it with pread into a fixed buffer so a sample allocates
// nothing.
type rssReader struct {
	f   *os.File
	buf [8192]byte
}

func (r *rssReader) open() {
	r.f, _ = os.Open("/proc/self/status")
}

func (r *rssReader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

var (
	vmRSS = []byte("\nVmRSS:")
	vmHWM = []byte("\nVmHWM:")
)

func (r *rssReader) read() (rss, hwm uint64, ok bool) {
	if r.f == nil {
		return 0, 0, false
	}
	n, _ := r.f.ReadAt(r.buf[:], 0)
	b := r.buf[:n]
	rss, ok = statusKB(b, vmRSS)
	hwm, _ = statusKB(b, vmHWM)
	return rss, hwm, ok
}

// statusKB finds "\nKey:   1234 kB" in b and returns the value in bytes.
func statusKB(b, key []byte) (uint64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	var v uint64
	digits := 0
	for ; digits < len(b) && b[digits] >= '0' && b[digits] <= '9'; digits++ {
		v = v*10 + uint64(b[digits]-'0')
	}
	if digits == 0 {
		return 0, false
	}
	return v * 1024, true
}
