package acssign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testVerifier(now *time.Time) *Verifier {
	return &Verifier{
		Secret: func(_ context.Context, p *Parsed) (string, error) {
			if p.AccessKeyID != testAK {
				return "", &Error{Code: CodeInvalidAccessKeyNotFound, Message: "Specified access key is not found."}
			}
			return testSecret, nil
		},
		Nonces: NewMemoryNonces(100, func() time.Time { return *now }),
		Now:    func() time.Time { return *now },
	}
}

func TestAuthenticate(t *testing.T) {
	for name, mk := range map[string]func(time.Time) *Request{"v1": newV1, "v3": newV3, "authing": newAuthing} {
		t.Run(name, func(t *testing.T) {
			now := testNow
			v := testVerifier(&now)
			ctx := context.Background()
			p, err := v.Authenticate(ctx, mk(testNow))
			if err != nil {
				t.Fatalf("first: %v", err)
			}
			if p.AccessKeyID != testAK || string(p.Scheme) != name {
				t.Errorf("parsed %+v", p)
			}
			// Replaying within the window is refused…
			now = testNow.Add(10 * time.Minute)
			if _, err := v.Authenticate(ctx, mk(testNow)); ErrorCode(err) != CodeSignatureNonceUsed {
				t.Errorf("replay: %v", err)
			}
			// …and after it the timestamp is too old anyway.
			now = testNow.Add(16 * time.Minute)
			if _, err := v.Authenticate(ctx, mk(testNow)); ErrorCode(err) != CodeInvalidTimeStampExpired {
				t.Errorf("late replay: %v", err)
			}
			// A bad signature must not burn the nonce of a later good request.
			now = testNow
			v = testVerifier(&now)
			bad := mk(testNow)
			bad.Header.Set("x-acs-action", "tampered")
			bad.Header.Set("x-authing-lang", "tampered")
			if bad.Query != nil {
				bad.Query.Set("Action", "tampered")
			}
			if _, err := v.Authenticate(ctx, bad); ErrorCode(err) != CodeSignatureDoesNotMatch {
				t.Fatalf("tampered: %v", err)
			}
			if _, err := v.Authenticate(ctx, mk(testNow)); err != nil {
				t.Errorf("good after bad: %v", err)
			}
		})
	}
}

func TestAuthenticateUnknownKey(t *testing.T) {
	now := testNow
	v := testVerifier(&now)
	r := newV3(testNow)
	r.Header.Del("Authorization")
	SignRequestV3(r, "AKother", testSecret, "n", testNow)
	if _, err := v.Authenticate(context.Background(), r); ErrorCode(err) != CodeInvalidAccessKeyNotFound {
		t.Errorf("got %v", err)
	}
}

type failingNonces struct{}

func (failingNonces) Claim(context.Context, string, string, time.Duration) (bool, error) {
	return false, errors.New("db down")
}

func TestAuthenticateNonceStoreError(t *testing.T) {
	now := testNow
	v := testVerifier(&now)
	v.Nonces = failingNonces{}
	_, err := v.Authenticate(context.Background(), newV1(testNow))
	if err == nil || ErrorCode(err) != "" {
		t.Errorf("got %v, want an internal (non-*Error) error", err)
	}
}

// TestEndToEnd sends requests signed by the Sign* helpers over real HTTP and
// authenticates them from the server side through NewRequest.
func TestEndToEnd(t *testing.T) {
	now := testNow
	v := testVerifier(&now)
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		body, _ := io.ReadAll(hr.Body)
		r, err := NewRequest(hr, body)
		if err == nil {
			var p *Parsed
			if p, err = v.Authenticate(hr.Context(), r); err == nil {
				got.Store(p)
			}
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	host := srv.Listener.Addr().String()

	cases := map[string]func() *Request{
		"v1 GET": func() *Request {
			r := &Request{Method: "GET", Path: "/", Query: url.Values{"Action": {"GetUser"}, "Version": {"2021-12-01"}, "UserId": {"a b+c*~!'()中"}}}
			SignRequestV1(r, testAK, testSecret, "e2e-1", testNow)
			return r
		},
		"v1 POST form": func() *Request {
			r := &Request{Method: "POST", Path: "/", Query: url.Values{"Action": {"UpdateUser"}}, Form: url.Values{"DisplayName": {"x y"}}}
			SignRequestV1(r, testAK, testSecret, "e2e-2", testNow)
			return r
		},
		"v3 POST form": func() *Request {
			r := &Request{Method: "POST", Path: "/", Host: host, Query: url.Values{"InstanceId": {"i 1"}}, Header: http.Header{}}
			r.Body = []byte("UserId=u+1&Name=%E4%B8%AD")
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("x-acs-action", "UpdateUser")
			r.Header.Set("x-acs-version", "2021-12-01")
			SignRequestV3(r, testAK, testSecret, "e2e-3", testNow)
			return r
		},
		"authing GET array": func() *Request {
			r := &Request{Method: "GET", Path: "/api/v3/get-user-batch", Query: url.Values{"userIds[]": {"u1", "u 2"}, "withCustomData": {"true"}}}
			if err := SignRequestAuthing(r, testAK, testSecret, "e2e-4", testNow); err != nil {
				t.Fatal(err)
			}
			return r
		},
		"authing POST": func() *Request {
			r := &Request{Method: "POST", Path: "/api/v3/update-user", Body: []byte(`{"userId":"u1","customData":{"b":1,"a":"<&>"}}`)}
			if err := SignRequestAuthing(r, testAK, testSecret, "e2e-5", testNow); err != nil {
				t.Fatal(err)
			}
			return r
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			hr, err := mk().NewHTTPRequest(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, msg)
			}
		})
	}
	if p, _ := got.Load().(*Parsed); p == nil {
		t.Fatal("server saw nothing")
	}
}

func TestMemoryNonces(t *testing.T) {
	ctx := context.Background()
	now := testNow
	m := NewMemoryNonces(3, func() time.Time { return now })
	claim := func(ak, n string, ttl time.Duration) (bool, error) { return m.Claim(ctx, ak, n, ttl) }

	if ok, err := claim("ak", "n1", time.Minute); !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, _ := claim("ak", "n1", time.Minute); ok {
		t.Error("second claim succeeded")
	}
	if ok, _ := claim("ak2", "n1", time.Minute); !ok {
		t.Error("nonces are per access key")
	}
	// "a"+"\x00b" vs "a\x00"+"b" style collisions cannot happen with the
	// separator, and a different split is a different key.
	if ok, _ := claim("ak", "n2", 2*time.Minute); !ok {
		t.Error("n2")
	}
	if _, err := claim("ak", "n3", time.Minute); !errors.Is(err, ErrNonceStoreFull) {
		t.Errorf("over limit: %v", err)
	}
	now = now.Add(time.Minute) // n1 entries expire, n2 stays
	if m.Len() != 3 {
		t.Errorf("Len before sweep = %d", m.Len())
	}
	if ok, err := claim("ak", "n1", time.Minute); !ok || err != nil {
		t.Errorf("claim after expiry: %v %v", ok, err)
	}
	if m.Len() != 2 {
		t.Errorf("Len after sweep = %d, want 2", m.Len())
	}
	if ok, _ := claim("ak", "n2", time.Minute); ok {
		t.Error("n2 expired early")
	}
	if _, err := claim("ak", "n4", 0); err == nil {
		t.Error("zero ttl accepted")
	}
}

func TestMemoryNoncesConcurrent(t *testing.T) {
	m := NewMemoryNonces(0, nil)
	const workers, nonces = 8, 200
	var fresh atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < nonces; i++ {
				ok, err := m.Claim(context.Background(), "ak", fmt.Sprint(i), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					fresh.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if fresh.Load() != nonces {
		t.Errorf("%d fresh claims, want exactly %d", fresh.Load(), nonces)
	}
}
