package cache_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/cache"
	"github.com/eiam/eiam/storetest"
)

func TestMapServesOnlyTheEpochItWasLoadedAt(t *testing.T) {
	m := cache.NewMap[string, int](2)
	loads := 0
	get := func(epoch int64, key string, val int) int {
		t.Helper()
		v, err := m.Get(epoch, key, func() (int, error) { loads++; return val, nil })
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if get(1, "a", 10) != 10 || get(1, "a", 11) != 10 || loads != 1 {
		t.Fatalf("a second read at the same epoch loaded again (%d loads)", loads)
	}
	if get(2, "a", 20) != 20 || loads != 2 {
		t.Fatal("a value of epoch 1 was served at epoch 2")
	}
	// A caller that read an older epoch (its read raced a newer load, or
	// the counter went back) loads afresh and keeps nothing.
	if get(1, "a", 12) != 12 || get(2, "a", 21) != 20 || loads != 3 {
		t.Fatalf("an older epoch's read was served or kept (%d loads)", loads)
	}
	if _, err := m.Get(2, "b", func() (int, error) { return 0, errors.New("not found") }); err == nil {
		t.Fatal("the load's error was lost")
	}
	if get(2, "b", 30) != 30 || loads != 4 {
		t.Fatal("an error was cached")
	}
	// The limit is 2: a third key makes room.
	get(2, "c", 40)
	loads = 0
	get(2, "a", 0)
	get(2, "b", 0)
	get(2, "c", 0)
	if loads == 0 {
		t.Fatal("three values are held under a limit of two")
	}
}

// TestStoreSeesEveryChangeOfAnotherReplica: a cache.Store over one store
// reads applications, access keys and field definitions once while nothing
// of the kind changes — other writes, profile updates included, do not
// make it read again — and sees a change made through another store on the
// same database (another replica) with its very next read.
func TestStoreSeesEveryChangeOfAnotherReplica(t *testing.T) {
	storetest.EachPair(t, func(t *testing.T, a, b eiam.Store) {
		ctx := context.Background()
		const inst = "idaas_cache"
		putInstance(t, b, inst)
		app := &eiam.Application{InstanceID: inst, ID: "app_cache", Name: "Cache", ClientID: "client_cache", Scopes: []string{"openid"}}
		key := &eiam.AccessKey{ID: "LTAIcache", Secret: "secret", Actions: []string{"eiam:*"}, Instances: []string{"*"}}
		field := &eiam.FieldDefinition{InstanceID: inst, ID: "ufd_team", Name: "team", DataType: eiam.TypeString,
			DisplayType: eiam.DisplayInput, UserPermission: eiam.PermReadWrite}
		for _, err := range []error{b.PutApplication(ctx, app), b.PutAccessKey(ctx, key), b.PutField(ctx, field)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		counting := storetest.NewCounting(a)
		c := cache.New(counting)

		read := func() seen {
			t.Helper()
			got, err := c.GetApplication(ctx, inst, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			byClient, err := c.FindApplicationByClientID(ctx, app.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			k, err := c.GetAccessKey(ctx, key.ID)
			if err != nil {
				t.Fatal(err)
			}
			defs, err := c.ListFields(ctx, inst)
			if err != nil {
				t.Fatal(err)
			}
			s := seen{appDisabled: got.Disabled, clientDisabled: byClient.Disabled, keyDisabled: k.Disabled,
				scope: got.Scopes[0], action: k.Actions[0]}
			for _, d := range defs {
				s.fields = append(s.fields, d.Name)
			}
			// Callers may change their copies; the cache must not see it.
			got.Scopes[0], byClient.Scopes[0], k.Actions[0] = "changed", "changed", "changed"
			for _, d := range defs {
				d.Name = "changed"
			}
			return s
		}
		want := seen{scope: "openid", action: "eiam:*", fields: []string{"team"}}

		if got := read(); !equal(got, want) {
			t.Fatalf("first read: %+v", got)
		}
		reads := counting.Reads()
		// Writes that cannot change what is cached: a user created and
		// updated, a session started.
		u := createUser(t, b, inst, "user_cache", "cache")
		updateUser(t, b, inst, u.ID, func(n *eiam.User) { n.Attrs[eiam.AttrNickname] = "nick" })
		if err := b.CreateSession(ctx, &eiam.Session{ID: eiam.NewID("sid"), InstanceID: inst, Kind: eiam.SessionUser,
			UserID: u.ID, ApplicationID: app.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if got := read(); !equal(got, want) {
				t.Fatalf("cached read: %+v, want %+v", got, want)
			}
		}
		if got := counting.Reads(); !mapsEqual(got, reads) {
			t.Errorf("reads with nothing changed reached the database: %v, then %v", reads, got)
		}
		if counting.Calls("SecurityEpoch") == 0 {
			t.Error("the cache never read the security epoch")
		}

		for _, tc := range []struct {
			name   string
			change func() error
			expect func(w *seen)
		}{
			{"application disabled", func() error { app.Disabled = true; return b.PutApplication(ctx, app) },
				func(w *seen) { w.appDisabled, w.clientDisabled = true, true }},
			{"access key disabled", func() error { key.Disabled = true; return b.PutAccessKey(ctx, key) },
				func(w *seen) { w.keyDisabled = true }},
			{"field added", func() error {
				return b.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, ID: "ufd_desk", Name: "desk",
					DataType: eiam.TypeString, DisplayType: eiam.DisplayInput, UserPermission: eiam.PermReadWrite})
			}, func(w *seen) { w.fields = []string{"desk", "team"} }},
			{"field deleted", func() error { return b.DeleteField(ctx, inst, field.ID) },
				func(w *seen) { w.fields = []string{"desk"} }},
		} {
			if err := tc.change(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			tc.expect(&want)
			if got := read(); !equal(got, want) {
				t.Errorf("%s through another replica: the next read sees %+v, want %+v", tc.name, got, want)
			}
		}
	})
}

// seen is what a round of reads through the cache saw.
type seen struct {
	appDisabled, clientDisabled, keyDisabled bool
	scope, action                            string
	fields                                   []string
}

func equal(a, b seen) bool {
	return a.appDisabled == b.appDisabled && a.clientDisabled == b.clientDisabled && a.keyDisabled == b.keyDisabled &&
		a.scope == b.scope && a.action == b.action && slices.Equal(a.fields, b.fields)
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// putInstance creates instance id through s.
func putInstance(t *testing.T, s eiam.Store, id string) {
	t.Helper()
	if _, err := s.PutInstance(context.Background(), &eiam.Instance{ID: id, Name: id}); err != nil {
		t.Fatal(err)
	}
}

func createUser(t *testing.T, s eiam.Store, inst, id, username string) *eiam.User {
	t.Helper()
	now := time.Now().UTC()
	u := &eiam.User{InstanceID: inst, ID: id, Version: 1, Status: eiam.StatusEnabled,
		Attrs: map[eiam.Attribute]string{eiam.AttrUsername: username}, CustomFields: map[string][]string{},
		CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(context.Background(), &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim(username)},
		Audit: eiam.AuditRecord{ID: eiam.NewID("aud"), InstanceID: inst, UserID: id, Action: eiam.ActionUserCreate, Version: 1, At: now},
		Event: eiam.ChangeEvent{InstanceID: inst, UserID: id, Type: "user.created", Version: 1, At: now}}); err != nil {
		t.Fatal(err)
	}
	return u
}

func updateUser(t *testing.T, s eiam.Store, inst, id string, mutate func(*eiam.User)) {
	t.Helper()
	if _, err := s.UpdateUser(context.Background(), inst, id, func(cur *eiam.User) (*eiam.Commit, error) {
		next := cur.Clone()
		mutate(next)
		next.Version = cur.Version + 1
		claims := []eiam.Claim{eiam.UsernameClaim(cur.Username())}
		return &eiam.Commit{User: next, OldClaims: claims, Claims: claims,
			Audit: eiam.AuditRecord{ID: eiam.NewID("aud"), InstanceID: inst, UserID: id, Action: eiam.ActionUserUpdate, Version: next.Version, At: time.Now()},
			Event: eiam.ChangeEvent{InstanceID: inst, UserID: id, Type: "user.updated", Version: next.Version, At: time.Now()}}, nil
	}); err != nil {
		t.Fatal(err)
	}
}
