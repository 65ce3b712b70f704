//go:build unix

package auto

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/heapdiff/heapdiff/agent"
)

func signalOpt(v string) (agent.Option, error) {
	switch strings.ToUpper(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(v)), "SIG")) {
	case "USR1":
		return agent.Signals(syscall.SIGUSR1), nil
	case "USR2":
		return agent.Signals(syscall.SIGUSR2), nil
	case "OFF", "NONE", "":
		return agent.Signals(), nil
	}
	return nil, fmt.Errorf("unknown signal %q", v)
}
