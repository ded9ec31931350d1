package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageError is a wrong command line: an unknown command or flag, a bad
// flag value, a missing argument.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const topUsage = `eiam — a self-hosted Employee IAM server: one directory of people behind
four vendors' user APIs, OpenID Connect and SCIM.

Usage:
  eiam serve [flags]          run the server (migrates the schema first)
  eiam migrate [flags]        bring the database schema up to date and exit
  eiam import [flags] FILE    apply a declarative JSON file; re-running it changes nothing
  eiam keys list|rotate       show or rotate the keys that sign tokens
  eiam version                print the version

Run "eiam COMMAND --help" for the flags of a command. Every flag also has an
environment variable (--database is EIAM_DATABASE, --addr is EIAM_ADDR, …);
a flag beats its variable, which beats the default.

Quick start:
  eiam serve --import examples/quickstart.json
`

// run is the whole program: main only supplies the process's context,
// arguments, environment and output. args[0] is the program name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, topUsage)
		return usagef("no command given")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, rest, getenv, stdout, stderr)
	case "keys":
		return keysCmd(ctx, rest, getenv, stdout, stderr)
	case "version":
		return version(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "help" && !strings.HasPrefix(rest[0], "-") {
			return run(ctx, []string{args[0], rest[0], "--help"}, getenv, stdout, stderr)
		}
		fmt.Fprint(stdout, topUsage)
		return flag.ErrHelp
	}
	fmt.Fprint(stderr, topUsage)
	return usagef("unknown command %q", cmd)
}
