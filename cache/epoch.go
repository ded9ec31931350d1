package cache

import (
	"context"
	"sync"
	"time"

	"github.com/eiam/eiam"
)

// epochTimeout bounds a query that Epoch runs on behalf of waiting callers
// rather than in a caller's own context.
const epochTimeout = 10 * time.Second

// Epoch reads the security epoch for many concurrent callers at the cost of
// about one query at a time. Each caller gets the result of a query that
// began after it called, so it sees every change committed before it called
// — exactly what a query of its own would see — but callers that arrive
// while a query is under way share the next one instead of each sending
// their own. A caller in the context of a request (see Request) may also
// get the result of the latest query if that began after the request did.
type Epoch struct {
	store eiam.EpochStore

	mu      sync.Mutex
	running bool       // a query is under way
	next    *epochRead // what callers that came during it wait for
	// latest is the result of the query that began last, of those that
	// succeeded, and when it began.
	latest      int64
	latestBegan time.Time
}

type epochRead struct {
	done chan struct{}
	v    int64
	err  error
}

// NewEpoch returns an Epoch reading from store.
func NewEpoch(store eiam.EpochStore) *Epoch { return &Epoch{store: store} }

// Read returns the security epoch as of some moment after the call began,
// or, for a request (see Request), after the request began.
func (e *Epoch) Read(ctx context.Context) (int64, error) {
	req := requestOf(ctx)
	e.mu.Lock()
	if req != nil && !req.wrote.Load() && e.latestBegan.After(req.began) {
		v := e.latest
		e.mu.Unlock()
		return v, nil
	}
	if !e.running {
		// Nothing under way: query at once, in the caller's context.
		e.running = true
		e.mu.Unlock()
		v, err := e.queryNow(ctx)
		e.handOff()
		return v, err
	}
	// The query under way began before this call; wait for the next.
	if e.next == nil {
		e.next = &epochRead{done: make(chan struct{})}
	}
	r := e.next
	e.mu.Unlock()
	select {
	case <-r.done:
		return r.v, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// handOff ends a query: the callers that came meanwhile get one of their
// own, which starts only now.
func (e *Epoch) handOff() {
	e.mu.Lock()
	r := e.next
	e.next, e.running = nil, r != nil
	e.mu.Unlock()
	if r != nil {
		go e.query(r)
	}
}

func (e *Epoch) query(r *epochRead) {
	ctx, cancel := context.WithTimeout(context.Background(), epochTimeout)
	r.v, r.err = e.queryNow(ctx)
	cancel()
	close(r.done)
	e.handOff()
}

// queryNow reads the epoch from the store and keeps the result as the
// latest if no query that began later has finished first.
func (e *Epoch) queryNow(ctx context.Context) (int64, error) {
	began := time.Now()
	v, err := e.store.SecurityEpoch(ctx)
	if err == nil {
		e.mu.Lock()
		if began.After(e.latestBegan) {
			e.latest, e.latestBegan = v, began
		}
		e.mu.Unlock()
	}
	return v, err
}
