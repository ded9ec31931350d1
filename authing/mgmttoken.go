package authing

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// Management tokens are what older Authing SDKs (Go, Java, Python) use
// instead of signing each request: POST /api/v3/get-management-token
// exchanges an access key for a JWT whose scoped_userpool_id claim names the
// user pool, and later calls send it as a Bearer token.
//
// They are signed by the same key ring as every other token but have no
// session: the access key is the thing that can be revoked, so every call
// re-reads the key and refuses the token once the key is disabled or
// deleted. Their token_use and audience keep them apart from user and
// client tokens, which in turn cannot pass here (and these, having no "sid",
// cannot pass token.Authority.Verify).
const (
	ManagementTokenTTL = 2 * time.Hour
	managementUse      = "management"
	managementAudience = "authing-management-api"
	// managementLeeway tolerates clock skew between replicas, as the token
	// package does for its own tokens.
	managementLeeway = 30 * time.Second
)

// managementClaims are the claims of a management token.
type managementClaims struct {
	jwt.Claims
	Use  string `json:"token_use"`
	Pool string `json:"scoped_userpool_id"`
}

// managementToken serves POST /api/v3/get-management-token.
func (a *API) managementToken(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return err
	}
	d := &decoder{}
	var id, secret string
	for _, m := range members {
		switch m.Key {
		case "accessKeyId":
			id, err = wire.String(m.Value, m.Key)
		case "accessKeySecret":
			secret, err = wire.String(m.Value, m.Key)
		default:
			err = eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field")
		}
		d.fail(err)
	}
	if id == "" {
		d.fail(eiam.Errorf(eiam.ErrMissing, "accessKeyId", "required"))
	}
	if secret == "" {
		d.fail(eiam.Errorf(eiam.ErrMissing, "accessKeySecret", "required"))
	}
	if err := d.err(); err != nil {
		return err
	}
	unknown := eiam.Errorf(eiam.ErrUnknownClient, "accessKeyId", "unknown_client", "id", id)
	key, err := a.Store.GetAccessKey(r.Context(), id)
	if err != nil {
		return notFoundAsUnknownClient(err, "accessKeyId", id)
	}
	if key.Disabled || subtle.ConstantTimeCompare([]byte(key.Secret), []byte(secret)) != 1 {
		return unknown
	}
	// Whether the key may act in the pool is checked on every call the
	// token makes, not here, so that issuing a token says nothing about
	// which pools exist.
	inst, err := a.adminInstance(r, c, key, "")
	if err != nil {
		return err
	}
	now := a.now().UTC()
	exp := now.Add(ManagementTokenTTL)
	tok, err := a.Tokens.Sign(r.Context(), "JWT", map[string]any{
		"iss": a.Tokens.Issuer(inst), "sub": key.ID, "aud": managementAudience,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(), "jti": eiam.NewID("jti"),
		"token_use": managementUse, "scoped_userpool_id": inst,
	})
	if err != nil {
		return err
	}
	return ok(w, c, map[string]any{"access_token": tok, "expires_in": int64(ManagementTokenTTL / time.Second)})
}

// verifyManagementToken checks a management token and returns its access
// key, which must still exist and be enabled, and its user pool.
func (a *API) verifyManagementToken(ctx context.Context, raw string) (*eiam.AccessKey, string, error) {
	invalid := eiam.Errorf(eiam.ErrUnauthenticated, "access_token", "token_invalid")
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return nil, "", invalid
	}
	set, err := a.Tokens.JWKS(ctx)
	if err != nil {
		return nil, "", err
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) == 0 {
		return nil, "", invalid
	}
	var c managementClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		return nil, "", invalid
	}
	if c.Use != managementUse || c.Pool == "" || c.Issuer != a.Tokens.Issuer(c.Pool) || c.Expiry == nil {
		return nil, "", invalid
	}
	want := jwt.Expected{Issuer: c.Issuer, AnyAudience: jwt.Audience{managementAudience}, Time: a.now()}
	if err := c.ValidateWithLeeway(want, managementLeeway); err != nil {
		return nil, "", invalid
	}
	key, err := a.Store.GetAccessKey(ctx, c.Subject)
	if err != nil {
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return nil, "", invalid
		}
		return nil, "", err
	}
	if key.Disabled {
		return nil, "", invalid
	}
	return key, c.Pool, nil
}
