package alibabarpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/sqlstore"
	"github.com/eiam/eiam/storetest"
)

// openStore returns a fresh SQLite store for the handler tests, with the
// store's own nonce table when it has one, and otherwise acssign's
// in-memory nonce store (the one a single-process deployment would use).
func openStore(t *testing.T) testStore { return openStoreAt(t, time.Now) }

// openStoreAt is openStore for an API whose clock is now: the in-memory
// nonce store must keep the same time.
func openStoreAt(t *testing.T, now func() time.Time) testStore {
	t.Helper()
	s := storetest.OpenSQLite(t)
	var x any = s
	if ts, ok := x.(testStore); ok {
		return ts
	}
	return withNonces{s, acssign.NewMemoryNonces(0, now), now}
}

// withNonces gives a store acssign's in-memory nonce store.
type withNonces struct {
	*sqlstore.Store
	mem *acssign.MemoryNonces
	now func() time.Time
}

var _ eiam.NonceStore = withNonces{}

func (w withNonces) ClaimNonce(ctx context.Context, key, nonce string, expires time.Time) (bool, error) {
	return w.mem.Claim(ctx, key, nonce, expires.Sub(w.now()))
}
