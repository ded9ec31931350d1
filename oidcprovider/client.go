package oidcprovider

import (
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/eiam/eiam"
)

// client adapts an application to op.Client. An application with a secret
// is a confidential web client (client_secret_basic or _post); one without
// is a public native client, which must use PKCE.
type client struct {
	app    *eiam.Application
	issuer string
	idTTL  time.Duration
}

var _ op.Client = (*client)(nil)

func (c *client) confidential() bool               { return c.app.SecretHash != "" }
func (c *client) GetID() string                    { return c.app.ClientID }
func (c *client) RedirectURIs() []string           { return c.app.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.app.RedirectURIs }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) AccessTokenType() op.AccessTokenType {
	// JWTs, so that the other doors of eiam (and resource servers with
	// only the JWKS) can verify them too.
	return op.AccessTokenTypeJWT
}
func (c *client) IDTokenLifetime() time.Duration { return c.idTTL }
func (c *client) DevMode() bool                  { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed is asked about scopes beyond the standard OpenID ones:
// an application gets those it was granted.
func (c *client) IsScopeAllowed(scope string) bool { return c.app.HasScope(scope) }

// IDTokenUserinfoClaimsAssertion puts the scopes' claims into the ID token
// even when an access token is issued, as Keycloak does: most relying
// parties read the email and name from the ID token and never call
// userinfo.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

func (c *client) ApplicationType() op.ApplicationType {
	if c.confidential() {
		return op.ApplicationTypeWeb
	}
	return op.ApplicationTypeNative
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.confidential() {
		return oidc.AuthMethodBasic
	}
	return oidc.AuthMethodNone
}

func (c *client) GrantTypes() []oidc.GrantType {
	g := []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	if c.confidential() {
		g = append(g, oidc.GrantTypeClientCredentials)
	}
	return g
}

// LoginURL is eiam's sign-in page for the request.
func (c *client) LoginURL(authRequestID string) string {
	return c.issuer + "/login?authRequestID=" + url.QueryEscape(authRequestID)
}
