package oidcprovider

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/eiam/eiam"
)

// Every request type knows the session its tokens point at, so that the
// claims hooks (which the op package calls with the request, not the
// token id) can put "sid" into the tokens.
type sessionBound interface {
	sessionID() string
}

// amrPassword is the only authentication method eiam's sign-in page has.
var amrPassword = []string{"pwd"}

// authRequest adapts an authorization request to op.AuthRequest.
type authRequest struct {
	r *eiam.AuthRequest
}

var (
	_ op.AuthRequest = authRequest{}
	_ sessionBound   = authRequest{}
)

func (a authRequest) GetID() string          { return a.r.ID }
func (a authRequest) GetACR() string         { return "" }
func (a authRequest) GetAMR() []string       { return amrPassword }
func (a authRequest) GetAudience() []string  { return []string{a.r.ClientID} }
func (a authRequest) GetAuthTime() time.Time { return a.r.AuthTime }
func (a authRequest) GetClientID() string    { return a.r.ClientID }
func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.r.CodeChallenge, Method: oidc.CodeChallengeMethod(a.r.CodeChallengeMethod)}
}
func (a authRequest) GetNonce() string                   { return a.r.Nonce }
func (a authRequest) GetRedirectURI() string             { return a.r.RedirectURI }
func (a authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.r.ResponseType) }
func (a authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.r.ResponseMode) }
func (a authRequest) GetScopes() []string                { return a.r.Scopes }
func (a authRequest) GetState() string                   { return a.r.State }
func (a authRequest) GetSubject() string                 { return a.r.UserID }
func (a authRequest) Done() bool                         { return a.r.Done() }
func (a authRequest) sessionID() string                  { return a.r.SessionID }

// refreshRequest is a session presented with its current refresh token.
type refreshRequest struct {
	s        *eiam.Session
	clientID string
	scopes   []string
}

var (
	_ op.RefreshTokenRequest = (*refreshRequest)(nil)
	_ sessionBound           = (*refreshRequest)(nil)
)

func (r *refreshRequest) GetAMR() []string                 { return amrPassword }
func (r *refreshRequest) GetAudience() []string            { return []string{r.clientID} }
func (r *refreshRequest) GetAuthTime() time.Time           { return r.s.CreatedAt }
func (r *refreshRequest) GetClientID() string              { return r.clientID }
func (r *refreshRequest) GetScopes() []string              { return r.scopes }
func (r *refreshRequest) GetSubject() string               { return r.s.UserID }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.scopes = scopes }
func (r *refreshRequest) sessionID() string                { return r.s.ID }

// clientRequest is a client_credentials grant; its session is created
// with its access token.
type clientRequest struct {
	app    *eiam.Application
	scopes []string
	sid    string
}

var (
	_ op.TokenRequest = (*clientRequest)(nil)
	_ sessionBound    = (*clientRequest)(nil)
)

func (c *clientRequest) GetSubject() string    { return c.app.ID }
func (c *clientRequest) GetAudience() []string { return []string{c.app.ClientID} }
func (c *clientRequest) GetScopes() []string   { return c.scopes }
func (c *clientRequest) sessionID() string     { return c.sid }
