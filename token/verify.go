package token

import (
	"context"
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
	// User is the current state of the user (user sessions only), loaded
	// by the liveness check, so callers need not read it again.
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
	tok, err := jwt.ParseSigned(raw, signatureAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return nil, invalid("malformed or disallowed algorithm")
	}
	k, err := a.ring.lookup(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return nil, invalid("unknown key")
	}
	var c Claims
	if err := tok.Claims(&k.priv.PublicKey, &c); err != nil {
		return nil, invalid("signature")
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
	p, err := a.Session(ctx, c.SessionID, instanceID, c.Subject)
	if err != nil {
		return nil, err
	}
	p.Scopes, p.Claims = strings.Fields(c.Scope), c
	return p, nil
}

// Session checks that session sid of the instance is live and may still
// speak for subject: for a user session, that the user exists, is enabled
// and has not changed password since the session began; for a client
// session, that the application is not disabled. Every token check ends
// here, so revocation, disabling and deletion take effect at once. The
// Principal's Scopes are the session's.
func (a *Authority) Session(ctx context.Context, sid, instanceID, subject string) (*Principal, error) {
	now := a.opts.Clock()
	s, err := a.store.GetSession(ctx, sid)
	if err != nil {
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return nil, invalid("unknown session")
		}
		return nil, err
	}
	if !s.Live(now) || s.InstanceID != instanceID {
		return nil, invalid("session revoked or expired")
	}
	p := &Principal{
		InstanceID: instanceID, Kind: s.Kind, UserID: s.UserID, ApplicationID: s.ApplicationID,
		SessionID: s.ID, Scopes: s.Scopes,
	}
	switch s.Kind {
	case eiam.SessionUser:
		if subject != s.UserID {
			return nil, invalid("subject")
		}
		u, err := a.store.GetUser(ctx, instanceID, s.UserID)
		if err != nil {
			if eiam.ErrorCode(err) == eiam.ErrNotFound {
				return nil, invalid("user deleted")
			}
			return nil, err
		}
		if u.Status != eiam.StatusEnabled {
			return nil, invalid("user disabled")
		}
		if u.PasswordChangedAt.After(s.CreatedAt) {
			return nil, invalid("password changed")
		}
		p.User = u
	case eiam.SessionClient:
		if subject != s.ApplicationID {
			return nil, invalid("subject")
		}
		app, err := a.store.GetApplication(ctx, instanceID, s.ApplicationID)
		if err != nil || app.Disabled {
			return nil, invalid("application disabled")
		}
	default:
		return nil, invalid("session kind")
	}
	return p, nil
}

func errString(err error) string {
	if err == nil {
		return "no expiry"
	}
	return err.Error()
}
