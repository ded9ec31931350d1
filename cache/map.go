package cache

import "sync"

// Map holds values read from the database, each trusted only at the
// security epoch that was read just before it was loaded. It is safe for
// concurrent use.
type Map[K comparable, V any] struct {
	limit int

	mu    sync.RWMutex
	epoch int64 // the epoch every value of m was loaded at
	m     map[K]V
}

// NewMap returns an empty map that holds at most limit values; past that,
// an arbitrary one makes room for each new one.
func NewMap[K comparable, V any](limit int) *Map[K, V] {
	return &Map[K, V]{limit: max(limit, 1), epoch: -1, m: make(map[K]V)}
}

// Get returns the value of key loaded at epoch, calling load when there is
// none. The caller reads epoch from the store before calling Get, so that
// whatever load reads is at least as new as epoch. Errors of load are
// returned and not kept: only what exists is cached.
//
// A value loaded at another epoch is never returned: at a newer one the
// value may be stale, and an older one means the caller's read raced a
// newer load or the counter went back (a database restored under a running
// server), where loading afresh is the safe answer.
func (m *Map[K, V]) Get(epoch int64, key K, load func() (V, error)) (V, error) {
	m.mu.RLock()
	v, ok := m.m[key]
	at := m.epoch
	m.mu.RUnlock()
	if ok && at == epoch {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if epoch > m.epoch {
		m.epoch = epoch
		clear(m.m)
	}
	if epoch == m.epoch {
		if _, ok := m.m[key]; !ok && len(m.m) >= m.limit {
			for k := range m.m {
				delete(m.m, k)
				break
			}
		}
		m.m[key] = v
	}
	return v, nil
}
