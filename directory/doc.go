// Package directory is the one update path of eiam. Every API surface — the
// four vendor dialects, SCIM, OIDC, import — decodes its request into an
// eiam.ProfileChange and calls Service; nothing else writes users.
//
// Service checks the actor's permission, validates the change with one
// engine (attribute rules, phone numbers by region, custom fields by their
// definitions), applies custom-field operations, bumps the version, and asks
// the store to commit the new state, its unique claims, one audit record and
// one change event in one transaction. A failed call changes nothing.
package directory
