package token_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/storetest"
	"github.com/eiam/eiam/token"
)

const (
	inst   = "idaas_tok"
	appID  = "app_tok"
	userID = "user_tok"
	public = "https://id.example.com"
)

type env struct {
	store eiam.Store
	auth  *token.Authority
	now   time.Time
	sess  *eiam.Session
	tok   string
}

func setup(t testing.TB, s eiam.Store) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{store: s, now: time.Now().UTC().Truncate(time.Second)}
	if _, err := s.PutInstance(ctx, &eiam.Instance{ID: inst, Name: "T"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutApplication(ctx, &eiam.Application{InstanceID: inst, ID: appID, ClientID: appID, Name: "A"}); err != nil {
		t.Fatal(err)
	}
	in, _ := s.GetInstance(ctx, inst)
	u := &eiam.User{InstanceID: inst, ID: userID, Version: 1, Status: eiam.StatusEnabled, PrimaryOUID: in.RootOUID,
		Attrs: map[eiam.Attribute]string{eiam.AttrUsername: "tok"}, CustomFields: map[string][]string{},
		CreatedAt: e.now, UpdatedAt: e.now}
	if err := s.CreateUser(ctx, &eiam.Commit{User: u, Claims: []eiam.Claim{eiam.UsernameClaim("tok")},
		Audit: eiam.AuditRecord{ID: eiam.NewID("aud"), InstanceID: inst, UserID: userID, Action: eiam.ActionUserCreate, Version: 1, At: e.now},
		Event: eiam.ChangeEvent{InstanceID: inst, UserID: userID, Type: "user.created", Version: 1, At: e.now}}); err != nil {
		t.Fatal(err)
	}
	e.auth = token.New(s, token.Options{PublicURL: public, Clock: func() time.Time { return e.now }})
	if err := e.auth.EnsureKey(ctx); err != nil {
		t.Fatal(err)
	}
	var err error
	e.sess, err = e.auth.StartSession(ctx, &eiam.Session{InstanceID: inst, Kind: eiam.SessionUser, UserID: userID, ApplicationID: appID}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := e.auth.IssueAccess(ctx, e.sess, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.tok = iss.Token
	return e
}

var want = token.Expect{InstanceID: inst, Audience: appID, Use: token.UseAccess}

func refused(t *testing.T, e *env, tok string, exp token.Expect, why string) {
	t.Helper()
	_, err := e.auth.Verify(context.Background(), tok, exp)
	if eiam.ErrorCode(err) != eiam.ErrUnauthenticated {
		t.Errorf("%s: Verify = %v, want unauthenticated", why, err)
	}
}

func TestVerifyAcceptsItsOwnToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		e := setup(t, s)
		p, err := e.auth.Verify(context.Background(), e.tok, want)
		if err != nil {
			t.Fatal(err)
		}
		if p.UserID != userID || p.InstanceID != inst || p.ApplicationID != appID || p.User != nil || p.Claims.Issuer != public+"/instances/"+inst {
			t.Fatalf("principal %+v", p)
		}
		withUser := want
		withUser.User = true
		p, err = e.auth.Verify(context.Background(), e.tok, withUser)
		if err != nil {
			t.Fatal(err)
		}
		if p.User == nil || p.User.ID != userID || p.User.Username() != "tok" {
			t.Fatalf("Expect.User: principal %+v, user %+v", p, p.User)
		}
	})
}

// claimsOf decodes a token's payload without verifying it.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("at+jwt")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestForgedTokensAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		e := setup(t, s)
		ctx := context.Background()
		// The genuine token verifies first, so that its signature is
		// remembered: no forgery below may pass for it.
		if _, err := e.auth.Verify(ctx, e.tok, want); err != nil {
			t.Fatal(err)
		}
		claims := claimsOf(t, e.tok)
		set, err := e.auth.JWKS(ctx)
		if err != nil || len(set.Keys) != 1 {
			t.Fatalf("JWKS = %v, %v", set, err)
		}
		kid := set.Keys[0].KeyID
		pub := set.Keys[0].Key.(*rsa.PublicKey)

		// alg "none": header and payload with an empty signature.
		hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt","kid":"` + kid + `"}`))
		payload := strings.Split(e.tok, ".")[1]
		refused(t, e, hdr+"."+payload+".", want, "alg none")

		// HS256 keyed with the public key (the classic algorithm confusion).
		pubDER, _ := json.Marshal(jose.JSONWebKey{Key: pub})
		refused(t, e, sign(t, jose.HS256, pubDER, kid, claims), want, "HS256 with the public key as secret")

		// A key of our own making, claiming our kid.
		foreign, _ := rsa.GenerateKey(rand.Reader, 2048)
		refused(t, e, sign(t, jose.RS256, foreign, kid, claims), want, "foreign key with our kid")
		refused(t, e, sign(t, jose.RS256, foreign, "k_unknown", claims), want, "foreign key, unknown kid")

		// Tampered payload, original signature.
		parts := strings.Split(e.tok, ".")
		claims2 := claimsOf(t, e.tok)
		claims2["sub"] = "user_other"
		p2, _ := json.Marshal(claims2)
		refused(t, e, parts[0]+"."+base64.RawURLEncoding.EncodeToString(p2)+"."+parts[2], want, "tampered payload")

		refused(t, e, e.tok, token.Expect{InstanceID: inst, Audience: "app_other", Use: token.UseAccess}, "wrong audience")
		refused(t, e, e.tok, token.Expect{InstanceID: "idaas_other", Audience: appID}, "another instance")
		refused(t, e, e.tok, token.Expect{InstanceID: inst, Audience: appID, Use: token.UseID}, "access token used as id token")
		refused(t, e, "not.a.jwt", want, "garbage")
		refused(t, e, "", want, "empty")

		// Expired: move the clock past the token's life and the leeway.
		saved := e.now
		e.now = e.now.Add(3 * time.Hour)
		refused(t, e, e.tok, want, "expired")
		e.now = saved
		if _, err := e.auth.Verify(ctx, e.tok, want); err != nil {
			t.Fatalf("the genuine token after the forgeries: %v", err)
		}
	})
}

func TestTokensDieWithTheirUserAndSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		ctx := context.Background()
		apply := func(e *env, mutate func(u *eiam.User)) {
			t.Helper()
			if _, err := s.UpdateUser(ctx, inst, userID, func(cur *eiam.User) (*eiam.Commit, error) {
				next := cur.Clone()
				mutate(next)
				next.Version = cur.Version + 1
				return &eiam.Commit{User: next, OldClaims: []eiam.Claim{eiam.UsernameClaim(cur.Username())}, Claims: []eiam.Claim{eiam.UsernameClaim(next.Username())},
					Audit: eiam.AuditRecord{ID: eiam.NewID("aud"), InstanceID: inst, UserID: userID, Action: eiam.ActionUserUpdate, Version: next.Version, At: e.now},
					Event: eiam.ChangeEvent{InstanceID: inst, UserID: userID, Type: "user.updated", Version: next.Version, At: e.now}}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		e := setup(t, s)
		if _, err := e.auth.Verify(ctx, e.tok, want); err != nil {
			t.Fatal(err)
		}
		apply(e, func(u *eiam.User) { u.Status = eiam.StatusDisabled })
		refused(t, e, e.tok, want, "disabled user")
		apply(e, func(u *eiam.User) { u.Status = eiam.StatusEnabled })
		if _, err := e.auth.Verify(ctx, e.tok, want); err != nil {
			t.Fatalf("re-enabled user's token: %v", err)
		}
		apply(e, func(u *eiam.User) { u.PasswordChangedAt = e.now.Add(time.Second) })
		refused(t, e, e.tok, want, "password changed after sign-in")

		e2 := setup(t, storetest.OpenSQLite(t))
		if err := e2.store.RevokeSession(ctx, e2.sess.ID, e2.now); err != nil {
			t.Fatal(err)
		}
		refused(t, e2, e2.tok, want, "revoked session")
	})
}

func TestRotationKeepsOldTokensAndPublishesFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		e := setup(t, s)
		ctx := context.Background()
		k, err := e.auth.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := e.auth.JWKS(ctx)
		if len(set.Keys) != 2 {
			t.Fatalf("after rotation JWKS has %d keys, want old and new", len(set.Keys))
		}
		// The new key is published but does not sign before ActiveAt.
		iss, _ := e.auth.IssueAccess(ctx, e.sess, nil)
		if strings.Contains(iss.Token, k.ID) || headerKid(t, iss.Token) == k.ID {
			t.Fatal("a key signed before its activation time")
		}
		e.now = k.ActiveAt.Add(time.Second)
		iss2, _ := e.auth.IssueAccess(ctx, e.sess, nil)
		if headerKid(t, iss2.Token) != k.ID {
			t.Fatal("the new key does not sign after activation")
		}
		// Tokens of the old key still verify until they expire.
		if _, err := e.auth.Verify(ctx, iss.Token, want); err != nil {
			t.Fatalf("old key's token refused right after rotation: %v", err)
		}
	})
}

func headerKid(t *testing.T, tok string) string {
	t.Helper()
	b, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(b, &h)
	return h.Kid
}

// BenchmarkVerify verifies one access token over and over, as the update
// APIs do on every request.
func BenchmarkVerify(b *testing.B) {
	storetest.EachB(b, func(b *testing.B, s eiam.Store) {
		e := setup(b, s)
		ctx := context.Background()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.auth.Verify(ctx, e.tok, want); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// lateReplica is the store as a replica sees it that listed the signing
// keys just before another replica stored the first one: its first
// ListSigningKeys answers that there are none.
type lateReplica struct {
	eiam.Store
	listed bool
}

func (s *lateReplica) ListSigningKeys(ctx context.Context) ([]*eiam.SigningKey, error) {
	if !s.listed {
		s.listed = true
		return nil, nil
	}
	return s.Store.ListSigningKeys(ctx)
}

// TestReplicasStartingTogetherShareOneKey starts two authorities on an
// empty database as replicas that start at once do, both finding no key:
// they end up with one key, and each accepts the other's tokens at once.
func TestReplicasStartingTogetherShareOneKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		e := setup(t, s) // the first replica
		ctx := context.Background()
		// The second starts a moment later, well within the time the
		// first waits before it reloads its keys on meeting an unknown one.
		e.now = e.now.Add(200 * time.Millisecond)
		clock := func() time.Time { return e.now }
		second := token.New(&lateReplica{Store: s}, token.Options{PublicURL: public, Clock: clock})
		if err := second.EnsureKey(ctx); err != nil {
			t.Fatal(err)
		}
		if keys, err := s.ListSigningKeys(ctx); err != nil || len(keys) != 1 {
			t.Errorf("%d signing keys (%v); want the one both replicas created", len(keys), err)
		}
		iss, err := second.IssueAccess(ctx, e.sess, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.auth.Verify(ctx, iss.Token, want); err != nil {
			t.Errorf("the first replica refuses the second's token: %v", err)
		}
		if _, err := second.Verify(ctx, e.tok, want); err != nil {
			t.Errorf("the second replica refuses the first's token: %v", err)
		}
	})
}
