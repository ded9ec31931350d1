package oidcprovider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/token"
)

// storage is op.Storage for one instance.
type storage struct {
	p          *Provider
	instanceID string
	issuer     string
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

func (s *storage) now() time.Time { return s.p.opts.Clock().UTC() }

// refreshPrefix starts every refresh token, the Authing sign-in's included.
const refreshPrefix = "rt"

// errGone is the one answer for an authorization request or code that is
// unknown, expired, of another instance or already used.
func errGone() error {
	return oidc.ErrInvalidGrant().WithDescription("the authorization request or code is invalid, expired or already used")
}

// ---- applications ----

func (s *storage) application(ctx context.Context, clientID string) (*eiam.Application, error) {
	app, err := s.p.opts.Store.FindApplicationByClientID(ctx, clientID)
	if err != nil {
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return nil, fmt.Errorf("unknown client %q", clientID)
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if app.InstanceID != s.instanceID || app.Disabled {
		return nil, fmt.Errorf("unknown client %q", clientID)
	}
	return app, nil
}

func (s *storage) client(app *eiam.Application) *client {
	_, idTTL := s.p.opts.Tokens.Lifetimes()
	return &client{app: app, issuer: s.issuer, idTTL: idTTL}
}

// GetClientByClientID returns an application of this instance.
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	app, err := s.application(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return s.client(app), nil
}

// AuthorizeClientIDSecret checks a confidential client's secret (argon2id;
// a public client has none to present).
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	_, err := s.authenticateClient(ctx, clientID, secret)
	return err
}

func (s *storage) authenticateClient(ctx context.Context, clientID, secret string) (*eiam.Application, error) {
	app, err := s.application(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if app.SecretHash == "" {
		return nil, errors.New("a public client has no secret")
	}
	ok, _, err := s.p.opts.Secrets.Verify(app.SecretHash, secret)
	if err != nil || !ok {
		return nil, errors.New("wrong client secret")
	}
	return app, nil
}

// ClientCredentials authenticates a client_credentials grant.
func (s *storage) ClientCredentials(ctx context.Context, clientID, secret string) (op.Client, error) {
	app, err := s.authenticateClient(ctx, clientID, secret)
	if err != nil {
		return nil, err
	}
	return s.client(app), nil
}

// ClientCredentialsTokenRequest grants the scopes asked for, each of which
// the application must hold; none asked means all it holds.
func (s *storage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	app, err := s.application(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		scopes = app.Scopes
	}
	for _, sc := range scopes {
		if !app.HasScope(sc) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %q is not granted to this application", sc)
		}
	}
	return &clientRequest{app: app, scopes: scopes}, nil
}

// ---- authorization requests ----

// CreateAuthRequest records a request that passed the op package's checks
// of client and redirect URI. PKCE is required of public clients and, when
// sent, must be S256.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	app, err := s.application(ctx, req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	if req.CodeChallenge == "" && app.SecretHash == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge is required (PKCE with S256)")
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	now := s.now()
	r := &eiam.AuthRequest{
		ID: eiam.NewID("ar"), InstanceID: s.instanceID, ClientID: req.ClientID, RedirectURI: req.RedirectURI,
		Scopes: req.Scopes, State: req.State, Nonce: req.Nonce, ResponseType: string(req.ResponseType),
		ResponseMode: string(req.ResponseMode), CodeChallenge: req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod), LoginHint: req.LoginHint,
		CreatedAt: now, ExpiresAt: now.Add(s.p.opts.AuthRequestTTL),
	}
	if err := s.p.opts.Store.CreateAuthRequest(ctx, r); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return authRequest{r}, nil
}

// live returns r when it belongs to this instance and has not expired.
func (s *storage) live(r *eiam.AuthRequest, err error) (*eiam.AuthRequest, error) {
	if err != nil {
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return nil, errGone()
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if r.InstanceID != s.instanceID || !s.now().Before(r.ExpiresAt) {
		return nil, errGone()
	}
	return r, nil
}

// AuthRequestByID returns a live request.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.live(s.p.opts.Store.GetAuthRequest(ctx, id))
	if err != nil {
		return nil, err
	}
	return authRequest{r}, nil
}

// AuthRequestByCode returns the live request a code was issued for. A code
// presented again after it was redeemed has leaked: the session its tokens
// point at is revoked (RFC 6749 §4.1.2).
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.live(s.p.opts.Store.GetAuthRequestByCode(ctx, token.HashSecret(code)))
	if err != nil {
		return nil, err
	}
	if r.Redeemed {
		s.revoke(ctx, r.SessionID, "authorization code replayed")
		return nil, errGone()
	}
	return authRequest{r}, nil
}

// SaveAuthCode attaches the code (its hash: the database never holds a
// usable code) to a completed request, once.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	ok, err := s.p.opts.Store.SetAuthCode(ctx, id, token.HashSecret(code))
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if !ok {
		return errGone()
	}
	return nil
}

// DeleteAuthRequest is called by the op package once the code is
// exchanged. The request stays, marked redeemed, until it expires, so that
// a replay of its code is recognised; the purge removes it.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// redeem marks the code of a request redeemed. Of two concurrent
// redemptions of one code only one wins; the other means the code leaked,
// so the session its tokens point at is revoked (RFC 6749 §4.1.2).
func (s *storage) redeem(ctx context.Context, r authRequest) error {
	ok, err := s.p.opts.Store.RedeemAuthRequest(ctx, r.r.ID)
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if !ok {
		s.revoke(ctx, r.r.SessionID, "authorization code replayed")
		return errGone()
	}
	if _, err := s.p.opts.Tokens.Session(ctx, r.r.SessionID, s.instanceID, r.r.UserID); err != nil {
		return oidc.ErrInvalidGrant().WithDescription("the sign-in of this code is no longer valid")
	}
	return nil
}

func (s *storage) revoke(ctx context.Context, sid, why string) {
	if err := s.p.opts.Store.RevokeSession(ctx, sid, s.now()); err != nil {
		s.p.opts.Log.Error("revoke session", "session", sid, "reason", why, "error", err)
		return
	}
	s.p.opts.Log.Warn("session revoked", "session", sid, "reason", why, "instance", s.instanceID)
}

// ---- tokens ----

// accessExpiry is when an access token issued now for session s expires.
func (s *storage) accessExpiry(sess *eiam.Session) time.Time {
	accessTTL, _ := s.p.opts.Tokens.Lifetimes()
	exp := s.now().Add(accessTTL)
	if !sess.ExpiresAt.IsZero() && exp.After(sess.ExpiresAt) {
		exp = sess.ExpiresAt
	}
	return exp
}

// CreateAccessToken issues an access token without a refresh token: for a
// code without offline_access, or a client_credentials grant (which starts
// a client session that lives as long as its token).
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	switch r := req.(type) {
	case authRequest:
		if err := s.redeem(ctx, r); err != nil {
			return "", time.Time{}, err
		}
		sess, err := s.p.opts.Store.GetSession(ctx, r.r.SessionID)
		if err != nil {
			return "", time.Time{}, oidc.ErrServerError().WithParent(err)
		}
		return token.NewTokenID(sess.ID), s.accessExpiry(sess), nil
	case *clientRequest:
		accessTTL, _ := s.p.opts.Tokens.Lifetimes()
		sess, err := s.p.opts.Tokens.StartSession(ctx, &eiam.Session{InstanceID: s.instanceID, Kind: eiam.SessionClient,
			ApplicationID: r.app.ID, Scopes: r.scopes, Dialect: Dialect}, accessTTL)
		if err != nil {
			return "", time.Time{}, oidc.ErrServerError().WithParent(err)
		}
		r.sid = sess.ID
		return token.NewTokenID(sess.ID), sess.ExpiresAt, nil
	}
	return "", time.Time{}, oidc.ErrUnsupportedGrantType()
}

// CreateAccessAndRefreshTokens issues an access token and a new refresh
// token, for a code with offline_access or a refresh. The refresh token is
// rotated by compare-and-swap on the session: of two concurrent uses of one
// refresh token only one gets new tokens, and the other revokes the session
// (a refresh token used twice has leaked).
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	var sid, old string
	switch r := req.(type) {
	case authRequest:
		if err := s.redeem(ctx, r); err != nil {
			return "", "", time.Time{}, err
		}
		sid = r.r.SessionID
	case *refreshRequest:
		sid, old = r.s.ID, token.HashSecret(current)
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	secret, hash := token.NewSecret(refreshPrefix, sid)
	ok, err := s.p.opts.Store.RotateRefresh(ctx, sid, old, hash)
	if err != nil {
		return "", "", time.Time{}, oidc.ErrServerError().WithParent(err)
	}
	if !ok {
		s.revoke(ctx, sid, "refresh token reused")
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used; the session is revoked")
	}
	sess, err := s.p.opts.Store.GetSession(ctx, sid)
	if err != nil {
		return "", "", time.Time{}, oidc.ErrServerError().WithParent(err)
	}
	return token.NewTokenID(sid), secret, s.accessExpiry(sess), nil
}

// refreshSession finds the session of a refresh token and checks the token
// is its current one. Presenting the one it replaced is reuse: the token
// leaked, and the session is revoked.
func (s *storage) refreshSession(ctx context.Context, rt string) (*eiam.Session, error) {
	sid, ok := token.SecretSession(refreshPrefix, rt)
	if !ok {
		return nil, op.ErrInvalidRefreshToken
	}
	sess, err := s.p.opts.Store.GetSession(ctx, sid)
	if err != nil || sess.InstanceID != s.instanceID || sess.Kind != eiam.SessionUser {
		return nil, op.ErrInvalidRefreshToken
	}
	h := token.HashSecret(rt)
	if sess.RefreshHash == "" || !token.EqualHash(h, sess.RefreshHash) {
		if sess.PrevRefreshHash != "" && token.EqualHash(h, sess.PrevRefreshHash) && sess.RevokedAt.IsZero() {
			s.revoke(ctx, sid, "refresh token reused")
		}
		return nil, op.ErrInvalidRefreshToken
	}
	return sess, nil
}

// TokenRequestByRefreshToken checks a refresh token, and that its session
// and user may still have tokens.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, rt string) (op.RefreshTokenRequest, error) {
	sess, err := s.refreshSession(ctx, rt)
	if err != nil {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is invalid, expired or revoked")
	}
	if _, err := s.p.opts.Tokens.Session(ctx, sess.ID, s.instanceID, sess.UserID); err != nil {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is invalid, expired or revoked")
	}
	app, err := s.p.opts.Store.GetApplication(ctx, s.instanceID, sess.ApplicationID)
	if err != nil || app.Disabled {
		return nil, oidc.ErrInvalidGrant().WithDescription("the application of this refresh token is gone")
	}
	return &refreshRequest{s: sess, clientID: app.ClientID, scopes: sess.Scopes}, nil
}

// GetRefreshTokenInfo lets revocation find a refresh token's session.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, _ string, rt string) (string, string, error) {
	sess, err := s.refreshSession(ctx, rt)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return sess.UserID, sess.ID, nil
}

// RevokeToken ends the session a token points at (RFC 7009): tokens are
// bound to their session, so revoking one revokes its siblings too, as
// revoking a refresh token must. Tokens that do not verify are ignored, as
// the RFC asks; a token issued to another client is refused.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, subject, clientID string) *oidc.Error {
	if subject == "" {
		return nil // the op package could not verify it
	}
	sid := token.SessionOfTokenID(tokenOrID)
	sess, err := s.p.opts.Store.GetSession(ctx, sid)
	if err != nil || sess.InstanceID != s.instanceID {
		return nil
	}
	app, err := s.application(ctx, clientID)
	if err != nil || app.ID != sess.ApplicationID {
		return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
	}
	if err := s.p.opts.Store.RevokeSession(ctx, sid, s.now()); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// TerminateSession is end_session without an id_token_hint: with no
// browser session to end, there is nothing to do.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// TerminateSessionFromRequest ends the session named by the id_token_hint's
// "sid" (RP-initiated logout).
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	if req.IDTokenHintClaims != nil && req.IDTokenHintClaims.SessionID != "" {
		sess, err := s.p.opts.Store.GetSession(ctx, req.IDTokenHintClaims.SessionID)
		if err == nil && sess.InstanceID == s.instanceID && sess.UserID == req.IDTokenHintClaims.Subject {
			if err := s.p.opts.Store.RevokeSession(ctx, sess.ID, s.now()); err != nil {
				return "", err
			}
		}
	}
	return req.RedirectURI, nil
}

// ---- keys ----

type signingKey struct {
	id  string
	key any
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// SigningKey is the token authority's current key: one ring for every door.
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	kid, priv, err := s.p.opts.Tokens.SigningKey(ctx)
	if err != nil {
		return nil, err
	}
	return signingKey{id: kid, key: priv}, nil
}

// SignatureAlgorithms is RS256 only.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

type publicKey struct{ k jose.JSONWebKey }

func (p publicKey) ID() string                         { return p.k.KeyID }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.SignatureAlgorithm(p.k.Algorithm) }
func (p publicKey) Use() string                        { return p.k.Use }
func (p publicKey) Key() any                           { return p.k.Key }

// KeySet is every published key, the next one included.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	set, err := s.p.opts.Tokens.JWKS(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]op.Key, len(set.Keys))
	for i, k := range set.Keys {
		keys[i] = publicKey{k}
	}
	return keys, nil
}

// ---- claims ----

// SetUserinfoFromScopes is deprecated in the op package; the claims come
// from SetUserinfoFromRequest.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills an ID token: the user's claims for the
// scopes, and the session id, so that every eiam token names its session.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, err := s.p.opts.Store.GetUser(ctx, s.instanceID, req.GetSubject())
	if err != nil {
		return err
	}
	userClaims(info, u, scopes)
	if b, ok := req.(sessionBound); ok {
		info.AppendClaims("sid", b.sessionID())
	}
	return nil
}

// SetUserinfoFromToken answers userinfo for a verified access token after
// the same session check as every other token of eiam.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	p, err := s.p.opts.Tokens.Session(ctx, token.SessionOfTokenID(tokenID), s.instanceID, subject)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("the token is no longer valid")
	}
	if p.User == nil {
		return oidc.ErrInvalidRequest().WithDescription("userinfo needs a user's token")
	}
	userClaims(info, p.User, p.Scopes)
	return nil
}

// SetIntrospectionFromToken describes an active access token; any error
// makes the op package answer {"active": false}.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	p, err := s.p.opts.Tokens.Session(ctx, token.SessionOfTokenID(tokenID), s.instanceID, subject)
	if err != nil {
		return err
	}
	app, err := s.p.opts.Store.GetApplication(ctx, s.instanceID, p.ApplicationID)
	if err != nil {
		return err
	}
	resp.Scope = p.Scopes
	resp.ClientID = app.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Subject = subject
	resp.Audience = oidc.Audience{app.ClientID}
	resp.Issuer = s.issuer
	resp.JWTID = tokenID
	if p.User != nil {
		info := new(oidc.UserInfo)
		userClaims(info, p.User, p.Scopes)
		resp.SetUserInfo(info)
		resp.Username = p.User.Attr(eiam.AttrUsername)
	}
	return nil
}

// GetPrivateClaimsFromScopes is superseded by GetPrivateClaimsFromRequest.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest puts into access tokens what eiam's own
// verifier reads: the session, the token use and the scopes.
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	c := map[string]any{"token_use": token.UseAccess}
	if b, ok := req.(sessionBound); ok && b.sessionID() != "" {
		c["sid"] = b.sessionID()
	}
	if sc := req.GetScopes(); len(sc) > 0 {
		c["scope"] = strings.Join(sc, " ")
	}
	return c, nil
}

// GetKeyByIDAndClientID would serve the JWT profile grant, which eiam does
// not offer.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

// ValidateJWTProfileScopes: see GetKeyByIDAndClientID.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

// Health is the server's own /healthz.
func (s *storage) Health(context.Context) error { return nil }

// userClaims sets the standard claims of u that scopes ask for.
func userClaims(info *oidc.UserInfo, u *eiam.User, scopes []string) {
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Attr(eiam.AttrName)
		if info.Name == "" {
			info.Name = u.Attr(eiam.AttrDisplayName)
		}
		info.GivenName = u.Attr(eiam.AttrGivenName)
		info.MiddleName = u.Attr(eiam.AttrMiddleName)
		info.FamilyName = u.Attr(eiam.AttrFamilyName)
		info.Nickname = u.Attr(eiam.AttrNickname)
		info.PreferredUsername = u.Attr(eiam.AttrPreferredName)
		if info.PreferredUsername == "" {
			info.PreferredUsername = u.Attr(eiam.AttrUsername)
		}
		info.Picture = u.Attr(eiam.AttrPicture)
		info.Profile = u.Attr(eiam.AttrProfile)
		info.Website = u.Attr(eiam.AttrWebsite)
		info.Birthdate = u.Attr(eiam.AttrBirthdate)
		info.Zoneinfo = u.Attr(eiam.AttrZoneinfo)
		switch g := u.Attr(eiam.AttrGender); g {
		case eiam.GenderFemale, eiam.GenderMale:
			info.Gender = oidc.Gender(g)
		}
		if !u.UpdatedAt.IsZero() {
			info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
		}
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Attr(eiam.AttrEmail) != "" {
		info.Email = u.Attr(eiam.AttrEmail)
		info.EmailVerified = oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopePhone) && u.Attr(eiam.AttrPhoneNumber) != "" {
		info.PhoneNumber = phoneE164(u)
		info.PhoneNumberVerified = oidc.Bool(u.PhoneVerified)
	}
	if slices.Contains(scopes, oidc.ScopeAddress) {
		a := &oidc.UserInfoAddress{
			Formatted: u.Attr(eiam.AttrAddress), StreetAddress: u.Attr(eiam.AttrStreetAddress),
			Locality: u.Attr(eiam.AttrLocality), Region: u.Attr(eiam.AttrRegion),
			PostalCode: u.Attr(eiam.AttrPostalCode), Country: u.Attr(eiam.AttrCountry),
		}
		if *a != (oidc.UserInfoAddress{}) {
			info.Address = a
		}
	}
}

// phoneE164 is the OpenID spelling of a phone number: +region number.
func phoneE164(u *eiam.User) string {
	if r := u.Attr(eiam.AttrPhoneRegion); r != "" {
		return "+" + r + " " + u.Attr(eiam.AttrPhoneNumber)
	}
	return u.Attr(eiam.AttrPhoneNumber)
}
