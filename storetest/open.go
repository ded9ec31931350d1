package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/postgres"
	"github.com/eiam/eiam/sqlite"
	"github.com/eiam/eiam/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// EnvPostgresDSN names the environment variable holding the PostgreSQL
// database the tests use, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Each test gets a
// schema of its own there, dropped when it ends.
const EnvPostgresDSN = "EIAM_TEST_POSTGRES_DSN"

// Each runs fn as subtest "sqlite" with a fresh SQLite store and as subtest
// "postgres" with a fresh PostgreSQL store. Without EnvPostgresDSN the
// postgres subtest is skipped, unless CI=true: then it fails, so that CI
// never passes without having tested PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, s eiam.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, OpenPostgres(t)) })
}

// EachB is Each for benchmarks: fn runs as sub-benchmarks "sqlite" and
// "postgres", each with a fresh store.
func EachB(b *testing.B, fn func(b *testing.B, s eiam.Store)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, OpenPostgres(b)) })
}

// OpenSQLite returns a store over a new database file in a temporary
// directory, closed when the test ends.
func OpenSQLite(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "eiam.db"), NewKey(tb))
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// OpenPostgres returns a store over a new schema of the database named by
// EnvPostgresDSN, closed and dropped when the test ends. See Each for what
// happens when the variable is unset.
func OpenPostgres(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), PostgresDSN(tb), NewKey(tb))
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// PostgresDSN creates a schema with a random name in the database named by
// EnvPostgresDSN, drops it when the test ends, and returns a DSN whose
// search_path selects it. Stores opened with the same DSN share the schema,
// as server replicas share a database.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn, cfg := postgresConfig(tb)
	admin := stdlib.OpenDB(*cfg)
	tb.Cleanup(func() { admin.Close() })
	schema := "eiam_test_" + randomHex(8)
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() { dropSchema(tb, admin, schema) })
	return withSearchPath(dsn, schema)
}

func dropSchema(tb testing.TB, admin *sql.DB, schema string) {
	if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}

// withSearchPath adds search_path to a URL or key=value DSN; pgx passes
// parameters it does not know to the server as run-time settings.
func withSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}

// NewKey returns a new random master key.
func NewKey(tb testing.TB) *masterkey.Key {
	tb.Helper()
	k, _, err := masterkey.Generate()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

// postgresConfig returns and parses EnvPostgresDSN; without it the test skips, or
// fails when CI=true, since CI must test PostgreSQL.
func postgresConfig(tb testing.TB) (string, *pgx.ConnConfig) {
	tb.Helper()
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: CI must test PostgreSQL too", EnvPostgresDSN)
		}
		tb.Skipf("%s is not set; set it (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to test PostgreSQL", EnvPostgresDSN)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgresDSN, err)
	}
	return dsn, cfg
}
