package token

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/eiam/eiam"
)

// Expect is what a caller requires of a token besides a valid signature.
type Expect struct {
	// InstanceID, when set, is the only instance the token may belong to.
	InstanceID string
	// Audience, when set, must be among the token's audiences.
	Audience string
	// Use, when set, is the required token_use (UseAccess or UseID).
	Use string
	// User, when set, requires a user's session and loads the user's
	// current state into Principal.User. That is a read of the user on
	// every call (profiles change without touching the security epoch, so
	// users are never cached); leave it unset when the user's id is enough.
	User bool
}

// Principal is who a verified token speaks for.
type Principal struct {
	InstanceID    string
	Kind          eiam.SessionKind
	UserID        string
	ApplicationID string
	SessionID     string
	Scopes        []string
	Claims        Claims
	// User is the current state of the user, read when Expect.User asks
	// for it and by Session; nil otherwise and for client sessions.
	User *eiam.User
}

// HasScope reports whether the token carries scope s.
func (p *Principal) HasScope(s string) bool { return slices.Contains(p.Scopes, s) }

// signatureAlgs is the only algorithm accepted: "none", HMAC (including
// HS256 keyed with our public key) and any other are refused at parse time.
var signatureAlgs = []jose.SignatureAlgorithm{jose.RS256}

// invalid is the one error every verification failure returns: callers see
// no difference between an expired, forged or revoked token. reason goes
// into Detail for the server's logs only.
func invalid(reason string) error {
	e := eiam.Errorf(eiam.ErrUnauthenticated, "token", "token_invalid")
	e.Detail = reason
	return e
}

// Verify checks a token's signature, issuer, audience, lifetime and use,
// then that its session is live and, for a user session, that the user
// exists, is enabled, and has not changed password since the session began.
func (a *Authority) Verify(ctx context.Context, raw string, want Expect) (*Principal, error) {
	c, err := a.signed(ctx, raw)
	if err != nil {
		return nil, err
	}
	now := a.opts.Clock()
	instanceID := a.instanceOf(c.Issuer)
	if instanceID == "" || (want.InstanceID != "" && instanceID != want.InstanceID) {
		return nil, invalid("issuer")
	}
	exp := jwt.Expected{Issuer: c.Issuer, Time: now}
	if want.Audience != "" {
		exp.AnyAudience = jwt.Audience{want.Audience}
	}
	if err := c.ValidateWithLeeway(exp, a.opts.Leeway); err != nil || c.Expiry == nil {
		return nil, invalid("claims: " + errString(err))
	}
	if want.Use != "" && c.Use != want.Use {
		return nil, invalid("token use")
	}
	if c.SessionID == "" {
		return nil, invalid("no session")
	}
	p, err := a.session(ctx, c.SessionID, instanceID, c.Subject, want.User)
	if err != nil {
		return nil, err
	}
	if want.User && p.User == nil {
		return nil, invalid("not a user's token")
	}
	p.Scopes, p.Claims = strings.Fields(c.Scope), c
	return p, nil
}

// signed checks the signature of a token and returns its claims, checked
// for nothing else. A token verified before is found by its hash, and only
// its key is looked up again: a retired key's tokens fail at once.
func (a *Authority) signed(ctx context.Context, raw string) (Claims, error) {
	h := sha256.Sum256([]byte(raw))
	if v, ok := a.verified.get(h, a.opts.Clock()); ok {
		if _, err := a.ring.lookup(ctx, v.kid); err != nil {
			return Claims{}, invalid("unknown key")
		}
		c := v.claims
		// The cached claims are shared: nothing a caller does to its
		// Principal may reach them.
		c.Audience = slices.Clone(c.Audience)
		return c, nil
	}
	tok, err := jwt.ParseSigned(raw, signatureAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return Claims{}, invalid("malformed or disallowed algorithm")
	}
	kid := tok.Headers[0].KeyID
	k, err := a.ring.lookup(ctx, kid)
	if err != nil {
		return Claims{}, invalid("unknown key")
	}
	var c Claims
	if err := tok.Claims(&k.priv.PublicKey, &c); err != nil {
		return Claims{}, invalid("signature")
	}
	if c.Expiry != nil {
		// Kept past expiry by the leeway that Verify grants.
		a.verified.put(h, &verifiedToken{kid: kid, claims: c, until: c.Expiry.Time().Add(a.opts.Leeway)})
	}
	return c, nil
}

// Session checks that session sid of the instance is live and may still
// speak for subject: for a user session, that the user exists, is enabled
// and has not changed password since the session began; for a client
// session, that the application is not disabled. Every token check ends
// here, so revocation, disabling and deletion take effect at once. For a
// user session it loads the user into Principal.User. The Principal's
// Scopes are the session's.
func (a *Authority) Session(ctx context.Context, sid, instanceID, subject string) (*Principal, error) {
	return a.session(ctx, sid, instanceID, subject, true)
}

// session is Session, reading the user only when withUser is set.
//
// What can end a session before it expires — revocation, the user
// disabled, deleted or given a new password, the application disabled or
// removed — moves the security epoch in the transaction that does it, so
// a session that passed those checks at the epoch read now is still good;
// only the clock and the token's own claims are checked on every call.
func (a *Authority) session(ctx context.Context, sid, instanceID, subject string, withUser bool) (*Principal, error) {
	epoch, err := a.store.SecurityEpoch(ctx)
	if err != nil {
		return nil, err
	}
	s, err := a.sessions.Get(epoch, sid, func() (*eiam.Session, error) { return a.loadSession(ctx, sid) })
	if err != nil {
		return nil, err
	}
	if !s.Live(a.opts.Clock()) || s.InstanceID != instanceID {
		return nil, invalid("session revoked or expired")
	}
	p := &Principal{
		InstanceID: instanceID, Kind: s.Kind, UserID: s.UserID, ApplicationID: s.ApplicationID,
		SessionID: s.ID, Scopes: slices.Clone(s.Scopes),
	}
	switch s.Kind {
	case eiam.SessionUser:
		if subject != s.UserID {
			return nil, invalid("subject")
		}
		if withUser {
			// Read afresh for its profile; checked again, so a profile is
			// never shown for a user whose state refuses the token.
			u, err := a.store.GetUser(ctx, instanceID, s.UserID)
			if err := userMayUse(s, u, err); err != nil {
				return nil, err
			}
			p.User = u
		}
	case eiam.SessionClient:
		if subject != s.ApplicationID {
			return nil, invalid("subject")
		}
	default:
		return nil, invalid("session kind")
	}
	return p, nil
}

// loadSession reads session sid and checks everything that can end it
// before it expires, other than the clock: it is not revoked; its user
// exists, is enabled and has not changed password since the session began;
// or its application exists and is not disabled.
func (a *Authority) loadSession(ctx context.Context, sid string) (*eiam.Session, error) {
	s, err := a.store.GetSession(ctx, sid)
	if err != nil {
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return nil, invalid("unknown session")
		}
		return nil, err
	}
	if !s.RevokedAt.IsZero() {
		return nil, invalid("session revoked or expired")
	}
	switch s.Kind {
	case eiam.SessionUser:
		u, err := a.store.GetUser(ctx, s.InstanceID, s.UserID)
		if err := userMayUse(s, u, err); err != nil {
			return nil, err
		}
	case eiam.SessionClient:
		app, err := a.store.GetApplication(ctx, s.InstanceID, s.ApplicationID)
		if err != nil || app.Disabled {
			return nil, invalid("application disabled")
		}
	default:
		return nil, invalid("session kind")
	}
	return s, nil
}

// userMayUse checks the result of reading the user of session s: the user
// exists, is enabled and has not changed password since the session began.
func userMayUse(s *eiam.Session, u *eiam.User, err error) error {
	switch {
	case eiam.ErrorCode(err) == eiam.ErrNotFound:
		return invalid("user deleted")
	case err != nil:
		return err
	case u.Status != eiam.StatusEnabled:
		return invalid("user disabled")
	case u.PasswordChangedAt.After(s.CreatedAt):
		return invalid("password changed")
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "no expiry"
	}
	return err.Error()
}
