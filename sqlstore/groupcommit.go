package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eiam/eiam"
)

// maxBatch bounds how many user writes share one transaction, so that one
// batch holds its locks for a bounded time and a failed COMMIT fails a
// bounded number of requests.
const maxBatch = 128

// userWrite is the work of one CreateUser, UpdateUser or DeleteUser inside a
// batch's transaction. It must not have effects outside the transaction:
// it may be run again after a rollback.
type userWrite func(ctx context.Context, w *writeTx) error

// querier runs statements: a transaction, or the transaction of a batch.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writeUser runs w, a write of user userID of instance instanceID, in a
// write transaction shared with other user writes and returns once that
// transaction is durable, or w's changes are rolled back.
func (s *Store) writeUser(ctx context.Context, instanceID, userID string, opts writeOpts, w userWrite) error {
	return s.gc.do(ctx, userKey{instanceID, userID}, opts, w)
}

// writeOpts say what a user write does, for its batch.
type writeOpts struct {
	// locksUser: the write begins with lockUser, so its batch may lock the
	// user's row up front with the others (Dialect.LockUsers).
	locksUser bool
	// savepoint: the write is likely to fail after changing rows (a new
	// user whose claims are taken), so it runs in a savepoint from the
	// start rather than after a rerun of its batch.
	savepoint bool
}

// userKey orders the writes of a batch: each batch locks the rows of its
// users in this order, so that batches running at once never wait for each
// other in a cycle on them.
type userKey struct{ instanceID, userID string }

func (k userKey) compare(o userKey) int {
	return cmp.Or(strings.Compare(k.instanceID, o.instanceID), strings.Compare(k.userID, o.userID))
}

// States of a pending write.
const (
	queued    int32 = iota // waiting for the committer
	taken                  // in a batch: the committer will answer it
	abandoned              // its caller left before the committer took it
)

// pending is a user write waiting in the committer's queue.
type pending struct {
	ctx   context.Context
	key   userKey
	opts  writeOpts
	w     userWrite
	state atomic.Int32
	// done receives the outcome exactly once, after the COMMIT that makes
	// the write durable or once it is known the write will not commit.
	done chan error
}

// committer implements group commit. User writes queue; a runner takes
// every write queued (at most maxBatch), runs them in one transaction
// (each in a savepoint only where it needs one: see inSavepoint), commits
// once, and only then answers each of them. While a
// batch commits (and waits for its sync) the next one queues, so the batch
// size follows the load with no timer: a write alone commits at once;
// under load, many writes share one sync. A write that finds a runner free
// is run by its own caller's goroutine (it leads one batch); batches that
// queued meanwhile are left to runner goroutines.
//
// A batch has two phases. In its statement phase it runs the writes, which
// lock user rows and claims; in its commit phase it inserts the batch's
// outbox rows and commits. Up to Dialect.Batches batches run at once (one
// on SQLite, which has one writer connection; several on PostgreSQL, where
// the statements of a batch are round trips that other batches overlap).
// Each batch runs its writes in the order of their users' keys (writes of
// one user in one batch keep the order they came in; writes in batches
// that run at once are concurrent, and apply in the order they lock the
// user's row), so batches that run at once, in
// this process or another replica, lock user rows in one global order and
// never wait for each other in a cycle on them; the rare cycle through a
// claim two batches both add is broken by the database, and the batch it
// aborts runs again.
type committer struct {
	s       *Store
	runners int // at most this many batches in flight

	mu      sync.Mutex
	queue   []*pending
	running int // batches in flight

	batches atomic.Int64 // transactions committed
	writes  atomic.Int64 // writes they committed
	// pipelined counts the statements sent in pipelines
	// (Dialect.Pipeline), lockedUpFront the user rows locked up front
	// (Dialect.LockUsers), in batches that committed or not.
	pipelined, lockedUpFront atomic.Int64
}

func newCommitter(s *Store) *committer {
	return &committer{s: s, runners: max(1, s.d.Batches)}
}

// do queues w and waits for its outcome. If ctx ends while w is still
// queued, w is dropped and ctx's error returned. Once the committer has
// taken w, do returns w's true outcome: a caller is never told that a
// write failed that then commits.
func (c *committer) do(ctx context.Context, key userKey, opts writeOpts, w userWrite) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &pending{ctx: ctx, key: key, opts: opts, w: w, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	lead := c.claimLocked()
	c.mu.Unlock()
	if lead {
		c.lead()
	}
	var err error
	select {
	case err = <-p.done:
	case <-ctx.Done():
		if p.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
		err = <-p.done
	}
	var wp *writePanic
	if errors.As(err, &wp) {
		// Panic on the caller's goroutine, where its recovery (an HTTP
		// server's, say) expects it, not on the committer's.
		panic(wp.value)
	}
	return err
}

// claimLocked reports whether a batch may begin now: writes wait and fewer
// than c.runners batches are in flight. If so, the caller must run a
// batch. c.mu is held.
func (c *committer) claimLocked() bool {
	if len(c.queue) == 0 || c.running == c.runners {
		return false
	}
	c.running++
	return true
}

// startLocked starts a runner goroutine if a batch may begin. c.mu is held.
func (c *committer) startLocked() {
	if c.claimLocked() {
		go c.run()
	}
}

// takeLocked takes the next batch off the queue. c.mu is held.
func (c *committer) takeLocked() []*pending {
	n := min(len(c.queue), maxBatch)
	batch := c.queue[:n:n]
	c.queue = c.queue[n:]
	if len(c.queue) == 0 {
		c.queue = nil
	}
	return batch
}

// lead runs one batch on the goroutine of a caller whose write found a
// runner free, so that a write alone costs no switch between goroutines,
// and leaves what queued meanwhile to a runner goroutine.
func (c *committer) lead() {
	c.mu.Lock()
	batch := c.takeLocked()
	c.mu.Unlock()
	c.commit(batch)
	c.mu.Lock()
	c.running--
	c.startLocked()
	c.mu.Unlock()
}

// run commits batches while writes wait.
func (c *committer) run() {
	for {
		c.mu.Lock()
		batch := c.takeLocked()
		c.mu.Unlock()

		c.commit(batch)

		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running--
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// commit runs one batch and answers each of its writes. A write that fails
// on its own (apply's error, a claim taken, a version that does not
// follow, a panic) fails with nothing of it written (see inSavepoint) and
// the others go on.
// When the transaction fails as a whole (the COMMIT, a lost connection),
// no write is acknowledged; when it failed only because of concurrency
// (deadlock, serialization), the whole batch runs again.
func (c *committer) commit(batch []*pending) {
	live := batch[:0]
	for _, p := range batch {
		if p.state.CompareAndSwap(queued, taken) {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return
	}
	slices.SortStableFunc(live, func(a, b *pending) int { return a.key.compare(b.key) })
	answered := false
	defer func() {
		// A panic outside the writes themselves (runWrite catches theirs)
		// — the driver, the dialect — must neither leave the batch's
		// callers waiting for ever nor take the runner's slot with it:
		// try's cleanup has rolled the transaction back, so every write
		// fails, and the committer goes on.
		if v := recover(); v != nil && !answered {
			for _, p := range live {
				p.done <- fmt.Errorf("group commit: internal error: %v", v)
			}
		}
	}()
	errs := make([]error, len(live))
	// careful[i]: write i runs in a savepoint, having failed in an earlier
	// run of this batch after it changed rows.
	careful := make([]bool, len(live))
	for attempt := 1; ; {
		n, err := c.try(live, errs, careful)
		var redo *needsSavepoint
		if errors.As(err, &redo) && !careful[redo.i] {
			// Bounded: a write that runs in a savepoint never asks for one.
			careful[redo.i] = true
			continue
		}
		if err == nil {
			if n > 0 {
				c.batches.Add(1)
				c.writes.Add(int64(n))
			}
			break
		}
		if attempt < maxAttempts && c.s.retryable(err) {
			attempt++
			continue
		}
		// A write that failed on its own keeps its own error; none of the
		// others is written.
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		break
	}
	answered = true
	for i, p := range live {
		p.done <- errs[i]
	}
	// Only now, with the connection given back and every write answered.
	c.s.writeStmts.start()
	if c.s.d.AfterBatch != "" && c.s.afterBatch.CompareAndSwap(true, false) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, _ = c.s.write.ExecContext(ctx, c.s.d.AfterBatch)
		cancel()
	}
}

// try runs the writes in one transaction, setting errs[i] to the failure of
// a write that failed on its own (nil for the others), and commits. It
// returns how many writes committed, or what made the whole transaction
// fail, or *needsSavepoint.
//
// The transaction runs on a connection held for the whole batch
// (Store.tryConnTx), so that a COMMIT that fails but leaves the transaction
// open (SQLite, for a deferred constraint) never reaches the pool: the
// connection is discarded.
func (c *committer) try(live []*pending, errs []error, careful []bool) (committed int, err error) {
	clear(errs)
	// No caller's context: one caller leaving must not abort the others'
	// transaction.
	ctx := context.Background()
	err = c.s.tryConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		var err error
		if committed, err = c.runBatch(ctx, conn, tx, live, errs, careful); err == nil && committed == 0 {
			// Roll back: a write alone that failed may have changed rows.
			return errNothingToCommit
		}
		return err
	})
	if err != nil {
		committed = 0
		if errors.Is(err, errNothingToCommit) {
			err = nil
		}
	}
	return committed, err
}

// errNothingToCommit makes tryConnTx roll back a batch none of whose
// writes is to commit.
var errNothingToCommit = errors.New("nothing to commit")

// runBatch runs the writes of try in tx, open on conn, and returns how many
// of them are to commit.
func (c *committer) runBatch(ctx context.Context, conn *sql.Conn, tx *sql.Tx, live []*pending, errs []error, careful []bool) (committed int, err error) {
	d := &c.s.d
	b := &batchTx{s: c.s, conn: conn, tx: tx}
	if b.locked, err = c.s.lockUsers(ctx, tx, live); err != nil {
		return 0, err
	}
	// Most writes run without a savepoint of their own: a write that fails
	// before it changes a row (a user not found, an update the directory
	// refuses, a nonce already used) leaves nothing to undo. A write that
	// fails after changing rows makes the batch run again, with a
	// savepoint for that write (see inSavepoint); a write likely to do so
	// has one from the start. A write alone in its batch needs none: its
	// failure rolls the transaction back. The savepoint of an earlier
	// write is released in the statement that opens the next one (one
	// round trip, not two), and the COMMIT releases the last.
	//
	// Where the dialect pipelines, the statements a write runs with
	// execLater wait for the end of the batch (or for the next statement
	// that runs at once), and go in one round trip; a write with a
	// savepoint runs all its statements at once.
	var events [][]any
	open := false // savepoint w is open
	for i, p := range live {
		errs[i] = p.ctx.Err() // a caller that left before its turn is skipped
		if errs[i] != nil {
			continue
		}
		savepoint := ""
		if len(live) > 1 && (careful[i] || p.opts.savepoint) {
			savepoint = `SAVEPOINT w`
			if open {
				savepoint = `RELEASE SAVEPOINT w; SAVEPOINT w`
			}
			open = true
		}
		wt := &writeTx{batchTx: b, index: i, pipelined: d.Pipeline != nil && !careful[i] && savepoint == ""}
		werr, fatal := inSavepoint(wt, p, savepoint, len(live) == 1, c.s.retryable)
		if fatal != nil {
			return 0, fatal
		}
		if errs[i] = werr; werr == nil {
			events = append(events, wt.events...)
			committed++
		} else if wt.waiting {
			// A write that failed before its statements ran: drop them
			// (a flush may have sent others' since it began).
			b.pipe = slices.DeleteFunc(b.pipe, func(p piped) bool { return p.owner == i })
		}
	}
	if committed == 0 {
		return 0, nil
	}
	// The batch's writes hold their row locks until the COMMIT; other
	// batches run their statements meanwhile.
	end := &writeTx{batchTx: b, index: -1, pipelined: d.Pipeline != nil}
	// Only a batch with outbox rows needs their order (nonce claims have
	// none).
	if len(events) > 0 {
		if d.OrderOutbox != "" {
			if err := end.execLater(ctx, nil, d.OrderOutbox); err != nil {
				return 0, fmt.Errorf("outbox order: %w", err)
			}
		}
		q, args := c.s.eventsStatement(events)
		if err := end.execLater(ctx, nil, q, args...); err != nil {
			return 0, fmt.Errorf("outbox: %w", err)
		}
	}
	if err := b.flush(ctx); err != nil {
		return 0, err
	}
	return committed, nil
}

// needsSavepoint is how try reports that write i failed after changing rows
// outside a savepoint: its changes cannot be undone alone, so the batch
// runs again with a savepoint for it.
type needsSavepoint struct {
	i   int
	err error
}

func (e *needsSavepoint) Error() string {
	return fmt.Sprintf("write %d needs a savepoint: %v", e.i, e.err)
}

// inSavepoint runs p's write, after the statement savepoint (none when
// empty), which opens savepoint w. err is the write's own failure, after
// which the transaction goes on without the write's changes; fatal is a
// failure of the transaction as a whole, including one that retryable says
// is worth running again, or *needsSavepoint.
//
// A write's own failure is undone by rolling back to its savepoint. A write
// without one may fail on its own only if it changed nothing and no
// statement of it failed (PostgreSQL aborts a transaction at its first
// failed statement); else the batch must run again with a savepoint for it.
// A write alone in its batch (alone) fails on its own whatever happened:
// the transaction ends with it.
func inSavepoint(wt *writeTx, p *pending, savepoint string, alone bool, retryable func(error) bool) (err, fatal error) {
	ctx := context.WithoutCancel(p.ctx)
	if savepoint != "" {
		// The statements of earlier writes left for the pipeline run
		// first: rolling back to w must not undo them.
		if err := wt.flush(ctx); err != nil {
			return nil, err
		}
		if _, err := wt.exec(ctx, savepoint); err != nil {
			return nil, fmt.Errorf("savepoint: %w", err)
		}
	}
	err = runWrite(ctx, wt, p.w)
	if wt.batchTx.err != nil {
		// A pipeline run before one of the write's statements failed:
		// the transaction is over, whatever the write made of it.
		return nil, wt.batchTx.err
	}
	switch {
	case err == nil:
		return nil, nil
	case retryable(err):
		// Rolling back this write alone would keep the locks of the
		// writes before it, which the other party may be waiting for.
		return nil, err
	case savepoint != "":
		if _, err := wt.exec(ctx, `ROLLBACK TO SAVEPOINT w`); err != nil {
			return nil, fmt.Errorf("rollback to savepoint: %w", err)
		}
		return err, nil
	case alone:
		return err, nil
	case !wt.changed && !wt.failed && refused(err):
		return err, nil
	}
	return nil, &needsSavepoint{i: wt.index, err: err}
}

// refused reports whether err is a write refusing to go on — the directory
// refusing a change, a user not found, a claim taken — rather than a
// failure of the database or the code.
func refused(err error) bool {
	var (
		ce callerError
		e  *eiam.Error
	)
	return errors.As(err, &ce) || errors.As(err, &e)
}

// runWrite runs w, turning a panic into an error that do re-raises on the
// caller's goroutine: a panicking apply must not take the committer, and
// every other write of its batch, down with it.
func runWrite(ctx context.Context, wt *writeTx, w userWrite) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &writePanic{v}
		}
	}()
	return w(ctx, wt)
}

// discardConn makes database/sql close conn instead of returning it to the
// pool: its session holds something that must not reach the next user (an
// open transaction, a setting that could not be restored).
func discardConn(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// writePanic carries a panic of a write to its caller.
type writePanic struct{ value any }

func (p *writePanic) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// CommitStats counts the work of the group committer.
type CommitStats struct {
	// Batches is the number of transactions committed.
	Batches int64
	// Writes is the number of user writes they committed; Writes/Batches is
	// the mean batch size.
	Writes int64
	// Queued is the number of writes waiting for a batch now.
	Queued int
	// Runners is how many batches may be in flight at once
	// (Dialect.Batches).
	Runners int
	// Prepared is how many statements of user writes run prepared
	// (Dialect.PrepareStatements).
	Prepared int
	// Pipelined is how many statements went to the database in pipelines
	// (Dialect.Pipeline), and LockedUpFront how many user rows batches
	// locked up front (Dialect.LockUsers).
	Pipelined, LockedUpFront int64
}

// CommitStats returns the group committer's counters.
func (s *Store) CommitStats() CommitStats {
	s.gc.mu.Lock()
	queued := len(s.gc.queue)
	s.gc.mu.Unlock()
	return CommitStats{Batches: s.gc.batches.Load(), Writes: s.gc.writes.Load(), Queued: queued, Runners: s.gc.runners, Prepared: s.writeStmts.count(),
		Pipelined: s.gc.pipelined.Load(), LockedUpFront: s.gc.lockedUpFront.Load()}
}
