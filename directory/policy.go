package directory

import (
	"unicode"
	"unicode/utf8"

	"github.com/eiam/eiam"
)

// PasswordPolicy is what a new password must satisfy.
type PasswordPolicy struct {
	MinLength int
	MaxLength int
	// MinClasses is how many of lower case, upper case, digits and symbols
	// a password must mix.
	MinClasses int
}

// DefaultPolicy is used when an instance sets none.
var DefaultPolicy = PasswordPolicy{MinLength: 8, MaxLength: 128, MinClasses: 2}

// Check reports why pw does not satisfy the policy.
func (p PasswordPolicy) Check(pw string) *eiam.Error {
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		return eiam.Errorf(eiam.ErrInvalid, "password", "too_short", "min", p.MinLength)
	}
	if p.MaxLength > 0 && n > p.MaxLength {
		return eiam.Errorf(eiam.ErrInvalid, "password", "too_long", "max", p.MaxLength)
	}
	if !utf8.ValidString(pw) {
		return eiam.Errorf(eiam.ErrInvalid, "password", "invalid_utf8")
	}
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case unicode.IsControl(r):
			return eiam.Errorf(eiam.ErrInvalid, "password", "control_chars")
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			classes++
		}
	}
	if classes < p.MinClasses {
		return eiam.Errorf(eiam.ErrInvalid, "password", "password_policy", "reason", "mix at least two of lower case, upper case, digits and symbols")
	}
	return nil
}
