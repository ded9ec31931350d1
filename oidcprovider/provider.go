package oidcprovider

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/token"
)

// Dialect names the sessions this provider starts and its audit origin.
const Dialect = "oidc"

// Store is what the provider needs from the database.
type Store interface {
	eiam.AuthRequestStore
	eiam.SessionStore
	GetInstance(ctx context.Context, id string) (*eiam.Instance, error)
	GetApplication(ctx context.Context, instanceID, id string) (*eiam.Application, error)
	FindApplicationByClientID(ctx context.Context, clientID string) (*eiam.Application, error)
	GetUser(ctx context.Context, instanceID, userID string) (*eiam.User, error)
}

// Authenticator checks a user's password, with lockout
// (directory.SignIn).
type Authenticator interface {
	Authenticate(ctx context.Context, instanceID, login, password string) (*eiam.User, error)
}

// SecretVerifier checks client secrets against their argon2id hashes.
type SecretVerifier interface {
	Verify(encoded, secret string) (ok, rehash bool, err error)
}

// Options configure a Provider.
type Options struct {
	Store   Store
	Tokens  *token.Authority
	SignIn  Authenticator
	Secrets SecretVerifier
	// CryptoKeySeed derives the key the op package encrypts authorization
	// codes with; every replica must use the same (eiam derives it from
	// the master key).
	CryptoKeySeed []byte
	// SessionTTL is how long a sign-in lasts, and with it its refresh
	// tokens (30 days by default).
	SessionTTL time.Duration
	// AuthRequestTTL is how long a user has to sign in, and a relying
	// party to redeem its code (10 minutes by default).
	AuthRequestTTL time.Duration
	Clock          eiam.Clock
	Log            *slog.Logger
}

// Provider serves every instance's issuer under /instances/{instanceId}/.
type Provider struct {
	opts      Options
	cryptoKey [32]byte
	loginKey  [32]byte // MACs sign-in forms (formBinding)

	mu  sync.Mutex
	ops map[string]*instanceProvider
}

type instanceProvider struct {
	op      *op.Provider
	storage *storage
	handler http.Handler
}

// New returns a Provider.
func New(opts Options) *Provider {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 30 * 24 * time.Hour
	}
	if opts.AuthRequestTTL == 0 {
		opts.AuthRequestTTL = 10 * time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Provider{opts: opts, cryptoKey: sha256.Sum256(opts.CryptoKeySeed),
		loginKey: sha256.Sum256(append([]byte("eiam sign-in form\x00"), opts.CryptoKeySeed...)),
		ops:      map[string]*instanceProvider{}}
}

// Pattern is where the provider must be mounted.
const Pattern = "/instances/{instanceId}/"

// ServeHTTP serves /instances/{instanceId}/…: the sign-in page at /login,
// everything else by the instance's op.Provider.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("instanceId")
	prefix := "/instances/" + id
	ip := p.instanceOrError(w, r, id, http.StatusNotFound)
	if ip == nil {
		return
	}
	if strings.TrimPrefix(r.URL.Path, prefix) == "/login" {
		p.login(w, r, ip)
		return
	}
	http.StripPrefix(prefix, ip.handler).ServeHTTP(w, r)
}

// instance returns the op.Provider of an instance, built on first use.
func (p *Provider) instance(ctx context.Context, id string) (*instanceProvider, error) {
	p.mu.Lock()
	ip := p.ops[id]
	p.mu.Unlock()
	if ip != nil {
		return ip, nil
	}
	if _, err := p.opts.Store.GetInstance(ctx, id); err != nil {
		return nil, err
	}
	issuer := p.opts.Tokens.Issuer(id)
	st := &storage{p: p, instanceID: id, issuer: issuer}
	config := &op.Config{
		CryptoKey:             p.cryptoKey,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedUILocales:    []language.Tag{language.English, language.Chinese},
		SupportedScopes: []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopePhone,
			oidc.ScopeAddress, oidc.ScopeOfflineAccess},
	}
	options := []op.Option{
		// The keys are where the rest of eiam already publishes them.
		op.WithCustomKeysEndpoint(op.NewEndpoint(".well-known/jwks.json")),
	}
	if strings.HasPrefix(issuer, "http://") {
		// A public URL without TLS is for development and tests; a
		// deployment puts TLS in front (docs/operations.md).
		options = append(options, op.WithAllowInsecure())
	}
	o, err := op.NewProvider(config, st, op.StaticIssuer(issuer), options...)
	if err != nil {
		return nil, fmt.Errorf("openid provider of %s: %w", id, err)
	}
	ip = &instanceProvider{op: o, storage: st, handler: o}
	p.mu.Lock()
	defer p.mu.Unlock()
	if existing := p.ops[id]; existing != nil {
		return existing, nil
	}
	p.ops[id] = ip
	return ip, nil
}

// instanceOrError returns the provider of an instance, or answers the
// error (notFound for an unknown instance) and returns nil.
func (p *Provider) instanceOrError(w http.ResponseWriter, r *http.Request, id string, notFound int) *instanceProvider {
	ip, err := p.instance(r.Context(), id)
	if err == nil {
		return ip
	}
	if eiam.ErrorCode(err) == eiam.ErrNotFound {
		writeError(w, notFound, oidc.ErrInvalidRequest().WithDescription("no such instance"))
		return nil
	}
	p.opts.Log.Error("oidc provider", "instance", id, "error", err)
	writeError(w, http.StatusInternalServerError, oidc.ErrServerError())
	return nil
}

// writeError answers an OAuth error as JSON.
func writeError(w http.ResponseWriter, status int, e *oidc.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	desc := strings.ReplaceAll(e.Description, `"`, `'`)
	fmt.Fprintf(w, `{"error":%q,"error_description":%q}`, string(e.ErrorType), desc)
}

var errNoRequest = errors.New("no such sign-in request")
