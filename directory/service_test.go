package directory_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/storetest"
)

const inst = "idaas_test01"

var (
	admin  = eiam.Actor{Kind: eiam.ActorAccessKey, ID: "LTAI_test"}
	origin = eiam.Origin{Dialect: "test", RequestID: "req-1", ClientIP: "127.0.0.1"}
)

func newService(t testing.TB, s eiam.Store) *directory.Service {
	t.Helper()
	ctx := context.Background()
	if _, err := s.PutInstance(ctx, &eiam.Instance{ID: inst, Name: "Test Co"}); err != nil {
		t.Fatal(err)
	}
	h, err := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	return directory.New(s, directory.Options{Passwords: h})
}

func create(t testing.TB, svc *directory.Service, username string) *eiam.User {
	t.Helper()
	c := &eiam.ProfileChange{}
	c.SetAttr(eiam.AttrUsername, username)
	u, err := svc.CreateUser(context.Background(), inst, "", c, admin, origin)
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return u
}

func counts(t *testing.T, s eiam.Store, userID string) (audits, events int) {
	t.Helper()
	ctx := context.Background()
	recs, err := s.ListAudit(ctx, inst, userID)
	if err != nil {
		t.Fatal(err)
	}
	for after := int64(0); ; {
		evs, err := s.ListEvents(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.UserID == userID {
				events++
			}
			after = e.Seq
		}
	}
	return len(recs), events
}

func TestConcurrentUsernameClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		svc := newService(t, s)
		const n = 64
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &eiam.ProfileChange{}
				name := "Alice"
				if i%2 == 1 {
					name = "alice"
				}
				c.SetAttr(eiam.AttrUsername, name)
				_, errs[i] = svc.CreateUser(context.Background(), inst, fmt.Sprintf("user_claim%02d", i), c, admin, origin)
			}()
		}
		wg.Wait()
		won, dup := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case eiam.ErrorCode(err) == eiam.ErrConflict && eiam.AsError(err).Field == "username":
				dup++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 || dup != n-1 {
			t.Fatalf("%d succeeded and %d got the duplicate error; want 1 and %d", won, dup, n-1)
		}
		// The same contest through updates: 64 users renaming to one name.
		users := make([]*eiam.User, n)
		for i := range users {
			users[i] = create(t, svc, fmt.Sprintf("renamer%02d", i))
		}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &eiam.ProfileChange{}
				c.SetAttr(eiam.AttrUsername, "Bob.Taken")
				_, errs[i] = svc.UpdateUser(context.Background(), inst, users[i].ID, c, admin, origin)
			}()
		}
		wg.Wait()
		won = 0
		for i, err := range errs {
			if err == nil {
				won++
				continue
			}
			if eiam.ErrorCode(err) != eiam.ErrConflict {
				t.Errorf("unexpected error: %v", err)
			}
			if a, ev := counts(t, s, users[i].ID); a != 1 || ev != 1 {
				t.Errorf("loser %s has %d audit records and %d events; want only its creation's", users[i].ID, a, ev)
			}
		}
		if won != 1 {
			t.Fatalf("%d renames to one username succeeded, want 1", won)
		}
	})
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		svc := newService(t, s)
		ctx := context.Background()
		const writers, rounds = 32, 50
		for g := range writers {
			if err := svc.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, Name: fmt.Sprintf("f%02d", g),
				DataType: eiam.TypeNumber, UserPermission: eiam.PermReadWrite}); err != nil {
				t.Fatal(err)
			}
		}
		u := create(t, svc, "contended")
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, last := 0, make([]string, writers)
		for g := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					v := fmt.Sprint(i)
					c := &eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: fmt.Sprintf("f%02d", g), Value: v}}}
					// Half the writers also touch a shared canonical attribute, so
					// the row itself is contended, not only disjoint fields.
					if g%2 == 0 {
						c.SetAttr(eiam.AttrNickname, fmt.Sprintf("g%d-%d", g, i))
					}
					if _, err := svc.UpdateUser(ctx, inst, u.ID, c, eiam.Actor{Kind: eiam.ActorSelf, ID: u.ID}, origin); err != nil {
						t.Errorf("writer %d round %d: %v", g, i, err)
						return
					}
					mu.Lock()
					ok++
					last[g] = v
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		got, err := svc.GetUser(ctx, inst, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for g := range writers {
			if v := got.CustomValue(fmt.Sprintf("f%02d", g)); v != last[g] {
				t.Errorf("f%02d = %q, want last acknowledged %q", g, v, last[g])
			}
		}
		if got.Version != int64(1+ok) || ok != writers*rounds {
			t.Errorf("version %d after %d acknowledged updates (+1 create)", got.Version, ok)
		}
		if a, ev := counts(t, s, u.ID); a != 1+ok || ev != 1+ok {
			t.Errorf("%d audit records and %d events for %d successful changes", a, ev, 1+ok)
		}
	})
}

func TestFailedUpdatesChangeNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		svc := newService(t, s)
		ctx := context.Background()
		if err := svc.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, Name: "employee_no", DataType: eiam.TypeString, Unique: true}); err != nil {
			t.Fatal(err)
		}
		u := create(t, svc, "stable")
		other := create(t, svc, "other")
		c := &eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "employee_no", Value: "E1"}}}
		if _, err := svc.UpdateUser(ctx, inst, other.ID, c, admin, origin); err != nil {
			t.Fatal(err)
		}
		stale := int64(0)
		for _, tc := range []struct {
			name   string
			change eiam.ProfileChange
			code   eiam.Code
		}{
			{"stale expected version", eiam.ProfileChange{ExpectedVersion: &stale, Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "x"}}, eiam.ErrPrecondition},
			{"invalid value", eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "ok", eiam.AttrBirthdate: "2022-02-30"}}, eiam.ErrInvalid},
			{"undeclared custom field", eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "ok"}, CustomFields: []eiam.CustomFieldOp{{Name: "nope", Value: "1"}}}, eiam.ErrCustomField},
			{"duplicate unique custom value", eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "ok"}, CustomFields: []eiam.CustomFieldOp{{Name: "employee_no", Value: "E1"}}}, eiam.ErrConflict},
			{"duplicate username", eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "ok", eiam.AttrUsername: "OTHER"}}, eiam.ErrConflict},
		} {
			_, err := svc.UpdateUser(ctx, inst, u.ID, &tc.change, admin, origin)
			if eiam.ErrorCode(err) != tc.code {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
			}
			got, _ := svc.GetUser(ctx, inst, u.ID)
			if got.Version != 1 || got.Attr(eiam.AttrNickname) != "" || got.Username() != "stable" {
				t.Errorf("%s: user changed: version %d nickname %q", tc.name, got.Version, got.Attr(eiam.AttrNickname))
			}
			if a, ev := counts(t, s, u.ID); a != 1 || ev != 1 {
				t.Errorf("%s: %d audit records, %d events; want only the creation's", tc.name, a, ev)
			}
		}
		// A matching expected version succeeds and is recorded once.
		one := int64(1)
		if _, err := svc.UpdateUser(ctx, inst, u.ID, &eiam.ProfileChange{ExpectedVersion: &one,
			Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "now"}}, admin, origin); err != nil {
			t.Fatal(err)
		}
		recs, _ := s.ListAudit(ctx, inst, u.ID)
		lastRec := recs[len(recs)-1]
		if len(recs) != 2 || lastRec.Origin.Dialect != "test" || lastRec.Origin.RequestID != "req-1" || lastRec.Actor != admin ||
			len(lastRec.Changes) != 1 || lastRec.Changes[0].Attribute != "nickname" || lastRec.Changes[0].New != "now" {
			t.Errorf("audit record %+v does not describe the change", lastRec)
		}
		// Users of another instance are invisible.
		if _, err := s.PutInstance(ctx, &eiam.Instance{ID: "idaas_other", Name: "Other"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateUser(ctx, "idaas_other", u.ID, &eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "x"}}, admin, origin); eiam.ErrorCode(err) != eiam.ErrNotFound {
			t.Errorf("update through another instance: %v, want not found", err)
		}
	})
}

func TestCreateAppliesDefaultsAndRequiredFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		svc := newService(t, s)
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(svc.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, Name: "level", DataType: eiam.TypeString, DefaultValue: "junior"}))
		must(svc.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, Name: "badge", DataType: eiam.TypeString, Required: true}))
		c := &eiam.ProfileChange{}
		c.SetAttr(eiam.AttrUsername, "newbie")
		if _, err := svc.CreateUser(ctx, inst, "", c, admin, origin); eiam.ErrorCode(err) != eiam.ErrMissing || !strings.Contains(eiam.AsError(err).Field, "badge") {
			t.Fatalf("create without required field: %v", err)
		}
		c.CustomFields = []eiam.CustomFieldOp{{Name: "badge", Value: "B7"}}
		pw := "S3cure-pass!"
		c.Password = &pw
		u, err := svc.CreateUser(ctx, inst, "", c, admin, origin)
		must(err)
		if u.CustomValue("level") != "junior" || u.CustomValue("badge") != "B7" || u.Version != 1 || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Errorf("created user %+v", u)
		}
		if time.Since(u.CreatedAt) > time.Minute || u.PrimaryOUID == "" {
			t.Errorf("created user lacks timestamps or primary unit: %+v", u)
		}
	})
}

// BenchmarkUpdateUser measures profile updates of one user from
// GOMAXPROCS goroutines: the worst case for row locks.
func BenchmarkUpdateUser(b *testing.B) {
	storetest.EachB(b, func(b *testing.B, s eiam.Store) {
		svc := newService(b, s)
		u := create(b, svc, "bench")
		ctx := context.Background()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				c := &eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: fmt.Sprint("n", i)}}
				if _, err := svc.UpdateUser(ctx, inst, u.ID, c, admin, origin); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkUpdateUserManyClients measures profile updates from 32 goroutines
// per GOMAXPROCS, each updating a user of its own, as many HTTP clients do.
func BenchmarkUpdateUserManyClients(b *testing.B) {
	storetest.EachB(b, func(b *testing.B, s eiam.Store) {
		const parallelism = 32
		svc := newService(b, s)
		users := make([]*eiam.User, parallelism*runtime.GOMAXPROCS(0))
		for i := range users {
			users[i] = create(b, svc, fmt.Sprint("bench", i))
		}
		var next atomic.Int64
		ctx := context.Background()
		b.SetParallelism(parallelism)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			u := users[next.Add(1)-1]
			i := 0
			for pb.Next() {
				i++
				c := &eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: fmt.Sprint("n", i)}}
				if _, err := svc.UpdateUser(ctx, inst, u.ID, c, admin, origin); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
