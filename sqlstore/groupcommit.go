package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// maxBatch bounds how many user writes share one transaction, so that one
// batch holds the write lock for a bounded time and a failed COMMIT fails a
// bounded number of requests.
const maxBatch = 128

// userWrite is the work of one CreateUser, UpdateUser or DeleteUser inside a
// write transaction. It must not have effects outside the transaction: it
// may be run again after a rollback.
type userWrite func(ctx context.Context, tx *sql.Tx) error

// writeUser runs w in a write transaction shared with other user writes and
// returns once that transaction is durable, or w's changes are rolled back.
func (s *Store) writeUser(ctx context.Context, w userWrite) error {
	return s.gc.do(ctx, w)
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
	w     userWrite
	state atomic.Int32
	// done receives the outcome exactly once, after the COMMIT that makes
	// the write durable or once it is known the write will not commit.
	done chan error
}

// committer implements group commit: user writes queue, and one goroutine
// at a time takes every write queued (at most maxBatch), runs each in a
// savepoint of one transaction, commits once, and only then answers each
// of them. While a batch commits (and syncs) the next one queues, so the
// batch size follows the load with no timer: one write alone commits at
// once; under load, many writes share one sync.
type committer struct {
	s *Store

	mu      sync.Mutex
	queue   []*pending
	running bool // a goroutine is running batches

	batches atomic.Int64 // transactions committed
	writes  atomic.Int64 // writes they committed
}

// do queues w and waits for its outcome. If ctx ends while w is still
// queued, w is dropped and ctx's error returned. Once the committer has
// taken w, do returns w's true outcome: a caller is never told that a
// write failed that then commits.
func (c *committer) do(ctx context.Context, w userWrite) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &pending{ctx: ctx, w: w, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		go c.run()
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

// run commits batches until the queue is empty.
func (c *committer) run() {
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxBatch)
		if n == 0 {
			c.running = false
			c.queue = nil
			c.mu.Unlock()
			return
		}
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		c.mu.Unlock()
		c.commit(batch)
	}
}

// commit runs one batch: each write in a savepoint of one transaction, so
// that a write that fails (its apply's error, a claim taken, a version that
// does not follow) is rolled back alone and the others commit. Each write
// is answered after the COMMIT; when the COMMIT or the transaction itself
// fails, every write of the batch gets that error.
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
	// No caller's context: one caller leaving must not abort the others'
	// transaction.
	ctx := context.Background()
	tx, err := c.s.write.BeginTx(ctx, nil)
	if err != nil {
		answer(live, err)
		return
	}
	if err := c.s.orderOutbox(ctx, tx); err != nil {
		_ = tx.Rollback()
		answer(live, err)
		return
	}
	ok := make([]*pending, 0, len(live))
	// Each write runs in savepoint w. The savepoint of the previous write
	// is released in the same statement that opens the next one (one round
	// trip, not two), and the COMMIT releases the last.
	open := false
	for i, p := range live {
		if err := p.ctx.Err(); err != nil {
			p.done <- err // its caller gave up before its turn: skipped
			continue
		}
		err, fatal := c.s.inSavepoint(tx, p, open)
		open = true
		if fatal != nil {
			// The transaction is lost: nothing of the batch commits.
			_ = tx.Rollback()
			answer(ok, fatal)
			answer(live[i:], fatal)
			return
		}
		if err != nil {
			p.done <- err
			continue
		}
		ok = append(ok, p)
	}
	if len(ok) == 0 {
		_ = tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		answer(ok, fmt.Errorf("commit: %w", err))
		return
	}
	c.batches.Add(1)
	c.writes.Add(int64(len(ok)))
	answer(ok, nil)
}

func answer(ps []*pending, err error) {
	for _, p := range ps {
		p.done <- err
	}
}

// inSavepoint runs p's write in savepoint w of tx, first releasing the
// previous write's savepoint w when open says there is one. err is the
// write's own failure, after which its changes are rolled back and tx goes
// on; fatal means tx itself is unusable. A write that failed only because
// of concurrency (a deadlock with another replica) is run again.
func (s *Store) inSavepoint(tx *sql.Tx, p *pending, open bool) (err, fatal error) {
	ctx := context.WithoutCancel(p.ctx)
	begin := `SAVEPOINT w`
	if open {
		begin = `RELEASE SAVEPOINT w; SAVEPOINT w`
	}
	if _, err := tx.ExecContext(ctx, begin); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	for attempt := 1; ; attempt++ {
		err = runWrite(ctx, tx, p.w)
		if err == nil {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT w`); err != nil {
			return nil, fmt.Errorf("rollback to savepoint: %w", err)
		}
		if !s.retryable(err) || attempt == maxAttempts {
			return err, nil
		}
	}
}

// orderOutbox serializes the rest of tx with every other writer of the
// outbox, where the dialect needs that (see Dialect.OrderOutbox).
func (s *Store) orderOutbox(ctx context.Context, tx *sql.Tx) error {
	if s.d.OrderOutbox == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, s.d.OrderOutbox); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// runWrite runs w, turning a panic into an error that do re-raises on the
// caller's goroutine: a panicking apply must not take the committer, and
// every other write of its batch, down with it.
func runWrite(ctx context.Context, tx *sql.Tx, w userWrite) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &writePanic{v}
		}
	}()
	return w(ctx, tx)
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
}

// CommitStats returns the group committer's counters.
func (s *Store) CommitStats() CommitStats {
	s.gc.mu.Lock()
	queued := len(s.gc.queue)
	s.gc.mu.Unlock()
	return CommitStats{Batches: s.gc.batches.Load(), Writes: s.gc.writes.Load(), Queued: queued}
}
