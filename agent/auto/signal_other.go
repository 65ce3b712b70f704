//go:build !unix

package auto

import (
	"fmt"
	"strings"

	"github.com/heapdiff/heapdiff/agent"
)

// signalOpt accepts only "off" where SIGUSR1 and SIGUSR2 do not exist.
func signalOpt(v string) (agent.Option, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "none", "":
		return agent.Signals(), nil
	}
	return nil, fmt.Errorf("signal %q: this system has no USR signals; use off", v)
}
