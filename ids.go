package eiam

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
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

// orderedEncoding has the characters of idEncoding in ASCII order, so that
// the encoding of bytes sorts as the bytes do.
var orderedEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewOrderedID returns an id of NewID's shape whose first 48 bits are the
// time in milliseconds and the other 80 random, so that ids made later
// sort after earlier ones (at millisecond grain). Users and audit records
// get such ids: rows keyed by them — the users table, the claims,
// memberships and audit records indexed by user, the audit records by id —
// then grow at the end of their indexes instead of at random places, which
// makes a large import much cheaper for SQLite. 80 random bits keep ids made in one millisecond apart, and
// ids are names, not secrets: that they tell when a user was created is
// no more than the user's created_at says.
func NewOrderedID(prefix string, now time.Time) string {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(b[:6], ms[2:])
	return prefix + "_" + orderedEncoding.EncodeToString(b[:])
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
