package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/eiam/eiam/importer"
	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/password"
)

const importUsage = `Usage: eiam import [flags] FILE

Applies a declarative JSON file (instances with their organizational units,
custom fields, applications and users; access keys) to the database. The
whole file is checked first and every problem is listed with its path in the
file; if there is any, nothing is written. Re-running a file changes nothing.
The schema is migrated first.
`

func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlagSet("import", importUsage, stderr)
	c := f.common(true)
	// Flag only: EIAM_DEBUG_ADDR set for a server would make an import on
	// the same host fail on an address in use.
	debug := f.str("debug-addr", "", "", "serve Go's profiler (/debug/pprof/) on this HOST:PORT while the import runs, a listener of its own; keep it private (default off)")
	if err := f.parse(args, getenv); err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		f.fs.Usage()
		return usagef("import takes exactly one FILE")
	}
	db, err := c.parseDatabase()
	if err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	if debug.value != "" {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if err := serveDebug(ctx, debug.value, log); err != nil {
			return err
		}
	}
	key, err := loadMasterKey(c, db, log)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, db, key)
	if err != nil {
		return err
	}
	defer store.Close()
	return importFile(ctx, store, key, f.fs.Arg(0), stdout, stderr)
}

// importFile applies the file at path, printing the summary to stdout and
// every problem of an invalid file to stderr.
func importFile(ctx context.Context, store importer.Store, key *masterkey.Key, path string, stdout, stderr io.Writer) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer file.Close()
	hasher, err := password.NewHasher(password.DefaultParams)
	if err != nil {
		return err
	}
	im, err := importer.New(store, importer.Options{Hasher: hasher, Index: key, Progress: stderr, ProgressBar: isTerminal(stderr)})
	if err != nil {
		return err
	}
	rep, err := im.Import(ctx, file)
	var ve *importer.ValidationError
	if errors.As(err, &ve) {
		fmt.Fprint(stderr, ve.Text())
		return fmt.Errorf("import %s: %d problem(s) found; nothing was written", path, len(ve.Problems))
	}
	if rep != nil {
		fmt.Fprintf(stdout, "import %s:\n%s", path, rep.Summary(path))
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	return nil
}
