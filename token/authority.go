package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/cache"
)

// Store is what the authority needs from the database.
type Store interface {
	eiam.SigningKeyStore
	eiam.SessionStore
	eiam.EpochStore
	GetUser(ctx context.Context, instanceID, userID string) (*eiam.User, error)
	GetApplication(ctx context.Context, instanceID, id string) (*eiam.Application, error)
}

// Options configure an Authority.
type Options struct {
	// PublicURL is the server's external base URL; issuers are
	// PublicURL + "/instances/" + instanceID.
	PublicURL string
	Clock     eiam.Clock
	// AccessTTL and IDTTL are token lifetimes (2 h and 5 h by default, the
	// vendors' samples).
	AccessTTL time.Duration
	IDTTL     time.Duration
	// PublishAhead is how long a new key is published before it signs (1 h
	// when zero; negative: it signs at once).
	PublishAhead time.Duration
	// Leeway tolerates clock skew of relying parties and replicas.
	Leeway time.Duration
}

// Authority issues and verifies tokens.
type Authority struct {
	store Store
	ring  *keyRing
	opts  Options
	// sessions holds sessions that passed every check not bound to the
	// clock, at the security epoch of the check (see loadSession).
	sessions *cache.Map[string, *eiam.Session]
	// verified remembers tokens whose signature was checked.
	verified *signatures
}

// maxCachedSessions bounds the sessions an Authority keeps in memory (a few
// hundred bytes each).
const maxCachedSessions = 100_000

// New returns an Authority. Call EnsureKey once at start.
func New(store Store, opts Options) *Authority {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = 2 * time.Hour
	}
	if opts.IDTTL == 0 {
		opts.IDTTL = 5 * time.Hour
	}
	switch {
	case opts.PublishAhead == 0:
		opts.PublishAhead = time.Hour
	case opts.PublishAhead < 0:
		opts.PublishAhead = 0
	}
	if opts.Leeway == 0 {
		opts.Leeway = 30 * time.Second
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	return &Authority{store: store, ring: &keyRing{store: store, now: opts.Clock}, opts: opts,
		sessions: cache.NewMap[string, *eiam.Session](maxCachedSessions), verified: newSignatures()}
}

// Issuer is the OpenID Connect issuer of an instance.
func (a *Authority) Issuer(instanceID string) string {
	return a.opts.PublicURL + "/instances/" + instanceID
}

// Lifetimes are the configured lifetimes of access and ID tokens.
func (a *Authority) Lifetimes() (access, id time.Duration) {
	return a.opts.AccessTTL, a.opts.IDTTL
}

// instanceOf returns the instance id an issuer names, or "".
func (a *Authority) instanceOf(iss string) string {
	prefix := a.opts.PublicURL + "/instances/"
	if !strings.HasPrefix(iss, prefix) {
		return ""
	}
	id := iss[len(prefix):]
	if id == "" || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// FirstKeyID is the key id of the signing key EnsureKey creates in a
// database that has none.
const FirstKeyID = "k_first"

// EnsureKey creates an immediately active signing key when there is none,
// so a fresh server can sign at once.
//
// Replicas that start together on an empty database all try to create it.
// The first key therefore has a fixed id and no activation time (active
// from the start): the store keeps the private key of whichever insert came
// first and changes only the schedule on the others, which is the same, so
// every replica loads and signs with one key. With a key of its own each,
// a replica would refuse the others' tokens until its ring next reloaded.
func (a *Authority) EnsureKey(ctx context.Context) error {
	keys, err := a.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return a.ring.load(ctx)
	}
	k, err := newSigningKey(a.opts.Clock().UTC(), time.Time{})
	if err != nil {
		return err
	}
	k.ID = FirstKeyID
	if err := a.store.PutSigningKey(ctx, k); err != nil {
		return fmt.Errorf("store first signing key: %w", err)
	}
	return a.ring.load(ctx)
}

// Rotate publishes a new key that starts signing after PublishAhead, and
// schedules every older key to retire once the tokens it may still sign
// until then have expired. No token in use is invalidated by a rotation.
func (a *Authority) Rotate(ctx context.Context) (*eiam.SigningKey, error) {
	now := a.opts.Clock().UTC()
	olds, err := a.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	activeAt := now.Add(a.opts.PublishAhead)
	if len(olds) == 0 {
		activeAt = now // nothing signs yet, so nobody has to learn it first
	}
	k, err := newSigningKey(now, activeAt)
	if err != nil {
		return nil, err
	}
	if err := a.store.PutSigningKey(ctx, k); err != nil {
		return nil, err
	}
	retire := k.ActiveAt.Add(max(a.opts.AccessTTL, a.opts.IDTTL) + a.opts.Leeway)
	for _, o := range olds {
		if o.RetireAt.IsZero() || o.RetireAt.After(retire) {
			o.RetireAt = retire
			if err := a.store.PutSigningKey(ctx, o); err != nil {
				return nil, err
			}
		}
	}
	return k, a.ring.load(ctx)
}

// JWKS returns the published public keys.
func (a *Authority) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	return a.ring.jwks(ctx)
}

// SigningKey returns the current signing key's id and private key, for the
// OpenID Connect provider, which signs its own tokens with the same ring.
func (a *Authority) SigningKey(ctx context.Context) (kid string, priv any, err error) {
	k, err := a.ring.signing(ctx)
	if err != nil {
		return "", nil, err
	}
	return k.meta.ID, k.priv, nil
}

// Sign signs claims as a JWT of the given "typ" with the current key.
func (a *Authority) Sign(ctx context.Context, typ string, claims any) (string, error) {
	k, err := a.ring.signing(ctx)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader(jose.HeaderKey("kid"), k.meta.ID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.priv}, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// Token types ("typ" header and "token_use" claim).
const (
	UseAccess = "access"
	UseID     = "id"
)

// StartSession records a new session and returns it with its id set.
func (a *Authority) StartSession(ctx context.Context, s *eiam.Session, ttl time.Duration) (*eiam.Session, error) {
	now := a.opts.Clock().UTC()
	s.ID = eiam.NewID("sid")
	s.CreatedAt = now
	s.ExpiresAt = now.Add(ttl)
	if err := a.store.CreateSession(ctx, s); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return s, nil
}

// Claims are the claims eiam puts in its tokens besides the registered ones.
type Claims struct {
	jwt.Claims
	SessionID string `json:"sid,omitempty"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Use       string `json:"token_use,omitempty"`
	Nonce     string `json:"nonce,omitempty"`
}

// Issued is a signed token and its expiry.
type Issued struct {
	Token     string
	ExpiresAt time.Time
}

// IssueAccess signs an access token for a session; audience is the
// application id (Authing and the vendors' samples use the app id).
func (a *Authority) IssueAccess(ctx context.Context, s *eiam.Session, extra map[string]any) (Issued, error) {
	return a.issue(ctx, s, UseAccess, "at+jwt", a.opts.AccessTTL, extra)
}

// IssueID signs an ID token for a session with the user's profile claims in
// extra.
func (a *Authority) IssueID(ctx context.Context, s *eiam.Session, extra map[string]any) (Issued, error) {
	return a.issue(ctx, s, UseID, "JWT", a.opts.IDTTL, extra)
}

func (a *Authority) issue(ctx context.Context, s *eiam.Session, use, typ string, ttl time.Duration, extra map[string]any) (Issued, error) {
	now := a.opts.Clock().UTC()
	exp := now.Add(ttl)
	if exp.After(s.ExpiresAt) {
		exp = s.ExpiresAt
	}
	sub := s.UserID
	if s.Kind == eiam.SessionClient {
		sub = s.ApplicationID
	}
	c := map[string]any{
		"iss": a.Issuer(s.InstanceID), "sub": sub, "aud": s.ApplicationID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(),
		"jti": NewTokenID(s.ID), "sid": s.ID, "token_use": use, "client_id": s.ApplicationID,
	}
	if len(s.Scopes) > 0 {
		c["scope"] = strings.Join(s.Scopes, " ")
	}
	for k, v := range extra {
		if _, reserved := c[k]; !reserved {
			c[k] = v
		}
	}
	tok, err := a.Sign(ctx, typ, c)
	if err != nil {
		return Issued{}, err
	}
	return Issued{Token: tok, ExpiresAt: exp}, nil
}

// NewTokenID returns a token id ("jti") that names the token's session:
// "<sid>.<random>". Revocation (RFC 7009) and introspection learn a
// token's session from its id, whichever door issued the token.
func NewTokenID(sessionID string) string {
	return sessionID + "." + strings.TrimPrefix(eiam.NewID("jti"), "jti_")
}

// SessionOfTokenID is the session a NewTokenID id names.
func SessionOfTokenID(id string) string {
	sid, _, _ := strings.Cut(id, ".")
	return sid
}

// NewSecret returns an opaque secret bound to a session: "prefix_<sid>.<random>".
// Its hash goes into the session; the secret itself is shown once.
func NewSecret(prefix, sessionID string) (secret, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	secret = prefix + "_" + sessionID + "." + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of an opaque secret (SHA-256: the secrets
// are 256-bit random, so a slow hash adds nothing).
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretSession extracts the session id of an opaque secret made by NewSecret.
func SecretSession(prefix, secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, prefix+"_")
	if !ok {
		return "", false
	}
	sid, _, ok := strings.Cut(rest, ".")
	return sid, ok && sid != ""
}

// EqualHash compares two hex hashes in constant time.
func EqualHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
