// Package sqlite opens eiam's store on a SQLite database file, using the
// pure-Go driver modernc.org/sqlite, so eiam builds with CGO_ENABLED=0.
//
// The database runs in WAL mode with synchronous=FULL: a commit is on disk
// before it is acknowledged, so acknowledged writes survive a crash or
// kill -9. Writes go through one connection whose transactions begin
// IMMEDIATE, so writers queue in Go instead of failing with SQLITE_BUSY,
// and a transaction that reads and then writes (UpdateUser) holds the write
// lock from its first statement. Concurrent user writes share one such
// transaction and one sync (group commit, see package sqlstore), which is
// what makes SQLite's single writer fast under many clients. busy_timeout covers another process on the
// same file, such as "eiam import" next to a running server. Reads use a
// separate pool of read-only connections that WAL lets run beside the
// writer. Foreign keys are enforced.
//
// Migrations are embedded from migrations/*.sql and applied by Open (and
// Store.Migrate) with goose. The schema itself is described in package
// sqlstore.
package sqlite
