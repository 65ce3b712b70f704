package agent

import "os"

// containerLimit reads the cgroup memory limit; see cgroupLimit.
func containerLimit() (uint64, string) { return cgroupLimit(os.ReadFile) }
