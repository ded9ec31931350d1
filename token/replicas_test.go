package token_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/storetest"
	"github.com/eiam/eiam/token"
)

// TestVerifySeesChangesOfAnotherReplica: an authority verifies a token
// again and again without reading its session, user or application, and
// refuses it with the very next verification once another store on the
// same database (another replica) has revoked the session, disabled,
// deleted or re-passworded the user, or disabled the application.
func TestVerifySeesChangesOfAnotherReplica(t *testing.T) {
	storetest.EachPair(t, func(t *testing.T, a, b eiam.Store) {
		ctx := context.Background()
		counting := storetest.NewCounting(a)
		e := setup(t, counting)
		n := 0
		for _, tc := range []struct {
			name   string
			client bool
			change func(userID, sid, appID string) error
		}{
			{"session revoked", false, func(_, sid, _ string) error { return b.RevokeSession(ctx, sid, e.now) }},
			{"sessions of the user revoked", false, func(uid, _, _ string) error {
				_, err := b.RevokeUserSessions(ctx, inst, uid, e.now)
				return err
			}},
			{"user disabled", false, func(uid, _, _ string) error {
				return change(b, uid, func(u *eiam.User) { u.Status = eiam.StatusDisabled })
			}},
			{"password changed", false, func(uid, _, _ string) error {
				return change(b, uid, func(u *eiam.User) { u.PasswordChangedAt = e.now.Add(time.Second) })
			}},
			{"user deleted", false, func(uid, _, _ string) error {
				return b.DeleteUser(ctx, inst, uid, func(cur *eiam.User) (*eiam.Commit, error) {
					return &eiam.Commit{
						Audit: eiam.AuditRecord{ID: eiam.NewID("aud"), InstanceID: inst, UserID: uid, Action: eiam.ActionUserDelete, Version: cur.Version + 1, At: e.now},
						Event: eiam.ChangeEvent{InstanceID: inst, UserID: uid, Type: "user.deleted", Version: cur.Version + 1, At: e.now}}, nil
				})
			}},
			{"application disabled", true, func(_, _, appID string) error {
				return b.PutApplication(ctx, &eiam.Application{InstanceID: inst, ID: appID, ClientID: appID, Name: "A", Disabled: true})
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n++
				uid, app := "user_r"+string(rune('a'+n)), "app_r"+string(rune('a'+n))
				if err := a.PutApplication(ctx, &eiam.Application{InstanceID: inst, ID: app, ClientID: app, Name: "A"}); err != nil {
					t.Fatal(err)
				}
				createUser(t, a, uid)
				s := &eiam.Session{InstanceID: inst, Kind: eiam.SessionUser, UserID: uid, ApplicationID: app}
				if tc.client {
					s = &eiam.Session{InstanceID: inst, Kind: eiam.SessionClient, ApplicationID: app}
				}
				s, err := e.auth.StartSession(ctx, s, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				iss, err := e.auth.IssueAccess(ctx, s, nil)
				if err != nil {
					t.Fatal(err)
				}
				exp := token.Expect{InstanceID: inst, Audience: app, Use: token.UseAccess}
				if _, err := e.auth.Verify(ctx, iss.Token, exp); err != nil {
					t.Fatal(err)
				}
				reads := counting.Reads()
				for range 5 {
					if _, err := e.auth.Verify(ctx, iss.Token, exp); err != nil {
						t.Fatal(err)
					}
				}
				if got := counting.Reads(); !maps.Equal(got, reads) {
					t.Errorf("verifications with nothing changed read the database: %v, then %v", reads, got)
				}
				if err := tc.change(uid, s.ID, app); err != nil {
					t.Fatal(err)
				}
				refused(t, e, iss.Token, exp, tc.name+" through another replica")
			})
		}
	})
}

func createUser(t *testing.T, s eiam.Store, id string) {
	t.Helper()
	now := time.Now().UTC().Add(-time.Minute)
	u := &eiam.User{InstanceID: inst, ID: id, Version: 1, Status: eiam.StatusEnabled,
		Attrs: map[eiam.Attribute]string{eiam.AttrUsername: id}, CustomFields: map[string][]string{}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(context.Background(), &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim(id)},
		Audit: eiam.AuditRecord{ID: eiam.NewID("aud"), InstanceID: inst, UserID: id, Action: eiam.ActionUserCreate, Version: 1, At: now},
		Event: eiam.ChangeEvent{InstanceID: inst, UserID: id, Type: "user.created", Version: 1, At: now}}); err != nil {
		t.Fatal(err)
	}
}

// change updates a user through s the way the directory does.
func change(s eiam.Store, id string, mutate func(*eiam.User)) error {
	_, err := s.UpdateUser(context.Background(), inst, id, func(cur *eiam.User) (*eiam.Commit, error) {
		next := cur.Clone()
		mutate(next)
		next.Version = cur.Version + 1
		claims := []eiam.Claim{eiam.UsernameClaim(cur.Username())}
		return &eiam.Commit{User: next, OldClaims: claims, Claims: claims,
			Audit: eiam.AuditRecord{ID: eiam.NewID("aud"), InstanceID: inst, UserID: id, Action: eiam.ActionUserUpdate, Version: next.Version, At: time.Now()},
			Event: eiam.ChangeEvent{InstanceID: inst, UserID: id, Type: "user.updated", Version: next.Version, At: time.Now()}}, nil
	})
	return err
}
