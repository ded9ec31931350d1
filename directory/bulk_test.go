package directory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fullChange creates user n with a password, an email, a phone, a unit
// and a custom value.
func fullChange(n int) *eiam.ProfileChange {
	c := &eiam.ProfileChange{}
	c.SetAttr(eiam.AttrUsername, fmt.Sprintf("bulk%d", n))
	c.SetAttr(eiam.AttrDisplayName, "Bulk User")
	c.SetAttr(eiam.AttrEmail, fmt.Sprintf("bulk%d@example.com", n))
	c.SetFlag(eiam.FlagEmailVerified, true)
	c.SetAttr(eiam.AttrPhoneRegion, "86")
	c.SetAttr(eiam.AttrPhoneNumber, fmt.Sprintf("1390000%04d", n))
	c.SetFlag(eiam.FlagPhoneNumberVerified, false)
	pw := "S3cure-pass!"
	c.Password = &pw
	ou := "ou_bulk"
	c.PrimaryOUID = &ou
	c.CustomFields = []eiam.CustomFieldOp{{Name: "employee_no", Value: fmt.Sprintf("E%d", n), Op: eiam.OpReplace}}
	return c
}

func TestPrepareUsersCreatesAsCreateUserDoes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		ctx := context.Background()
		svc := newService(t, s)
		in, err := s.GetInstance(ctx, inst)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutOrgUnit(ctx, &eiam.OrgUnit{InstanceID: inst, ID: "ou_bulk", Name: "Bulk", ParentID: in.RootOUID}); err != nil {
			t.Fatal(err)
		}
		if err := svc.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, Name: "employee_no", DataType: eiam.TypeString,
			Unique: true, UserPermission: eiam.PermReadOnly}); err != nil {
			t.Fatal(err)
		}
		one, err := svc.CreateUser(ctx, inst, "", fullChange(0), admin, origin)
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.PrepareUsers(ctx, inst, []directory.NewUser{{Change: fullChange(1)}, {ID: "user_chosen", Change: fullChange(2)}}, admin, origin)
		if err != nil {
			t.Fatal(err)
		}
		w := s.BulkWriter()
		many, err := p.Write(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if len(many) != 2 || many[1].ID != "user_chosen" {
			t.Fatalf("Write returned %+v", many)
		}
		h, _ := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
		for i, u := range many {
			got, err := s.GetUser(ctx, inst, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The same as CreateUser's, but for what differs by design.
			ignore := cmpopts.IgnoreFields(eiam.User{}, "ID", "PasswordHash", "PasswordChangedAt", "CreatedAt", "UpdatedAt")
			want := one.Clone()
			want.Attrs[eiam.AttrUsername] = fmt.Sprintf("bulk%d", i+1)
			want.Attrs[eiam.AttrEmail] = fmt.Sprintf("bulk%d@example.com", i+1)
			want.Attrs[eiam.AttrPhoneNumber] = fmt.Sprintf("1390000%04d", i+1)
			want.CustomFields["employee_no"] = []string{fmt.Sprintf("E%d", i+1)}
			if diff := cmp.Diff(want, got, ignore, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("user %d (-as CreateUser +as PrepareUsers):\n%s", i+1, diff)
			}
			if ok, _, err := h.Verify(got.PasswordHash, "S3cure-pass!"); err != nil || !ok {
				t.Errorf("user %d: password does not verify (%v)", i+1, err)
			}
			if audits, events := counts(t, s, u.ID); audits != 1 || events != 1 {
				t.Errorf("user %d: %d audit records, %d events; want 1 and 1", i+1, audits, events)
			}
			if found, err := svc.FindUser(ctx, inst, "cf:employee_no", fmt.Sprintf("E%d", i+1)); err != nil || found.ID != u.ID {
				t.Errorf("user %d by its unique custom value: %v, %v", i+1, found, err)
			}
		}

		// One invalid user of a batch is named by its index; nothing of
		// the batch can be written.
		for _, tc := range []struct {
			name  string
			spoil func(c *eiam.ProfileChange)
			field string
		}{
			{"invalid email", func(c *eiam.ProfileChange) { c.SetAttr(eiam.AttrEmail, "not-an-email") }, "email"},
			{"unknown unit", func(c *eiam.ProfileChange) { ou := "ou_nope"; c.PrimaryOUID = &ou }, "organizational_unit_id"},
			{"weak password", func(c *eiam.ProfileChange) { pw := "short"; c.Password = &pw }, "password"},
		} {
			bad := fullChange(11)
			tc.spoil(bad)
			_, err := svc.PrepareUsers(ctx, inst, []directory.NewUser{{Change: fullChange(10)}, {Change: bad}}, admin, origin)
			var ie *directory.ItemError
			if !errors.As(err, &ie) || ie.Index != 1 || eiam.AsError(ie.Err).Field != tc.field {
				t.Errorf("%s: %v; want an ItemError at index 1 on %s", tc.name, err, tc.field)
			}
		}
	})
}
