package storetest

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
)

// PostgresDatabase creates a database named prefix_<random> on the server
// of EnvPostgresDSN, drops it when the test ends (closing any connection
// still open to it, such as those of a killed server), and returns its DSN.
// Unlike the schemas of PostgresDSN, a database of its own also isolates
// what PostgreSQL keeps per database — notification channels, advisory
// locks — from tests running at the same time; tests that run eiam
// processes use it. Without EnvPostgresDSN it skips, or fails with CI=true,
// as PostgresDSN does. prefix must be a lower-case SQL identifier.
func PostgresDatabase(tb testing.TB, prefix string) string {
	tb.Helper()
	dsn, cfg := postgresConfig(tb)
	admin := stdlib.OpenDB(*cfg)
	name := prefix + "_" + randomHex(8)
	if _, err := admin.ExecContext(context.Background(), `CREATE DATABASE `+name); err != nil {
		admin.Close()
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	return withDatabase(dsn, name)
}

// withDatabase replaces the database of a URL or key=value DSN.
func withDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	// In a key=value DSN the last of repeated keys wins.
	return strings.TrimSpace(dsn) + " dbname=" + name
}
