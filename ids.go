package eiam

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix + "_" + 26 random lowercase base32 characters (130
// bits), the shape of the vendors' ids (user_…, app_…, ufd_…, ou_…).
func NewID(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// UsernameClaim is the normalized unique claim of a username: usernames are
// unique per instance case-insensitively.
func UsernameClaim(username string) Claim {
	return Claim{Kind: ClaimUsername, Value: strings.ToLower(username)}
}

// EmailClaim is the normalized unique claim of an email address.
func EmailClaim(email string) Claim {
	return Claim{Kind: ClaimEmail, Value: strings.ToLower(email)}
}

// PhoneClaim is the normalized unique claim of a phone number: "+region number".
func PhoneClaim(region, number string) Claim {
	return Claim{Kind: ClaimPhone, Value: "+" + region + " " + number}
}

// ExternalIDClaim is the unique claim of an external id (case-sensitive).
func ExternalIDClaim(id string) Claim {
	return Claim{Kind: ClaimExternalID, Value: id}
}

// ClaimField names the attribute a claim kind protects, for error messages:
// "username", "email", "phone_number", "external_id" or "custom_fields.NAME".
func ClaimField(kind string) string {
	switch {
	case kind == ClaimPhone:
		return string(AttrPhoneNumber)
	case strings.HasPrefix(kind, ClaimCustomPrefix):
		return "custom_fields." + strings.TrimPrefix(kind, ClaimCustomPrefix)
	}
	return kind
}
