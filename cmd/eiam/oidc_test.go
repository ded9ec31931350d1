package main

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// The relying party of these tests is the quick-start application with the
// redirect URI it registered; nothing listens there: the browser stops at
// the redirect and hands the code over.
const qsRedirect = "http://127.0.0.1:9000/callback"

// rp is a standard OpenID Connect relying party (go-oidc + x/oauth2)
// configured only from the issuer's discovery document.
type rp struct {
	t        *testing.T
	ctx      context.Context
	issuer   string
	provider *oidc.Provider
	conf     oauth2.Config
}

func newRP(t *testing.T, base string) *rp {
	t.Helper()
	ctx := context.Background()
	issuer := base + "/instances/" + qsInstance
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{t: t, ctx: ctx, issuer: issuer, provider: provider, conf: oauth2.Config{
		ClientID: qsApp, ClientSecret: "change-me", Endpoint: provider.Endpoint(), RedirectURL: qsRedirect,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}}
}

// browser is a plain HTTP client that follows redirects until the relying
// party's redirect URI.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), qsRedirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// signInForm returns the hidden fields of a sign-in page's form, with the
// user's name and password; nil when the page has no form.
func signInForm(page, username, password string) url.Values {
	form := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("authRequestID") == "" {
		return nil
	}
	form.Set("username", username)
	form.Set("password", password)
	return form
}

// signIn runs the authorization request through the sign-in page and
// returns the redirect's query (code and state).
func (p *rp) signIn(b *http.Client, authURL, username, password string) url.Values {
	p.t.Helper()
	resp, err := b.Get(authURL)
	if err != nil {
		p.t.Fatal(err)
	}
	page := readAll(p.t, resp)
	if resp.StatusCode != 200 || !strings.Contains(page, "<form") {
		p.t.Fatalf("sign-in page: HTTP %d\n%s", resp.StatusCode, page)
	}
	form := signInForm(page, username, password)
	if form == nil {
		p.t.Fatalf("no authRequestID in the sign-in page:\n%s", page)
	}
	loginURL := resp.Request.URL.String()
	resp, err = b.PostForm(loginURL, form)
	if err != nil {
		p.t.Fatal(err)
	}
	body := readAll(p.t, resp)
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		p.t.Fatalf("sign-in: HTTP %d, want a redirect to the relying party\n%s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), qsRedirect) {
		p.t.Fatalf("sign-in redirected to %q, want %s", resp.Header.Get("Location"), qsRedirect)
	}
	return loc.Query()
}

// login is a whole authorization code + PKCE flow; it returns the tokens
// and the verified ID token.
func (p *rp) login() (*oauth2.Token, *oidc.IDToken) {
	p.t.Helper()
	verifier, state, nonce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	q := p.signIn(browser(p.t), p.conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)),
		"zhangsan", "S3cure-pass!")
	if q.Get("state") != state || q.Get("code") == "" {
		p.t.Fatalf("redirect query %v: want code and state %q", q, state)
	}
	tok, err := p.conf.Exchange(p.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		p.t.Fatalf("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := p.provider.Verifier(&oidc.Config{ClientID: qsApp}).Verify(p.ctx, raw)
	if err != nil {
		p.t.Fatalf("ID token: %v", err)
	}
	if id.Nonce != nonce || id.Subject != qsUser {
		p.t.Fatalf("ID token nonce %q subject %q; want %q and %s", id.Nonce, id.Subject, nonce, qsUser)
	}
	return tok, id
}

func (p *rp) userinfo(tok *oauth2.Token) (*oidc.UserInfo, error) {
	return p.provider.UserInfo(p.ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer"}))
}

func (p *rp) refresh(refreshToken string) (*oauth2.Token, error) {
	return p.conf.TokenSource(p.ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// endpoint returns an endpoint of the discovery document.
func (p *rp) endpoint(name string) string {
	var claims map[string]any
	if err := p.provider.Claims(&claims); err != nil {
		p.t.Fatal(err)
	}
	u, _ := claims[name].(string)
	if u == "" {
		p.t.Fatalf("discovery has no %s", name)
	}
	return u
}

// introspect asks the introspection endpoint (RFC 7662) about a token.
func (p *rp) introspect(tok string) map[string]any {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.endpoint("introspection_endpoint"), strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(qsApp, "change-me")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(readAll(p.t, resp)), &out); err != nil || resp.StatusCode != 200 {
		p.t.Fatalf("introspection: HTTP %d %v", resp.StatusCode, err)
	}
	return out
}

// revoke revokes a token at the revocation endpoint (RFC 7009).
func (p *rp) revoke(tok, hint string) {
	p.t.Helper()
	form := url.Values{"token": {tok}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	req, _ := http.NewRequest("POST", p.endpoint("revocation_endpoint"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(qsApp, "change-me")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	if body := readAll(p.t, resp); resp.StatusCode != 200 {
		p.t.Fatalf("revocation: HTTP %d %s", resp.StatusCode, body)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func oauthErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// TestOpenIDConnectRelyingParty is the end-to-end test: a standard
// relying party discovers an instance, runs authorization code + PKCE
// through the sign-in page with a plain HTTP client, verifies the ID token,
// refreshes and calls userinfo; then the failure paths a provider must get
// right.
func TestOpenIDConnectRelyingParty(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db testDB) {
		s := startServer(t, db.flags()...)
		defer s.stop(t)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server log:\n%s", s.stderr)
			}
		})
		p := newRP(t, s.base)

		tok, id := p.login()
		var idClaims struct {
			Email string `json:"email"`
			SID   string `json:"sid"`
		}
		if err := id.Claims(&idClaims); err != nil || idClaims.Email != "zhangsan@example.com" || idClaims.SID == "" {
			t.Fatalf("ID token claims %+v, %v: want the email and the session id", idClaims, err)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}

		info, err := p.userinfo(tok)
		if err != nil || info.Subject != qsUser || info.Email != "zhangsan@example.com" {
			t.Fatalf("userinfo = %+v, %v", info, err)
		}
		if in := p.introspect(tok.AccessToken); in["active"] != true || in["sub"] != qsUser || in["client_id"] != qsApp {
			t.Fatalf("introspection of a live token = %v", in)
		}

		// One machinery: the OIDC access token is accepted by the Authing
		// dialect's self-service API too.
		c := &client{t: t, base: s.base}
		out := c.do("GET", "/api/v3/get-profile", nil, map[string]string{"x-authing-app-id": qsApp, "authorization": "Bearer " + tok.AccessToken})
		if out["data"].(map[string]any)["userId"] != qsUser {
			t.Fatalf("Authing get-profile with the OIDC access token = %v", out)
		}

		// Refresh rotates the refresh token; the new access token works.
		tok2, err := p.refresh(tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if tok2.RefreshToken == "" || tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
			t.Fatal("refresh did not rotate the tokens")
		}
		if _, err := p.userinfo(tok2); err != nil {
			t.Fatalf("userinfo after refresh: %v", err)
		}

		// Reuse of the replaced refresh token is detected: refused, and the
		// whole session revoked, so the thief's and the victim's tokens die.
		if _, err := p.refresh(tok.RefreshToken); oauthErrorCode(err) != "invalid_grant" {
			t.Fatalf("reusing a refresh token: %v, want invalid_grant", err)
		}
		if _, err := p.userinfo(tok2); err == nil {
			t.Fatal("the session's access token still works after refresh-token reuse")
		}
		if _, err := p.refresh(tok2.RefreshToken); oauthErrorCode(err) != "invalid_grant" {
			t.Fatalf("the current refresh token after reuse: %v, want invalid_grant", err)
		}
		if in := p.introspect(tok2.AccessToken); in["active"] != false {
			t.Fatalf("introspection after reuse = %v, want inactive", in)
		}

		t.Run("revocation", func(t *testing.T) {
			tok, _ := p.login()
			p.revoke(tok.RefreshToken, "refresh_token")
			if _, err := p.userinfo(tok); err == nil {
				t.Fatal("access token works after its refresh token was revoked")
			}
			if _, err := p.refresh(tok.RefreshToken); err == nil {
				t.Fatal("revoked refresh token still refreshes")
			}
			p.revoke("not-a-token", "") // RFC 7009: an invalid token is not an error
		})

		t.Run("code replay revokes", func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			q := p.signIn(browser(t), p.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "zhangsan", "S3cure-pass!")
			tok, err := p.conf.Exchange(p.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.conf.Exchange(p.ctx, q.Get("code"), oauth2.VerifierOption(verifier)); oauthErrorCode(err) != "invalid_grant" {
				t.Fatalf("second exchange of one code: %v, want invalid_grant", err)
			}
			if _, err := p.userinfo(tok); err == nil {
				t.Fatal("tokens of a replayed code still work")
			}
		})

		t.Run("PKCE", func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			q := p.signIn(browser(t), p.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "zhangsan", "S3cure-pass!")
			if _, err := p.conf.Exchange(p.ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); oauthErrorCode(err) != "invalid_grant" {
				t.Fatalf("exchange with the wrong code_verifier: %v, want invalid_grant", err)
			}
			// The error goes back to the relying party's redirect URI.
			resp, err := browser(t).Get(p.conf.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", "abc"),
				oauth2.SetAuthURLParam("code_challenge_method", "plain")))
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if loc == nil || !strings.HasPrefix(loc.String(), qsRedirect) || loc.Query().Get("error") != "invalid_request" {
				t.Fatalf("plain PKCE: HTTP %d to %q, want invalid_request at the redirect URI", resp.StatusCode, resp.Header.Get("Location"))
			}
		})

		t.Run("wrong password", func(t *testing.T) {
			b := browser(t)
			resp, err := b.Get(p.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if err != nil {
				t.Fatal(err)
			}
			page := readAll(t, resp)
			form := signInForm(page, "zhangsan", "wrong")
			if form == nil {
				t.Fatalf("no sign-in form:\n%s", page)
			}
			resp, err = b.PostForm(resp.Request.URL.String(), form)
			if err != nil {
				t.Fatal(err)
			}
			page = readAll(t, resp)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Invalid username or password") || !strings.Contains(page, form.Get("authRequestID")) {
				t.Fatalf("wrong password: HTTP %d, want 401 with the message and the form again:\n%s", resp.StatusCode, page)
			}
			// The form shown again still signs in.
			if form = signInForm(page, "zhangsan", "S3cure-pass!"); form == nil {
				t.Fatalf("no form after the wrong password:\n%s", page)
			}
			resp, err = b.PostForm(resp.Request.URL.String(), form)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("code") == "" {
				t.Fatalf("the form shown again: HTTP %d to %q, want a code", resp.StatusCode, resp.Header.Get("Location"))
			}
		})

		t.Run("form posted from another browser", func(t *testing.T) {
			// Login CSRF: the attacker opens the form of a request of
			// their own, and has the victim's browser post it.
			attacker, victim := browser(t), browser(t)
			open := func(b *http.Client, state string) (loginURL string, form url.Values) {
				t.Helper()
				resp, err := b.Get(p.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
				if err != nil {
					t.Fatal(err)
				}
				page := readAll(t, resp)
				if form = signInForm(page, "zhangsan", "S3cure-pass!"); form == nil || form.Get("binding") == "" {
					t.Fatalf("no sign-in form with a binding:\n%s", page)
				}
				return resp.Request.URL.String(), form
			}
			refused := func(b *http.Client, loginURL string, form url.Values, what string) {
				t.Helper()
				resp, err := b.PostForm(loginURL, form)
				if err != nil {
					t.Fatal(err)
				}
				page := readAll(t, resp)
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "not opened in this browser") || strings.Contains(page, "<form") {
					t.Fatalf("%s: HTTP %d, want 403 without a form:\n%s", what, resp.StatusCode, page)
				}
			}
			state := oauth2.GenerateVerifier()
			loginURL, form := open(attacker, state)
			refused(victim, loginURL, form, "the whole form from another browser")
			unbound := url.Values{}
			for k, v := range form {
				if k != "binding" {
					unbound[k] = v
				}
			}
			refused(victim, loginURL, unbound, "the form without its binding from another browser")
			refused(attacker, loginURL, unbound, "the form without its binding from its own browser")
			// A binding is for one request: two forms open in one
			// browser do not take each other's.
			_, second := open(attacker, oauth2.GenerateVerifier())
			swapped := url.Values{}
			for k, v := range form {
				swapped[k] = v
			}
			swapped.Set("binding", second.Get("binding"))
			refused(attacker, loginURL, swapped, "the binding of another request")
			// The refused posts left the request pending: the browser
			// that opened the form still signs in with it.
			resp, err := attacker.PostForm(loginURL, form)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
				t.Fatalf("sign-in from the browser that opened the form: HTTP %d to %q, want a code", resp.StatusCode, resp.Header.Get("Location"))
			}
		})

		t.Run("client credentials", func(t *testing.T) {
			cc := clientcredentials.Config{ClientID: qsApp, ClientSecret: "change-me", TokenURL: p.provider.Endpoint().TokenURL,
				Scopes: []string{"urn:alibaba:idaas:scope:user:read_all"}}
			tok, err := cc.Token(p.ctx)
			if err != nil {
				t.Fatalf("client_credentials: %v", err)
			}
			in := p.introspect(tok.AccessToken)
			if in["active"] != true || in["client_id"] != qsApp || in["scope"] != "urn:alibaba:idaas:scope:user:read_all" {
				t.Fatalf("introspection of a client token = %v", in)
			}
			cc.ClientSecret = "wrong"
			if _, err := cc.Token(p.ctx); oauthErrorCode(err) != "invalid_client" {
				t.Fatalf("client_credentials with a wrong secret: %v, want invalid_client", err)
			}
			cc.ClientSecret, cc.Scopes = "change-me", []string{"urn:not:granted"}
			if _, err := cc.Token(p.ctx); oauthErrorCode(err) != "invalid_scope" {
				t.Fatalf("client_credentials with an ungranted scope: %v, want invalid_scope", err)
			}
		})

		t.Run("sign out", func(t *testing.T) {
			tok, _ := p.login()
			raw := tok.Extra("id_token").(string)
			resp, err := browser(t).Get(p.endpoint("end_session_endpoint") + "?id_token_hint=" + url.QueryEscape(raw) +
				"&post_logout_redirect_uri=" + url.QueryEscape(qsRedirect))
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if _, err := p.userinfo(tok); err == nil {
				t.Fatal("access token works after sign-out")
			}
		})
	})
}
