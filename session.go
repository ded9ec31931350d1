package eiam

import (
	"context"
	"time"
)

// SessionKind says what a session authenticates.
type SessionKind string

// Session kinds.
const (
	// SessionUser is a signed-in user (Bamboo login, Authing sign-in, OIDC).
	SessionUser SessionKind = "user"
	// SessionClient is an application acting for itself (client_credentials).
	SessionClient SessionKind = "client"
)

// Session is the server-side record every token points at (its "sid"
// claim). Revoking the session, disabling its user or changing the user's
// password makes every token of the session unusable at once.
type Session struct {
	ID            string
	InstanceID    string
	Kind          SessionKind
	UserID        string // empty for a client session
	ApplicationID string
	Scopes        []string
	// Dialect is where the session was created (bamboo, authing, oidc, …).
	Dialect   string
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is zero while the session is live.
	RevokedAt time.Time
	// RefreshHash is the hash of the current refresh token (rotated on every
	// use); PrevRefreshHash the one before, kept to detect reuse.
	RefreshHash     string
	PrevRefreshHash string
}

// Live reports whether the session can still authenticate requests at now.
func (s *Session) Live(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt)
}

// SessionStore keeps sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns ErrNotFound when the session does not exist.
	GetSession(ctx context.Context, id string) (*Session, error)
	// RevokeSession marks one session revoked (idempotent).
	RevokeSession(ctx context.Context, id string, at time.Time) error
	// RevokeUserSessions revokes every live session of a user and returns
	// how many it revoked.
	RevokeUserSessions(ctx context.Context, instanceID, userID string, at time.Time) (int, error)
	// RotateRefresh replaces the refresh hash of a session when its current
	// hash equals old (compare-and-swap), keeping old as the previous hash.
	// It returns false when old is not current (a reused or unknown token).
	RotateRefresh(ctx context.Context, id, old, next string) (bool, error)
}

// SigningKey is a key that signs tokens. Stores encrypt PrivateKeyPEM with
// the master key.
type SigningKey struct {
	ID            string // the JWS "kid"
	Algorithm     string // "RS256"
	PrivateKeyPEM string
	CreatedAt     time.Time
	// ActiveAt is when the key starts signing; it is published in JWKS from
	// CreatedAt, so relying parties learn it before they meet it.
	ActiveAt time.Time
	// RetireAt is when the key stops being published (zero: not scheduled);
	// set past the lifetime of the last token it signed.
	RetireAt time.Time
}

// SigningKeyStore keeps signing keys.
type SigningKeyStore interface {
	ListSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// PutSigningKey stores a new key, or changes the ActiveAt and RetireAt
	// of the key with k's ID; the private key of a stored key never changes.
	PutSigningKey(ctx context.Context, k *SigningKey) error
}

// NonceStore remembers request nonces for replay protection; shared by all
// replicas (it lives in the database).
type NonceStore interface {
	// ClaimNonce records nonce for key until expires; it reports false when
	// the nonce was already recorded and has not expired.
	ClaimNonce(ctx context.Context, key, nonce string, expires time.Time) (fresh bool, err error)
}

// LoginState is a user's recent sign-in failures.
type LoginState struct {
	Failures    int
	LockedUntil time.Time
}

// LoginStore keeps sign-in failures for lockout, shared by all replicas.
type LoginStore interface {
	// GetLoginState returns the zero state when nothing is recorded.
	GetLoginState(ctx context.Context, instanceID, userID string) (LoginState, error)
	// RecordLoginFailure atomically counts one more failure and, when
	// lockUntil returns a non-zero time for the new count, locks the user
	// until then. It returns the new state.
	RecordLoginFailure(ctx context.Context, instanceID, userID string, lockUntil func(failures int) time.Time) (LoginState, error)
	// ResetLogin forgets the failures after a successful sign-in.
	ResetLogin(ctx context.Context, instanceID, userID string) error
}

// AuthRequest is an OpenID Connect authorization request, kept from
// /authorize until its code is redeemed: the protocol parameters the
// relying party sent, then who signed in and the session that sign-in
// started. It lives in the database so that any replica can serve any step.
type AuthRequest struct {
	ID                  string
	InstanceID          string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	LoginHint           string
	// UserID, SessionID and AuthTime are set by a successful sign-in.
	UserID    string
	SessionID string
	AuthTime  time.Time
	// Redeemed is set when the code was exchanged; the request is kept
	// until it expires so that a second exchange is recognised as replay.
	Redeemed  bool
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Done reports whether a user signed in for the request.
func (r *AuthRequest) Done() bool { return r.UserID != "" }

// AuthRequestStore keeps OpenID Connect authorization requests.
type AuthRequestStore interface {
	CreateAuthRequest(ctx context.Context, r *AuthRequest) error
	// GetAuthRequest returns ErrNotFound when the request does not exist.
	GetAuthRequest(ctx context.Context, id string) (*AuthRequest, error)
	// CompleteAuthRequest records the sign-in of a request once; it reports
	// false when the request is gone or was already completed.
	CompleteAuthRequest(ctx context.Context, id, userID, sessionID string, authTime time.Time) (bool, error)
	// SetAuthCode attaches the hash of the authorization code issued for a
	// completed request, once; it reports false otherwise.
	SetAuthCode(ctx context.Context, id, codeHash string) (bool, error)
	// GetAuthRequestByCode returns ErrNotFound when no request holds the code.
	GetAuthRequestByCode(ctx context.Context, codeHash string) (*AuthRequest, error)
	// RedeemAuthRequest marks a request's code redeemed and reports whether
	// this call did: of two redemptions of one code, exactly one gets true.
	RedeemAuthRequest(ctx context.Context, id string) (bool, error)
}
