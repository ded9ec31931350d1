package main

import (
	"context"
	"fmt"
	"io"
)

const migrateUsage = `Usage: eiam migrate [flags]

Brings the database schema up to the newest version this binary knows and
exits. Running it again does nothing. (serve and import migrate too.)
`

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlagSet("migrate", migrateUsage, stderr)
	c := f.common(false)
	if err := f.parse(args, getenv); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return usagef("migrate takes no arguments, got %q", f.fs.Arg(0))
	}
	db, err := c.parseDatabase()
	if err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	// Migrations touch no encrypted value, so no master key is needed.
	store, err := openStore(ctx, db, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := store.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	log.Info("schema up to date", "database", db.describe(), "version", v)
	fmt.Fprintf(stdout, "schema of %s is at version %d\n", db.describe(), v)
	return nil
}
