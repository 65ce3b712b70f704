package snapshot

import (
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "1048576": 1 << 20, "512MiB": 512 << 20, "512 MiB": 512 << 20, "1.5GB": 1.5e9,
		"64K": 64 << 10, "2g": 2 << 30, "100B": 100, "1TiB": 1 << 40,
		"1PiB": 1 << 50, "2PB": 2e15, "3p": 3 << 50,
	} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "12 parsecs", "1e3", "1.2.3GB", "99999999999TB"} {
		if got, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"50MiB/h", 50 << 20},
		{"50MiB/hour", 50 << 20},
		{"10 MiB / hour", 10 << 20},
		{"512KiB/hr", 512 << 10},
		{"200KiB/min", 200 << 10 * 60},
		{"1MB/m", 1e6 * 60},
		{"1GB/day", 1e9 / 24},
		{"5MB/s", 5e6 * 3600},
		{"1000/h", 1000},
	} {
		if got, err := ParseRate(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "10MiB", "10MiB/week", "/h", "abc/h", "-1MiB/h", "1MiB/h/h"} {
		if got, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "1h30m": 90 * time.Minute, "7d": 7 * 24 * time.Hour, " 0d ": 0, "0": 0} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "1.5d", "7days", "soon", "99999999999d"} {
		if _, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), "duration") {
			t.Errorf("ParseDuration(%q) = %v, want an error naming the duration", in, err)
		}
	}
}
