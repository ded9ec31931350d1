package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eiam/eiam"
)

// The custom fields the fixtures use: uniqueField is unique per instance,
// sealedField is encrypted at rest.
const (
	uniqueField = "employee_no"
	sealedField = "passport"
)

// t0 returns the time of the fixtures' first change. It has nanoseconds
// and a zone other than UTC, so tests see that times come back exact and in
// UTC.
func t0() time.Time {
	return time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CST", 8*3600))
}

// fixture is an instance of a store under test, with helpers that build
// commits the way the directory does.
type fixture struct {
	s    eiam.Store
	inst string
	root string
	tick atomic.Int64
}

func newFixture(t testing.TB, s eiam.Store) *fixture {
	t.Helper()
	f := &fixture{s: s, inst: eiam.NewID("idaas")}
	if _, err := s.PutInstance(context.Background(), &eiam.Instance{ID: f.inst, Name: "Test Co", CreatedAt: t0()}); err != nil {
		t.Fatalf("PutInstance: %v", err)
	}
	in, err := s.GetInstance(context.Background(), f.inst)
	if err != nil {
		t.Fatalf("GetInstance: %v", err)
	}
	f.root = in.RootOUID
	return f
}

// now returns a later time at every call.
func (f *fixture) now() time.Time {
	return t0().Add(time.Duration(f.tick.Add(1)) * time.Millisecond)
}

// user returns a new user of the fixture's instance (not yet stored).
func (f *fixture) user(username string) *eiam.User {
	at := f.now()
	return &eiam.User{
		InstanceID: f.inst, ID: eiam.NewID("user"), Version: 1, Status: eiam.StatusEnabled,
		Attrs:        map[eiam.Attribute]string{eiam.AttrUsername: username, eiam.AttrDisplayName: username},
		CustomFields: map[string][]string{}, PrimaryOUID: f.root, CreatedAt: at, UpdatedAt: at,
	}
}

// claimsOf lists the unique values u holds, as the directory does.
func claimsOf(u *eiam.User) []eiam.Claim {
	out := []eiam.Claim{eiam.UsernameClaim(u.Attrs[eiam.AttrUsername])}
	if v := u.Attrs[eiam.AttrEmail]; v != "" {
		out = append(out, eiam.EmailClaim(v))
	}
	if v := u.Attrs[eiam.AttrPhoneNumber]; v != "" {
		out = append(out, eiam.PhoneClaim(u.Attrs[eiam.AttrPhoneRegion], v))
	}
	if v := u.Attrs[eiam.AttrExternalID]; v != "" {
		out = append(out, eiam.ExternalIDClaim(v))
	}
	for _, v := range u.CustomFields[uniqueField] {
		out = append(out, eiam.Claim{Kind: eiam.ClaimCustomPrefix + uniqueField, Value: v})
	}
	return out
}

// commit builds the commit of a change from cur (nil when creating) to
// next, with an audit record whose sensitive values are masked.
func commit(cur, next *eiam.User, action, typ string) *eiam.Commit {
	c := &eiam.Commit{
		User: next, Claims: claimsOf(next), SealedFields: []string{sealedField},
		Audit: eiam.AuditRecord{
			ID: eiam.NewID("aud"), InstanceID: next.InstanceID, UserID: next.ID, Action: action,
			Actor:   eiam.Actor{Kind: eiam.ActorApplication, ID: "app_test", ApplicationID: "app_test"},
			Origin:  eiam.Origin{Dialect: "test", RequestID: eiam.NewID("req"), ClientIP: "192.0.2.1"},
			Changes: []eiam.AttrChange{{Attribute: "identity_number", Old: "", New: "******"}},
			Version: next.Version, At: next.UpdatedAt,
		},
		Event: eiam.ChangeEvent{InstanceID: next.InstanceID, UserID: next.ID, Type: typ,
			Version: next.Version, Attributes: []string{"identity_number"}, At: next.UpdatedAt},
	}
	if cur != nil {
		c.OldClaims = claimsOf(cur)
	}
	return c
}

// create stores u and fails the test when that fails.
func (f *fixture) create(t testing.TB, u *eiam.User) *eiam.User {
	t.Helper()
	if err := f.s.CreateUser(context.Background(), commit(nil, u, eiam.ActionUserCreate, "user.created")); err != nil {
		t.Fatalf("CreateUser %s: %v", u.Attrs[eiam.AttrUsername], err)
	}
	return u
}

// update changes a user the way the directory does: mutate a copy of the
// current state, bump the version, commit with claims before and after.
func (f *fixture) update(id string, mutate func(u *eiam.User)) (*eiam.User, error) {
	return f.s.UpdateUser(context.Background(), f.inst, id, func(cur *eiam.User) (*eiam.Commit, error) {
		next := cur.Clone()
		mutate(next)
		next.Version = cur.Version + 1
		next.UpdatedAt = f.now()
		return commit(cur, next, eiam.ActionUserUpdate, "user.updated"), nil
	})
}

// delete removes a user the way the directory does.
func (f *fixture) delete(id string) error {
	return f.s.DeleteUser(context.Background(), f.inst, id, func(cur *eiam.User) (*eiam.Commit, error) {
		c := commit(cur, cur, eiam.ActionUserDelete, "user.deleted")
		c.User = nil
		c.Claims = nil
		c.Audit.Version, c.Event.Version = cur.Version+1, cur.Version+1
		return c, nil
	})
}

// history returns how many audit records and outbox events a user has.
func (f *fixture) history(t testing.TB, id string) (audits, events int) {
	t.Helper()
	recs, err := f.s.ListAudit(context.Background(), f.inst, id)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	for _, ev := range allEvents(t, f.s) {
		if ev.InstanceID == f.inst && ev.UserID == id {
			events++
		}
	}
	return len(recs), events
}

// allEvents reads the whole outbox, page by page.
func allEvents(t testing.TB, s eiam.Store) []*eiam.ChangeEvent {
	t.Helper()
	var out []*eiam.ChangeEvent
	after := int64(0)
	for {
		page, err := s.ListEvents(context.Background(), after, 1000)
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Seq
	}
}

// wantCode fails the test unless err is a domain error with code and field.
func wantCode(t testing.TB, err error, code eiam.Code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s on %q", code, field)
	}
	e := eiam.AsError(err)
	if e.Code != code || e.Field != field {
		t.Fatalf("err = %v (code %s, field %q), want %s on %q", err, e.Code, e.Field, code, field)
	}
}

func usernames(us []*eiam.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Attrs[eiam.AttrUsername]
	}
	return out
}
