package main

import (
	"strconv"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// durationFlag is a flag holding a duration that, like the agent's
// variables, also takes whole days ("7d"), read by snapshot.ParseDuration.
type durationFlag time.Duration

func (d *durationFlag) String() string { return formatDays(time.Duration(*d)) }

func (d *durationFlag) Set(s string) error {
	v, err := snapshot.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = durationFlag(v)
	return nil
}

func (d *durationFlag) Type() string { return "duration" }

// formatDays writes a whole number of days as "7d", anything else as Go does.
func formatDays(d time.Duration) string {
	if day := 24 * time.Hour; d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}
