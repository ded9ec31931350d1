package acssign

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// NonceStore remembers signature nonces so that a captured request cannot be
// replayed. Claim records (accessKeyID, nonce) for ttl and reports whether it
// was new; it must be atomic across every replica that serves requests (the
// production store is database- or Redis-backed; MemoryNonces is for a
// single process and tests).
type NonceStore interface {
	Claim(ctx context.Context, accessKeyID, nonce string, ttl time.Duration) (fresh bool, err error)
}

var _ NonceStore = (*MemoryNonces)(nil)

// ErrNonceStoreFull is returned by MemoryNonces.Claim when its limit of live
// nonces is reached. Failing closed keeps replay protection intact; only
// requests with a valid signature ever claim a nonce, so filling the store
// takes a valid access key.
var ErrNonceStoreFull = errors.New("acssign: nonce store is full")

// MemoryNonces is an in-memory NonceStore with expiry and a bound on the
// number of live entries. It is safe for concurrent use.
type MemoryNonces struct {
	limit int
	now   func() time.Time

	mu      sync.Mutex
	expires map[string]time.Time
	queue   expiryHeap
}

// NewMemoryNonces returns a store holding at most limit live nonces
// (limit <= 0 means 1<<20). now is the clock; nil means time.Now.
func NewMemoryNonces(limit int, now func() time.Time) *MemoryNonces {
	if limit <= 0 {
		limit = 1 << 20
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryNonces{limit: limit, now: now, expires: map[string]time.Time{}}
}

// Claim implements NonceStore.
func (m *MemoryNonces) Claim(_ context.Context, accessKeyID, nonce string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errors.New("acssign: nonce ttl must be positive")
	}
	// The NUL cannot occur in an HTTP header or parameter name, so the key
	// is unambiguous.
	key := accessKeyID + "\x00" + nonce
	now := m.now()

	m.mu.Lock()
	defer m.mu.Unlock()
	// Expired entries go first, so the map never holds one and every heap
	// entry matches a map entry.
	for len(m.queue) > 0 && !m.queue[0].at.After(now) {
		e := heap.Pop(&m.queue).(expiry)
		delete(m.expires, e.key)
	}
	if _, ok := m.expires[key]; ok {
		return false, nil
	}
	if len(m.expires) >= m.limit {
		return false, ErrNonceStoreFull
	}
	at := now.Add(ttl)
	m.expires[key] = at
	heap.Push(&m.queue, expiry{key: key, at: at})
	return true, nil
}

// Len returns the number of live nonces, for tests and metrics.
func (m *MemoryNonces) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.expires)
}

type expiry struct {
	key string
	at  time.Time
}

// expiryHeap is a min-heap by expiry time.
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
