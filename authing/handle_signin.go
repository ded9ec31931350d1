package authing

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/token"
)

// Session lifetimes. A session without a refresh token is only as useful as
// the tokens issued with it, so it lasts a day; one with a refresh token
// (scope offline_access) lasts 30 days.
const (
	SessionTTL        = 24 * time.Hour
	OfflineSessionTTL = 30 * 24 * time.Hour
)

// RefreshPrefix starts every refresh token this dialect issues (see
// token.NewSecret); the OpenID Connect token endpoint redeems them.
const RefreshPrefix = "rt"

// signin serves POST /api/v3/signin.
func (a *API) signin(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	req, err := DecodeSignin(body)
	if err != nil {
		return err
	}
	app, err := a.client(r.Context(), r, req)
	if err != nil {
		return err
	}
	c.app = app
	u, err := a.SignIn.Authenticate(r.Context(), app.InstanceID, req.Login, req.Password)
	if err != nil {
		return err
	}
	scopes := grantScopes(req.Scope, app)
	offline := slices.Contains(scopes, "offline_access")
	ttl := SessionTTL
	if offline {
		ttl = OfflineSessionTTL
	}
	s, err := a.Tokens.StartSession(r.Context(), &eiam.Session{
		InstanceID: app.InstanceID, Kind: eiam.SessionUser, UserID: u.ID, ApplicationID: app.ID,
		Scopes: scopes, Dialect: "authing",
	}, ttl)
	if err != nil {
		return err
	}
	access, err := a.Tokens.IssueAccess(r.Context(), s, nil)
	if err != nil {
		return err
	}
	data := map[string]any{
		"scope":        strings.Join(scopes, " "),
		"access_token": access.Token,
		"token_type":   "Bearer",
		// Spelled expire_in, as Authing's LoginTokenResponseDataDto does.
		"expire_in": int64(access.ExpiresAt.Sub(a.now()).Round(time.Second) / time.Second),
	}
	if slices.Contains(scopes, "openid") {
		id, err := a.Tokens.IssueID(r.Context(), s, idClaims(u, scopes))
		if err != nil {
			return err
		}
		data["id_token"] = id.Token
	}
	if offline {
		secret, hash := token.NewSecret(RefreshPrefix, s.ID)
		set, err := a.Store.RotateRefresh(r.Context(), s.ID, "", hash)
		if err != nil {
			return err
		}
		if !set {
			// The session was created a moment ago with no refresh hash;
			// anything else is a store fault.
			return fmt.Errorf("set the refresh token of new session %s: the session already had one", s.ID)
		}
		data["refresh_token"] = secret
	}
	return ok(w, c, data)
}

// client finds and authenticates the application of a sign-in. It may be
// named by x-authing-app-id, the body's client_id (client_secret_post) and
// Basic credentials (client_secret_basic); every one given must name the
// same client. A confidential application (one with a secret) must prove
// it; a public one has nothing to prove, and a secret sent for it is not
// checked.
func (a *API) client(ctx context.Context, r *http.Request, req *SignInRequest) (*eiam.Application, error) {
	basicID, basicSecret, basic, err := basicCredentials(r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	named := []struct{ field, id string }{
		{"x-authing-app-id", strings.TrimSpace(r.Header.Get("x-authing-app-id"))},
		{"client_id", req.ClientID},
		{"Authorization", basicID},
	}
	var id string
	for _, n := range named {
		switch {
		case n.id == "":
		case id == "":
			id = n.id
		case n.id != id:
			return nil, eiam.Errorf(eiam.ErrUnknownClient, n.field, "unknown_client", "id", n.id)
		}
	}
	if id == "" {
		return nil, eiam.Errorf(eiam.ErrMissing, "x-authing-app-id", "required")
	}
	if basic && req.SecretGiven {
		return nil, eiam.Errorf(eiam.ErrInvalid, "client_secret", "invalid_format",
			"reason", "send the client secret once, in the body or as Basic credentials")
	}
	unknown := eiam.Errorf(eiam.ErrUnknownClient, "client_id", "unknown_client", "id", id)
	app, err := a.Store.FindApplicationByClientID(ctx, id)
	if err != nil {
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return nil, unknown
		}
		return nil, err
	}
	if app.Disabled {
		return nil, unknown
	}
	if app.SecretHash == "" {
		return app, nil
	}
	secret, given := req.ClientSecret, req.SecretGiven
	if basic {
		secret, given = basicSecret, true
	}
	if !given {
		return nil, unknown
	}
	// A rehash is not acted on here: the store's PutApplication replaces
	// the whole application, and a sign-in must not race an administrator
	// editing it.
	valid, _, err := a.Secrets.Verify(app.SecretHash, secret)
	if err != nil || !valid {
		return nil, unknown
	}
	return app, nil
}
