package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// doorToken is a token issued through one door of eiam and the APIs that
// accept it.
type doorToken struct {
	door  string
	token string
	// user is false for the application's own client_credentials token,
	// which does not speak for the user.
	user bool
}

// tokenUse is one API that accepts tokens, asked with tok; it reports
// whether the API accepted it.
type tokenUse struct {
	name   string
	accept func(c *client, p *rp, tok string) bool
}

// get sends a GET and returns the status and the JSON body (nil if none).
func get(c *client, path string, hdr map[string]string) (int, map[string]any) {
	c.t.Helper()
	return request(c, "GET", path, "", hdr)
}

// request sends a request and returns the status and the JSON body (nil if
// none).
func request(c *client, method, path, body string, hdr map[string]string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	var out map[string]any
	_ = json.Unmarshal([]byte(readAll(c.t, resp)), &out)
	if resp.StatusCode >= 500 {
		c.t.Fatalf("%s %s: HTTP %d %v", method, path, resp.StatusCode, out)
	}
	return resp.StatusCode, out
}

// Every API of eiam that accepts a user's token, and what it accepts. The
// profile updates check the token without reading the user, so they see
// the token check alone, cached verdicts and all.
var userTokenUses = []tokenUse{
	{"bamboo profile", func(c *client, _ *rp, tok string) bool {
		status, out := get(c, "/api/v2/sdk/profile", bambooHeaders(tok))
		return status == 200 && out["user_name"] != nil
	}},
	{"authing get-profile", func(c *client, _ *rp, tok string) bool {
		_, out := get(c, "/api/v3/get-profile", map[string]string{"x-authing-app-id": qsApp, "authorization": tok})
		return out["statusCode"] == float64(200)
	}},
	{"oidc userinfo", func(_ *client, p *rp, tok string) bool {
		_, err := p.userinfo(&oauth2.Token{AccessToken: tok})
		return err == nil
	}},
	{"oidc introspection", func(_ *client, p *rp, tok string) bool {
		return p.introspect(tok)["active"] == true
	}},
	{"bamboo profile update", func(c *client, _ *rp, tok string) bool {
		status, out := request(c, "POST", "/api/v2/sdk/profile/update", `{"attr_nick_name":"zs"}`, bambooHeaders(tok))
		return status == 200 && out != nil && out["error_code"] == nil
	}},
	{"authing update-profile", func(c *client, _ *rp, tok string) bool {
		_, out := request(c, "POST", "/api/v3/update-profile", `{"nickname":"zs"}`,
			map[string]string{"x-authing-app-id": qsApp, "authorization": tok, "Content-Type": "application/json"})
		return out["statusCode"] == float64(200)
	}},
}

// The application's token is accepted by the developer API.
var appTokenUses = []tokenUse{
	{"alibaba-dev get user", func(c *client, _ *rp, tok string) bool {
		status, out := get(c, "/v2/"+qsInstance+"/"+qsApp+"/users/"+qsUser, map[string]string{"Authorization": "Bearer " + tok})
		return status == 200 && out["userId"] == qsUser
	}},
	{"oidc introspection", func(_ *client, p *rp, tok string) bool {
		return p.introspect(tok)["active"] == true
	}},
}

// issueAll signs in through every door that issues tokens.
func issueAll(t *testing.T, c *client, p *rp) []doorToken {
	t.Helper()
	c.signIn()
	oidcTok, _ := p.login()
	return []doorToken{
		{door: "bamboo login id_token", token: c.bambooToken, user: true},
		{door: "authing signin access_token", token: c.authingTok, user: true},
		{door: "oidc access_token", token: oidcTok.AccessToken, user: true},
		{door: "alibaba-dev client_credentials", token: c.devToken},
	}
}

func usesOf(d doorToken) []tokenUse {
	if d.user {
		if strings.HasPrefix(d.door, "bamboo") {
			// Bamboo's profile API takes its ID token; the others take
			// access tokens, but userinfo and introspection take any.
			return []tokenUse{userTokenUses[0], userTokenUses[2], userTokenUses[3], userTokenUses[4]}
		}
		return []tokenUse{userTokenUses[1], userTokenUses[2], userTokenUses[3], userTokenUses[5]}
	}
	return appTokenUses
}

// checkAll asserts that every API that accepts each token does (want) or
// does not (!want).
func checkAll(t *testing.T, c *client, p *rp, tokens []doorToken, want func(d doorToken) bool) {
	t.Helper()
	for _, d := range tokens {
		for _, u := range usesOf(d) {
			if got := u.accept(c, p, d.token); got != want(d) {
				t.Errorf("%s at %s: accepted = %v, want %v", d.door, u.name, got, want(d))
			}
		}
	}
}

// TestTokensDieWithTheirSessionAndUser: a revoked session's tokens, and a
// disabled user's, are refused at once by every API that accepts tokens,
// whichever door issued them — and enabling the user again does not revive
// them.
func TestTokensDieWithTheirSessionAndUser(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db testDB) {
		s := startServer(t, db.flags()...)
		defer s.stop(t)
		c := &client{t: t, base: s.base}
		p := newRP(t, s.base)
		all := func(doorToken) bool { return true }
		none := func(doorToken) bool { return false }

		t.Run("revoked session", func(t *testing.T) {
			tokens := issueAll(t, c, p)
			checkAll(t, c, p, tokens, all)
			// The application revokes each token at the issuer's RFC 7009
			// endpoint, whichever door issued it.
			for _, d := range tokens {
				p.revoke(d.token, "access_token")
			}
			checkAll(t, c, p, tokens, none)
		})

		t.Run("disabled user", func(t *testing.T) {
			tokens := issueAll(t, c, p)
			checkAll(t, c, p, tokens, all)
			c.rpc(url.Values{"Action": {"DisableUser"}, "InstanceId": {qsInstance}, "UserId": {qsUser}})
			// The user's tokens die; the application's own token lives on.
			userOnly := func(d doorToken) bool { return !d.user }
			checkAll(t, c, p, tokens, userOnly)
			c.rpc(url.Values{"Action": {"EnableUser"}, "InstanceId": {qsInstance}, "UserId": {qsUser}})
			checkAll(t, c, p, tokens, userOnly)
			// A new sign-in works again.
			checkAll(t, c, p, issueAll(t, c, p), all)
		})
	})
}
