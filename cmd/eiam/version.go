package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func version(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprintln(stdout, "Usage: eiam version\n\nPrints the version of this binary, its commit when known, and the Go toolchain.")
			return nil
		}
		return usagef("version takes no arguments, got %q", args[0])
	}
	fmt.Fprintln(stdout, versionString())
	return nil
}

// versionString is "eiam VERSION (commit REV) GO OS/ARCH", from the build
// information the Go toolchain embeds.
func versionString() string {
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = s.Value
				if len(rev) > 12 {
					rev = rev[:12]
				}
			}
		}
	}
	out := "eiam " + v
	if rev != "" {
		out += " (commit " + rev + ")"
	}
	return out + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
