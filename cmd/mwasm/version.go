package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is mwasm's release version; a build from a tagged module reports that tag.
const Version = "0.1.0-dev"

const wazeroModule = "github.com/tetratelabs/wazero"

func newVersionCmd(io stdio) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the versions of mwasm, Go and wazero",
		Args:  cobraNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(io.out, versionText())
			return nil
		},
	}
}

// versionText is the output of mwasm version: three "name version" lines.
func versionText() string {
	v, wz, rev := Version, "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			v = mv
		}
		for _, d := range bi.Deps {
			if d.Path == wazeroModule {
				wz = d.Version
				if d.Replace != nil {
					wz += " => " + d.Replace.Path + " " + d.Replace.Version
				}
			}
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		}
	}
	if rev != "" {
		v += " (" + rev + ")"
	}
	return fmt.Sprintf("mwasm %s\ngo %s %s/%s\nwazero %s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, wz)
}

// cobraNoArgs rejects arguments with a one-line usage error.
func cobraNoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments (got %q): see %s --help", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	return nil
}
