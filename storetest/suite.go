package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Run runs the conformance suite: every test opens a fresh store with open
// and checks one part of the eiam.Store contract. Tests run in parallel.
func Run(t *testing.T, open func(t *testing.T) eiam.Store) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s eiam.Store)
	}{
		{"Instances", testInstances},
		{"OrgUnits", testOrgUnits},
		{"Applications", testApplications},
		{"AccessKeys", testAccessKeys},
		{"Fields", testFields},
		{"UserRoundTrip", testUserRoundTrip},
		{"InstanceIsolation", testInstanceIsolation},
		{"LookupUser", testLookupUser},
		{"CreateConflicts", testCreateConflicts},
		{"UpdateUser", testUpdateUser},
		{"FailedChangesWriteNothing", testFailedChanges},
		{"DeleteUser", testDeleteUser},
		{"ClaimsReleased", testClaimsReleased},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentMixedWrites", testConcurrentMixedWrites},
		{"BatchIsolation", testBatchIsolation},
		{"BatchCommitFailure", testBatchCommitFailure},
		{"ListUsers", testListUsers},
		{"SearchFollowsUpdates", testSearchFollowsUpdates},
		{"CreateUsers", testCreateUsers},
		{"BulkWriter", testBulkWriter},
		{"ClaimHolders", testClaimHolders},
		{"Events", testEvents},
		{"OutboxVisibleInOrder", testOutboxOrder},
		{"SecretsNotStoredInClear", testSecretsAtRest},
		{"MigrateTwice", testMigrateTwice},
		{"Sessions", testSessions},
		{"ConcurrentRefreshRotation", testRefreshRotation},
		{"SigningKeys", testSigningKeys},
		{"Nonces", testNonces},
		{"LoginFailures", testLoginFailures},
		{"AuthRequests", testAuthRequests},
		{"EndSessions", testEndSessions},
		{"SecurityEpoch", testSecurityEpoch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			tc.test(t, s)
		})
	}
}

func testInstances(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	in := &eiam.Instance{ID: eiam.NewID("idaas"), Name: "Example Co", CreatedAt: t0()}
	if changed, err := s.PutInstance(ctx, in); err != nil || !changed {
		t.Fatalf("PutInstance(new) = %v, %v; want true, nil", changed, err)
	}
	got, err := s.GetInstance(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Example Co" || !strings.HasPrefix(got.RootOUID, "ou_") || !got.CreatedAt.Equal(t0()) {
		t.Fatalf("GetInstance = %+v", got)
	}
	root, err := s.GetOrgUnit(ctx, in.ID, got.RootOUID)
	if err != nil {
		t.Fatalf("root unit: %v", err)
	}
	if diff := cmp.Diff(&eiam.OrgUnit{InstanceID: in.ID, ID: got.RootOUID, Name: "Example Co"}, root); diff != "" {
		t.Errorf("root unit (-want +got):\n%s", diff)
	}

	again := &eiam.Instance{ID: in.ID, Name: "Example Co", CreatedAt: t0().Add(time.Hour)}
	if changed, err := s.PutInstance(ctx, again); err != nil || changed {
		t.Fatalf("PutInstance(identical) = %v, %v; want false, nil", changed, err)
	}
	if units, err := s.ListOrgUnits(ctx, in.ID); err != nil || len(units) != 1 {
		t.Fatalf("after putting the instance twice: %d units, %v; want 1 root", len(units), err)
	}
	if changed, err := s.PutInstance(ctx, &eiam.Instance{ID: in.ID, Name: "Renamed Co"}); err != nil || !changed {
		t.Fatalf("PutInstance(renamed) = %v, %v; want true, nil", changed, err)
	}
	got2, err := s.GetInstance(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got2.Name != "Renamed Co" || got2.RootOUID != got.RootOUID || !got2.CreatedAt.Equal(t0()) {
		t.Errorf("after rename: %+v; want new name, same root and creation time", got2)
	}

	withRoot := &eiam.Instance{ID: eiam.NewID("idaas"), Name: "Given Root", RootOUID: "ou_given_root"}
	if _, err := s.PutInstance(ctx, withRoot); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetInstance(ctx, withRoot.ID); err != nil || got.RootOUID != "ou_given_root" {
		t.Errorf("instance with a given root unit: %+v, %v", got, err)
	}
	if _, err := s.GetOrgUnit(ctx, withRoot.ID, "ou_given_root"); err != nil {
		t.Errorf("given root unit: %v", err)
	}

	_, err = s.GetInstance(ctx, "idaas_missing")
	wantCode(t, err, eiam.ErrNotFound, "instance_id")
}

func testOrgUnits(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	other := newFixture(t, s)
	put := func(ou eiam.OrgUnit, wantChanged bool) {
		t.Helper()
		changed, err := s.PutOrgUnit(ctx, &ou)
		if err != nil || changed != wantChanged {
			t.Fatalf("PutOrgUnit(%+v) = %v, %v; want %v, nil", ou, changed, err, wantChanged)
		}
	}
	rd := eiam.OrgUnit{InstanceID: f.inst, ID: "ou_rd", Name: "R&D", ParentID: f.root}
	put(rd, true)
	put(rd, false)
	rd.Name = "Research"
	put(rd, true)
	put(eiam.OrgUnit{InstanceID: f.inst, ID: "ou_apps", Name: "Apps", ParentID: f.root}, true)
	rd.ParentID = "ou_apps"
	put(rd, true)
	put(rd, false)

	got, err := s.GetOrgUnit(ctx, f.inst, "ou_rd")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&rd, got); diff != "" {
		t.Errorf("GetOrgUnit (-want +got):\n%s", diff)
	}
	units, err := s.ListOrgUnits(ctx, f.inst)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range units {
		ids = append(ids, u.ID)
	}
	if want := []string{f.root, "ou_apps", "ou_rd"}; !slices.Equal(ids, want) {
		t.Errorf("ListOrgUnits = %v, want %v (root first, then by name)", ids, want)
	}

	_, err = s.PutOrgUnit(ctx, &eiam.OrgUnit{InstanceID: f.inst, ID: "ou_orphan", Name: "x", ParentID: "ou_missing"})
	wantCode(t, err, eiam.ErrNotFound, "parent_id")
	// A unit of another instance is not a parent here.
	_, err = s.PutOrgUnit(ctx, &eiam.OrgUnit{InstanceID: f.inst, ID: "ou_orphan", Name: "x", ParentID: other.root})
	wantCode(t, err, eiam.ErrNotFound, "parent_id")
	_, err = s.PutOrgUnit(ctx, &eiam.OrgUnit{InstanceID: "idaas_missing", ID: "ou_x", Name: "x"})
	wantCode(t, err, eiam.ErrNotFound, "instance_id")
	_, err = s.GetOrgUnit(ctx, other.inst, "ou_rd")
	wantCode(t, err, eiam.ErrNotFound, "organizational_unit_id")
}

func testApplications(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	other := newFixture(t, s)
	app := &eiam.Application{
		InstanceID: f.inst, ID: "app_portal", Name: "Portal", ClientID: "client_portal_" + f.inst,
		SecretHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", RedirectURIs: []string{"http://127.0.0.1:9000/cb", "https://portal.example/cb"},
		Scopes: []string{"openid", "urn:alibaba:idaas:scope:user:manager_all"}, CreatedAt: t0(),
	}
	if err := s.PutApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetApplication(ctx, f.inst, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(app, got); diff != "" {
		t.Errorf("GetApplication (-want +got):\n%s", diff)
	}
	got, err = s.FindApplicationByClientID(ctx, app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(app, got); diff != "" {
		t.Errorf("FindApplicationByClientID (-want +got):\n%s", diff)
	}

	replaced := *app
	replaced.Name, replaced.SecretHash, replaced.Disabled = "Portal 2", "", true
	replaced.RedirectURIs, replaced.Scopes = nil, []string{"openid"}
	replaced.CreatedAt = t0().Add(time.Hour)
	if err := s.PutApplication(ctx, &replaced); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetApplication(ctx, f.inst, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	replaced.CreatedAt = app.CreatedAt // kept from the first write
	if diff := cmp.Diff(&replaced, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after replace (-want +got):\n%s", diff)
	}

	thief := &eiam.Application{InstanceID: other.inst, ID: "app_thief", Name: "Thief", ClientID: app.ClientID}
	wantCode(t, s.PutApplication(ctx, thief), eiam.ErrConflict, "client_id")
	_, err = s.GetApplication(ctx, other.inst, app.ID)
	wantCode(t, err, eiam.ErrNotFound, "application_id")
	_, err = s.GetApplication(ctx, other.inst, "app_thief")
	wantCode(t, err, eiam.ErrNotFound, "application_id")
	_, err = s.FindApplicationByClientID(ctx, "no_such_client")
	wantCode(t, err, eiam.ErrNotFound, "client_id")
}

func testAccessKeys(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	k := &eiam.AccessKey{ID: "LTAI" + randomHex(8), Secret: "exampleSecret000000000000000001",
		Actions: []string{"eiam:UpdateUser", "eiam:Get*"}, Instances: []string{"*"}, CreatedAt: t0()}
	if err := s.PutAccessKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAccessKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(k, got); diff != "" {
		t.Errorf("GetAccessKey (-want +got):\n%s", diff)
	}
	k2 := *k
	k2.Secret, k2.Disabled, k2.Actions, k2.Instances = "rotated-secret", true, []string{"eiam:*"}, []string{"idaas_a"}
	if err := s.PutAccessKey(ctx, &k2); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetAccessKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&k2, got); diff != "" {
		t.Errorf("after replace (-want +got):\n%s", diff)
	}
	_, err = s.GetAccessKey(ctx, "LTAI_missing")
	wantCode(t, err, eiam.ErrNotFound, "access_key_id")
}

func testFields(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	other := newFixture(t, s)
	skills := &eiam.FieldDefinition{
		InstanceID: f.inst, ID: "ufd_skills", Name: "skills", DisplayName: "技能", DataType: eiam.TypeString,
		DisplayType: eiam.DisplayCheckbox, Description: "what they can do",
		Items:        []eiam.FieldItem{{Value: "go", DisplayName: "Go"}, {Value: "sql", DisplayName: "SQL", Disabled: true}},
		DefaultValue: "go", Required: true, UserPermission: eiam.PermReadWrite, MaxLength: 32,
		CreatedAt: t0(), UpdatedAt: t0(),
	}
	age := &eiam.FieldDefinition{
		InstanceID: f.inst, ID: "ufd_age", Name: "age", DataType: eiam.TypeNumber, DisplayType: eiam.DisplayInput,
		Unique: true, Encrypted: true, Disabled: true, UserPermission: eiam.PermHide, CreatedAt: t0(), UpdatedAt: t0(),
	}
	for _, d := range []*eiam.FieldDefinition{skills, age} {
		if err := s.PutField(ctx, d); err != nil {
			t.Fatalf("PutField(%s): %v", d.Name, err)
		}
	}
	got, err := s.GetField(ctx, f.inst, skills.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(skills, got); diff != "" {
		t.Errorf("GetField (-want +got):\n%s", diff)
	}
	list, err := s.ListFields(ctx, f.inst)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*eiam.FieldDefinition{age, skills}, list, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ListFields (-want +got):\n%s", diff)
	}

	changed := *skills
	changed.DisplayName, changed.Items, changed.Required = "Skills", nil, false
	changed.CreatedAt, changed.UpdatedAt = t0().Add(time.Hour), t0().Add(time.Hour)
	if err := s.PutField(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetField(ctx, f.inst, skills.ID)
	if err != nil {
		t.Fatal(err)
	}
	changed.CreatedAt = skills.CreatedAt // kept from the first write
	if diff := cmp.Diff(&changed, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after replace (-want +got):\n%s", diff)
	}

	dup := &eiam.FieldDefinition{InstanceID: f.inst, ID: "ufd_dup", Name: "age", DataType: eiam.TypeString,
		DisplayType: eiam.DisplayInput, UserPermission: eiam.PermHide}
	wantCode(t, s.PutField(ctx, dup), eiam.ErrConflict, "name")
	// Names are unique per instance only.
	dup.InstanceID = other.inst
	if err := s.PutField(ctx, dup); err != nil {
		t.Fatalf("same name in another instance: %v", err)
	}
	if list, err := s.ListFields(ctx, other.inst); err != nil || len(list) != 1 {
		t.Errorf("ListFields(other) = %d fields, %v; want 1", len(list), err)
	}
	_, err = s.GetField(ctx, other.inst, skills.ID)
	wantCode(t, err, eiam.ErrNotFound, "field_id")

	if err := s.DeleteField(ctx, f.inst, age.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetField(ctx, f.inst, age.ID)
	wantCode(t, err, eiam.ErrNotFound, "field_id")
	wantCode(t, s.DeleteField(ctx, f.inst, age.ID), eiam.ErrNotFound, "field_id")
}

// fullUser returns a user with every attribute, flag and kind of value set.
func (f *fixture) fullUser(t *testing.T, username string) *eiam.User {
	t.Helper()
	for _, id := range []string{"ou_a", "ou_b"} {
		if _, err := f.s.PutOrgUnit(context.Background(), &eiam.OrgUnit{InstanceID: f.inst, ID: id, Name: id, ParentID: f.root}); err != nil {
			t.Fatal(err)
		}
	}
	u := f.user(username)
	u.Status = eiam.StatusDisabled
	u.Attrs = map[eiam.Attribute]string{
		eiam.AttrUsername: username, eiam.AttrDisplayName: "Zhang San 张三", eiam.AttrName: "张三",
		eiam.AttrGivenName: "San", eiam.AttrMiddleName: "M", eiam.AttrFamilyName: "Zhang", eiam.AttrNickname: "小张",
		eiam.AttrPreferredName: "zs", eiam.AttrPicture: "https://img.example/zs.png", eiam.AttrGender: eiam.GenderMale,
		eiam.AttrBirthdate: "1990-01-01", eiam.AttrEmail: username + "@example.com", eiam.AttrPhoneRegion: "86",
		eiam.AttrPhoneNumber: "138" + fmt.Sprintf("%08d", len(username)), eiam.AttrAddress: "1 Road, Beijing",
		eiam.AttrStreetAddress: "1 Road", eiam.AttrLocality: "Haidian", eiam.AttrRegion: "Beijing",
		eiam.AttrPostalCode: "100080", eiam.AttrCountry: "CN", eiam.AttrCompany: "Example Co",
		eiam.AttrIndustry: "IT", eiam.AttrExternalID: "EXT-" + username, eiam.AttrIdentityNumber: "110101199001011234",
		eiam.AttrDescription: `quotes " and \ backslash`, eiam.AttrLocale: "zh-CN", eiam.AttrZoneinfo: "Asia/Shanghai",
		eiam.AttrWebsite: "https://zs.example", eiam.AttrProfile: "https://zs.example/me",
	}
	u.EmailVerified, u.PhoneVerified = true, true
	u.CustomFields = map[string][]string{
		"age": {"30"}, "skills": {"go", "sql", "k8s"}, uniqueField: {"E-" + username}, sealedField: {"P-" + username},
	}
	u.PasswordHash = "$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
	u.PasswordChangedAt = t0().Add(-24 * time.Hour)
	u.PrimaryOUID, u.OUIDs = "ou_a", []string{"ou_b", f.root}
	return u
}

func testUserRoundTrip(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	u := f.fullUser(t, "Zhang.San")
	c := commit(nil, u, eiam.ActionUserCreate, "user.created")
	c.Audit.Origin.Device = map[string]string{"X-Device-Id": "dev-1", "X-Os": "ios"}
	if err := s.CreateUser(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(ctx, f.inst, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("GetUser (-want +got):\n%s", diff)
	}
	// cmp compares times as instants (Time.Equal), nanoseconds included;
	// the zone is checked here.
	for name, tm := range map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt, "PasswordChangedAt": got.PasswordChangedAt} {
		if tm.Location() != time.UTC {
			t.Errorf("%s = %v; want UTC", name, tm)
		}
	}

	recs, err := s.ListAudit(ctx, f.inst, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantAudit := c.Audit
	if diff := cmp.Diff([]*eiam.AuditRecord{&wantAudit}, recs); diff != "" {
		t.Errorf("ListAudit (-want +got):\n%s", diff)
	}
	var events []*eiam.ChangeEvent
	for _, ev := range allEvents(t, s) {
		if ev.UserID == u.ID {
			events = append(events, ev)
		}
	}
	wantEvent := c.Event
	if len(events) == 1 {
		wantEvent.Seq = events[0].Seq
	}
	if diff := cmp.Diff([]*eiam.ChangeEvent{&wantEvent}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	// A second user with the same id is refused, whatever its claims.
	dup := f.user("someone_else")
	dup.ID = u.ID
	err = s.CreateUser(ctx, commit(nil, dup, eiam.ActionUserCreate, "user.created"))
	wantCode(t, err, eiam.ErrConflict, "id")
	if _, err := s.LookupUser(ctx, f.inst, eiam.UsernameClaim("someone_else")); eiam.ErrorCode(err) != eiam.ErrNotFound {
		t.Errorf("the refused duplicate's username is held: %v", err)
	}
	if a, e := f.history(t, u.ID); a != 1 || e != 1 {
		t.Errorf("after a refused duplicate: %d audit records, %d events; want 1, 1", a, e)
	}
}

func testInstanceIsolation(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	a, b := newFixture(t, s), newFixture(t, s)
	u := a.create(t, a.user("alice"))
	_, err := s.GetUser(ctx, b.inst, u.ID)
	wantCode(t, err, eiam.ErrNotFound, "user_id")
	_, err = s.LookupUser(ctx, b.inst, eiam.UsernameClaim("alice"))
	wantCode(t, err, eiam.ErrNotFound, "username")
	_, err = b.update(u.ID, func(u *eiam.User) { u.Attrs[eiam.AttrNickname] = "x" })
	wantCode(t, err, eiam.ErrNotFound, "user_id")
	wantCode(t, b.delete(u.ID), eiam.ErrNotFound, "user_id")
	if page, err := s.ListUsers(ctx, b.inst, eiam.UserQuery{WithTotal: true}); err != nil || len(page.Users) != 0 || page.Total != 0 {
		t.Errorf("ListUsers of another instance = %v, %v; want none", page, err)
	}
	if recs, err := s.ListAudit(ctx, b.inst, u.ID); err != nil || len(recs) != 0 {
		t.Errorf("ListAudit of another instance = %d records, %v; want none", len(recs), err)
	}
	// Claims are per instance: the same username is free in b.
	b.create(t, b.user("alice"))
	if got, err := s.GetUser(ctx, a.inst, u.ID); err != nil || got.Version != 1 {
		t.Errorf("a's user after b's changes: %v, %v", got, err)
	}
}

func testLookupUser(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	u := f.create(t, f.fullUser(t, "Li.Si"))
	f.create(t, f.user("bystander"))
	for _, c := range claimsOf(u) {
		t.Run(c.Kind, func(t *testing.T) {
			got, err := s.LookupUser(ctx, f.inst, c)
			if err != nil {
				t.Fatalf("LookupUser(%v): %v", c, err)
			}
			if got.ID != u.ID || got.Attrs[eiam.AttrIdentityNumber] != u.Attrs[eiam.AttrIdentityNumber] {
				t.Errorf("LookupUser(%v) = %s; want %s with its values decrypted", c, got.ID, u.ID)
			}
			_, err = s.LookupUser(ctx, f.inst, eiam.Claim{Kind: c.Kind, Value: c.Value + "x"})
			wantCode(t, err, eiam.ErrNotFound, eiam.ClaimField(c.Kind))
		})
	}
	if n := len(claimsOf(u)); n != 5 {
		t.Fatalf("the fixture holds %d claims; want one of each kind (5)", n)
	}
}

func testCreateConflicts(t *testing.T, s eiam.Store) {
	f := newFixture(t, s)
	first := f.create(t, f.fullUser(t, "wang.wu"))
	for _, tc := range []struct {
		field  string
		mutate func(u *eiam.User)
	}{
		{"username", func(u *eiam.User) { u.Attrs[eiam.AttrUsername] = "WANG.wu" }},
		{"email", func(u *eiam.User) { u.Attrs[eiam.AttrEmail] = strings.ToUpper(first.Attrs[eiam.AttrEmail]) }},
		{"phone_number", func(u *eiam.User) {
			u.Attrs[eiam.AttrPhoneRegion], u.Attrs[eiam.AttrPhoneNumber] = "86", first.Attrs[eiam.AttrPhoneNumber]
		}},
		{"external_id", func(u *eiam.User) { u.Attrs[eiam.AttrExternalID] = first.Attrs[eiam.AttrExternalID] }},
		{"custom_fields." + uniqueField, func(u *eiam.User) { u.CustomFields[uniqueField] = first.CustomFields[uniqueField] }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			u := f.user("loser_" + strings.ReplaceAll(tc.field, ".", "_"))
			u.Attrs[eiam.AttrEmail] = u.Attrs[eiam.AttrUsername] + "@example.org"
			tc.mutate(u)
			err := s.CreateUser(context.Background(), commit(nil, u, eiam.ActionUserCreate, "user.created"))
			wantCode(t, err, eiam.ErrConflict, tc.field)
			_, err = s.GetUser(context.Background(), f.inst, u.ID)
			wantCode(t, err, eiam.ErrNotFound, "user_id")
			// None of the loser's other claims stays reserved.
			for _, c := range claimsOf(u) {
				if holder, err := s.LookupUser(context.Background(), f.inst, c); err == nil && holder.ID != first.ID {
					t.Errorf("claim %v of a refused user is held by %s", c, holder.ID)
				}
			}
			if a, e := f.history(t, u.ID); a != 0 || e != 0 {
				t.Errorf("refused user: %d audit records, %d events; want none", a, e)
			}
		})
	}
}

func testUpdateUser(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	u := f.create(t, f.fullUser(t, "zhao.liu"))
	oldEmail := u.Attrs[eiam.AttrEmail]
	got, err := f.update(u.ID, func(n *eiam.User) {
		n.Attrs[eiam.AttrNickname] = "六六"
		delete(n.Attrs, eiam.AttrDisplayName)
		n.Attrs[eiam.AttrEmail] = "new.zhao@example.com"
		n.Attrs[eiam.AttrIdentityNumber] = "440101199912319999"
		n.EmailVerified = false
		n.Status = eiam.StatusEnabled
		n.CustomFields["skills"] = []string{"rust"}
		n.CustomFields[sealedField] = []string{"P-NEW"}
		delete(n.CustomFields, "age")
		n.PasswordHash = "$argon2id$new"
		n.PasswordChangedAt = t0().Add(time.Minute)
		n.PrimaryOUID, n.OUIDs = f.root, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Attrs[eiam.AttrNickname] != "六六" || got.Attrs[eiam.AttrDisplayName] != "" ||
		got.CustomValue(sealedField) != "P-NEW" || got.CustomValue("age") != "" || got.PrimaryOUID != f.root {
		t.Errorf("UpdateUser returned %+v", got)
	}
	read, err := s.GetUser(ctx, f.inst, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, read); diff != "" {
		t.Errorf("GetUser differs from what UpdateUser returned (-returned +read):\n%s", diff)
	}
	if _, err := s.LookupUser(ctx, f.inst, eiam.EmailClaim("new.zhao@example.com")); err != nil {
		t.Errorf("new email not claimed: %v", err)
	}
	_, err = s.LookupUser(ctx, f.inst, eiam.EmailClaim(oldEmail))
	wantCode(t, err, eiam.ErrNotFound, "email")
	if page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{OUID: "ou_b"}); err != nil || len(page.Users) != 0 {
		t.Errorf("user still listed in a unit it left: %v, %v", page, err)
	}
	if a, e := f.history(t, u.ID); a != 2 || e != 2 {
		t.Errorf("%d audit records, %d events; want 2, 2", a, e)
	}
	recs, _ := s.ListAudit(ctx, f.inst, u.ID)
	if len(recs) == 2 && (recs[0].Action != eiam.ActionUserCreate || recs[1].Action != eiam.ActionUserUpdate || recs[1].Version != 2) {
		t.Errorf("audit records out of order or wrong: %+v, %+v", recs[0], recs[1])
	}
}

func testFailedChanges(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	a := f.create(t, f.fullUser(t, "qian.qi"))
	b := f.create(t, f.user("sun.ba"))
	before, err := s.GetUser(ctx, f.inst, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		now, err := s.GetUser(ctx, f.inst, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, now); diff != "" {
			t.Errorf("user changed by a failed change (-before +after):\n%s", diff)
		}
		if au, ev := f.history(t, b.ID); au != 1 || ev != 1 {
			t.Errorf("%d audit records, %d events; want only the creation's", au, ev)
		}
		if holder, err := s.LookupUser(ctx, f.inst, eiam.UsernameClaim("sun.ba")); err != nil || holder.ID != b.ID {
			t.Errorf("the user's own claim was lost: %v, %v", holder, err)
		}
		if _, err := s.LookupUser(ctx, f.inst, eiam.EmailClaim("fresh@example.com")); eiam.ErrorCode(err) != eiam.ErrNotFound {
			t.Errorf("a claim of the failed change is held: %v", err)
		}
	}

	t.Run("apply error", func(t *testing.T) {
		sentinel := eiam.Errorf(eiam.ErrInvalid, "nickname", "too_long", "max", 64)
		_, err := s.UpdateUser(ctx, f.inst, b.ID, func(cur *eiam.User) (*eiam.Commit, error) {
			cur.Attrs[eiam.AttrNickname] = "mutated the copy"
			return nil, sentinel
		})
		if err != sentinel {
			t.Fatalf("err = %v; want apply's error unchanged", err)
		}
		unchanged(t)
	})
	t.Run("plain apply error", func(t *testing.T) {
		sentinel := errors.New("boom")
		_, err := s.UpdateUser(ctx, f.inst, b.ID, func(*eiam.User) (*eiam.Commit, error) { return nil, sentinel })
		if err != sentinel {
			t.Fatalf("err = %v; want apply's error unchanged", err)
		}
		unchanged(t)
	})
	t.Run("claim conflict", func(t *testing.T) {
		// The free email is claimed before the taken username is tried
		// (claims go in kind order), so this checks the rollback too.
		_, err := f.update(b.ID, func(n *eiam.User) {
			n.Attrs[eiam.AttrEmail] = "fresh@example.com"
			n.Attrs[eiam.AttrUsername] = "Qian.Qi"
			n.Attrs[eiam.AttrNickname] = "should not be written"
		})
		wantCode(t, err, eiam.ErrConflict, "username")
		unchanged(t)
		if holder, err := s.LookupUser(ctx, f.inst, eiam.UsernameClaim("qian.qi")); err != nil || holder.ID != a.ID {
			t.Errorf("the winner lost its claim: %v, %v", holder, err)
		}
	})
	t.Run("custom claim conflict", func(t *testing.T) {
		_, err := f.update(b.ID, func(n *eiam.User) {
			n.Attrs[eiam.AttrEmail] = "fresh@example.com"
			n.CustomFields[uniqueField] = a.CustomFields[uniqueField]
		})
		wantCode(t, err, eiam.ErrConflict, "custom_fields."+uniqueField)
		unchanged(t)
	})
	t.Run("wrong version", func(t *testing.T) {
		_, err := s.UpdateUser(ctx, f.inst, b.ID, func(cur *eiam.User) (*eiam.Commit, error) {
			next := cur.Clone()
			next.Attrs[eiam.AttrNickname] = "x"
			return commit(cur, next, eiam.ActionUserUpdate, "user.updated"), nil // version not bumped
		})
		if err == nil {
			t.Fatal("a commit that does not bump the version was accepted")
		}
		unchanged(t)
	})
	t.Run("delete apply error", func(t *testing.T) {
		sentinel := errors.New("no")
		err := s.DeleteUser(ctx, f.inst, b.ID, func(*eiam.User) (*eiam.Commit, error) { return nil, sentinel })
		if err != sentinel {
			t.Fatalf("err = %v; want apply's error unchanged", err)
		}
		unchanged(t)
	})
	t.Run("unknown user", func(t *testing.T) {
		called := false
		_, err := s.UpdateUser(ctx, f.inst, "user_missing", func(*eiam.User) (*eiam.Commit, error) {
			called = true
			return nil, errors.New("unreachable")
		})
		wantCode(t, err, eiam.ErrNotFound, "user_id")
		if called {
			t.Error("apply called for a missing user")
		}
		err = s.DeleteUser(ctx, f.inst, "user_missing", func(*eiam.User) (*eiam.Commit, error) {
			called = true
			return &eiam.Commit{}, nil
		})
		wantCode(t, err, eiam.ErrNotFound, "user_id")
		if called {
			t.Error("apply called for a missing user")
		}
	})
}

func testDeleteUser(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	u := f.create(t, f.fullUser(t, "zhou.jiu"))
	if err := f.delete(u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetUser(ctx, f.inst, u.ID)
	wantCode(t, err, eiam.ErrNotFound, "user_id")
	for _, c := range claimsOf(u) {
		if _, err := s.LookupUser(ctx, f.inst, c); eiam.ErrorCode(err) != eiam.ErrNotFound {
			t.Errorf("claim %v still held after delete: %v", c, err)
		}
	}
	recs, err := s.ListAudit(ctx, f.inst, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Action != eiam.ActionUserDelete || recs[1].Version != 2 {
		t.Errorf("audit after delete: %d records, last %+v; want create then delete at version 2", len(recs), recs[len(recs)-1])
	}
	var last *eiam.ChangeEvent
	for _, ev := range allEvents(t, s) {
		if ev.UserID == u.ID {
			last = ev
		}
	}
	if last == nil || last.Type != "user.deleted" || last.Version != 2 {
		t.Errorf("last event %+v; want user.deleted at version 2", last)
	}
	if page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{OUID: "ou_a", WithTotal: true}); err != nil || page.Total != 0 {
		t.Errorf("deleted user still in its unit: %+v, %v", page, err)
	}
	wantCode(t, f.delete(u.ID), eiam.ErrNotFound, "user_id")

	// Everything the deleted user held can be taken again.
	again := f.fullUser(t, "zhou.jiu")
	if err := s.CreateUser(ctx, commit(nil, again, eiam.ActionUserCreate, "user.created")); err != nil {
		t.Fatalf("claims not released by delete: %v", err)
	}
}

func testClaimsReleased(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	a := f.create(t, f.user("alice"))
	if _, err := f.update(a.ID, func(n *eiam.User) { n.Attrs[eiam.AttrUsername] = "bob" }); err != nil {
		t.Fatal(err)
	}
	b := f.create(t, f.user("Alice")) // the old username is free again
	err := s.CreateUser(ctx, commit(nil, f.user("BOB"), eiam.ActionUserCreate, "user.created"))
	wantCode(t, err, eiam.ErrConflict, "username")
	// Changing only the case keeps the claim: no conflict with oneself.
	if _, err := f.update(a.ID, func(n *eiam.User) { n.Attrs[eiam.AttrUsername] = "Bob" }); err != nil {
		t.Fatalf("changing the case of one's own username: %v", err)
	}
	// Swapping an email between updates releases the old one.
	if _, err := f.update(b.ID, func(n *eiam.User) { n.Attrs[eiam.AttrEmail] = "shared@example.com" }); err != nil {
		t.Fatal(err)
	}
	_, err = f.update(a.ID, func(n *eiam.User) { n.Attrs[eiam.AttrEmail] = "Shared@example.com" })
	wantCode(t, err, eiam.ErrConflict, "email")
	if _, err := f.update(b.ID, func(n *eiam.User) { delete(n.Attrs, eiam.AttrEmail) }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.update(a.ID, func(n *eiam.User) { n.Attrs[eiam.AttrEmail] = "Shared@example.com" }); err != nil {
		t.Fatalf("email not released by clearing it: %v", err)
	}
	if holder, err := s.LookupUser(ctx, f.inst, eiam.EmailClaim("shared@example.com")); err != nil || holder.ID != a.ID {
		t.Errorf("LookupUser(email) = %v, %v; want %s", holder, err, a.ID)
	}
}

func testConcurrentClaims(t *testing.T, s eiam.Store) {
	const n = 64
	for _, tc := range []struct {
		field string
		claim eiam.Claim
		user  func(f *fixture, i int) *eiam.User
	}{
		{"username", eiam.UsernameClaim("alice"), func(f *fixture, i int) *eiam.User {
			return f.user([]string{"Alice", "alice", "ALICE", "aLiCe"}[i%4])
		}},
		{"external_id", eiam.ExternalIDClaim("EXT-1"), func(f *fixture, i int) *eiam.User {
			u := f.user(fmt.Sprintf("ext%02d", i))
			u.Attrs[eiam.AttrExternalID] = "EXT-1"
			return u
		}},
		{"custom_fields." + uniqueField, eiam.Claim{Kind: eiam.ClaimCustomPrefix + uniqueField, Value: "E-42"}, func(f *fixture, i int) *eiam.User {
			u := f.user(fmt.Sprintf("cf%02d", i))
			u.CustomFields[uniqueField] = []string{"E-42"}
			return u
		}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			f := newFixture(t, s)
			users := make([]*eiam.User, n)
			for i := range users {
				users[i] = tc.user(f, i)
			}
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					errs[i] = s.CreateUser(context.Background(), commit(nil, users[i], eiam.ActionUserCreate, "user.created"))
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Errorf("users %d and %d both got the claim", winner, i)
				case err == nil:
					winner = i
				default:
					if e := eiam.AsError(err); e.Code != eiam.ErrConflict || e.Field != tc.field {
						t.Errorf("user %d: %v; want a conflict on %s", i, err, tc.field)
					}
				}
			}
			if winner < 0 {
				t.Fatal("nobody got the claim")
			}
			holder, err := s.LookupUser(context.Background(), f.inst, tc.claim)
			if err != nil || holder.ID != users[winner].ID {
				t.Errorf("LookupUser = %v, %v; want the winner %s", holder, err, users[winner].ID)
			}
			page, err := s.ListUsers(context.Background(), f.inst, eiam.UserQuery{WithTotal: true})
			if err != nil || page.Total != 1 {
				t.Errorf("ListUsers total = %d, %v; want 1", page.Total, err)
			}
			for i, u := range users {
				au, ev := f.history(t, u.ID)
				if want := map[bool]int{true: 1, false: 0}[i == winner]; au != want || ev != want {
					t.Errorf("user %d: %d audit records, %d events; want %d", i, au, ev, want)
				}
			}
		})
	}
}

func testConcurrentUpdates(t *testing.T, s eiam.Store) {
	const goroutines, updates = 32, 50
	f := newFixture(t, s)
	u := f.create(t, f.user("hot"))
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*updates)
	for g := range goroutines {
		wg.Go(func() {
			for i := range updates {
				_, err := f.update(u.ID, func(n *eiam.User) {
					n.CustomFields[fmt.Sprintf("g%02d", g)] = []string{strconv.Itoa(i)}
					n.Attrs[eiam.AttrNickname] = fmt.Sprintf("g%02d-%d", g, i)
				})
				if err != nil {
					errs <- fmt.Errorf("goroutine %d update %d: %w", g, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d updates of one user from %d goroutines in %v", goroutines*updates, goroutines, time.Since(start))

	got, err := s.GetUser(context.Background(), f.inst, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := u.Version + goroutines*updates; got.Version != want {
		t.Errorf("Version = %d, want %d (updates lost)", got.Version, want)
	}
	for g := range goroutines {
		if v := got.CustomValue(fmt.Sprintf("g%02d", g)); v != strconv.Itoa(updates-1) {
			t.Errorf("goroutine %d's last value = %q, want %d", g, v, updates-1)
		}
	}
	recs, err := s.ListAudit(context.Background(), f.inst, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+goroutines*updates {
		t.Errorf("%d audit records, want %d", len(recs), 1+goroutines*updates)
	}
	for i, r := range recs {
		if r.Version != int64(i+1) {
			t.Fatalf("audit record %d has version %d; want versions 1…%d in order", i, r.Version, len(recs))
		}
	}
	if _, ev := f.history(t, u.ID); ev != 1+goroutines*updates {
		t.Errorf("%d events, want %d", ev, 1+goroutines*updates)
	}
}

// testSearchFollowsUpdates: the prefix searches find a renamed user by its
// new names only, and one whose update kept its names by them still (the
// store may leave the search columns out of an update that keeps them).
func testSearchFollowsUpdates(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	add := func(username, display string) string {
		u := f.user(username)
		u.Attrs[eiam.AttrDisplayName] = display
		return f.create(t, u).ID
	}
	kept, renamed, redisplayed := add("kept", "Kept Name"), add("old.name", "Old Name"), add("same", "Before")
	for _, up := range []struct {
		id     string
		mutate func(u *eiam.User)
	}{
		{kept, func(u *eiam.User) { u.Attrs[eiam.AttrNickname] = "k" }},
		{renamed, func(u *eiam.User) {
			u.Attrs[eiam.AttrUsername], u.Attrs[eiam.AttrDisplayName] = "New.Name", "Renamed"
		}},
		{redisplayed, func(u *eiam.User) { u.Attrs[eiam.AttrDisplayName] = "After" }},
	} {
		if _, err := f.update(up.id, up.mutate); err != nil {
			t.Fatalf("update %s: %v", up.id, err)
		}
	}
	for _, tc := range []struct {
		q    eiam.UserQuery
		want []string
	}{
		{eiam.UserQuery{UsernamePrefix: "kept"}, []string{"kept"}},
		{eiam.UserQuery{DisplayNamePrefix: "kept n"}, []string{"kept"}},
		{eiam.UserQuery{UsernamePrefix: "old"}, nil},
		{eiam.UserQuery{DisplayNamePrefix: "old"}, nil},
		{eiam.UserQuery{UsernamePrefix: "new.n"}, []string{"New.Name"}},
		{eiam.UserQuery{DisplayNamePrefix: "RENAMED"}, []string{"New.Name"}},
		{eiam.UserQuery{UsernamePrefix: "same"}, []string{"same"}},
		{eiam.UserQuery{DisplayNamePrefix: "before"}, nil},
		{eiam.UserQuery{DisplayNamePrefix: "after"}, []string{"same"}},
	} {
		page, err := s.ListUsers(ctx, f.inst, tc.q)
		if err != nil {
			t.Fatalf("%+v: %v", tc.q, err)
		}
		if got := usernames(page.Users); !slices.Equal(got, tc.want) {
			t.Errorf("%+v found %v, want %v", tc.q, got, tc.want)
		}
	}
}

func testListUsers(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	if _, err := s.PutOrgUnit(ctx, &eiam.OrgUnit{InstanceID: f.inst, ID: "ou_sales", Name: "Sales", ParentID: f.root}); err != nil {
		t.Fatal(err)
	}
	var all []*eiam.User
	add := func(username, display string, mutate func(u *eiam.User)) {
		u := f.user(username)
		u.Attrs[eiam.AttrDisplayName] = display
		if mutate != nil {
			mutate(u)
		}
		all = append(all, f.create(t, u))
	}
	for i := range 110 {
		add(fmt.Sprintf("user%03d", i), fmt.Sprintf("User %03d", i), func(u *eiam.User) {
			if i%10 == 0 {
				u.Status = eiam.StatusDisabled
			}
			if i%7 == 0 {
				u.OUIDs = []string{"ou_sales"}
			}
		})
	}
	add("a_b", "Underscore", nil)
	add("axb", "Plain", nil)
	add("a%b", "Percent", nil)
	add("Zed", "张伟", nil)
	add("zoe", "张三丰", func(u *eiam.User) { u.Attrs[eiam.AttrEmail] = "zoe@example.com" })
	add("zz", "Zhang", func(u *eiam.User) { u.PrimaryOUID = "ou_sales" })

	sortKey := func(u *eiam.User) string { return strings.ToLower(u.Username()) + "\x00" + u.ID }
	slices.SortFunc(all, func(a, b *eiam.User) int { return strings.Compare(sortKey(a), sortKey(b)) })
	var wantAll []string
	for _, u := range all {
		wantAll = append(wantAll, u.ID)
	}
	ids := func(us []*eiam.User) []string {
		out := make([]string, len(us))
		for i, u := range us {
			out[i] = u.ID
		}
		return out
	}

	t.Run("keyset walk", func(t *testing.T) {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("paging does not end")
			}
			page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{Limit: 7, After: after})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(page.Users)...)
			if page.Next == "" {
				break
			}
			if len(page.Users) != 7 {
				t.Fatalf("a page before the last has %d users, want 7", len(page.Users))
			}
			after = page.Next
		}
		if !slices.Equal(got, wantAll) {
			t.Errorf("walk returned %d users, want each of %d once in order", len(got), len(wantAll))
		}
	})
	t.Run("offset", func(t *testing.T) {
		page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{Limit: 10, Offset: 20, WithTotal: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(page.Users), wantAll[20:30]) || page.Total != int64(len(all)) {
			t.Errorf("offset page = %v (total %d), want %v (total %d)", usernames(page.Users), page.Total, wantAll[20:30], len(all))
		}
		page, err = s.ListUsers(ctx, f.inst, eiam.UserQuery{Offset: len(all)})
		if err != nil || len(page.Users) != 0 || page.Next != "" {
			t.Errorf("page past the end = %v, %v", page, err)
		}
	})
	t.Run("limits", func(t *testing.T) {
		for _, tc := range []struct{ limit, want int }{{0, 20}, {-5, 20}, {1, 1}, {100, 100}, {1000, 100}} {
			page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{Limit: tc.limit})
			if err != nil || len(page.Users) != tc.want || page.Next == "" {
				t.Errorf("Limit %d: %d users, next %q, %v; want %d and a next page", tc.limit, len(page.Users), page.Next, err, tc.want)
			}
		}
	})
	t.Run("filters", func(t *testing.T) {
		var disabled, sales []string
		for _, u := range all {
			if u.Status == eiam.StatusDisabled {
				disabled = append(disabled, u.Username())
			}
			if u.PrimaryOUID == "ou_sales" || slices.Contains(u.OUIDs, "ou_sales") {
				sales = append(sales, u.Username())
			}
		}
		for _, tc := range []struct {
			name string
			q    eiam.UserQuery
			want []string
		}{
			{"username prefix ignores case", eiam.UserQuery{UsernamePrefix: "USER01"},
				[]string{"user010", "user011", "user012", "user013", "user014", "user015", "user016", "user017", "user018", "user019"}},
			{"underscore is not a wildcard", eiam.UserQuery{UsernamePrefix: "a_"}, []string{"a_b"}},
			{"percent is not a wildcard", eiam.UserQuery{UsernamePrefix: "a%"}, []string{"a%b"}},
			{"whole name", eiam.UserQuery{UsernamePrefix: "zed"}, []string{"Zed"}},
			{"no match", eiam.UserQuery{UsernamePrefix: "nobody"}, nil},
			// Ordered by display name: 张三丰 before 张伟.
			{"display name prefix", eiam.UserQuery{DisplayNamePrefix: "张"}, []string{"zoe", "Zed"}},
			{"both prefixes, by username", eiam.UserQuery{UsernamePrefix: "z", DisplayNamePrefix: "张"}, []string{"Zed", "zoe"}},
			{"display name prefix ignores case", eiam.UserQuery{DisplayNamePrefix: "zhA"}, []string{"zz"}},
			{"status", eiam.UserQuery{Status: eiam.StatusDisabled, Limit: 100}, disabled},
			{"unit, primary or not", eiam.UserQuery{OUID: "ou_sales", Limit: 100}, sales},
			{"claim", eiam.UserQuery{Claim: &eiam.Claim{Kind: eiam.ClaimEmail, Value: "zoe@example.com"}}, []string{"zoe"}},
			{"ids", eiam.UserQuery{IDs: []string{all[3].ID, all[0].ID, "user_missing"}}, []string{all[0].Username(), all[3].Username()}},
			{"combined", eiam.UserQuery{UsernamePrefix: "user0", Status: eiam.StatusDisabled, OUID: "ou_sales"},
				[]string{"user000", "user070"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := tc.q
				q.WithTotal = true
				page, err := s.ListUsers(ctx, f.inst, q)
				if err != nil {
					t.Fatal(err)
				}
				if got := usernames(page.Users); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
				if page.Total != int64(len(tc.want)) {
					t.Errorf("Total = %d, want %d", page.Total, len(tc.want))
				}
			})
		}
	})
	t.Run("filtered walk", func(t *testing.T) {
		var got []string
		after := ""
		for {
			page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{UsernamePrefix: "user1", Limit: 3, After: after})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, usernames(page.Users)...)
			if after = page.Next; after == "" {
				break
			}
		}
		if len(got) != 10 || got[0] != "user100" || got[9] != "user109" {
			t.Errorf("filtered walk = %v", got)
		}
	})
	t.Run("display name walk", func(t *testing.T) {
		// "User 000" … "User 109", by display name then id, in pages
		// of 7; display names are not unique, so the id breaks ties.
		var want []string
		byDisplay := slices.Clone(all)
		slices.SortFunc(byDisplay, func(a, b *eiam.User) int {
			if c := strings.Compare(strings.ToLower(a.Attr(eiam.AttrDisplayName)), strings.ToLower(b.Attr(eiam.AttrDisplayName))); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		for _, u := range byDisplay {
			if strings.HasPrefix(strings.ToLower(u.Attr(eiam.AttrDisplayName)), "user") {
				want = append(want, u.ID)
			}
		}
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("paging does not end")
			}
			page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{DisplayNamePrefix: "USER", Limit: 7, After: after})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(page.Users)...)
			if after = page.Next; after == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("walk returned %d users, want each of %d once, by display name", len(got), len(want))
		}
	})
	t.Run("ids in pages", func(t *testing.T) {
		// A list of ids is ordered, counted, paged by cursor and by
		// offset like any other, and combines with the other filters.
		var pick []string
		for i := 0; i < len(all); i += 9 {
			pick = append(pick, all[i].ID)
		}
		var want []string // in list order
		for _, id := range wantAll {
			if slices.Contains(pick, id) {
				want = append(want, id)
			}
		}
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(pick) {
				t.Fatal("paging does not end")
			}
			page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{IDs: pick, Limit: 4, After: after, WithTotal: true})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != int64(len(pick)) {
				t.Errorf("Total = %d, want %d", page.Total, len(pick))
			}
			got = append(got, ids(page.Users)...)
			if after = page.Next; after == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("walk of ids = %v, want %v", got, want)
		}
		page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{IDs: pick, Limit: 3, Offset: 4})
		if err != nil || !slices.Equal(ids(page.Users), want[4:7]) || page.Next == "" {
			t.Errorf("offset 4 of ids = %v (next %q), %v; want %v", ids(page.Users), page.Next, err, want[4:7])
		}
		page, err = s.ListUsers(ctx, f.inst, eiam.UserQuery{IDs: pick, DisplayNamePrefix: "user 0", WithTotal: true})
		var wantPrefixed []string
		for _, u := range all {
			if slices.Contains(pick, u.ID) && strings.HasPrefix(u.Attr(eiam.AttrDisplayName), "User 0") {
				wantPrefixed = append(wantPrefixed, u.Attr(eiam.AttrDisplayName))
			}
		}
		slices.Sort(wantPrefixed)
		var gotPrefixed []string
		for _, u := range page.Users {
			gotPrefixed = append(gotPrefixed, u.Attr(eiam.AttrDisplayName))
		}
		if err != nil || !slices.Equal(gotPrefixed, wantPrefixed) || page.Total != int64(len(wantPrefixed)) {
			t.Errorf("ids with a display-name prefix = %v (total %d), %v; want %v in display-name order", gotPrefixed, page.Total, err, wantPrefixed)
		}
	})
	t.Run("walk while users change", func(t *testing.T) {
		// A user created behind the cursor is not seen, one ahead of it
		// is, and none is seen twice or skipped.
		page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{UsernamePrefix: "user", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		seen := ids(page.Users)
		behind := f.create(t, f.user("user000a"))
		ahead := f.create(t, f.user("user109a"))
		for after := page.Next; after != ""; {
			page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{UsernamePrefix: "user", Limit: 50, After: after})
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ids(page.Users)...)
			after = page.Next
		}
		if slices.Contains(seen, behind.ID) || !slices.Contains(seen, ahead.ID) || len(seen) != 111 {
			t.Errorf("saw %d users (behind the cursor: %v, ahead: %v); want 111, the one ahead only",
				len(seen), slices.Contains(seen, behind.ID), slices.Contains(seen, ahead.ID))
		}
		for _, u := range []*eiam.User{behind, ahead} {
			if err := f.delete(u.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		_, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{After: "not a cursor!"})
		wantCode(t, err, eiam.ErrInvalid, "after")
		// A cursor of a display-name search does not page a username list.
		page, err := s.ListUsers(ctx, f.inst, eiam.UserQuery{DisplayNamePrefix: "user", Limit: 1})
		if err != nil || page.Next == "" {
			t.Fatalf("display-name page: %v, %v", page, err)
		}
		_, err = s.ListUsers(ctx, f.inst, eiam.UserQuery{After: page.Next})
		wantCode(t, err, eiam.ErrInvalid, "after")
	})
}

func testEvents(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	a := f.create(t, f.user("ev_a"))
	b := f.create(t, f.user("ev_b"))
	if _, err := f.update(a.ID, func(n *eiam.User) { n.Attrs[eiam.AttrNickname] = "A" }); err != nil {
		t.Fatal(err)
	}
	if err := f.delete(b.ID); err != nil {
		t.Fatal(err)
	}
	evs := allEvents(t, s)
	var mine []*eiam.ChangeEvent
	for _, ev := range evs {
		if ev.InstanceID == f.inst {
			mine = append(mine, ev)
		}
	}
	type short struct {
		User, Type string
		Version    int64
	}
	var got []short
	for _, ev := range mine {
		got = append(got, short{ev.UserID, ev.Type, ev.Version})
	}
	want := []short{{a.ID, "user.created", 1}, {b.ID, "user.created", 1}, {a.ID, "user.updated", 2}, {b.ID, "user.deleted", 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Fatalf("Seq not increasing: %d after %d", evs[i].Seq, evs[i-1].Seq)
		}
	}
	if len(mine) == 4 {
		page, err := s.ListEvents(ctx, mine[0].Seq, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || page[0].Seq != mine[1].Seq || page[1].Seq != mine[2].Seq {
			t.Errorf("ListEvents(after first, 2) = %v", page)
		}
		if !mine[2].At.Equal(mine[2].At.UTC()) || mine[2].Attributes[0] != "identity_number" {
			t.Errorf("event fields not kept: %+v", mine[2])
		}
	}
}

// testOutboxOrder checks that a consumer polling ListEvents with the last
// Seq it saw misses no event while writers commit concurrently: an event
// must not become visible after one with a higher Seq.
func testOutboxOrder(t *testing.T, s eiam.Store) {
	const writers, each = 8, 30
	f := newFixture(t, s)
	done := make(chan struct{})
	seen := make(map[int64]bool)
	var polled sync.WaitGroup
	poll := func(after int64) int64 {
		evs, err := s.ListEvents(context.Background(), after, 1000)
		if err != nil {
			t.Error(err)
			return after
		}
		for _, ev := range evs {
			seen[ev.Seq] = true
			after = ev.Seq
		}
		return after
	}
	polled.Go(func() {
		after := int64(0)
		for {
			select {
			case <-done:
				poll(after)
				return
			default:
				after = poll(after)
			}
		}
	})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.CreateUser(context.Background(), commit(nil, f.user(fmt.Sprintf("w%d_%d", w, i)), eiam.ActionUserCreate, "user.created")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	polled.Wait()
	var missed []int64
	for _, ev := range allEvents(t, s) {
		if !seen[ev.Seq] {
			missed = append(missed, ev.Seq)
		}
	}
	if len(missed) > 0 {
		t.Errorf("a polling consumer missed events %v: they became visible after a later Seq", missed)
	}
}

// rawStore is implemented by stores whose raw rows the tests can read.
type rawStore interface {
	DB() *sql.DB
	Tables(ctx context.Context) ([]string, error)
}

func testSecretsAtRest(t *testing.T, s eiam.Store) {
	raw, ok := s.(rawStore)
	if !ok {
		t.Skipf("%T does not expose its rows", s)
	}
	ctx := context.Background()
	f := newFixture(t, s)
	const (
		identity  = "110101198803077777"
		passport  = "PASSPORT-E98765432"
		keySecret = "AKSECRET-0123456789abcdef-Zz"
	)
	u := f.fullUser(t, "secretive")
	u.Attrs[eiam.AttrIdentityNumber] = identity
	u.CustomFields[sealedField] = []string{passport}
	f.create(t, u)
	if _, err := f.update(u.ID, func(n *eiam.User) { n.Attrs[eiam.AttrNickname] = "still secret" }); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAccessKey(ctx, &eiam.AccessKey{ID: "LTAI_secret_test", Secret: keySecret, Actions: []string{"eiam:*"}, Instances: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(ctx, f.inst, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attrs[eiam.AttrIdentityNumber] != identity || got.CustomValue(sealedField) != passport {
		t.Fatalf("GetUser does not return the plaintext: %q, %q", got.Attrs[eiam.AttrIdentityNumber], got.CustomValue(sealedField))
	}
	if k, err := s.GetAccessKey(ctx, "LTAI_secret_test"); err != nil || k.Secret != keySecret {
		t.Fatalf("GetAccessKey = %v, %v; want the plaintext secret", k, err)
	}

	text := dumpRows(t, raw)
	if !strings.Contains(text, "secretive") || !strings.Contains(text, "still secret") {
		t.Fatal("the dump does not contain the user's plain attributes; the check below would prove nothing")
	}
	for _, secret := range []string{identity, passport, keySecret} {
		if strings.Contains(text, secret) {
			t.Errorf("%q is stored in clear", secret)
		}
	}
}

// migrator is implemented by stores with versioned schemas.
type migrator interface {
	Migrate(ctx context.Context) error
	SchemaVersion(ctx context.Context) (int64, error)
}

func testMigrateTwice(t *testing.T, s eiam.Store) {
	m, ok := s.(migrator)
	if !ok {
		t.Skipf("%T has no migrations", s)
	}
	ctx := context.Background()
	f := newFixture(t, s)
	u := f.create(t, f.user("survivor"))
	v1, err := m.SchemaVersion(ctx)
	if err != nil || v1 < 1 {
		t.Fatalf("SchemaVersion = %d, %v; want ≥ 1 after Open", v1, err)
	}
	for range 2 {
		if err := m.Migrate(ctx); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	if v2, err := m.SchemaVersion(ctx); err != nil || v2 != v1 {
		t.Errorf("SchemaVersion after migrating again = %d, %v; want %d", v2, err, v1)
	}
	if got, err := s.GetUser(ctx, f.inst, u.ID); err != nil || got.Username() != "survivor" {
		t.Errorf("data after migrating again: %v, %v", got, err)
	}
}

// dumpRows renders every value of every table, for checks that a secret is
// not stored in clear.
func dumpRows(t *testing.T, raw rawStore) string {
	t.Helper()
	ctx := context.Background()
	tables, err := raw.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var dump strings.Builder
	for _, table := range tables {
		rows, err := raw.DB().QueryContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&dump, "%s: %v\n", table, v)
			}
		}
		rows.Close()
	}
	return dump.String()
}
