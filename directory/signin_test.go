package directory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/storetest"
)

// TestRehashOnSignIn: when the argon2id parameters change, the first
// sign-in that proves the password upgrades its hash, without a change to
// the user: same version, no audit record, same PasswordChangedAt, so no
// session ends.
func TestRehashOnSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		ctx := context.Background()
		svc := newService(t, s) // hashes with t=1
		c := &eiam.ProfileChange{}
		c.SetAttr(eiam.AttrUsername, "rehash")
		pw := "Old-params-pass1"
		c.Password = &pw
		u, err := svc.CreateUser(ctx, inst, "", c, admin, origin)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := s.GetUser(ctx, inst, u.ID)
		audits, _ := counts(t, s, u.ID)

		stronger, err := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16})
		if err != nil {
			t.Fatal(err)
		}
		rehasher, _ := s.(directory.Rehasher)
		signIn := &directory.SignIn{Store: s, Passwords: stronger, Rehash: rehasher}
		if _, err := signIn.Authenticate(ctx, inst, "rehash", pw); err != nil {
			t.Fatal(err)
		}
		after, _ := s.GetUser(ctx, inst, u.ID)
		if after.PasswordHash == before.PasswordHash || !strings.Contains(after.PasswordHash, ",t=2,") {
			t.Fatalf("hash not upgraded: %s", after.PasswordHash)
		}
		if after.Version != before.Version || !after.PasswordChangedAt.Equal(before.PasswordChangedAt) {
			t.Fatalf("a rehash changed the user: version %d→%d, password changed %v→%v",
				before.Version, after.Version, before.PasswordChangedAt, after.PasswordChangedAt)
		}
		if n, _ := counts(t, s, u.ID); n != audits {
			t.Fatalf("a rehash wrote %d audit records", n-audits)
		}
		if _, err := signIn.Authenticate(ctx, inst, "rehash", pw); err != nil {
			t.Fatalf("sign-in after the rehash: %v", err)
		}
		if _, err := signIn.Authenticate(ctx, inst, "rehash", "wrong"); eiam.ErrorCode(err) != eiam.ErrBadCredentials {
			t.Fatalf("wrong password after the rehash: %v", err)
		}
	})
}
