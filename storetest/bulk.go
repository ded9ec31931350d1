package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/eiam/eiam"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// bulkUser returns a new user with every kind of claim, a sealed value and
// a second unit, distinct for each n.
func (f *fixture) bulkUser(n int) *eiam.User {
	u := f.user(fmt.Sprintf("bulk%04d", n))
	u.Attrs[eiam.AttrEmail] = fmt.Sprintf("bulk%04d@example.com", n)
	u.Attrs[eiam.AttrPhoneRegion] = "86"
	u.Attrs[eiam.AttrPhoneNumber] = fmt.Sprintf("1390000%04d", n)
	u.Attrs[eiam.AttrExternalID] = fmt.Sprintf("EXT-%04d", n)
	u.Attrs[eiam.AttrIdentityNumber] = fmt.Sprintf("11010119900101%04d", n)
	u.CustomFields[uniqueField] = []string{fmt.Sprintf("E-%04d", n)}
	u.CustomFields[sealedField] = []string{fmt.Sprintf("P-%04d", n)}
	u.OUIDs = []string{"ou_bulk"}
	return u
}

func (f *fixture) bulkCommits(t *testing.T, from, to int) ([]*eiam.Commit, []*eiam.User) {
	t.Helper()
	if _, err := f.s.PutOrgUnit(context.Background(), &eiam.OrgUnit{InstanceID: f.inst, ID: "ou_bulk", Name: "Bulk", ParentID: f.root}); err != nil {
		t.Fatal(err)
	}
	var cs []*eiam.Commit
	var us []*eiam.User
	for n := from; n < to; n++ {
		u := f.bulkUser(n)
		cs = append(cs, commit(nil, u, eiam.ActionUserCreate, "user.created"))
		us = append(us, u)
	}
	return cs, us
}

// stored checks that each of us is stored as written, with its claims,
// units, one audit record and one event; or, with want false, that none is.
func (f *fixture) stored(t *testing.T, us []*eiam.User, want bool) {
	t.Helper()
	ctx := context.Background()
	for _, u := range us {
		got, err := f.s.GetUser(ctx, f.inst, u.ID)
		if !want {
			if eiam.ErrorCode(err) != eiam.ErrNotFound {
				t.Errorf("user %s: %v, %v; want it not written", u.Username(), got, err)
			}
			if audits, events := f.history(t, u.ID); audits+events != 0 {
				t.Errorf("user %s not written has %d audit records and %d events", u.Username(), audits, events)
			}
			continue
		}
		if err != nil {
			t.Fatalf("user %s: %v", u.Username(), err)
		}
		if diff := cmp.Diff(u, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("user %s (-written +read):\n%s", u.Username(), diff)
		}
		for _, c := range claimsOf(u) {
			if by, err := f.s.LookupUser(ctx, f.inst, c); err != nil || by.ID != u.ID {
				t.Errorf("LookupUser(%v) = %v, %v; want %s", c, by, err, u.ID)
			}
		}
		page, err := f.s.ListUsers(ctx, f.inst, eiam.UserQuery{OUID: "ou_bulk", IDs: []string{u.ID}})
		if err != nil || len(page.Users) != 1 {
			t.Errorf("user %s in its second unit: %v, %v", u.Username(), page, err)
		}
		if audits, events := f.history(t, u.ID); audits != 1 || events != 1 {
			t.Errorf("user %s has %d audit records and %d events; want 1 and 1", u.Username(), audits, events)
		}
	}
}

// copier is implemented by stores that count the rows they write with a
// bulk load (sqlstore.Dialect.CopyFrom).
type copier interface{ CopiedRows() int64 }

func copiedRows(s eiam.Store) int64 {
	if c, ok := s.(copier); ok {
		return c.CopiedRows()
	}
	return 0
}

// wantCopied checks that on PostgreSQL the rows of cs (users, claims, unit
// memberships, audit records, events) were written with COPY, not INSERTs:
// that the store's count of copied rows grew by that many since before.
func wantCopied(t *testing.T, s eiam.Store, before int64, cs []*eiam.Commit) {
	t.Helper()
	if dialectName(s) != "postgres" {
		return
	}
	var want int64
	for _, c := range cs {
		claims, units := map[eiam.Claim]bool{}, map[string]bool{}
		for _, cl := range c.Claims {
			claims[cl] = true
		}
		for _, ou := range append([]string{c.User.PrimaryOUID}, c.User.OUIDs...) {
			if ou != "" {
				units[ou] = true
			}
		}
		want += 3 + int64(len(claims)+len(units)) // user, audit, event
	}
	if got := copiedRows(s) - before; got != want {
		t.Errorf("%d rows written with COPY; want the batch's %d", got, want)
	}
}

func testCreateUsers(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	cs, us := f.bulkCommits(t, 0, 120)
	before := copiedRows(s)
	if err := s.CreateUsers(ctx, cs); err != nil {
		t.Fatalf("CreateUsers: %v", err)
	}
	wantCopied(t, s, before, cs)
	f.stored(t, us, true)
	if err := s.CreateUsers(ctx, nil); err != nil {
		t.Errorf("CreateUsers(none) = %v", err)
	}

	// A batch that cannot be written in full is not written at all, and
	// the error names the claim as CreateUser's would.
	for _, tc := range []struct {
		name, field string
		spoil       func(batch []*eiam.User)
	}{
		{"email held by a stored user", "email", func(b []*eiam.User) { b[2].Attrs[eiam.AttrEmail] = us[0].Attrs[eiam.AttrEmail] }},
		{"username twice in the batch", "username", func(b []*eiam.User) { b[2].Attrs[eiam.AttrUsername] = b[0].Attrs[eiam.AttrUsername] }},
		{"unique custom value twice in the batch", "custom_fields." + uniqueField, func(b []*eiam.User) { b[1].CustomFields[uniqueField] = b[0].CustomFields[uniqueField] }},
		{"id of a stored user", "id", func(b []*eiam.User) { b[1].ID = us[5].ID }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			batch := make([]*eiam.User, 3)
			for i := range batch {
				batch[i] = f.bulkUser(1000 + i)
			}
			tc.spoil(batch)
			var cs []*eiam.Commit
			for _, u := range batch {
				cs = append(cs, commit(nil, u, eiam.ActionUserCreate, "user.created"))
			}
			wantCode(t, s.CreateUsers(ctx, cs), eiam.ErrConflict, tc.field)
			f.stored(t, []*eiam.User{batch[0]}, false)
		})
	}
}

func testBulkWriter(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	w := s.BulkWriter()
	first, firstUsers := f.bulkCommits(t, 0, 50)
	second, secondUsers := f.bulkCommits(t, 50, 100)
	before := copiedRows(s)
	for _, cs := range [][]*eiam.Commit{first, second} {
		if err := w.CreateUsers(ctx, cs); err != nil {
			t.Fatalf("CreateUsers: %v", err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	wantCopied(t, s, before, append(first, second...))
	f.stored(t, append(firstUsers, secondUsers...), true)
	if db, ok := s.(interface{ DB() *sql.DB }); ok && dialectName(s) == "postgres" {
		// The planner was told how many users there are now
		// (Dialect.AfterBulk), not when autovacuum next looks.
		var n float64
		if err := db.DB().QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass`).Scan(&n); err != nil {
			t.Fatal(err)
		} else if n < 100 {
			t.Errorf("after the bulk writer committed, PostgreSQL's estimate of the users is %v; want at least the 100 written", n)
		}
	}

	// A conflicting batch is refused whole, with the error CreateUser
	// would give; the writer goes on.
	bad, badUsers := f.bulkCommits(t, 100, 103)
	badUsers[2].Attrs[eiam.AttrPhoneNumber] = firstUsers[0].Attrs[eiam.AttrPhoneNumber]
	bad[2].Claims = claimsOf(badUsers[2])
	wantCode(t, w.CreateUsers(ctx, bad), eiam.ErrConflict, "phone_number")
	if err := w.Rollback(); err != nil {
		t.Fatalf("Rollback after an error: %v", err)
	}
	f.stored(t, badUsers, false)
	third, thirdUsers := f.bulkCommits(t, 200, 210)
	if err := w.CreateUsers(ctx, third); err != nil {
		t.Fatalf("CreateUsers after a refused batch: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	f.stored(t, thirdUsers, true)
	// Committing or rolling back with nothing written does nothing.
	if err := errorsOf(w.Commit(), w.Rollback()); err != nil {
		t.Errorf("idle Commit/Rollback: %v", err)
	}
}

func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func testClaimHolders(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	cs, us := f.bulkCommits(t, 0, 3)
	if err := s.CreateUsers(ctx, cs); err != nil {
		t.Fatal(err)
	}
	other := newFixture(t, s)
	other.create(t, other.user("outsider"))

	var ask []eiam.Claim
	want := map[eiam.Claim]string{}
	for _, u := range us {
		for _, c := range claimsOf(u) {
			ask = append(ask, c)
			want[c] = u.ID
		}
	}
	ask = append(ask, eiam.EmailClaim("nobody@example.com"), eiam.UsernameClaim("outsider"), eiam.ExternalIDClaim("EXT-9999"))
	got, err := s.ClaimHolders(ctx, f.inst, ask)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClaimHolders (-want +got):\n%s", diff)
	}
	// More values than one statement takes.
	many := []eiam.Claim{eiam.UsernameClaim(us[1].Username())}
	for i := range 1200 {
		many = append(many, eiam.UsernameClaim(fmt.Sprint("absent", i)))
	}
	got, err = s.ClaimHolders(ctx, f.inst, many)
	if err != nil || len(got) != 1 || got[eiam.UsernameClaim(us[1].Username())] != us[1].ID {
		t.Errorf("ClaimHolders of 1201 usernames = %v, %v; want only %s", got, err, us[1].ID)
	}
	if got, err := s.ClaimHolders(ctx, f.inst, nil); err != nil || len(got) != 0 {
		t.Errorf("ClaimHolders(none) = %v, %v", got, err)
	}
}
