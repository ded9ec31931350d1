// Package storetest is the conformance suite of eiam.Store and the helpers
// that open throw-away stores for tests of other packages.
//
// sqlite and postgres run the whole suite from ten-line test files:
//
//	storetest.Run(t, func(t *testing.T) eiam.Store { return storetest.OpenSQLite(t) })
//
// Other packages that need a real store call Each, which runs a test
// against SQLite (a new file in a temporary directory) and against
// PostgreSQL (a new schema, dropped afterwards) when EIAM_TEST_POSTGRES_DSN
// is set. CI sets CI=true and must set the DSN: then a missing DSN fails the
// postgres subtests instead of skipping them.
//
// EachPair is Each with two stores over one database, as two replicas of
// the server share it, and Counting counts the reads a cache should save,
// for tests of caches.
//
// TakeSnapshot and Snapshot.Unchanged show that requests a test expects to
// be refused changed nothing: no user, definition, audit record or event.
//
// BenchUpdateUser measures the one update path of the store.
package storetest
