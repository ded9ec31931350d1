package authing

import (
	"net/http"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/token"
	"github.com/eiam/eiam/wire"
)

// userCall authenticates a self-service call by its access token, sent in
// Authorization bare (as the Node SDK does) or as "Bearer …". When
// x-authing-app-id is sent, the token must have been issued to that
// application (spec §2); otherwise the application is the token's. When
// x-authing-userpool-id is sent, it must be the token's instance. With
// profile set, the user's current profile is read into c.user.User.
func (a *API) userCall(h handlerFunc, profile bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		raw := wire.BearerToken(r.Header.Get("Authorization"))
		if raw == "" {
			return eiam.Errorf(eiam.ErrUnauthenticated, "Authorization", "required")
		}
		invalid := eiam.Errorf(eiam.ErrUnauthenticated, "access_token", "token_invalid")
		want := token.Expect{Use: token.UseAccess, User: profile}
		if id := strings.TrimSpace(r.Header.Get("x-authing-app-id")); id != "" {
			app, err := a.Store.FindApplicationByClientID(r.Context(), id)
			if err != nil {
				return notFoundAsUnknownClient(err, "x-authing-app-id", id)
			}
			c.app = app
			want.InstanceID, want.Audience = app.InstanceID, app.ID
		}
		p, err := a.Tokens.Verify(r.Context(), raw, want)
		if err != nil {
			if eiam.ErrorCode(err) == eiam.ErrUnauthenticated {
				return invalid
			}
			return err
		}
		// Only a user's own session may use these endpoints: a client
		// token speaks for no user.
		if p.Kind != eiam.SessionUser || (c.app != nil && p.ApplicationID != c.app.ID) {
			return invalid
		}
		// Guard and the mobile SDKs also name the user pool; a token is
		// honoured only in its own.
		if pool := strings.TrimSpace(r.Header.Get("x-authing-userpool-id")); pool != "" && pool != p.InstanceID {
			return invalid
		}
		if c.app == nil {
			app, err := a.Store.GetApplication(r.Context(), p.InstanceID, p.ApplicationID)
			if err != nil {
				if eiam.ErrorCode(err) == eiam.ErrNotFound {
					return invalid
				}
				return err
			}
			c.app = app
		}
		if c.app.Disabled {
			return invalid
		}
		c.user = p
		return h(w, r, c)
	}
}

// getProfile serves GET /api/v3/get-profile.
func (a *API) getProfile(w http.ResponseWriter, r *http.Request, c *call) error {
	view, err := DecodeGetProfile(r.URL.Query())
	if err != nil {
		return err
	}
	defs, err := a.Directory.Fields(r.Context(), c.user.InstanceID)
	if err != nil {
		return err
	}
	return ok(w, c, EncodeUser(c.user.User, defs, view))
}

// updateProfile serves POST /api/v3/update-profile: the signed-in user
// changes their own profile, and nobody else's: the body cannot name a
// user.
func (a *API) updateProfile(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	change, err := DecodeUpdateProfile(body)
	if err != nil {
		return err
	}
	defs, err := a.Directory.Fields(r.Context(), c.user.InstanceID)
	if err != nil {
		return err
	}
	if err := checkCustomData(change, defs); err != nil {
		return err
	}
	// An empty update returns the profile without writing a version or an
	// audit record that would record nothing.
	var u *eiam.User
	if change.Empty() {
		u, err = a.Directory.GetUser(r.Context(), c.user.InstanceID, c.user.UserID)
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return eiam.Errorf(eiam.ErrUnauthenticated, "access_token", "token_invalid")
		}
	} else {
		actor := eiam.Actor{Kind: eiam.ActorSelf, ID: c.user.UserID, ApplicationID: c.app.ID}
		u, err = a.Directory.UpdateUser(r.Context(), c.user.InstanceID, c.user.UserID, change, actor, c.orig)
	}
	if err != nil {
		return err
	}
	return ok(w, c, EncodeUser(u, defs, View{CustomData: true}))
}
