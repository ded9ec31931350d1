package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxWriteStatements bounds the prepared statements of user writes. Their
// texts are fixed but for the number of rows of a few multi-row inserts, so
// a few dozen are in use; the bound only guards against a text that would
// vary without end.
const maxWriteStatements = 512

// statements are the write pool's prepared statements of user writes, by
// query text, for a dialect with PrepareStatements (SQLite, where compiling
// a statement costs more than running it).
//
// database/sql keeps a statement prepared on each connection that used it
// and prepares it on a transaction's own connection the first time the
// transaction uses it (Tx.StmtContext). But it creates the statement
// itself (DB.PrepareContext) only on a connection it takes from the pool,
// and a batch holds the pool's one SQLite connection. So a batch runs a
// statement it finds unprepared as it is and asks for it; once the batch
// has given its connection back, prepareWanted creates it, on a goroutine
// of its own (start), so that no caller waits for it.
type statements struct {
	db        *sql.DB
	preparing atomic.Bool

	mu       sync.RWMutex
	prepared map[string]*sql.Stmt
	wanted   map[string]bool
}

func newStatements(db *sql.DB) *statements {
	return &statements{db: db, prepared: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// lookup returns the prepared statement of query, or nil, asking for it.
// A nil *statements prepares nothing.
func (c *statements) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	// Every statement of every user write comes here: the usual answer,
	// a statement prepared long ago, takes only the read lock.
	c.mu.RLock()
	st, ok := c.prepared[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.prepared[query]; ok {
		return st
	}
	// A script of several statements is compiled one statement at a time
	// whether prepared or not.
	if !strings.Contains(query, ";") && len(c.prepared)+len(c.wanted) < maxWriteStatements {
		c.wanted[query] = true
	}
	return nil
}

// prepareWanted prepares the statements asked for. It must not be called
// while holding a connection of the pool: it takes one. A statement that
// fails to prepare is not asked for again (it fails where it runs, with
// the error that says why).
func (c *statements) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	var queries []string
	for q := range c.wanted {
		queries = append(queries, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	// Not under mu: preparing waits for the connection, which a batch
	// looking up statements may hold.
	for _, q := range queries {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			st = nil
		}
		c.mu.Lock()
		if _, ok := c.prepared[q]; ok {
			if st != nil {
				st.Close() // prepared meanwhile by another call
			}
		} else {
			c.prepared[q] = st
		}
		c.mu.Unlock()
	}
}

// start prepares the statements asked for on a goroutine of its own, one
// such goroutine at a time: preparing may wait for the pool's connection,
// which an import can hold for minutes. Call it once the caller holds no
// connection of the pool.
func (c *statements) start() {
	if c == nil || !c.preparing.CompareAndSwap(false, true) {
		return
	}
	c.mu.Lock()
	idle := len(c.wanted) == 0
	c.mu.Unlock()
	if idle {
		c.preparing.Store(false)
		return
	}
	go func() {
		defer c.preparing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c.prepareWanted(ctx)
	}()
}

// count is how many statements are prepared.
func (c *statements) count() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, st := range c.prepared {
		if st != nil {
			n++
		}
	}
	return n
}

// close closes the prepared statements.
func (c *statements) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for q, st := range c.prepared {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
		delete(c.prepared, q)
	}
	return err
}
