package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/sqlite"
	"github.com/eiam/eiam/sqlstore"
	"github.com/eiam/eiam/storetest"
)

func TestPragmas(t *testing.T) {
	s := storetest.OpenSQLite(t)
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL: a commit is on disk before it is acknowledged
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"wal_autocheckpoint", "0"}, // the checkpointer does it, beside the commits
	} {
		var got string
		if err := s.DB().QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

func TestOddPaths(t *testing.T) {
	for _, name := range []string{"with space.db", "what?.db", "hash#.db", "100%.db", "ü.db"} {
		path := filepath.Join(t.TempDir(), name)
		s, err := sqlite.Open(context.Background(), path, storetest.NewKey(t))
		if err != nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
		s.Close()
		// Reopening finds the same, migrated file.
		s, err = sqlite.Open(context.Background(), path, storetest.NewKey(t))
		if err != nil {
			t.Fatalf("reopen %q: %v", name, err)
		}
		s.Close()
	}
	for _, bad := range []string{"", ":memory:", "file:x.db"} {
		if _, err := sqlite.Open(context.Background(), bad, nil); err == nil {
			t.Errorf("Open(%q) succeeded; want an error", bad)
		}
	}
}

// TestTwoProcessesShareAFile opens two stores on one file, as a server and
// "eiam import" would, and updates users from both at once. Each store
// serializes its own writers; between the two, write transactions begin
// IMMEDIATE and wait under busy_timeout. A deferred transaction would read,
// then fail with SQLITE_BUSY when it tried to write after the other
// committed.
func TestTwoProcessesShareAFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	key := storetest.NewKey(t)
	var stores []*sqlstore.Store
	for range 2 {
		s, err := sqlite.Open(ctx, path, key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	inst := &eiam.Instance{ID: "idaas_shared", Name: "Shared"}
	if _, err := stores[0].PutInstance(ctx, inst); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := &eiam.User{InstanceID: inst.ID, ID: "user_shared", Version: 1, Status: eiam.StatusEnabled,
		Attrs: map[eiam.Attribute]string{eiam.AttrUsername: "shared"}, CreatedAt: now, UpdatedAt: now}
	if err := stores[0].CreateUser(ctx, &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim("shared")}}); err != nil {
		t.Fatal(err)
	}

	const perGoroutine = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*4*perGoroutine)
	for i, s := range stores {
		for g := range 4 {
			wg.Go(func() {
				for n := range perGoroutine {
					_, err := s.UpdateUser(ctx, inst.ID, u.ID, func(cur *eiam.User) (*eiam.Commit, error) {
						next := cur.Clone()
						next.Version++
						next.CustomFields[fmt.Sprintf("s%d_g%d", i, g)] = []string{fmt.Sprint(n)}
						return &eiam.Commit{User: next}, nil
					})
					if err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "locked") {
			t.Errorf("writer met a locked database: %v", err)
		} else {
			t.Error(err)
		}
	}
	got, err := stores[1].GetUser(ctx, inst.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + 2*4*perGoroutine); got.Version != want {
		t.Errorf("Version = %d, want %d", got.Version, want)
	}
}

// newInstance stores an instance for a test and returns it with a maker of
// commits that create a user of it.
// openTemp opens a new store in a file named name of a temporary directory,
// closed when the test ends, and returns it with the file's path.
func openTemp(t *testing.T, name string) (*sqlstore.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	s, err := sqlite.Open(context.Background(), path, storetest.NewKey(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func newInstance(t *testing.T, s *sqlstore.Store, id string) (*eiam.Instance, func(userID, username string) *eiam.Commit) {
	t.Helper()
	inst := &eiam.Instance{ID: id, Name: id}
	if _, err := s.PutInstance(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return inst, func(userID, username string) *eiam.Commit {
		u := &eiam.User{InstanceID: inst.ID, ID: userID, Version: 1, Status: eiam.StatusEnabled, PrimaryOUID: inst.RootOUID,
			Attrs: map[eiam.Attribute]string{eiam.AttrUsername: username}, CreatedAt: now, UpdatedAt: now}
		return &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim(username)}}
	}
}

// TestBulkWriterRestoresSettings checks that the writer connection enforces
// foreign keys again, with its usual page cache, after a bulk transaction
// that switched both (sqlstore.Dialect.BulkSettings) — committed, and
// rolled back after a failed batch — and that foreign keys are enforced
// for the next write.
func TestBulkWriterRestoresSettings(t *testing.T) {
	ctx := context.Background()
	s := storetest.OpenSQLite(t)
	inst, newUser := newInstance(t, s, "idaas_bulk")
	check := func(when string) {
		t.Helper()
		for _, tc := range []struct{ pragma, want string }{{"foreign_keys", "1"}, {"cache_size", "-65536"}} {
			var got string
			if err := s.DB().QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", when, tc.pragma, got, tc.want)
			}
		}
		// A membership of a user that does not exist breaks a foreign key.
		if _, err := s.DB().ExecContext(ctx, `INSERT INTO user_ous (instance_id, ou_id, user_id) VALUES (?, ?, 'user_nobody')`, inst.ID, inst.RootOUID); err == nil {
			t.Errorf("%s: a row breaking a foreign key was written", when)
		}
	}
	w := s.BulkWriter()
	if err := w.CreateUsers(ctx, []*eiam.Commit{newUser("user_b1", "b1")}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	check("after a commit")
	// The second user takes the first one's username: the batch fails and
	// the writer rolls back.
	if err := w.CreateUsers(ctx, []*eiam.Commit{newUser("user_b2", "b2"), newUser("user_b3", "b1")}); eiam.ErrorCode(err) != eiam.ErrConflict {
		t.Fatalf("conflicting batch: %v, want a conflict", err)
	}
	check("after a failed batch")
}

// TestUserWritesArePrepared checks that, after the first profile updates,
// the statements of user writes run prepared on SQLite, and that updates
// through them keep working.
func TestUserWritesArePrepared(t *testing.T) {
	ctx := context.Background()
	s := storetest.OpenSQLite(t)
	inst, newUser := newInstance(t, s, "idaas_prep")
	c := newUser("user_prep", "prep")
	u := c.User
	if err := s.CreateUser(ctx, c); err != nil {
		t.Fatal(err)
	}
	update := func(nick string) {
		t.Helper()
		got, err := s.UpdateUser(ctx, inst.ID, u.ID, func(cur *eiam.User) (*eiam.Commit, error) {
			next := cur.Clone()
			next.Version++
			next.Attrs[eiam.AttrNickname] = nick
			return &eiam.Commit{User: next, OldClaims: []eiam.Claim{eiam.UsernameClaim("prep")}, Claims: []eiam.Claim{eiam.UsernameClaim("prep")}}, nil
		})
		if err != nil || got.Attrs[eiam.AttrNickname] != nick {
			t.Fatalf("update to %q: %+v, %v", nick, got, err)
		}
	}
	update("first")
	// The statements are prepared in the background once the first batch
	// has given its connection back.
	deadline := time.Now().Add(10 * time.Second)
	for s.CommitStats().Prepared < 3 { // the row lock, the UPDATE, the audit INSERT at least
		if time.Now().After(deadline) {
			t.Fatalf("%d statements of user writes prepared after an update; want the lock, update and audit", s.CommitStats().Prepared)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range 5 {
		update(fmt.Sprintf("prepared %d", i))
	}
	got, err := s.GetUser(ctx, inst.ID, u.ID)
	if err != nil || got.Version != 7 || got.Attrs[eiam.AttrNickname] != "prepared 4" {
		t.Fatalf("after prepared updates: %+v, %v", got, err)
	}
}

// TestCheckpointsInTheBackground checks that committed pages reach the
// database file while the store is open, although no commit checkpoints
// (wal_autocheckpoint is 0): the checkpointer copies them beside the
// writes.
func TestCheckpointsInTheBackground(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t, "ckpt.db")
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let a checkpoint of the migrations pass, then measure.
	time.Sleep(300 * time.Millisecond)
	before := size()
	inst := &eiam.Instance{ID: "idaas_ckpt", Name: "Checkpoint"}
	if _, err := s.PutInstance(ctx, inst); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		name := fmt.Sprintf("ckpt%03d", i)
		u := &eiam.User{InstanceID: inst.ID, ID: "user_" + name, Version: 1, Status: eiam.StatusEnabled, PrimaryOUID: inst.RootOUID,
			Attrs: map[eiam.Attribute]string{eiam.AttrUsername: name, eiam.AttrDisplayName: strings.Repeat("x", 200)}, CreatedAt: now, UpdatedAt: now}
		if err := s.CreateUser(ctx, &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim(name)}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes while 200 users were committed: nothing checkpointed", before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
