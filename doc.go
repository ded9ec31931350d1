// Package eiam is the domain of the eiam directory: instances, applications,
// access keys, custom field definitions, organizational units and users, the
// one partial-update shape every API decodes into (ProfileChange), the error
// kinds every API maps to its own wire codes, and the interfaces of the stores.
//
// It imports only the standard library. Validation and the update path live in
// package directory; storage in the sqlite and postgres packages; each wire
// dialect in its own package.
package eiam
