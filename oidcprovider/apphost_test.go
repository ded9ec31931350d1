package oidcprovider

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/eiam/eiam/token"
)

func testProvider() *Provider {
	return New(Options{Tokens: token.New(nil, token.Options{PublicURL: "https://iam.example.com"})})
}

func jwtWithPayload(payload string) string {
	return "e30." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestInstanceOfToken(t *testing.T) {
	p := testProvider()
	for _, tc := range []struct {
		name, raw, want string
	}{
		{"issuer of an instance", jwtWithPayload(`{"iss":"https://iam.example.com/instances/idaas_1"}`), "idaas_1"},
		{"another server", jwtWithPayload(`{"iss":"https://evil.example.com/instances/idaas_1"}`), ""},
		{"nested path", jwtWithPayload(`{"iss":"https://iam.example.com/instances/a/b"}`), ""},
		{"no instance", jwtWithPayload(`{"iss":"https://iam.example.com/instances/"}`), ""},
		{"no issuer", jwtWithPayload(`{}`), ""},
		{"issuer not a string", jwtWithPayload(`{"iss":42}`), ""},
		{"not base64", "e30.!!!.c2ln", ""},
		{"two parts", "e30.e30", ""},
		{"empty", "", ""},
	} {
		if got := p.instanceOfToken(tc.raw); got != tc.want {
			t.Errorf("%s: instanceOfToken = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzInstanceOfToken: the router of /oidc/me reads untrusted tokens; it
// never panics and names an instance only when the issuer is one of ours.
func FuzzInstanceOfToken(f *testing.F) {
	f.Add(jwtWithPayload(`{"iss":"https://iam.example.com/instances/idaas_1"}`))
	f.Add("a.b.c")
	f.Add("")
	p := testProvider()
	f.Fuzz(func(t *testing.T, raw string) {
		id := p.instanceOfToken(raw)
		if id != "" && (strings.Contains(id, "/") || !strings.Contains(raw, ".")) {
			t.Fatalf("instanceOfToken(%q) = %q", raw, id)
		}
	})
}
