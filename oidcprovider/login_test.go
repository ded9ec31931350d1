package oidcprovider

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestBrowserCookie: under https the cookie cannot be planted from a
// sibling subdomain or over plain HTTP (__Host-: Secure, Path=/, no
// Domain); a browser that has one keeps it; a malformed one is replaced.
func TestBrowserCookie(t *testing.T) {
	for _, tc := range []struct {
		issuer, name string
		secure       bool
	}{
		{"https://iam.example.com/base/instances/idaas_a", "__Host-eiam_browser", true},
		{"http://127.0.0.1:8080/instances/idaas_a", "eiam_browser", false},
	} {
		rec := httptest.NewRecorder()
		id := browserID(rec, httptest.NewRequest(http.MethodGet, "/instances/idaas_a/login", nil), tc.issuer)
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("%s: %d cookies set, want 1", tc.issuer, len(cookies))
		}
		c := cookies[0]
		if c.Name != tc.name || c.Value != id || c.Path != "/" || c.Domain != "" || c.Secure != tc.secure ||
			!c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: cookie %+v; want %s=%s, Path=/, no Domain, Secure %v, HttpOnly, SameSite=Lax", tc.issuer, c, tc.name, id, tc.secure)
		}

		again := httptest.NewRequest(http.MethodGet, "/instances/idaas_a/login", nil)
		again.AddCookie(&http.Cookie{Name: tc.name, Value: id})
		rec = httptest.NewRecorder()
		if got := browserID(rec, again, tc.issuer); got != id || len(rec.Result().Cookies()) != 0 {
			t.Errorf("%s: a browser with the cookie got %q and %d new cookies; want its own and none", tc.issuer, got, len(rec.Result().Cookies()))
		}

		bad := httptest.NewRequest(http.MethodGet, "/instances/idaas_a/login", nil)
		bad.AddCookie(&http.Cookie{Name: tc.name, Value: "short"})
		rec = httptest.NewRecorder()
		if got := browserID(rec, bad, tc.issuer); got == "short" || len(rec.Result().Cookies()) != 1 {
			t.Errorf("%s: a malformed cookie was kept (%q)", tc.issuer, got)
		}
	}
}
