package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eiam/eiam"
)

// testSecurityEpoch: every change that can end a token's validity or make
// a cached application, access key or field definition stale increments
// the security epoch, and the changes of the hot path (profile updates, new
// sessions, refresh rotation) do not, or caching would gain nothing.
func testSecurityEpoch(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	u := f.create(t, f.user("epoch"))
	session := func(userID string) string {
		t.Helper()
		ss := &eiam.Session{ID: eiam.NewID("sid"), InstanceID: f.inst, Kind: eiam.SessionUser, UserID: userID,
			ApplicationID: "app_epoch", CreatedAt: t0(), ExpiresAt: t0().Add(time.Hour), RefreshHash: "h0"}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		return ss.ID
	}
	sid := session(u.ID)
	app := &eiam.Application{InstanceID: f.inst, ID: "app_epoch", Name: "Epoch", ClientID: "client_epoch_" + f.inst, CreatedAt: t0()}
	key := &eiam.AccessKey{ID: "LTAI" + randomHex(8), Secret: "s3cret", Actions: []string{"eiam:*"}, Instances: []string{"*"}, CreatedAt: t0()}
	field := &eiam.FieldDefinition{InstanceID: f.inst, ID: "ufd_epoch", Name: "epoch", DataType: eiam.TypeString,
		DisplayType: eiam.DisplayInput, UserPermission: eiam.PermReadWrite, CreatedAt: t0(), UpdatedAt: t0()}
	victim := f.create(t, f.user("deleted"))

	for _, tc := range []struct {
		name   string
		bumps  bool
		change func() error
	}{
		{"profile update", false, func() error {
			_, err := f.update(u.ID, func(n *eiam.User) { n.Attrs[eiam.AttrNickname] = "nick" })
			return err
		}},
		{"failed update", false, func() error {
			_, err := s.UpdateUser(ctx, f.inst, u.ID, func(*eiam.User) (*eiam.Commit, error) { return nil, errRefused })
			if !errors.Is(err, errRefused) {
				return err
			}
			return nil
		}},
		{"new session", false, func() error { session(u.ID); return nil }},
		{"refresh rotation", false, func() error {
			_, err := s.RotateRefresh(ctx, sid, "h0", "h1")
			return err
		}},
		{"revoke session", true, func() error { return s.RevokeSession(ctx, sid, t0().Add(time.Minute)) }},
		{"revoke a revoked session", false, func() error { return s.RevokeSession(ctx, sid, t0().Add(2*time.Minute)) }},
		{"revoke a user's sessions", true, func() error {
			session(u.ID)
			_, err := s.RevokeUserSessions(ctx, f.inst, u.ID, t0().Add(time.Minute))
			return err
		}},
		{"disable user", true, func() error {
			_, err := f.update(u.ID, func(n *eiam.User) { n.Status = eiam.StatusDisabled })
			return err
		}},
		{"enable user", true, func() error {
			_, err := f.update(u.ID, func(n *eiam.User) { n.Status = eiam.StatusEnabled })
			return err
		}},
		{"change password", true, func() error {
			_, err := f.update(u.ID, func(n *eiam.User) { n.PasswordHash, n.PasswordChangedAt = "$argon2id$new", f.now() })
			return err
		}},
		{"delete user", true, func() error { return f.delete(victim.ID) }},
		{"create application", true, func() error { return s.PutApplication(ctx, app) }},
		{"disable application", true, func() error {
			app.Disabled = true
			return s.PutApplication(ctx, app)
		}},
		{"create access key", true, func() error { return s.PutAccessKey(ctx, key) }},
		{"disable access key", true, func() error {
			key.Disabled = true
			return s.PutAccessKey(ctx, key)
		}},
		{"create field", true, func() error { return s.PutField(ctx, field) }},
		{"change field", true, func() error {
			field.Disabled = true
			return s.PutField(ctx, field)
		}},
		{"delete field", true, func() error { return s.DeleteField(ctx, f.inst, field.ID) }},
	} {
		before, err := s.SecurityEpoch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tc.change(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		after, err := s.SecurityEpoch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.bumps && after <= before:
			t.Errorf("%s: the security epoch stayed at %d; caches on other replicas would not see it", tc.name, before)
		case !tc.bumps && after != before:
			t.Errorf("%s: the security epoch moved from %d to %d; every cache would be dropped for nothing", tc.name, before, after)
		}
	}
}

var errRefused = errors.New("refused by apply")
