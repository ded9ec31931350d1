package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// batches is how many batches of user writes run at once (each on a
// connection of the pool).
const batches = 4

// maxConns bounds the connections one store opens, so that several
// replicas fit within the server's max_connections (100 by default).
const maxConns = 16

// PostgreSQL error codes the store acts on.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// Open connects to the PostgreSQL database named by dsn (a postgres:// URL
// or key=value string; a search_path parameter selects the schema), brings
// its schema up to date, and returns a store over it. key encrypts
// sensitive values at rest. Several servers may share one database: rows
// being changed are locked with SELECT … FOR UPDATE, uniqueness is decided
// by unique keys, and migrations take an advisory lock.
func Open(ctx context.Context, dsn string, key *masterkey.Key) (*sqlstore.Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := sqlstore.New(Dialect(), db, nil, key)
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dialect describes PostgreSQL to package sqlstore.
func Dialect() sqlstore.Dialect {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded; Sub fails only on a bad name
	}
	return sqlstore.Dialect{
		Name:               "postgres",
		DollarPlaceholders: true,
		LockRow:            " FOR UPDATE",
		// Rows are locked in the order ORDER BY gives them (PostgreSQL
		// sorts, then locks); "C" is byte order whatever the database's
		// collation.
		LockUsers: ` ORDER BY u.id COLLATE "C" FOR UPDATE`,
		// Group commit (see sqlstore's committer): several batches run
		// their statements at once, each a few round trips per write,
		// which other batches overlap; the commit phase of a batch holds a
		// transaction lock keyed by the outbox table's oid, so stores in
		// different schemas (tests) do not wait for each other. See
		// docs/benchmarks.md for the measurements.
		Batches:           batches,
		Pipeline:          pipeline,
		CopyFrom:          copyFrom,
		AfterBulk:         `ANALYZE users, user_claims, user_ous, audit_log, outbox`,
		OrderOutbox:       `SELECT pg_advisory_xact_lock('outbox'::regclass::oid::bigint)`,
		IsUniqueViolation: func(err error) bool { return code(err) == uniqueViolation },
		IsRetryable: func(err error) bool {
			c := code(err)
			return c == serializationFailure || c == deadlockDetected
		},
		TablesQuery:     `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`,
		Goose:           goose.DialectPostgres,
		Migrations:      sub,
		MigrationLocker: migrationLocker,
	}
}

func code(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// migrationLocker returns an advisory session lock whose key is derived from
// the schema being migrated: replicas starting together migrate one schema
// in turn (concurrent CREATE TABLEs would fail), and migrations of different
// schemas do not wait for each other.
func migrationLocker(ctx context.Context, db *sql.DB) (lock.SessionLocker, error) {
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, err
	}
	if !schema.Valid {
		return nil, errors.New("no schema: the search_path names none that exists")
	}
	h := fnv.New64a()
	h.Write([]byte("eiam migrate " + schema.String))
	return advisoryLock(int64(h.Sum64())), nil
}

// advisoryLock waits for a session-level advisory lock. goose's own
// PostgreSQL locker polls every second or more; this one wakes as soon as
// the lock is free, and gives up when ctx ends.
type advisoryLock int64

func (l advisoryLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(l))
	return err
}

func (l advisoryLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(l))
	return err
}

// pipeline sends stmts to the server in one batch (pgx's pipeline mode) on
// the transaction open on conn, and reads their results in order. Only an
// error of the server names the statement that failed: pgx returns an error
// raised before anything ran (encoding an argument, preparing) from every
// statement, so it fails the batch as a whole.
func pipeline(ctx context.Context, conn *sql.Conn, stmts []sqlstore.Statement) ([]int64, error) {
	rows := make([]int64, 0, len(stmts))
	err := withPgx(conn, "pipeline", func(c *pgx.Conn) error {
		var b pgx.Batch
		for _, st := range stmts {
			b.Queue(st.Query, st.Args...)
		}
		res := c.SendBatch(ctx, &b)
		for i := range stmts {
			tag, err := res.Exec()
			if err != nil {
				_ = res.Close()
				var pe *pgconn.PgError
				if errors.As(err, &pe) {
					return &sqlstore.PipelineError{Index: i, Err: err}
				}
				return fmt.Errorf("pipeline: %w", err)
			}
			rows = append(rows, tag.RowsAffected())
		}
		return res.Close()
	})
	return rows, err
}

// copyFrom writes rows into table with COPY FROM STDIN in the binary format
// (pgx's CopyFrom) on the transaction open on conn. The values are those
// the store passes to INSERTs (strings, int64, bools), whose binary
// encodings pgx has for the TEXT, BIGINT and BOOLEAN columns they go to.
func copyFrom(ctx context.Context, conn *sql.Conn, table string, columns []string, rows [][]any) error {
	return withPgx(conn, "copy", func(c *pgx.Conn) error {
		n, err := c.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("copy %s: %d rows written of %d", table, n, len(rows))
		}
		return nil
	})
}

// withPgx runs fn on the pgx connection under conn (for what database/sql
// has no call for). A panic in fn becomes its error: sql.Conn.Raw would
// otherwise take the connection for bad and close it, which waits for the
// transaction open on it to end — for ever, since that transaction's owner
// is the goroutine that panicked.
func withPgx(conn *sql.Conn, what string, fn func(c *pgx.Conn) error) error {
	return conn.Raw(func(driverConn any) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("panic in the driver: %v", v)
			}
		}()
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("%s: connection of type %T, not pgx's", what, driverConn)
		}
		return fn(c.Conn())
	})
}
