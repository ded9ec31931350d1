package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/masterkey"
	"github.com/pressly/goose/v3"
)

// Store implements eiam.Store over database/sql.
type Store struct {
	d     Dialect
	write *sql.DB
	read  *sql.DB
	key   *masterkey.Key
	// gc commits user writes in groups.
	gc *committer
	// stmts holds the read pool's prepared statements by query text (see
	// Dialect.PrepareStatements and queryRow); writeStmts those of the
	// write pool (see writeTx).
	stmts      sync.Map
	writeStmts *statements
	closers    []func() error
	// afterBatch asks the committer to run Dialect.AfterBatch once.
	afterBatch atomic.Bool
	// copied counts the rows written with Dialect.CopyFrom.
	copied atomic.Int64
}

var _ eiam.Store = (*Store)(nil)

// New returns a store over write (used for every transaction that writes)
// and read (used for plain reads; nil means write). key encrypts sensitive
// values; it may be nil for a store used only to migrate, and then every
// write or read of an encrypted value fails. New does not migrate.
func New(d Dialect, write, read *sql.DB, key *masterkey.Key) *Store {
	if read == nil {
		read = write
	}
	s := &Store{d: d, write: write, read: read, key: key}
	s.gc = newCommitter(s)
	if d.PrepareStatements {
		s.writeStmts = newStatements(write)
	}
	return s
}

// Migrate brings the schema to the newest version embedded in the binary.
// Running it again is a no-op.
func (s *Store) Migrate(ctx context.Context) error {
	var opts []goose.ProviderOption
	if s.d.MigrationLocker != nil {
		l, err := s.d.MigrationLocker(ctx, s.write)
		if err != nil {
			return fmt.Errorf("migrate %s: lock: %w", s.d.Name, err)
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	p, err := s.migrations(opts...)
	if err == nil {
		_, err = p.Up(ctx)
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.d.Name, err)
	}
	return nil
}

// SchemaVersion returns the version of the newest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := s.migrations()
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// migrations returns a goose provider of the dialect's migrations. Go
// migrations registered globally with goose are not eiam's and are left out.
func (s *Store) migrations(opts ...goose.ProviderOption) (*goose.Provider, error) {
	opts = append(opts, goose.WithDisableGlobalRegistry(true))
	return goose.NewProvider(s.d.Goose, s.write, s.d.Migrations, opts...)
}

// Ping checks that the database answers on both pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return err
	}
	return s.read.PingContext(ctx)
}

// RequestAfterBatch asks the group committer to run Dialect.AfterBatch on
// the write pool once, after the next batch has answered its writes.
func (s *Store) RequestAfterBatch() { s.afterBatch.Store(true) }

// OnClose registers f to run first when the store closes, for what a dialect
// package runs beside the store (SQLite's checkpointer).
func (s *Store) OnClose(f func() error) { s.closers = append(s.closers, f) }

// Close runs what OnClose registered, then closes the prepared statements
// and the connection pools.
func (s *Store) Close() error {
	var err error
	for _, f := range s.closers {
		err = errors.Join(err, f())
	}
	s.closers = nil
	s.stmts.Range(func(_, st any) bool {
		err = errors.Join(err, st.(*sql.Stmt).Close())
		return true
	})
	err = errors.Join(err, s.writeStmts.close())
	err = errors.Join(err, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// DialectName is the name of the store's dialect: "sqlite", "postgres".
func (s *Store) DialectName() string { return s.d.Name }

// DB returns the pool that writes, for operational tools and for tests that
// inspect what is stored.
func (s *Store) DB() *sql.DB { return s.write }

// Tables lists the tables of the store's schema.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	rows, err := s.write.QueryContext(ctx, s.d.TablesQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// q rebinds a query for the dialect.
func (s *Store) q(query string) string { return s.d.rebind(query) }

// queryRow runs one of the store's fixed read queries (never one built
// from a request: prepared statements are kept by their text) on the read
// pool. Where the dialect asks for it, the statement is prepared once and
// reused.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.read.QueryRowContext(ctx, s.q(query), args...)
}

// queryRows is queryRow for queries of several rows.
func (s *Store) queryRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.read.QueryContext(ctx, s.q(query), args...)
}

// prepared returns the read pool's prepared statement of query, preparing
// it on first use; nil when the dialect does not prepare reads or the
// statement could not be prepared (the caller then runs the query as it
// is, and meets the error there).
func (s *Store) prepared(ctx context.Context, query string) *sql.Stmt {
	if !s.d.PrepareStatements {
		return nil
	}
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	st, err := s.read.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	return st
}

// maxAttempts bounds how often a transaction that failed only because of
// concurrency is run again.
const maxAttempts = 4

// inTx runs fn in a write transaction and commits when it returns nil. A
// transaction the database aborted for concurrency (a deadlock between two
// replicas) is run again from the start, so fn must not have effects outside
// the transaction.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.retried(func() error { return s.tryTx(ctx, fn) })
}

// retried runs try, and again while it fails only because of concurrency,
// at most maxAttempts times in all.
func (s *Store) retried(try func() error) error {
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil || attempt == maxAttempts || !s.retryable(err) {
			return err
		}
	}
}

// retryable reports whether err is the database's, not a caller's, and
// says only that a transaction lost a race.
func (s *Store) retryable(err error) bool {
	var ce callerError
	return s.d.IsRetryable != nil && !errors.As(err, &ce) && s.d.IsRetryable(err)
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		// The error that made us give up matters, not the rollback's.
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// inConnTx is inTx on a connection held for the transaction, which fn gets
// too: a hook such as Dialect.CopyFrom reaches the driver's connection
// through it (a sql.Tx does not give its own).
func (s *Store) inConnTx(ctx context.Context, fn func(conn *sql.Conn, tx *sql.Tx) error) error {
	return s.retried(func() error { return s.tryConnTx(ctx, fn) })
}

func (s *Store) tryConnTx(ctx context.Context, fn func(conn *sql.Conn, tx *sql.Tx) error) (err error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	var tx *sql.Tx
	discard := false // the connection must not be reused
	defer func() {
		// Also when fn panics: the connection cannot be closed while its
		// transaction is open.
		if tx != nil {
			if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
				discard = true
			}
		}
		if discard {
			discardConn(conn) // which ends its transaction
		}
		conn.Close()
	}()
	if tx, err = conn.BeginTx(ctx, nil); err != nil {
		tx = nil
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(conn, tx); err != nil {
		// The error that made us give up matters, not the rollback's.
		return err
	}
	err = tx.Commit()
	tx = nil
	if err != nil {
		// A COMMIT that failed may leave the transaction open on the
		// connection (SQLite, for a deferred constraint).
		discard = true
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// callerError carries an error of a caller's callback through inTx, so it
// is returned exactly as the callback returned it.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }
func (e callerError) Unwrap() error { return e.err }

// wrap adds context to an error unless it is a domain error or a callback's,
// which are returned as they are.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var ce callerError
	if errors.As(err, &ce) {
		return ce.err
	}
	if _, ok := err.(*eiam.Error); ok {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func notFound(field, id string) error {
	return eiam.Errorf(eiam.ErrNotFound, field, "not_found", "id", id)
}

func conflict(field string) error {
	return eiam.Errorf(eiam.ErrConflict, field, "conflict", "field", field)
}
