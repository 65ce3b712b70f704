//go:build !linux

package agent

// containerLimit knows no container limit outside Linux; GOMEMLIMIT still
// applies.
func containerLimit() (uint64, string) { return 0, "cgroups exist only on Linux" }
