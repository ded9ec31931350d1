// Command eiam is the eiam server: a self-hosted Employee IAM directory that
// speaks four vendors' user APIs, OpenID Connect and SCIM.
//
// Run "eiam --help" for the commands and "eiam COMMAND --help" for their flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// exitCode is 0 on success and after --help, 2 for a usage error, 1 otherwise.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "eiam:", err)
		return 2
	default:
		fmt.Fprintln(os.Stderr, "eiam:", err)
		return 1
	}
}
