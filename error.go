package eiam

import (
	"errors"
	"fmt"
)

// Code is the kind of an error. Every API surface maps each Code to its own
// wire representation in exactly one table.
type Code string

// The error kinds of spec §3.
const (
	// ErrMissing: a required parameter or attribute is absent.
	ErrMissing Code = "missing"
	// ErrInvalid: a value is malformed, out of range, or not allowed.
	ErrInvalid Code = "invalid"
	// ErrUnknownField: the request names an attribute the API does not define.
	ErrUnknownField Code = "unknown_field"
	// ErrCustomField: a custom field is undeclared, disabled or not writable by the caller.
	ErrCustomField Code = "custom_field"
	// ErrUnknownClient: the application or access key is unknown or its secret is wrong.
	ErrUnknownClient Code = "unknown_client"
	// ErrUnauthenticated: a token is missing, invalid, expired or revoked.
	ErrUnauthenticated Code = "unauthenticated"
	// ErrBadCredentials: a username/password pair is wrong (sign-in only).
	ErrBadCredentials Code = "bad_credentials"
	// ErrLocked: the account is temporarily locked after repeated failures.
	ErrLocked Code = "locked"
	// ErrSignature: a request signature is wrong, stale or replayed.
	ErrSignature Code = "signature"
	// ErrForbidden: the caller is authenticated but may not do this.
	ErrForbidden Code = "forbidden"
	// ErrNotFound: the user (or other entity) does not exist in this instance.
	ErrNotFound Code = "not_found"
	// ErrConflict: a unique value (username, email, …) is already taken.
	ErrConflict Code = "conflict"
	// ErrPrecondition: the expected version does not match the current one.
	ErrPrecondition Code = "precondition"
	// ErrRateLimited: too many requests.
	ErrRateLimited Code = "rate_limited"
	// ErrInternal: anything else; details are logged, never returned.
	ErrInternal Code = "internal"
)

// Codes lists every Code, so that each API's mapping table can be tested for
// completeness.
var Codes = []Code{
	ErrMissing, ErrInvalid, ErrUnknownField, ErrCustomField, ErrUnknownClient,
	ErrUnauthenticated, ErrBadCredentials, ErrLocked, ErrSignature, ErrForbidden,
	ErrNotFound, ErrConflict, ErrPrecondition, ErrRateLimited, ErrInternal,
}

// Error is a domain error: a kind, the attribute or parameter it concerns, and
// a localizable message (a key of package i18n plus its arguments). The edge
// translates it into the caller's language and dialect.
type Error struct {
	Code Code
	// Field is the canonical attribute, custom field name ("custom_fields.age")
	// or parameter the error concerns; empty when none.
	Field string
	// Key names the message in the catalogue; Args fill its placeholders.
	Key  string
	Args map[string]any
	// Detail is an optional subcode a dialect may need (for example the
	// signature failure "nonce_used" or the string to sign).
	Detail string
	// Errs holds the individual violations when several were found at once
	// (validation reports all of them, not only the first).
	Errs []*Error
}

func (e *Error) Error() string {
	if len(e.Errs) > 1 {
		return fmt.Sprintf("%s: %s (and %d more)", e.Errs[0].Code, e.Errs[0].describe(), len(e.Errs)-1)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.describe())
}

func (e *Error) describe() string {
	if e.Field != "" {
		return e.Field + ": " + e.Key
	}
	return e.Key
}

// Errorf builds an Error with a message key and alternating name/value args.
func Errorf(code Code, field, key string, kv ...any) *Error {
	e := &Error{Code: code, Field: field, Key: key}
	if len(kv) > 0 {
		e.Args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Args[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return e
}

// Join combines violations into one error; nil when there are none. The
// combined error takes the code and field of the first violation, so that
// dialects that report only one error still report the first one found.
func Join(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	first := *errs[0]
	first.Errs = errs
	return &first
}

// ErrorCode returns the Code of err, ErrInternal when err is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return ErrInternal
}

// AsError returns err as a domain error; anything else becomes an internal
// error whose message reveals nothing.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: ErrInternal, Key: "internal"}
}

// Violations returns the individual errors inside err (itself when single).
func Violations(err error) []*Error {
	e := AsError(err)
	if len(e.Errs) > 0 {
		return e.Errs
	}
	return []*Error{e}
}
