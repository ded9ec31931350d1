package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/alibabadev"
	"github.com/eiam/eiam/alibabarpc"
	"github.com/eiam/eiam/authing"
	"github.com/eiam/eiam/bamboo"
	"github.com/eiam/eiam/cache"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/httpserver"
	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/oidcprovider"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/token"
)

// routes registers every API surface on srv. All of them share one store,
// one directory service (the one update path) and one token authority, so
// a change made through any door is the same change seen through every
// other; /healthz and /metrics are the server's own.
//
// They read through a cache.Store: applications, access keys and field
// definitions come from memory while the database's security epoch says
// nothing of the kind changed (package cache).
func routes(ctx context.Context, srv *httpserver.Server, db eiam.Store, key *masterkey.Key, publicURL string, argon2id password.Params, log *slog.Logger) (*token.Authority, error) {
	hasher, err := password.NewHasher(argon2id)
	if err != nil {
		return nil, err
	}
	// Optional abilities of the database's own store, which the cache does
	// not pass on.
	rehasher, _ := db.(directory.Rehasher)
	store := cache.New(db)
	dir := directory.New(store, directory.Options{Passwords: hasher, Index: key})
	tokens := token.New(store, token.Options{PublicURL: publicURL})
	if err := tokens.EnsureKey(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	signIn := &directory.SignIn{Store: store, Passwords: hasher, Rehash: rehasher}

	(&bamboo.API{Directory: dir, SignIn: signIn, Tokens: tokens, Store: store, Log: log}).Routes(srv.Handle)

	au := &authing.API{Directory: dir, SignIn: signIn, Secrets: hasher, Tokens: tokens, Store: store,
		Nonces: nonceAdapter{store}, Log: log}
	au.Routes(srv.Handle)
	// Authing SDKs fetch keys here; every issuer publishes the same ring.
	srv.Handle("GET /oidc/.well-known/jwks.json", au.JWKSHandler())
	srv.Handle("GET /instances/{instanceId}/.well-known/jwks.json", au.JWKSHandler())

	(&alibabadev.API{Directory: dir, Tokens: tokens, Store: store, Secrets: hasher, Log: log}).Routes(srv.Handle)
	(&alibabarpc.API{Directory: dir, Store: store, Nonces: store, Log: log}).Routes(srv.Handle)

	// OpenID Connect, one issuer per instance; the JWKS route above is more
	// specific, so the keys keep their one handler.
	op := oidcprovider.New(oidcprovider.Options{
		Store: store, Tokens: tokens, SignIn: signIn, Secrets: hasher,
		CryptoKeySeed: []byte(key.BlindIndex("oidc", "openid provider code key")), Log: log,
	})
	srv.Handle(oidcprovider.Pattern, op)
	op.AppHostRoutes(srv.Handle)
	return tokens, nil
}

// nonceAdapter lets the Authing management API, whose signature helper
// speaks in TTLs, use the database's nonce store, which all replicas share.
type nonceAdapter struct{ store eiam.NonceStore }

func (n nonceAdapter) Claim(ctx context.Context, accessKeyID, nonce string, ttl time.Duration) (bool, error) {
	return n.store.ClaimNonce(ctx, "authing:"+accessKeyID, nonce, time.Now().Add(ttl))
}

// purger deletes expired sessions and nonces now and then, so the tables
// every token check reads stay small.
type purger interface {
	PurgeExpired(ctx context.Context, cutoff time.Time) (int64, error)
}

func purgeLoop(ctx context.Context, store eiam.Store, log *slog.Logger) {
	p, ok := store.(purger)
	if !ok {
		return
	}
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// An hour of grace keeps expired sessions around long enough to
			// explain a recent "token expired" in the logs.
			if n, err := p.PurgeExpired(ctx, time.Now().Add(-time.Hour)); err != nil {
				log.Warn("purge expired sessions", "error", err)
			} else if n > 0 {
				log.Info("purged expired sessions and nonces", "rows", n)
			}
		}
	}
}
