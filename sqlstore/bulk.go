package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/internal/parallel"
)

// maxParams bounds the parameters of one multi-row statement, below
// SQLite's limit (32766) and PostgreSQL's (65535).
const maxParams = 16000

// maxRowsPerStatement bounds the rows of one multi-row statement: beyond a
// few hundred, longer statements save nothing measurable.
const maxRowsPerStatement = 500

// errBatchConflict means a multi-row insert of CreateUsers hit a unique
// key: an id or claim is taken (by a stored user or another of the
// batch). The batch is then written again row by row to name it.
var errBatchConflict = errors.New("batch conflict")

// CreateUsers writes new users as CreateUser does, all in one transaction:
// either every user is written, with its claims, unit memberships, audit
// record and event, or none is. It is the bulk path of an import: the rows
// of the batch go in one COPY per table where the dialect has CopyFrom, and
// elsewhere in multi-row INSERTs, a few statements for hundreds of users;
// neither with ON CONFLICT (which costs PostgreSQL a speculative insert per
// row). When a unique key is violated, the transaction is rolled back
// and the batch is written again one user at a time in a new one, which
// fails with the same ErrConflict CreateUser would return for the first
// user that cannot be written.
func (s *Store) CreateUsers(ctx context.Context, cs []*eiam.Commit) error {
	if len(cs) == 0 {
		return nil
	}
	for _, c := range cs {
		if c == nil || c.User == nil {
			return errors.New("create users: commit without user")
		}
	}
	err := s.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error { return s.createUsers(ctx, conn, tx, nil, cs) })
	if errors.Is(err, errBatchConflict) {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			for _, c := range cs {
				if err := s.createUser(ctx, tx, c); err != nil {
					return err
				}
			}
			// The batch conflicted a moment ago; if it no longer does,
			// writing it this way is as good.
			return nil
		})
	}
	return wrap(err, "create %d users", len(cs))
}

// createUsers writes what CreateUsers writes inside tx, open on conn (for
// Dialect.CopyFrom). stmts, when not nil, keeps the statements it prepares
// in tx for the next call in the same transaction (a bulk transaction runs
// the same few multi-row statements thousands of times; compiling each anew
// cost SQLite a tenth of an import).
func (s *Store) createUsers(ctx context.Context, conn *sql.Conn, tx *sql.Tx, stmts map[string]*sql.Stmt, cs []*eiam.Commit) error {
	// Each user's rows are built on every core (sealing, JSON), in order.
	type rows struct {
		user                []any
		claims, memberships [][]any
		audit, event        []any
		err                 error
	}
	per := make([]rows, len(cs))
	parallel.For(len(cs), func(i int) {
		u, r := cs[i].User, &per[i]
		vals, err := s.userValues(u, cs[i].SealedFields)
		if err != nil {
			r.err = fmt.Errorf("user %s: %w", u.ID, err)
			return
		}
		r.user = append([]any{u.InstanceID, u.ID}, vals...)
		for _, cl := range sortedClaims(cs[i].Claims) {
			r.claims = append(r.claims, []any{u.InstanceID, cl.Kind, cl.Value, u.ID})
		}
		for _, ou := range units(u) {
			r.memberships = append(r.memberships, []any{u.InstanceID, ou, u.ID})
		}
		if r.audit, r.event, err = recordArgs(cs[i], u, u.Version, eiam.ActionUserCreate, "user.created"); err != nil {
			r.err = fmt.Errorf("user %s: %w", u.ID, err)
		}
	})
	var users, claims, memberships, audits, events [][]any
	for _, r := range per {
		if r.err != nil {
			return r.err
		}
		users = append(users, r.user)
		claims = append(claims, r.claims...)
		memberships = append(memberships, r.memberships...)
		audits, events = append(audits, r.audit), append(events, r.event)
	}
	for _, step := range []struct {
		table, columns string
		rows           [][]any
	}{
		{"users", `instance_id, id, ` + userValueColumns, users},
		{"user_claims", `instance_id, kind, value, user_id`, claims},
		{"user_ous", `instance_id, ou_id, user_id`, memberships},
		{"audit_log", auditColumns, audits},
	} {
		if err := s.writeRows(ctx, conn, tx, stmts, step.table, step.columns, step.rows); err != nil {
			if s.d.IsUniqueViolation(err) {
				return errBatchConflict
			}
			return err
		}
	}
	if s.d.OrderOutbox != "" {
		if _, err := tx.ExecContext(ctx, s.d.OrderOutbox); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	return s.writeRows(ctx, conn, tx, stmts, "outbox", eventColumns, events)
}

// writeRows writes rows into table, each holding the values of columns (a
// list as in SQL) in their order, in tx: with Dialect.CopyFrom where the
// dialect has it (on conn, which tx is open on), else with insertRows.
func (s *Store) writeRows(ctx context.Context, conn *sql.Conn, tx *sql.Tx, stmts map[string]*sql.Stmt, table, columns string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if s.d.CopyFrom == nil {
		return s.insertRows(ctx, tx, stmts, s.d.bulkInsert()+` INTO `+table+` (`+columns+`)`, rows)
	}
	names := strings.Split(columns, ",")
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
	}
	if err := s.d.CopyFrom(ctx, conn, table, names, rows); err != nil {
		return err
	}
	s.copied.Add(int64(len(rows)))
	return nil
}

// CopiedRows is the number of rows CreateUsers has written with
// Dialect.CopyFrom, committed or not, since the store was opened.
func (s *Store) CopiedRows() int64 { return s.copied.Load() }

// insertRows runs head VALUES (…), (…), … over rows, in as few statements
// as the parameter limit allows. Every row has the same number of values.
// stmts, when not nil, holds statements prepared in tx, by query.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, stmts map[string]*sql.Stmt, head string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := min(maxRowsPerStatement, maxParams/width)
	row := "(" + placeholders(width) + ")"
	for len(rows) > 0 {
		chunk := rows[:min(per, len(rows))]
		rows = rows[len(chunk):]
		args := make([]any, 0, len(chunk)*width)
		for _, r := range chunk {
			args = append(args, r...)
		}
		q := s.q(head + " VALUES " + strings.Repeat(row+", ", len(chunk)-1) + row)
		var err error
		// Only full chunks are prepared: the last chunk of a batch has
		// a size of its own, which would leave a statement behind per
		// batch.
		if stmts == nil || len(chunk) < per {
			_, err = tx.ExecContext(ctx, q, args...)
		} else {
			st := stmts[q]
			if st == nil {
				if st, err = tx.PrepareContext(ctx, q); err != nil {
					return err
				}
				stmts[q] = st
			}
			_, err = st.ExecContext(ctx, args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// claimHoldersQuery reads the holders of n values of one kind of claim
// (instance, kind, values…).
func claimHoldersQuery(n int) string {
	return `SELECT value, user_id FROM user_claims WHERE instance_id = ? AND kind = ? AND value IN (` + placeholders(n) + `)`
}

// ClaimHolders returns, for each of claims that a user of the instance
// holds, that user's id; claims nobody holds are absent from the map. It
// looks the claims up with one indexed query per kind and few hundred
// values, for checking many users at once.
func (s *Store) ClaimHolders(ctx context.Context, instanceID string, claims []eiam.Claim) (map[eiam.Claim]string, error) {
	byKind := map[string][]any{}
	for _, c := range claims {
		byKind[c.Kind] = append(byKind[c.Kind], c.Value)
	}
	out := make(map[eiam.Claim]string)
	for kind, values := range byKind {
		for len(values) > 0 {
			chunk := values[:min(maxRowsPerStatement, len(values))]
			values = values[len(chunk):]
			rows, err := s.read.QueryContext(ctx, s.q(claimHoldersQuery(len(chunk))), append([]any{instanceID, kind}, chunk...)...)
			if err != nil {
				return nil, fmt.Errorf("claim holders: %w", err)
			}
			for rows.Next() {
				var value, id string
				if err := rows.Scan(&value, &id); err != nil {
					rows.Close()
					return nil, fmt.Errorf("claim holders: %w", err)
				}
				out[eiam.Claim{Kind: kind, Value: value}] = id
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, fmt.Errorf("claim holders: %w", err)
			}
		}
	}
	return out, nil
}

// BulkWriter returns a writer for the new users of a large import. With
// Dialect.BulkTransaction its CreateUsers calls share one transaction,
// ended by Commit; otherwise each call is Store.CreateUsers.
func (s *Store) BulkWriter() eiam.BulkWriter { return &bulkWriter{s: s} }

type bulkWriter struct {
	s *Store
	// conn holds the connection of tx, whose settings the writer changes
	// for the transaction and restores after it.
	conn *sql.Conn
	tx   *sql.Tx
	// stmts are the statements prepared in tx (closed with it).
	stmts map[string]*sql.Stmt
	// wrote: users were written (Dialect.AfterBulk is due).
	wrote atomic.Bool
}

// Concurrent reports whether CreateUsers may be called from several
// goroutines at once: without Dialect.BulkTransaction each call is a
// transaction of its own, on a connection of its own.
func (b *bulkWriter) Concurrent() bool { return !b.s.d.BulkTransaction }

func (b *bulkWriter) CreateUsers(ctx context.Context, cs []*eiam.Commit) error {
	if len(cs) > 0 {
		b.wrote.Store(true)
	}
	if !b.s.d.BulkTransaction {
		return b.s.CreateUsers(ctx, cs)
	}
	if len(cs) == 0 {
		return nil
	}
	if b.tx == nil {
		if err := b.begin(ctx); err != nil {
			return fmt.Errorf("create %d users: %w", len(cs), err)
		}
	}
	err := b.s.createUsers(ctx, b.conn, b.tx, b.stmts, cs)
	if err == nil {
		return nil
	}
	// A failed statement may leave the transaction unusable (SQLite's
	// INSERT OR ROLLBACK ends it): the writer's batches are gone, as the
	// interface says. Savepoints would keep the others, but SQLite would
	// then copy every page a batch touches, for nothing in the usual case.
	_ = b.Rollback()
	if errors.Is(err, errBatchConflict) {
		err = b.s.diagnose(ctx, cs)
	}
	return wrap(err, "create %d users", len(cs))
}

// diagnose writes a batch that conflicted one user at a time in a
// transaction it rolls back, to return the error CreateUser would return
// for the first user that cannot be written.
func (s *Store) diagnose(ctx context.Context, cs []*eiam.Commit) error {
	errFound := errors.New("found")
	var first error
	err := s.tryTx(ctx, func(tx *sql.Tx) error {
		for _, c := range cs {
			if err := s.createUser(ctx, tx, c); err != nil {
				first = err
				return errFound
			}
		}
		return errFound // roll back what was written
	})
	switch {
	case first != nil:
		return first
	case errors.Is(err, errFound):
		// Nothing conflicts any more: the batch conflicted with one the
		// writer wrote before it, or with a write since rolled back.
		return conflict("")
	}
	return err
}

// begin takes a connection, applies BulkSettings and begins the bulk
// transaction on it.
func (b *bulkWriter) begin(ctx context.Context) (err error) {
	conn, err := b.s.write.Conn(ctx)
	if err != nil {
		return err
	}
	b.conn = conn
	defer func() {
		if err != nil {
			err = errors.Join(err, b.end())
		}
	}()
	if b.s.d.BulkSettings != "" {
		if _, err := conn.ExecContext(ctx, b.s.d.BulkSettings); err != nil {
			return err
		}
	}
	b.tx, err = conn.BeginTx(ctx, nil)
	b.stmts = map[string]*sql.Stmt{}
	return err
}

func (b *bulkWriter) Commit() error {
	if b.tx != nil {
		err := b.tx.Commit()
		b.tx = nil
		if err != nil {
			// The transaction may still be open on the connection (SQLite
			// keeps it open when a deferred constraint fails), where
			// resetting the settings would do nothing: the connection goes.
			return errors.Join(err, b.discard())
		}
		if err := b.end(); err != nil {
			return err
		}
	}
	if b.s.d.AfterBulk != "" && b.wrote.Swap(false) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if _, err := b.s.write.ExecContext(ctx, b.s.d.AfterBulk); err != nil {
			return fmt.Errorf("after the import: %w", err)
		}
	}
	return nil
}

func (b *bulkWriter) Rollback() error {
	if b.tx == nil {
		return nil
	}
	err := b.tx.Rollback()
	b.tx = nil
	return errors.Join(err, b.end())
}

// discard closes the writer's connection instead of returning it.
func (b *bulkWriter) discard() error {
	if b.conn == nil {
		return nil
	}
	discardConn(b.conn)
	err := b.conn.Close()
	b.conn = nil
	return err
}

// end gives the connection its usual settings back (BulkSettingsReset)
// and returns it to the pool; a connection whose settings could not be
// restored is closed instead.
func (b *bulkWriter) end() error {
	if b.conn == nil {
		return nil
	}
	if b.s.d.BulkSettingsReset != "" {
		if _, err := b.conn.ExecContext(context.Background(), b.s.d.BulkSettingsReset); err != nil {
			return errors.Join(err, b.discard())
		}
	}
	err := b.conn.Close()
	b.conn = nil
	return err
}
