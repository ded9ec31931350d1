package bamboo

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/i18n"
	"github.com/eiam/eiam/token"
	"github.com/eiam/eiam/wire"
)

// Directory is the part of the directory service this dialect calls.
type Directory interface {
	UpdateUser(ctx context.Context, instanceID, userID string, c *eiam.ProfileChange, a eiam.Actor, o eiam.Origin) (*eiam.User, error)
	Fields(ctx context.Context, instanceID string) ([]*eiam.FieldDefinition, error)
}

// Authenticator checks a password sign-in.
type Authenticator interface {
	Authenticate(ctx context.Context, instanceID, login, password string) (*eiam.User, error)
}

// Tokens issues and verifies tokens.
type Tokens interface {
	StartSession(ctx context.Context, s *eiam.Session, ttl time.Duration) (*eiam.Session, error)
	IssueID(ctx context.Context, s *eiam.Session, extra map[string]any) (token.Issued, error)
	Verify(ctx context.Context, raw string, want token.Expect) (*token.Principal, error)
}

// Store reads applications and sessions.
type Store interface {
	FindApplicationByClientID(ctx context.Context, clientID string) (*eiam.Application, error)
	GetSession(ctx context.Context, id string) (*eiam.Session, error)
	RotateRefresh(ctx context.Context, id, old, next string) (bool, error)
}

// SessionTTL is the lifetime of a session_token (the vendor's sample: 7 days).
const SessionTTL = 7 * 24 * time.Hour

// API serves the Bamboo dialect.
type API struct {
	Directory Directory
	SignIn    Authenticator
	Tokens    Tokens
	Store     Store
	Log       *slog.Logger
}

// Routes registers the dialect's routes with handle.
func (a *API) Routes(handle func(pattern string, h http.Handler)) {
	handle("POST /api/v2/sdk/login", a.wrap(a.login, noToken))
	handle("POST /api/v2/sdk/sso/session-token/id-token", a.wrap(a.refreshIDToken, noToken))
	handle("GET /api/v2/sdk/profile", a.wrap(a.getProfile, userProfile))
	handle("POST /api/v2/sdk/profile/update", a.wrap(a.updateProfile, userToken))
}

// needs says what a route requires of the caller's id_token.
type needs int

const (
	noToken     needs = iota // sign-in: no token
	userToken                // a live session of a user
	userProfile              // that, and the user's current profile in call.user.User
)

// call is one authenticated request's context.
type call struct {
	app  *eiam.Application
	user *token.Principal // nil for login calls
	lang i18n.Lang
	orig eiam.Origin
}

// wrap checks what every request of the family needs — X-client-id, the
// device headers, the application, and for user calls the id_token — and
// renders errors in Bamboo's shape.
func (a *API) wrap(h func(w http.ResponseWriter, r *http.Request, c *call) error, need needs) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{lang: i18n.Negotiate(r.Header.Get("X-L"), r.Header.Get("Accept-Language"))}
		clientID := r.Header.Get("X-client-id")
		if clientID == "" {
			a.fail(w, r, c, eiam.Errorf(eiam.ErrMissing, "X-client-id", "required"))
			return
		}
		if r.Header.Get("X-device-fingerprint") == "" || r.Header.Get("X-operating-sys-version") == "" || r.Header.Get("X-agent") == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error_code": codeDeviceIncomplete, "error_msg": deviceMessages[c.lang == i18n.Chinese]})
			return
		}
		app, err := a.Store.FindApplicationByClientID(r.Context(), clientID)
		if err != nil || app.Disabled {
			if err == nil || eiam.ErrorCode(err) == eiam.ErrNotFound {
				err = eiam.Errorf(eiam.ErrUnknownClient, "X-client-id", "unknown_client", "id", clientID)
			}
			a.fail(w, r, c, err)
			return
		}
		c.app = app
		c.orig = eiam.Origin{
			Dialect: "bamboo", RequestID: wire.RequestID(r.Context()), ClientIP: wire.ClientIP(r.Context()),
			Device: map[string]string{
				"X-operating-sys-version": r.Header.Get("X-operating-sys-version"),
				"X-device-fingerprint":    r.Header.Get("X-device-fingerprint"),
				"X-device-ip":             r.Header.Get("X-device-ip"),
				"X-agent":                 r.Header.Get("X-agent"),
			},
		}
		if need != noToken {
			raw := wire.BearerToken(r.Header.Get("Authorization"))
			if raw == "" {
				a.fail(w, r, c, eiam.Errorf(eiam.ErrMissing, "Authorization", "required"))
				return
			}
			p, err := a.Tokens.Verify(r.Context(), raw, token.Expect{InstanceID: app.InstanceID, Audience: app.ID, Use: token.UseID,
				User: need == userProfile})
			if err == nil && p.Kind != eiam.SessionUser {
				// Only a user's session speaks for a user; an id token of
				// any other session has no profile to read or change.
				err = eiam.Errorf(eiam.ErrUnauthenticated, "id_token", "token_invalid")
			}
			if err != nil {
				a.fail(w, r, c, err)
				return
			}
			c.user = p
		}
		err = refuseQuery(r)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			a.fail(w, r, c, err)
		}
	})
}

// refuseQuery refuses query parameters on a POST: the family's POSTs take
// their parameters from the body and headers alone, so a parameter in the
// query (a user id, say) would be ignored while the caller believed it
// took effect.
func refuseQuery(r *http.Request) error {
	if r.Method != http.MethodPost || r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(q) == 0 {
		return eiam.Errorf(eiam.ErrInvalid, "query", "invalid_format", "reason", "parameters go in the JSON body")
	}
	return eiam.Errorf(eiam.ErrUnknownField, slices.Sorted(maps.Keys(q))[0], "unknown_field")
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	e := eiam.AsError(err)
	if e.Code == eiam.ErrInternal && a.Log != nil {
		a.Log.ErrorContext(r.Context(), "bamboo request failed", "err", err, "request_id", wire.RequestID(r.Context()))
	}
	if e.Code == eiam.ErrUnauthenticated {
		e = eiam.Errorf(eiam.ErrUnauthenticated, "id_token", "token_invalid")
	}
	m := errorCodes[e.Code]
	msg := i18n.Message(c.lang, e)
	if e.Code == eiam.ErrBadCredentials {
		// The vendor appends the attempts left, as a real tenant does.
		if c.lang == i18n.Chinese {
			msg += " 剩余登录尝试次数:" + wire.Itoa(int64(toInt(e.Args["remaining"])))
		} else {
			msg += " Remaining login attempts: " + wire.Itoa(int64(toInt(e.Args["remaining"])))
		}
	}
	writeJSON(w, m.status, map[string]string{"error_code": m.code, "error_msg": msg})
}

func toInt(v any) int {
	n, _ := v.(int)
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *API) login(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := wire.ReadBody(r, wire.MaxBody)
	if err != nil {
		return err
	}
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return err
	}
	var username, password string
	for _, m := range members {
		switch m.Key {
		case "user_name":
			username, err = wire.String(m.Value, m.Key)
		case "password":
			password, err = wire.String(m.Value, m.Key)
		default:
			err = eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field")
		}
		if err != nil {
			return err
		}
	}
	switch {
	case username == "":
		return eiam.Errorf(eiam.ErrMissing, "user_name", "required")
	case password == "":
		return eiam.Errorf(eiam.ErrMissing, "password", "required")
	}
	u, err := a.SignIn.Authenticate(r.Context(), c.app.InstanceID, username, password)
	if err != nil {
		return err
	}
	s, err := a.Tokens.StartSession(r.Context(), &eiam.Session{
		InstanceID: c.app.InstanceID, Kind: eiam.SessionUser, UserID: u.ID, ApplicationID: c.app.ID, Dialect: "bamboo",
	}, SessionTTL)
	if err != nil {
		return err
	}
	secret, hash := token.NewSecret("st", s.ID)
	// The session token is not rotated (Bamboo clients reuse it for its
	// lifetime); it is set once on the fresh session.
	if _, err := a.Store.RotateRefresh(r.Context(), s.ID, "", hash); err != nil {
		return err
	}
	return a.writeTokens(w, r, s, u, secret)
}

func (a *API) writeTokens(w http.ResponseWriter, r *http.Request, s *eiam.Session, u *eiam.User, sessionToken string) error {
	id, err := a.Tokens.IssueID(r.Context(), s, map[string]any{
		"id": u.ID, "userName": u.Username(), "name": u.Attr(eiam.AttrName),
		"mobile": u.Attr(eiam.AttrPhoneNumber), "email": u.Attr(eiam.AttrEmail), "api": apiClaim(u),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"session_token": sessionToken, "expire": int64(time.Until(s.ExpiresAt).Seconds()),
		"status": "SUCCESS", "id_token": id.Token,
	})
	return nil
}

func (a *API) refreshIDToken(w http.ResponseWriter, r *http.Request, c *call) error {
	secret := r.Header.Get("X-session-token")
	if secret == "" {
		secret = r.Header.Get("session-token")
	}
	if secret == "" {
		return eiam.Errorf(eiam.ErrMissing, "X-session-token", "required")
	}
	invalid := eiam.Errorf(eiam.ErrUnauthenticated, "session_token", "token_invalid")
	sid, ok := token.SecretSession("st", secret)
	if !ok {
		return invalid
	}
	s, err := a.Store.GetSession(r.Context(), sid)
	if err != nil || !s.Live(time.Now()) || s.ApplicationID != c.app.ID || !token.EqualHash(s.RefreshHash, token.HashSecret(secret)) {
		return invalid
	}
	// The id token is issued only after the same liveness checks any token
	// gets: a disabled user's session token yields nothing.
	id, err := a.Tokens.IssueID(r.Context(), s, nil)
	if err != nil {
		return err
	}
	p, err := a.Tokens.Verify(r.Context(), id.Token, token.Expect{InstanceID: c.app.InstanceID, Audience: c.app.ID, User: true})
	if err != nil {
		return invalid
	}
	return a.writeTokens(w, r, s, p.User, secret)
}

func (a *API) getProfile(w http.ResponseWriter, r *http.Request, c *call) error {
	defs, err := a.Directory.Fields(r.Context(), c.app.InstanceID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, EncodeProfile(c.user.User, defs))
	return nil
}

func (a *API) updateProfile(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := wire.ReadBody(r, wire.MaxBody)
	if err != nil {
		return err
	}
	change, err := DecodeUpdate(body)
	if err != nil {
		return err
	}
	actor := eiam.Actor{Kind: eiam.ActorSelf, ID: c.user.UserID, ApplicationID: c.app.ID}
	if _, err := a.Directory.UpdateUser(r.Context(), c.app.InstanceID, c.user.UserID, change, actor, c.orig); err != nil {
		return err
	}
	// The seed documents 200 with no response parameters; "{}" keeps the
	// body valid JSON for clients that parse every response.
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
