package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/postgres"
	"github.com/eiam/eiam/sqlstore"
	"github.com/eiam/eiam/storetest"
)

// TestReplicas starts several stores on one empty schema at once, as
// replicas of the server would start: they migrate it without tripping over
// each other, and then race for one username and update one user, each
// through its own connection pool.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)
	key := storetest.NewKey(t)
	const n = 4
	stores := make([]*sqlstore.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(ctx, dsn, key) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}

	inst := &eiam.Instance{ID: "idaas_replicas", Name: "Replicas"}
	changed := make([]bool, n)
	for i, s := range stores {
		wg.Go(func() { changed[i], errs[i] = s.PutInstance(ctx, inst) })
	}
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("PutInstance on replica %d: %v", i, errs[i])
		}
		if changed[i] {
			created++
		}
	}
	if units, err := stores[0].ListOrgUnits(ctx, inst.ID); created != 1 || err != nil || len(units) != 1 {
		t.Fatalf("%d replicas report creating the instance, %d root units (%v); want 1 and 1", created, len(units), err)
	}

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const perReplica = 8
	var mu sync.Mutex
	won, lost := 0, 0
	for i, s := range stores {
		for j := range perReplica {
			wg.Go(func() {
				u := &eiam.User{InstanceID: inst.ID, ID: fmt.Sprintf("user_r%d_%d", i, j), Version: 1,
					Status: eiam.StatusEnabled, Attrs: map[eiam.Attribute]string{eiam.AttrUsername: "Admin"},
					CreatedAt: now, UpdatedAt: now}
				err := s.CreateUser(ctx, &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim("admin")}})
				mu.Lock()
				defer mu.Unlock()
				switch e := eiam.AsError(err); {
				case err == nil:
					won++
				case e.Code == eiam.ErrConflict && e.Field == "username":
					lost++
				default:
					t.Errorf("replica %d: %v", i, err)
				}
			})
		}
	}
	wg.Wait()
	if won != 1 || lost != n*perReplica-1 {
		t.Fatalf("%d won and %d lost the username; want 1 and %d", won, lost, n*perReplica-1)
	}
	holder, err := stores[0].LookupUser(ctx, inst.ID, eiam.UsernameClaim("admin"))
	if err != nil {
		t.Fatal(err)
	}

	const updates = 25
	for i, s := range stores {
		wg.Go(func() {
			for k := range updates {
				_, err := s.UpdateUser(ctx, inst.ID, holder.ID, func(cur *eiam.User) (*eiam.Commit, error) {
					next := cur.Clone()
					next.Version++
					next.CustomFields[fmt.Sprint("r", i)] = []string{fmt.Sprint(k)}
					return &eiam.Commit{User: next}, nil
				})
				if err != nil {
					t.Errorf("replica %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	got, err := stores[n-1].GetUser(ctx, inst.ID, holder.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + n*updates); got.Version != want {
		t.Errorf("Version = %d, want %d", got.Version, want)
	}
	for i := range n {
		if v := got.CustomValue(fmt.Sprint("r", i)); v != fmt.Sprint(updates-1) {
			t.Errorf("replica %d's last value = %q", i, v)
		}
	}
}

// TestReplicasGroupCommit runs batches of several replicas at once against
// the same users, in crossing orders: no batch waits for another in a cycle
// (a deadlock would surface as an error after the retries, or as a stall of
// a second per deadlock), no update is lost, and a consumer polling the
// outbox misses no event although every replica commits its own batches.
func TestReplicasGroupCommit(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)
	key := storetest.NewKey(t)
	const replicas, goroutines, updates, users = 3, 6, 30, 6
	stores := make([]*sqlstore.Store, replicas)
	for i := range stores {
		s, err := postgres.Open(ctx, dsn, key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	inst := &eiam.Instance{ID: "idaas_groups", Name: "Groups"}
	if _, err := stores[0].PutInstance(ctx, inst); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := make([]string, users)
	for i := range ids {
		ids[i] = fmt.Sprintf("user_g%d", i)
		u := &eiam.User{InstanceID: inst.ID, ID: ids[i], Version: 1, Status: eiam.StatusEnabled,
			Attrs: map[eiam.Attribute]string{eiam.AttrUsername: ids[i]}, CreatedAt: now, UpdatedAt: now}
		if err := stores[0].CreateUser(ctx, &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim(ids[i])}}); err != nil {
			t.Fatal(err)
		}
	}

	seen := make(map[int64]bool)
	done := make(chan struct{})
	var polled sync.WaitGroup
	polled.Go(func() {
		after := int64(0)
		for {
			// Once the writers are done, a page that comes back empty is
			// the end; one asked for before they were done may not be.
			finished := false
			select {
			case <-done:
				finished = true
			default:
			}
			evs, err := stores[0].ListEvents(ctx, after, 1000)
			if err != nil {
				t.Error(err)
				return
			}
			for _, ev := range evs {
				seen[ev.Seq] = true
				after = ev.Seq
			}
			if finished && len(evs) == 0 {
				return
			}
		}
	})

	var wg sync.WaitGroup
	var mu sync.Mutex
	count := make(map[string]int64)
	for r, s := range stores {
		for g := range goroutines {
			wg.Go(func() {
				for k := range updates {
					// Each goroutine walks the users in an order of its own.
					id := ids[(g*5+k*(r+1)+r)%users]
					_, err := s.UpdateUser(ctx, inst.ID, id, func(cur *eiam.User) (*eiam.Commit, error) {
						next := cur.Clone()
						next.Version++
						next.CustomFields[fmt.Sprintf("r%dg%d", r, g)] = []string{fmt.Sprint(k)}
						return &eiam.Commit{User: next, OldClaims: []eiam.Claim{eiam.UsernameClaim(id)},
							Claims: []eiam.Claim{eiam.UsernameClaim(id)}}, nil
					})
					if err != nil {
						t.Errorf("replica %d goroutine %d update %d: %v", r, g, k, err)
						continue
					}
					mu.Lock()
					count[id]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(done)
	polled.Wait()

	for _, id := range ids {
		got, err := stores[replicas-1].GetUser(ctx, inst.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + count[id]; got.Version != want {
			t.Errorf("%s at version %d, want %d", id, got.Version, want)
		}
	}
	var all int
	for after := int64(0); ; {
		evs, err := stores[1].ListEvents(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			all++
			if !seen[ev.Seq] {
				t.Errorf("the polling consumer missed event %d", ev.Seq)
			}
			after = ev.Seq
		}
	}
	if want := users + replicas*goroutines*updates; all != want {
		t.Errorf("%d events, want %d", all, want)
	}
	var batches, writes, pipelined, locked int64
	for _, s := range stores {
		st := s.CommitStats()
		batches += st.Batches
		writes += st.Writes
		pipelined += st.Pipelined
		locked += st.LockedUpFront
	}
	t.Logf("%d writes in %d batches; %d statements pipelined, %d rows locked up front", writes, batches, pipelined, locked)
	// Each update's UPDATE and audit INSERT wait for the end of their
	// batch and go in one round trip with the others'; batches of several
	// users lock their rows in one statement.
	if want := int64(2 * replicas * goroutines * updates); pipelined < want {
		t.Errorf("%d statements pipelined; want at least %d (the UPDATE and audit INSERT of every update)", pipelined, want)
	}
	if locked == 0 {
		t.Error("no batch locked its users' rows up front")
	}
}
