// Package postgres opens eiam's store on a PostgreSQL database through
// github.com/jackc/pgx/v5/stdlib and database/sql, so it shares every query
// with package sqlite (see package sqlstore).
//
// Several server replicas may share one database. Rows being changed are
// locked with SELECT … FOR UPDATE; uniqueness is decided by unique keys
// (INSERT … ON CONFLICT DO NOTHING for claims, SQLSTATE 23505 elsewhere),
// never by a check before an insert; transactions that fail with a deadlock
// or serialization failure are run again; concurrent user writes are
// committed in groups (see package sqlstore), and a session advisory lock
// lets one batch at a time, across replicas, take row locks, so batches
// never deadlock; outbox rows are inserted under a transaction-level
// advisory lock, so their sequence numbers become visible in order; and
// migrations take a session advisory lock derived from the
// schema name, so replicas starting together migrate in turn.
//
// The DSN's search_path parameter selects the schema (the tests give each
// test a schema of its own). Keys that are ordered or compared by range use
// COLLATE "C", so pages and prefixes behave as in SQLite whatever the
// database's default collation. Migrations are embedded from
// migrations/*.sql.
package postgres
