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

func testAuthRequests(t *testing.T, s eiam.Store) {
	f := newFixture(t, s)
	ctx := context.Background()
	now := t0()
	in := &eiam.AuthRequest{ID: eiam.NewID("ar"), InstanceID: f.inst, ClientID: "app_a",
		RedirectURI: "https://rp.example/cb", Scopes: []string{"openid", "offline_access"}, State: "st", Nonce: "n",
		ResponseType: "code", CodeChallenge: "abc", CodeChallengeMethod: "S256", LoginHint: "zhangsan",
		CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	if err := s.CreateAuthRequest(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAuthRequest(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RedirectURI != in.RedirectURI || strings.Join(got.Scopes, " ") != "openid offline_access" ||
		got.CodeChallenge != "abc" || got.Nonce != "n" || got.LoginHint != "zhangsan" || got.Done() ||
		!got.ExpiresAt.Equal(in.ExpiresAt) {
		t.Fatalf("auth request round trip: %+v", got)
	}
	if ok, err := s.SetAuthCode(ctx, in.ID, "code1"); err != nil || ok {
		t.Fatalf("SetAuthCode before sign-in = %v, %v; want refused", ok, err)
	}
	if ok, err := s.CompleteAuthRequest(ctx, in.ID, "user_a", "sid_1", now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("CompleteAuthRequest = %v, %v", ok, err)
	}
	if ok, _ := s.CompleteAuthRequest(ctx, in.ID, "user_b", "sid_2", now.Add(time.Minute)); ok {
		t.Fatal("a completed request was completed again for another user")
	}
	if ok, err := s.SetAuthCode(ctx, in.ID, "code1"); err != nil || !ok {
		t.Fatalf("SetAuthCode = %v, %v", ok, err)
	}
	if ok, _ := s.SetAuthCode(ctx, in.ID, "code2"); ok {
		t.Fatal("a second code was attached to one request")
	}
	got, err = s.GetAuthRequestByCode(ctx, "code1")
	if err != nil || got.ID != in.ID || got.UserID != "user_a" || got.SessionID != "sid_1" || !got.Done() {
		t.Fatalf("GetAuthRequestByCode = %+v, %v", got, err)
	}
	if _, err := s.GetAuthRequestByCode(ctx, "code2"); eiam.ErrorCode(err) != eiam.ErrNotFound {
		t.Fatalf("GetAuthRequestByCode(unknown) = %v", err)
	}
	// Redemptions of one code race: exactly one wins.
	var wg sync.WaitGroup
	var wins sync.Map
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.RedeemAuthRequest(ctx, in.ID)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Store(i, true)
			}
		}()
	}
	wg.Wait()
	n := 0
	wins.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d of 8 concurrent redemptions won; want 1", n)
	}
	if got, err := s.GetAuthRequestByCode(ctx, "code1"); err != nil || !got.Redeemed {
		t.Fatalf("a redeemed request must stay readable, marked, until it expires: %+v, %v", got, err)
	}
}

// testEndSessions: a change that ends the user's sessions (disabling)
// revokes them in its own transaction; other users' sessions live on.
func testEndSessions(t *testing.T, s eiam.Store) {
	f := newFixture(t, s)
	ctx := context.Background()
	u := f.create(t, f.user("ender"))
	other := f.create(t, f.user("bystander"))
	mk := func(userID string) string {
		ss := &eiam.Session{ID: eiam.NewID("sid"), InstanceID: f.inst, Kind: eiam.SessionUser, UserID: userID,
			ApplicationID: "a", CreatedAt: t0(), ExpiresAt: t0().Add(time.Hour)}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		return ss.ID
	}
	mine, theirs := mk(u.ID), mk(other.ID)
	_, err := s.UpdateUser(ctx, f.inst, u.ID, func(cur *eiam.User) (*eiam.Commit, error) {
		next := cur.Clone()
		next.Status = eiam.StatusDisabled
		next.Version = cur.Version + 1
		next.UpdatedAt = f.now()
		c := commit(cur, next, eiam.ActionUserUpdate, "user.updated")
		c.EndSessions = true
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSession(ctx, mine); got.Live(t0().Add(time.Minute)) {
		t.Fatal("the disabled user's session is still live")
	}
	if got, _ := s.GetSession(ctx, theirs); !got.Live(t0().Add(time.Minute)) {
		t.Fatal("another user's session was revoked")
	}
}
