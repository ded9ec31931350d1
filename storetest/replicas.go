package storetest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/postgres"
	"github.com/eiam/eiam/sqlite"
)

// EachPair runs fn as subtests "sqlite" and "postgres", each with two
// stores over one fresh database, as two replicas of the server see it: a
// SQLite file opened twice, or one PostgreSQL schema opened twice, each
// store with its own connection pools. The postgres subtest skips or fails
// without EnvPostgresDSN as Each's does.
func EachPair(t *testing.T, fn func(t *testing.T, a, b eiam.Store)) {
	t.Helper()
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		path, key := filepath.Join(t.TempDir(), "eiam.db"), NewKey(t)
		var pair [2]eiam.Store
		for i := range pair {
			s, err := sqlite.Open(ctx, path, key)
			if err != nil {
				t.Fatalf("open sqlite: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			pair[i] = s
		}
		fn(t, pair[0], pair[1])
	})
	t.Run("postgres", func(t *testing.T) {
		dsn, key := PostgresDSN(t), NewKey(t)
		var pair [2]eiam.Store
		for i := range pair {
			s, err := postgres.Open(ctx, dsn, key)
			if err != nil {
				t.Fatalf("open postgres: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			pair[i] = s
		}
		fn(t, pair[0], pair[1])
	})
}

// Counting is a store that counts the calls of the reads a server caches
// (GetSession, GetUser, GetApplication, FindApplicationByClientID,
// GetAccessKey, ListFields) and of SecurityEpoch, and passes every call to
// the store it wraps. Tests of caches put it under the cache to see which
// reads reached the database.
type Counting struct {
	eiam.Store

	mu    sync.Mutex
	calls map[string]int
}

// NewCounting returns a Counting over s.
func NewCounting(s eiam.Store) *Counting { return &Counting{Store: s, calls: map[string]int{}} }

// Calls returns how often the method named was called.
func (c *Counting) Calls(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// Reads returns the calls of every counted method but SecurityEpoch.
func (c *Counting) Reads() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for m, n := range c.calls {
		if m != "SecurityEpoch" {
			out[m] = n
		}
	}
	return out
}

func (c *Counting) count(method string) {
	c.mu.Lock()
	c.calls[method]++
	c.mu.Unlock()
}

// SecurityEpoch counts and reads the epoch.
func (c *Counting) SecurityEpoch(ctx context.Context) (int64, error) {
	c.count("SecurityEpoch")
	return c.Store.SecurityEpoch(ctx)
}

// GetSession counts and reads a session.
func (c *Counting) GetSession(ctx context.Context, id string) (*eiam.Session, error) {
	c.count("GetSession")
	return c.Store.GetSession(ctx, id)
}

// GetUser counts and reads a user.
func (c *Counting) GetUser(ctx context.Context, instanceID, userID string) (*eiam.User, error) {
	c.count("GetUser")
	return c.Store.GetUser(ctx, instanceID, userID)
}

// GetApplication counts and reads an application.
func (c *Counting) GetApplication(ctx context.Context, instanceID, id string) (*eiam.Application, error) {
	c.count("GetApplication")
	return c.Store.GetApplication(ctx, instanceID, id)
}

// FindApplicationByClientID counts and reads an application.
func (c *Counting) FindApplicationByClientID(ctx context.Context, clientID string) (*eiam.Application, error) {
	c.count("FindApplicationByClientID")
	return c.Store.FindApplicationByClientID(ctx, clientID)
}

// GetAccessKey counts and reads an access key.
func (c *Counting) GetAccessKey(ctx context.Context, id string) (*eiam.AccessKey, error) {
	c.count("GetAccessKey")
	return c.Store.GetAccessKey(ctx, id)
}

// ListFields counts and reads field definitions.
func (c *Counting) ListFields(ctx context.Context, instanceID string) ([]*eiam.FieldDefinition, error) {
	c.count("ListFields")
	return c.Store.ListFields(ctx, instanceID)
}
