package units

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		v      float64
		unit   string
		signed bool
		want   string
	}{
		{0, "bytes", true, "0B"},
		{1023, "bytes", false, "1023B"},
		{1536, "bytes", true, "+1.5KiB"},
		{-3 << 20, "bytes", true, "-3.0MiB"},
		{5 << 30, "bytes", false, "5.0GiB"},
		{1 << 60, "bytes", false, "1024.0PiB"}, // the largest unit grows past 1024
		{1.5e9, "nanoseconds", true, "+1.5s"},
		{999, "count", false, "999"},
		{9999.6, "count", false, "10000"},
		{123456, "count", true, "+123.5k"},
		{-2.5e6, "count", true, "-2.5M"},
		{7.3e9, "objects", false, "7.3G"},
	} {
		if got := Format(tc.v, tc.unit, tc.signed); got != tc.want {
			t.Errorf("Format(%v, %s, %v) = %q, want %q", tc.v, tc.unit, tc.signed, got, tc.want)
		}
	}
	if got := Bytes(3 << 19); got != "1.5MiB" {
		t.Errorf("Bytes(1.5 MiB) = %q", got)
	}
}

func TestTimeIsUTC(t *testing.T) {
	at := time.Date(2026, 12, 1, 11, 30, 5, 999, time.FixedZone("CET", 3600))
	if got, want := Time(at), "2026-12-01 10:30:05 UTC"; got != want {
		t.Errorf("Time = %q, want %q", got, want)
	}
}
