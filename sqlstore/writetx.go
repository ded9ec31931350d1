package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eiam/eiam"
)

// batchTx is the transaction of a batch of user writes (see committer).
type batchTx struct {
	s    *Store
	conn *sql.Conn
	tx   *sql.Tx
	// locked holds the users whose rows the batch locked up front
	// (Dialect.LockUsers), for lockUser.
	locked map[userKey]*lockedUser
	// pipe holds the statements left for the end of the batch, where
	// Dialect.Pipeline sends them in one round trip.
	pipe []piped
	// err is the failure of the last pipeline: the transaction is over.
	err error
}

// piped is a statement left for a pipeline by write owner (-1: the batch
// itself), with the check of its count of affected rows (nil: none).
type piped struct {
	Statement
	owner int
	check func(rows int64) error
}

// Statement is one statement of a pipeline (Dialect.Pipeline).
type Statement struct {
	Query string
	Args  []any
}

// PipelineError is how Dialect.Pipeline reports the statement that failed;
// the statements after it did not run.
type PipelineError struct {
	Index int
	Err   error
}

func (e *PipelineError) Error() string { return fmt.Sprintf("statement %d: %v", e.Index, e.Err) }
func (e *PipelineError) Unwrap() error { return e.Err }

// flush runs the statements left for the pipeline, in one round trip, and
// checks their counts of affected rows. A statement that fails, or whose
// count its check refuses, fails the batch: with *needsSavepoint for the
// write that left it, so that the batch runs again with that write's
// statements run one at a time in a savepoint; or with the database's
// error, when the batch may run again as it is (a deadlock) or the
// statement was the batch's own.
func (b *batchTx) flush(ctx context.Context) error {
	if b.err != nil || len(b.pipe) == 0 {
		return b.err
	}
	pipe := b.pipe
	b.pipe = b.pipe[:0]
	stmts := make([]Statement, len(pipe))
	for i, p := range pipe {
		stmts[i] = p.Statement
	}
	rows, err := b.s.d.Pipeline(ctx, b.conn, stmts)
	if err == nil {
		b.s.gc.pipelined.Add(int64(len(stmts)))
	}
	var pe *PipelineError
	switch {
	case errors.As(err, &pe) && pe.Index >= 0 && pe.Index < len(pipe):
		return b.blame(pipe[pe.Index], err)
	case err != nil:
		b.err = err
		return err
	case len(rows) != len(pipe):
		b.err = fmt.Errorf("pipeline: %d results for %d statements", len(rows), len(pipe))
		return b.err
	}
	for i, p := range pipe {
		if p.check == nil {
			continue
		}
		if err := p.check(rows[i]); err != nil {
			return b.blame(p, err)
		}
	}
	return nil
}

// blame ends the batch with err, the failure of p: a write's own makes the
// batch run again with a savepoint for that write; a deadlock, or a failure
// of the batch's own statement, fails the batch as it is.
func (b *batchTx) blame(p piped, err error) error {
	if p.owner >= 0 && !b.s.retryable(err) {
		b.err = &needsSavepoint{i: p.owner, err: err}
	} else {
		b.err = err
	}
	return b.err
}

// writeTx is the transaction a user write runs in, and what the write
// leaves for the end of its batch.
type writeTx struct {
	*batchTx
	// index is the write's place in its batch; -1 for the batch's own
	// statements.
	index int
	// pipelined: the statements the write runs with execLater go in the
	// batch's pipeline (Dialect.Pipeline), not at once.
	pipelined bool
	// events are the argument lists of the write's outbox rows, which the
	// batch inserts together after Dialect.OrderOutbox.
	events [][]any
	// changed records that a statement of the write changed a row (or
	// may have: one of its pipelined statements ran), and failed that one
	// failed: either way, a failure of the write can no longer be undone
	// without a savepoint (see inSavepoint).
	changed, failed bool
	// waiting: statements of the write wait in the pipeline.
	waiting bool
}

// lockedUser is a user row a batch locked up front, until one of its
// writes takes it.
type lockedUser struct {
	u     *eiam.User
	taken bool
}

// ExecContext runs query in the transaction, with its prepared statement if
// there is one, and records whether it changed or failed anything. The
// statements left for the pipeline run first, so that statements run in
// the order the writes ask for them.
func (w *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := w.flushPipe(ctx); err != nil {
		return nil, err
	}
	res, err := w.exec(ctx, query, args...)
	if err != nil {
		w.failed = true
	} else if n, err := res.RowsAffected(); err != nil || n > 0 {
		w.changed = true
	}
	return res, err
}

// QueryRowContext runs a query of one row, after the statements waiting
// in the pipeline. It is for reads: unlike ExecContext it cannot tell
// whether the statement changed or failed anything, which inSavepoint
// relies on. A failed pipeline (which ends the transaction) makes the
// query fail too; the batch sees its error in batchTx.err.
func (w *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	_ = w.flushPipe(ctx)
	if st := w.s.writeStmts.lookup(query); st != nil {
		return w.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return w.tx.QueryRowContext(ctx, query, args...)
}

// flushPipe runs the statements waiting in the pipeline before one that
// runs at once.
func (w *writeTx) flushPipe(ctx context.Context) error {
	if w.waiting {
		w.waiting, w.changed = false, true
	}
	return w.flush(ctx)
}

// exec runs query in the transaction, with its prepared statement if there
// is one.
func (w *writeTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := w.s.writeStmts.lookup(query); st != nil {
		return w.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return w.tx.ExecContext(ctx, query, args...)
}

// execLater runs a statement whose outcome the write does not need to go
// on, and check (when not nil) on its count of affected rows. Where the
// dialect pipelines, it is left for the end of the batch, and sent with the
// others in one round trip; a failure there makes the batch run again with
// this write's statements run at once (see batchTx.flush).
func (w *writeTx) execLater(ctx context.Context, check func(rows int64) error, query string, args ...any) error {
	if w.pipelined {
		w.pipe = append(w.pipe, piped{Statement: Statement{query, args}, owner: w.index, check: check})
		w.waiting = true
		return nil
	}
	res, err := w.ExecContext(ctx, query, args...)
	if err != nil || check == nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	return check(n)
}

// lockedUpFront returns the row of user key if the batch locked it up front
// and no write of the batch took it yet: a write before this one may have
// changed the user since.
func (w *writeTx) lockedUpFront(key userKey) *eiam.User {
	l := w.locked[key]
	if l == nil || l.taken {
		return nil
	}
	l.taken = true
	return l.u
}
