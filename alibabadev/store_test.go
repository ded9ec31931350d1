package alibabadev_test

import (
	"testing"

	"github.com/eiam/eiam/storetest"
)

// openStore returns a fresh SQLite store for the handler tests. They need
// the session and signing-key tables of the token authority; until the
// store has them the tests are skipped (and run unchanged once it does).
func openStore(t *testing.T) testStore {
	t.Helper()
	var s any = storetest.OpenSQLite(t)
	ts, ok := s.(testStore)
	if !ok {
		t.Skip("sqlstore does not implement the session and signing-key stores yet")
	}
	return ts
}
