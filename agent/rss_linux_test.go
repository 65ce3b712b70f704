package agent

import "testing"

func TestStatusKB(t *testing.T) {
	status := []byte("Name:\tbot\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\nThreads:\t8\n")
	if v, ok := statusKB(status, vmRSS); !ok || v != 10<<20 {
		t.Errorf("VmRSS = %d, %v", v, ok)
	}
	if v, ok := statusKB(status, vmHWM); !ok || v != 20<<20 {
		t.Errorf("VmHWM = %d, %v", v, ok)
	}
	if _, ok := statusKB([]byte("Name:\tbot\nVmRSS:\t kB\n"), vmRSS); ok {
		t.Error("empty value accepted")
	}
}
