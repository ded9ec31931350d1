package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"time"

	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/sqlstore"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeoutMS is how long a connection waits for another process (say
// "eiam import" beside a running server) to release the database.
const busyTimeoutMS = 10000

// Open opens (creating it if needed) the SQLite database file at path,
// brings its schema up to date, and returns a store over it. key encrypts
// sensitive values at rest.
//
// Writes go through a pool of one connection whose transactions begin
// IMMEDIATE: writers of this process queue in Go rather than meet
// SQLITE_BUSY, and a transaction that reads and then writes never has to
// upgrade its lock. Reads go through a pool of several read-only
// connections, which in WAL mode never wait for the writer. synchronous=FULL
// makes every acknowledged commit survive a crash or kill -9.
func Open(ctx context.Context, path string, key *masterkey.Key) (*sqlstore.Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		// Two pools over one in-memory database would be two databases.
		return nil, fmt.Errorf("sqlite: %q is not a file path", path)
	}
	writeDSN, readDSN := dsns(path)
	write, err := sql.Open("sqlite", writeDSN)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	// The writer connects first, so the file exists and is in WAL mode
	// before any reader opens it.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	read, err := sql.Open("sqlite", readDSN)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)

	s := sqlstore.New(Dialect(), write, read, key)
	// The checkpointer copies pages without caching them: a small cache.
	if err := startCheckpointer(s, writeDSN+"&_pragma=cache_size(-2048)"); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Page cache sizes (negative: KiB) of the writer: 64 MiB, and up to 1 GiB
// during an import of many users (sqlstore.Dialect.BulkSettings), allocated
// as pages are read, so a small import uses little of it. Each cached page
// takes about twice its size in memory: the page and its header are one
// allocation, which modernc's allocator rounds up to a power of two. Since
// updates stopped rewriting index entries that do not change, profile
// updates among a million users keep the same share of their speed among a
// thousand with 64 MiB as with 128 MiB (0.77–0.79 against 0.79–0.81; see
// docs/benchmarks.md), for about 100 MB less resident memory.
const (
	writeCache = "-65536"
	bulkCache  = "-1048576"
)

// dsns returns the data source names of the write and read pools of the
// database file at path.
func dsns(path string) (write, read string) {
	// A file: URI, so that no character of the path is taken for a
	// parameter; SQLite decodes the escapes.
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	common := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", busyTimeoutMS)
	// _txlock=immediate: every write transaction begins with BEGIN
	// IMMEDIATE, so one that reads and then writes never has to upgrade
	// its lock. wal_autocheckpoint(0): commits do not checkpoint; the
	// checkpointer does, beside them (see startCheckpointer).
	write = uri + common + "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(" + writeCache + ")&_pragma=temp_store(memory)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	// query_only: a plain read can never take the write lock by mistake.
	read = uri + common + "&_pragma=query_only(1)"
	return write, read
}

// Dialect describes SQLite to package sqlstore.
func Dialect() sqlstore.Dialect {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded; Sub fails only on a bad name
	}
	return sqlstore.Dialect{
		Name: "sqlite",
		// One writer connection: one batch of user writes at a time.
		Batches:           1,
		IsUniqueViolation: isUniqueViolation,
		PrepareStatements: true,
		AfterBatch:        "PRAGMA wal_checkpoint(PASSIVE)",
		BulkTransaction:   true,
		BulkSettings:      "PRAGMA cache_size = " + bulkCache + "; PRAGMA foreign_keys = OFF",
		BulkSettingsReset: "PRAGMA cache_size = " + writeCache + "; PRAGMA foreign_keys = ON",
		BulkInsert:        "INSERT OR ROLLBACK",
		TablesQuery:       `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`,
		Goose:             goose.DialectSQLite3,
		Migrations:        sub,
	}
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) &&
		(e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// checkpointEvery is how often the checkpointer copies what the WAL holds
// into the database file; restartFrames is the WAL's length (in pages)
// past which it also makes the WAL start over.
const checkpointEvery = 100 * time.Millisecond

// restartFrames is a variable for the tests.
var restartFrames int64 = 16384

// startCheckpointer checkpoints the database on a connection of its own,
// every checkpointEvery, until the store closes. SQLite's default is that
// the commit which takes the WAL past 1000 pages checkpoints it: copies
// those pages into the database file and syncs both, before that COMMIT
// returns, so every write of that group-commit batch waits for a second
// sync, of a file as large as the directory. In the background, with
// PASSIVE checkpoints (which wait for neither readers nor the writer),
// commits pay only for the sync of the WAL. But under steady writes the WAL
// is never wholly copied at the moment a transaction begins, which is when
// it can start over; so once it is longer than restartFrames, the group
// committer checkpoints on the writer connection after a batch has
// answered its writes (Dialect.AfterBatch), finding nearly every page
// already copied, and the next transaction starts the WAL over. Errors (another process
// checkpointing, say) are left for the next round; a process that closes
// the database last checkpoints what is left.
func startCheckpointer(s *sqlstore.Store, dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var busy, frames, done int64
				if err := db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
					continue
				}
				if frames > restartFrames {
					// Under steady writes the WAL is never wholly
					// copied at the moment a transaction begins, so
					// it would never start over: the writer copies
					// the last pages itself, between two batches.
					s.RequestAfterBatch()
				}
			}
		}
	}()
	s.OnClose(func() error {
		close(stop)
		<-done
		return db.Close()
	})
	return nil
}
