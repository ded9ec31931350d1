// Package oidcprovider is eiam's OpenID Connect provider: one issuer per
// instance at {public_url}/instances/{instanceId}, serving discovery, JWKS,
// the authorization code flow with PKCE behind a minimal server-rendered
// sign-in page, refresh tokens with rotation and reuse detection,
// client_credentials, userinfo, revocation (RFC 7009) and introspection
// (RFC 7662).
//
// The protocol is the op package of github.com/zitadel/oidc/v3; this
// package only adapts it to eiam. The directory is the source of users and
// applications, the token authority's key ring signs, and every token
// points at a server-side session (its "sid"), so that a revoked session, a
// disabled user or a changed password ends the tokens at once, exactly as
// for the tokens the vendor dialects issue. Refresh tokens are the opaque
// "rt_<sid>.<random>" secrets of token.NewSecret, so this token endpoint
// also redeems the refresh tokens the Authing sign-in hands out.
package oidcprovider
