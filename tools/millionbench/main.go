// Command millionbench measures the directory on a database that holds many
// users, such as one filled by "eiam import" with a file of tools/genusers:
//
//	go run ./tools/genusers -n 1000000 -o users.json
//	eiam import --database sqlite://big.db users.json
//	go run ./tools/millionbench --database sqlite://big.db
//
// It reports the latency (p50, p99, max) of look-ups by each unique value
// (email, phone, external id, a unique custom field), of prefix searches
// (username, display name; first page, with and without the total count;
// a page after a cursor), and the throughput of profile updates from
// concurrent clients compared with that of a directory of 10^3 users (a
// fresh database, --baseline-database), alternating the two. Everything
// goes through directory.Service over the store, as a server's requests
// do, without HTTP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/postgres"
	"github.com/eiam/eiam/sqlite"
	"github.com/eiam/eiam/sqlstore"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "millionbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("millionbench", flag.ContinueOnError)
	database := fs.String("database", "sqlite://eiam.db", "database holding the users: sqlite://PATH or postgres://…")
	baseline := fs.String("baseline-database", "", "database for the directory of 10^3 users; default a new SQLite file for SQLite (required for PostgreSQL: a fresh database or search_path)")
	keyFile := fs.String("master-key-file", "", "master key of the database (default: master.key beside the SQLite file, or in the working directory)")
	inst := fs.String("instance", "idaas_bench", "instance whose users are measured")
	var c config
	fs.IntVar(&c.samples, "samples", 2000, "look-ups and searches of each kind")
	fs.IntVar(&c.targets, "update-users", 100000, "users, drawn at random from all, that the update runs change (the 10^3 directory: all of its users)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of each update run")
	fs.IntVar(&c.clients, "clients", 16, "concurrent clients of the update runs")
	fs.IntVar(&c.rounds, "rounds", 2, "update runs on each directory, alternating")
	if err := fs.Parse(args); err != nil {
		return err
	}
	big, err := open(ctx, *database, *keyFile)
	if err != nil {
		return err
	}
	defer big.Close()
	var small *sqlstore.Store
	if *baseline == "" && strings.HasPrefix(*database, "sqlite://") {
		dir, err := os.MkdirTemp("", "millionbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*baseline = "sqlite://" + filepath.Join(dir, "baseline.db")
	}
	if *baseline != "" {
		if small, err = open(ctx, *baseline, *keyFile); err != nil {
			return err
		}
		defer small.Close()
	}
	c.out = out
	return c.run(ctx, big, *inst, small)
}

// open opens sqlite://PATH or a PostgreSQL URL with the master key at
// keyFile (or where eiam looks for it by default).
func open(ctx context.Context, database, keyFile string) (*sqlstore.Store, error) {
	path, isSQLite := strings.CutPrefix(database, "sqlite://")
	if keyFile == "" {
		keyFile = "master.key"
		if isSQLite {
			keyFile = filepath.Join(filepath.Dir(path), "master.key")
		}
	}
	key, _, err := masterkey.Load(keyFile, false)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("master key %s: %w", keyFile, err)
	}
	if key == nil {
		// A database without sensitive values needs no key to be read.
		if key, _, err = masterkey.Generate(); err != nil {
			return nil, err
		}
	}
	if isSQLite {
		return sqlite.Open(ctx, path, key)
	}
	return postgres.Open(ctx, database, key)
}
