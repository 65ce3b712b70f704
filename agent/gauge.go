package agent

import (
	"errors"
	"fmt"
	"strconv"
)

// A Threshold is a limit on a gauge's value, made by [Above] or [Below].
type Threshold struct {
	above bool
	value float64
}

// Above is crossed when a gauge's value is greater than v.
func Above(v float64) Threshold { return Threshold{above: true, value: v} }

// Below is crossed when a gauge's value is less than v.
func Below(v float64) Threshold { return Threshold{value: v} }

func (t Threshold) crossed(v float64) bool {
	if t.above {
		return v > t.value
	}
	return v < t.value
}

// String describes the threshold: "> 10000" or "< 5".
func (t Threshold) String() string {
	op := "<"
	if t.above {
		op = ">"
	}
	return op + " " + strconv.FormatFloat(t.value, 'g', -1, 64)
}

type gauge struct {
	name       string
	fn         func() float64
	thresholds []Threshold
}

// GaugeValue is a gauge as last sampled.
type GaugeValue struct {
	Name       string   `json:"name"`
	Value      float64  `json:"value"`
	Thresholds []string `json:"thresholds,omitempty"`
	// Crossed says whether the value was beyond one of its thresholds.
	Crossed bool `json:"crossed"`
}

// Gauge registers a number the service cares about, such as the length of a
// job queue, read with fn at every sample. Gauges appear in the summary, in
// alerts and in the Prometheus collector; when a threshold is crossed the agent
// alerts and takes a snapshot (trigger "gauge"), then cools down, so a queue
// that keeps growing is caught along with the memory it holds. fn is called
// from the agent's goroutine: it must be quick and safe for concurrent use.
func Gauge(name string, fn func() float64, thresholds ...Threshold) Option {
	return func(c *config) error {
		if name == "" || fn == nil {
			return errors.New("agent: Gauge needs a name and a function")
		}
		for _, g := range c.gauges {
			if g.name == name {
				return fmt.Errorf("agent: Gauge %q registered twice", name)
			}
		}
		c.gauges = append(c.gauges, &gauge{name: name, fn: fn, thresholds: thresholds})
		return nil
	}
}

// read calls the gauge's function, turning a panic into an error so a broken
// gauge cannot bring the service down.
func (g *gauge) read() (v GaugeValue, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gauge %q panicked: %v", g.name, r)
		}
	}()
	v = GaugeValue{Name: g.name, Value: g.fn()}
	for _, t := range g.thresholds {
		v.Thresholds = append(v.Thresholds, t.String())
		v.Crossed = v.Crossed || t.crossed(v.Value)
	}
	return v, nil
}
