package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"io/fs"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Dialect is everything that differs between the databases sqlstore runs on.
// All queries are written once, in the subset of SQL both SQLite and
// PostgreSQL accept (including INSERT … ON CONFLICT and row-value
// comparisons), with "?" placeholders.
type Dialect struct {
	// Name is a short name for messages: "sqlite", "postgres".
	Name string
	// DollarPlaceholders rewrites "?" placeholders to "$1", "$2", ….
	DollarPlaceholders bool
	// LockRow is appended to the SELECT that reads a row about to be
	// changed (" FOR UPDATE"); empty when the transaction itself already
	// excludes other writers (SQLite's BEGIN IMMEDIATE).
	LockRow string
	// LockUsers, when set, makes a batch of user writes lock the rows of
	// the users it updates or deletes up front, in one statement for each
	// instance rather than one for each write:
	//   SELECT … FROM users u WHERE u.instance_id = ? AND u.id = ANY(?)
	// followed by LockUsers, which must lock the rows in byte order of
	// their ids (the order of the batch's writes; see committer).
	LockUsers string
	// Pipeline, when set, runs statements in the transaction open on conn,
	// in order, in one round trip, and returns each one's count of affected
	// rows, or a *PipelineError naming the first that failed (the
	// transaction is then aborted). The group committer leaves a write's
	// statements whose outcome it does not need at once for it, so that a
	// batch costs a few round trips rather than a few per write. Without
	// it statements run one at a time as they come, which costs nothing
	// extra on SQLite, a library in the same process.
	Pipeline func(ctx context.Context, conn *sql.Conn, stmts []Statement) (rows []int64, err error)
	// Batches is how many batches of user writes (see committer) may run
	// at once; at least one. Each batch locks its users' rows in one global
	// order, so batches running at once, on one replica or several, do not
	// wait for each other in a cycle on them.
	Batches int
	// AfterBatch, when set, is run on the write pool by the group
	// committer after a batch has answered its writes, once each time
	// Store.RequestAfterBatch asks for it: SQLite's checkpointer asks for a
	// checkpoint there, between batches, so that the WAL can start over.
	AfterBatch string
	// OrderOutbox, when set, runs after the statements of a batch of user
	// writes (the only writers of the outbox), just before its outbox rows
	// are inserted, and must serialize the rest of the transaction with
	// every other such batch, of any replica. Sequence numbers are drawn at
	// insert time but become visible at commit; without this a reader
	// polling "Seq > last seen" could see seq 7 committed before seq 6 and
	// never see 6.
	OrderOutbox string
	// IsUniqueViolation reports whether err is a unique-constraint
	// violation. Claims never rely on it (they use ON CONFLICT DO NOTHING
	// and look at the affected row count); it is used where each statement
	// has exactly one unique constraint besides its ON CONFLICT target, so
	// the call site knows which one was violated.
	IsUniqueViolation func(err error) bool
	// IsRetryable reports whether a transaction failed only because of
	// concurrency (deadlock, serialization failure) and may be run again.
	// Nil means never.
	IsRetryable func(err error) bool
	// PrepareStatements makes the store prepare the statements of its
	// frequent fixed reads, and those of user writes, once and reuse them
	// (database/sql keeps one per connection). For drivers that compile
	// every query anew (modernc's SQLite); pgx already keeps prepared
	// statements per connection by itself.
	PrepareStatements bool
	// BulkTransaction makes a BulkWriter keep all its batches in one
	// transaction until Commit. It suits SQLite, where each commit appends
	// every page it changed to the WAL, and a page of an index on random
	// keys (ids, usernames, emails) is changed by nearly every batch; a
	// million users in batches of thousands would write the indexes to the
	// WAL hundreds of times. PostgreSQL logs rows, not pages, and its
	// other writers would wait for the transaction; there batches commit
	// on their own.
	BulkTransaction bool
	// BulkSettings, when set, is run on a BulkWriter's connection before
	// its transaction begins, and BulkSettingsReset after it ends. SQLite's
	// page cache is raised for the bulk transaction, else the index pages
	// that random keys touch no longer fit from a few hundred thousand
	// users on, and every batch writes them out to the WAL and reads them
	// back. And its foreign keys are not enforced during it: checking them,
	// even deferred, makes SQLite keep a statement journal of every page
	// each multi-row INSERT touches, a quarter of the insert's cost. The
	// importer writes only users whose instance and units it has checked,
	// inside a transaction that keeps every other writer out.
	BulkSettings, BulkSettingsReset string
	// CopyFrom, when set, writes rows into table, each row holding the
	// values of columns in their order, with the database's bulk load
	// (PostgreSQL's COPY FROM STDIN), in the transaction open on conn. A
	// unique violation must come back as an error IsUniqueViolation
	// recognises; the transaction is then aborted. CreateUsers writes the
	// rows of a batch with it, one call per table, instead of multi-row
	// INSERTs: PostgreSQL parses, plans and binds each INSERT of thousands
	// of parameters like any statement, while COPY streams the rows of a
	// whole batch into the table with none of that (an import of 200 000
	// users took 15–29% less time; see docs/operations.md). Without it
	// CreateUsers writes multi-row INSERTs, which cost SQLite, a library in
	// the same process, no round trips.
	CopyFrom func(ctx context.Context, conn *sql.Conn, table string, columns []string, rows [][]any) error
	// AfterBulk, when set, runs once a BulkWriter that wrote users
	// commits: PostgreSQL's ANALYZE of the user tables, so that the
	// planner knows how many rows it holds at once rather than when
	// autovacuum next looks (a table of a million users it still took for
	// a few rows chose an index of display names to find users by id).
	AfterBulk string
	// BulkInsert is the verb of the multi-row inserts of CreateUsers,
	// which roll the transaction back when one fails: "INSERT OR
	// ROLLBACK" spares SQLite the statement journal that lets a failed
	// INSERT undo only itself. Empty means "INSERT".
	BulkInsert string
	// TablesQuery lists the names of the store's tables, for tests that
	// inspect raw rows.
	TablesQuery string

	// Goose, Migrations and MigrationLocker configure Migrate.
	Goose      goose.Dialect
	Migrations fs.FS
	// MigrationLocker, when set, returns the lock that keeps several
	// replicas starting at once from migrating the same database together.
	MigrationLocker func(ctx context.Context, db *sql.DB) (lock.SessionLocker, error)
}

// rebind turns the "?" placeholders of q into the dialect's own. Queries
// never contain "?" inside literals, so a plain scan is enough.
func (d *Dialect) rebind(q string) string {
	if !d.DollarPlaceholders || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (d *Dialect) bulkInsert() string { return cmp.Or(d.BulkInsert, "INSERT") }

// placeholders returns n comma-separated "?".
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
