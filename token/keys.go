package token

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/eiam/eiam"
)

// keyBits is the RSA modulus size of new signing keys.
const keyBits = 2048

// key is a parsed signing key.
type key struct {
	meta *eiam.SigningKey
	priv *rsa.PrivateKey
}

// keyRing caches the signing keys of the store. It reloads when it meets an
// unknown kid (another replica rotated) and at most every reloadEvery.
type keyRing struct {
	store eiam.SigningKeyStore
	now   eiam.Clock

	mu       sync.RWMutex
	keys     map[string]*key
	loadedAt time.Time
}

const (
	reloadEvery  = time.Minute
	reloadOnMiss = time.Second
)

func (r *keyRing) load(ctx context.Context) error {
	list, err := r.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	keys := make(map[string]*key, len(list))
	for _, m := range list {
		priv, err := parsePEM(m.PrivateKeyPEM)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", m.ID, err)
		}
		keys[m.ID] = &key{meta: m, priv: priv}
	}
	r.mu.Lock()
	r.keys, r.loadedAt = keys, r.now()
	r.mu.Unlock()
	return nil
}

func (r *keyRing) snapshot(ctx context.Context) (map[string]*key, error) {
	r.mu.RLock()
	keys, at := r.keys, r.loadedAt
	r.mu.RUnlock()
	if keys == nil || r.now().Sub(at) > reloadEvery {
		if err := r.load(ctx); err != nil {
			if keys != nil {
				return keys, nil // keep serving with what we have
			}
			return nil, err
		}
		r.mu.RLock()
		keys = r.keys
		r.mu.RUnlock()
	}
	return keys, nil
}

// lookup returns the published key kid, reloading once on a miss.
func (r *keyRing) lookup(ctx context.Context, kid string) (*key, error) {
	keys, err := r.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if k := keys[kid]; k != nil && published(k.meta, r.now()) {
		return k, nil
	}
	r.mu.RLock()
	recent := r.now().Sub(r.loadedAt) < reloadOnMiss
	r.mu.RUnlock()
	if !recent {
		if err := r.load(ctx); err == nil {
			r.mu.RLock()
			k := r.keys[kid]
			r.mu.RUnlock()
			if k != nil && published(k.meta, r.now()) {
				return k, nil
			}
		}
	}
	return nil, errUnknownKey
}

var errUnknownKey = errors.New("token signed with an unknown key")

func published(m *eiam.SigningKey, now time.Time) bool {
	return m.RetireAt.IsZero() || now.Before(m.RetireAt)
}

// signing returns the key that signs now: the newest active one.
func (r *keyRing) signing(ctx context.Context) (*key, error) {
	keys, err := r.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	now := r.now()
	var best *key
	for _, k := range keys {
		if !published(k.meta, now) || k.meta.ActiveAt.After(now) {
			continue
		}
		if best == nil || k.meta.ActiveAt.After(best.meta.ActiveAt) {
			best = k
		}
	}
	if best == nil {
		return nil, errors.New("no active signing key; run the server once or `eiam keys rotate`")
	}
	return best, nil
}

// jwks returns the public keys to publish, newest first.
func (r *keyRing) jwks(ctx context.Context) (jose.JSONWebKeySet, error) {
	keys, err := r.snapshot(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	now := r.now()
	var list []*key
	for _, k := range keys {
		if published(k.meta, now) {
			list = append(list, k)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].meta.ActiveAt.After(list[j].meta.ActiveAt) })
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(list))}
	for _, k := range list {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.meta.ID, Algorithm: string(jose.RS256), Use: "sig"})
	}
	return set, nil
}

func newSigningKey(now, activeAt time.Time) (*eiam.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return &eiam.SigningKey{
		ID:            eiam.NewID("k"),
		Algorithm:     string(jose.RS256),
		PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		CreatedAt:     now,
		ActiveAt:      activeAt,
	}, nil
}

func parsePEM(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}
