package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo says which heapdiff this is, from the build information the
// Go toolchain embeds: the module version ("(devel)" for a build from a
// clone), the VCS commit and whether the tree had changes, and the Go
// version that built it.
func versionInfo() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "heapdiff (no build information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var commit, when, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", with uncommitted changes"
			}
		}
	}
	out := "heapdiff " + version
	if commit != "" {
		out += fmt.Sprintf(", commit %.12s", commit)
		if when != "" {
			out += " of " + when
		}
		out += modified
	}
	return out + ", built with " + bi.GoVersion
}

func newVersionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print heapdiff's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(s.Out, versionInfo())
			return err
		},
	}
}
