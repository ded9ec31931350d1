// Package token issues and verifies every token eiam hands out, whatever
// door it was issued through: the Bamboo login's id_token, the Authing
// sign-in's access and id tokens, the Alibaba developer API's client token
// and the OpenID Connect provider's tokens. All are RS256 JWTs signed with
// the keys of one key ring, carry the instance's issuer as "iss", and point
// at a server-side session ("sid") so that revoking the session, disabling
// or deleting the user, or changing their password makes them unusable at
// once rather than at expiry. Those checks are made once per session and
// security epoch (package cache): a revocation or a change of the user or
// application moves the epoch in its own transaction, so the next
// verification on any replica checks again.
package token
