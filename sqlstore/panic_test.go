package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/sqlite"
	"github.com/eiam/eiam/sqlstore"
	"github.com/eiam/eiam/storetest"
)

// TestCommitterSurvivesAPanicOutsideAWrite checks that a panic in the
// committer's own path (here the dialect's IsRetryable, called on a
// write's error) fails that batch's writes and leaves the committer
// working, instead of leaving callers waiting and the runner's slot taken.
func TestCommitterSurvivesAPanicOutsideAWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "panic.db")
	key := storetest.NewKey(t)
	migrated, err := sqlite.Open(ctx, path, key) // creates and migrates the file
	if err != nil {
		t.Fatal(err)
	}
	inst := &eiam.Instance{ID: "idaas_panic", Name: "Panic"}
	if _, err := migrated.PutInstance(ctx, inst); err != nil {
		t.Fatal(err)
	}
	migrated.Close()

	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	d := sqlite.Dialect()
	armed := true
	d.IsRetryable = func(error) bool {
		if armed {
			armed = false
			panic("dialect exploded")
		}
		return false
	}
	s := sqlstore.New(d, db, nil, key)
	defer s.Close()

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The write of a missing user fails; asking whether that failure is
	// worth retrying panics.
	_, err = s.UpdateUser(ctx, inst.ID, "user_missing", func(cur *eiam.User) (*eiam.Commit, error) { return nil, nil })
	if err == nil || ctx.Err() != nil {
		t.Fatalf("the write whose batch panicked: %v (context: %v); want an error, at once", err, ctx.Err())
	}
	// The committer goes on.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := &eiam.User{InstanceID: inst.ID, ID: "user_after", Version: 1, Status: eiam.StatusEnabled, PrimaryOUID: inst.RootOUID,
		Attrs: map[eiam.Attribute]string{eiam.AttrUsername: "after"}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(ctx, &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim("after")}}); err != nil {
		t.Fatalf("a write after the panic: %v", err)
	}
	if got, err := s.GetUser(ctx, inst.ID, u.ID); err != nil || got.Username() != "after" {
		t.Fatalf("the user written after the panic: %+v, %v", got, err)
	}
}
