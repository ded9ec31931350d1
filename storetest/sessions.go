package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam"
)

func testSessions(t *testing.T, s eiam.Store) {
	f := newFixture(t, s)
	ctx := context.Background()
	now := t0()
	in := &eiam.Session{ID: eiam.NewID("sid"), InstanceID: f.inst, Kind: eiam.SessionUser, UserID: "user_a",
		ApplicationID: "app_a", Scopes: []string{"openid", "profile"}, Dialect: "authing",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "user_a" || got.Kind != eiam.SessionUser || strings.Join(got.Scopes, " ") != "openid profile" ||
		!got.CreatedAt.Equal(now) || !got.Live(now.Add(time.Minute)) || got.Live(now.Add(2*time.Hour)) {
		t.Fatalf("session round trip: %+v", got)
	}
	other := *in
	other.ID = eiam.NewID("sid")
	if err := s.CreateSession(ctx, &other); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, in.ID, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSession(ctx, in.ID); got.Live(now.Add(2 * time.Minute)) {
		t.Fatal("revoked session still live")
	}
	n, err := s.RevokeUserSessions(ctx, f.inst, "user_a", now.Add(2*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("RevokeUserSessions = %d, %v; want the one still live", n, err)
	}
	if _, err := s.GetSession(ctx, "sid_missing"); eiam.ErrorCode(err) != eiam.ErrNotFound {
		t.Fatalf("GetSession(missing) = %v", err)
	}
}

func testRefreshRotation(t *testing.T, s eiam.Store) {
	f := newFixture(t, s)
	ctx := context.Background()
	ss := &eiam.Session{ID: eiam.NewID("sid"), InstanceID: f.inst, Kind: eiam.SessionUser, UserID: "u",
		ApplicationID: "a", CreatedAt: t0(), ExpiresAt: t0().Add(time.Hour), RefreshHash: "h0"}
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	// Sixteen clients present the same refresh token at once: one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.RotateRefresh(ctx, ss.ID, "h0", "h1-"+string(rune('a'+i)))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got, _ := s.GetSession(ctx, ss.ID)
	if wins != 1 || got.PrevRefreshHash != "h0" || !strings.HasPrefix(got.RefreshHash, "h1-") {
		t.Fatalf("%d rotations won; session %+v", wins, got)
	}
}

func testSigningKeys(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	k := &eiam.SigningKey{ID: eiam.NewID("k"), Algorithm: "RS256", PrivateKeyPEM: "-----BEGIN PRIVATE KEY-----\nsecret-material\n-----END PRIVATE KEY-----\n",
		CreatedAt: t0(), ActiveAt: t0()}
	if err := s.PutSigningKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	// Putting the key again changes its schedule only, never the private
	// key: replicas creating the first key at once rely on that.
	again := *k
	again.RetireAt = t0().Add(time.Hour)
	again.PrivateKeyPEM = "-----BEGIN PRIVATE KEY-----\nother-material\n-----END PRIVATE KEY-----\n"
	if err := s.PutSigningKey(ctx, &again); err != nil {
		t.Fatal(err)
	}
	k.RetireAt = again.RetireAt
	list, err := s.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got *eiam.SigningKey
	for _, l := range list {
		if l.ID == k.ID {
			got = l
		}
	}
	if got == nil || got.PrivateKeyPEM != k.PrivateKeyPEM || !got.RetireAt.Equal(k.RetireAt) {
		t.Fatalf("signing key round trip: %+v", got)
	}
	assertNotInRows(t, s, "secret-material")
}

func testNonces(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	scope := eiam.NewID("ak")
	exp := time.Now().Add(15 * time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimNonce(ctx, scope, "n1", exp)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				fresh++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if fresh != 1 {
		t.Fatalf("%d of 16 concurrent claims of one nonce succeeded, want 1", fresh)
	}
	if ok, _ := s.ClaimNonce(ctx, "other-"+scope, "n1", exp); !ok {
		t.Fatal("a nonce of another key was refused")
	}
	// An expired record can be claimed again.
	if ok, _ := s.ClaimNonce(ctx, scope, "old", time.Now().Add(-time.Second)); !ok {
		t.Fatal("first claim refused")
	}
	if ok, _ := s.ClaimNonce(ctx, scope, "old", exp); !ok {
		t.Fatal("an expired nonce record blocked a new claim")
	}
}

func testLoginFailures(t *testing.T, s eiam.Store) {
	f := newFixture(t, s)
	ctx := context.Background()
	lockAt3 := func(n int) time.Time {
		if n >= 3 {
			return t0().Add(time.Duration(n) * time.Minute)
		}
		return time.Time{}
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.RecordLoginFailure(ctx, f.inst, "u1", lockAt3); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, err := s.GetLoginState(ctx, f.inst, "u1")
	if err != nil || st.Failures != 5 || !st.LockedUntil.Equal(t0().Add(5*time.Minute)) {
		t.Fatalf("after 5 concurrent failures: %+v, %v", st, err)
	}
	if err := s.ResetLogin(ctx, f.inst, "u1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.GetLoginState(ctx, f.inst, "u1"); st.Failures != 0 || !st.LockedUntil.IsZero() {
		t.Fatalf("after reset: %+v", st)
	}
}

func assertNotInRows(t *testing.T, s eiam.Store, secret string) {
	t.Helper()
	raw, ok := s.(rawStore)
	if !ok {
		t.Fatalf("%T does not expose its rows", s)
	}
	if strings.Contains(dumpRows(t, raw), secret) {
		t.Errorf("%q is stored in clear", secret)
	}
}
