package acssign

import (
	"context"
	"fmt"
	"time"
)

// Verifier runs the whole check in the order that leaks least and cannot be
// abused to burn nonces: Parse, look up the secret, Verify, CheckTime, and
// only then claim the nonce.
type Verifier struct {
	// Secret returns the secret of p.AccessKeyID. For an unknown or disabled
	// key it should return an *Error with code InvalidAccessKeyId.NotFound
	// (or .Inactive); Authenticate returns that error unchanged.
	Secret func(ctx context.Context, p *Parsed) (string, error)
	// Nonces remembers nonces; required.
	Nonces NonceStore
	// Window is the tolerated clock skew; 0 means DefaultWindow.
	Window time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Authenticate verifies r and returns what it claims. Errors are *Error
// (codes as Parse, Verify, CheckTime, plus SignatureNonceUsed), whatever
// Secret returned, or a wrapped NonceStore failure (treat as internal).
func (v *Verifier) Authenticate(ctx context.Context, r *Request) (*Parsed, error) {
	p, err := Parse(r)
	if err != nil {
		return nil, err
	}
	secret, err := v.Secret(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := p.Verify(secret); err != nil {
		return nil, err
	}
	window := v.Window
	if window <= 0 {
		window = DefaultWindow
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if err := p.CheckTime(now(), window); err != nil {
		return nil, err
	}
	// A request is accepted while its timestamp is within window of the
	// server clock, i.e. for up to 2×window after it could first arrive, so
	// the nonce must be remembered that long.
	fresh, err := v.Nonces.Claim(ctx, p.AccessKeyID, p.Nonce, 2*window)
	if err != nil {
		return nil, fmt.Errorf("claim nonce of access key %s: %w", p.AccessKeyID, err)
	}
	if !fresh {
		return nil, &Error{Code: CodeSignatureNonceUsed, Message: msgNonceUsed, Detail: "nonce " + p.Nonce + " was used already"}
	}
	return p, nil
}
