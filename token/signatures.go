package token

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxVerifiedTokens bounds the tokens whose signature an Authority
// remembers (a few hundred bytes each).
const maxVerifiedTokens = 65_536

// verifiedToken is what checking a token's signature established: the key
// that signed it and the claims it carries. Both are facts of the token's
// bytes, true for as long as the key is published, so they are kept by the
// token's hash rather than established again with an RSA verification and
// a JSON parse on every request. Everything that can change — the key's
// retirement, the clock, the session — is still checked on every call.
type verifiedToken struct {
	kid    string
	claims Claims
	// until is when the token expires; past it the entry is of no use.
	until time.Time
}

// signatures remembers verified tokens by their SHA-256 hash. It is safe
// for concurrent use; when full, an arbitrary entry makes room for a new
// one.
type signatures struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]*verifiedToken
}

func newSignatures() *signatures {
	return &signatures{m: make(map[[sha256.Size]byte]*verifiedToken)}
}

func (s *signatures) get(h [sha256.Size]byte, now time.Time) (*verifiedToken, bool) {
	s.mu.RLock()
	v, ok := s.m[h]
	s.mu.RUnlock()
	if !ok || !now.Before(v.until) {
		return nil, false
	}
	return v, true
}

func (s *signatures) put(h [sha256.Size]byte, v *verifiedToken) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; !ok && len(s.m) >= maxVerifiedTokens {
		for k := range s.m {
			delete(s.m, k)
			break
		}
	}
	s.m[h] = v
}
