package oidcprovider

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// AppHostRoutes registers the OpenID Connect endpoints where Authing's SDKs
// look for them, at the application's host rather than under an issuer:
// /oidc/token (code and refresh token exchange, so Authing sign-in refresh
// tokens can be redeemed), /oidc/token/revocation and /oidc/me. They are
// the instance's own endpoints: the instance is the client's for the first
// two and the token's issuer for /oidc/me.
func (p *Provider) AppHostRoutes(handle func(pattern string, h http.Handler)) {
	handle("POST /oidc/token", p.byClient("/oauth/token"))
	handle("POST /oidc/token/revocation", p.byClient("/revoke"))
	me := p.byTokenIssuer("/userinfo")
	handle("GET /oidc/me", me)
	handle("POST /oidc/me", me)
}

// maxTokenForm bounds token endpoint bodies; they hold a few short fields.
const maxTokenForm = 64 << 10

// byClient forwards to an endpoint of the instance whose application the
// request authenticates as (Basic credentials or client_id in the form).
func (p *Provider) byClient(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, oidc.ErrInvalidRequest().WithDescription("cannot parse the form"))
			return
		}
		clientID := r.PostForm.Get("client_id")
		if id, _, ok := r.BasicAuth(); ok {
			if unescaped, err := url.QueryUnescape(id); err == nil {
				clientID = unescaped
			}
		}
		if clientID == "" {
			writeError(w, http.StatusUnauthorized, oidc.ErrInvalidClient().WithDescription("client_id missing"))
			return
		}
		app, err := p.opts.Store.FindApplicationByClientID(r.Context(), clientID)
		if err != nil {
			if eiam.ErrorCode(err) == eiam.ErrNotFound {
				writeError(w, http.StatusUnauthorized, oidc.ErrInvalidClient().WithDescription("unknown client"))
				return
			}
			p.opts.Log.Error("oidc app host", "error", err)
			writeError(w, http.StatusInternalServerError, oidc.ErrServerError())
			return
		}
		p.forward(w, r, app.InstanceID, path)
	})
}

// byTokenIssuer forwards to an endpoint of the instance that issued the
// bearer token (header, or access_token in the query or form). The issuer
// read here only routes; the endpoint verifies the token.
func (p *Provider) byTokenIssuer(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := wire.BearerToken(r.Header.Get("Authorization"))
		if raw == "" {
			r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
			_ = r.ParseForm()
			raw = r.Form.Get("access_token")
		}
		id := p.instanceOfToken(raw)
		if id == "" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, oidc.ErrAccessDenied().WithDescription("access token missing or invalid"))
			return
		}
		p.forward(w, r, id, path)
	})
}

// instanceOfToken reads, without verifying, the instance a JWT's issuer
// names; "" when it names none of this server's issuers.
func (p *Provider) instanceOfToken(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return ""
	}
	id, ok := strings.CutPrefix(c.Issuer, p.opts.Tokens.Issuer(""))
	if !ok || id == "" || strings.Contains(id, "/") {
		return ""
	}
	return id
}

func (p *Provider) forward(w http.ResponseWriter, r *http.Request, instanceID, path string) {
	ip := p.instanceOrError(w, r, instanceID, http.StatusUnauthorized)
	if ip == nil {
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = path, ""
	ip.handler.ServeHTTP(w, r2)
}
