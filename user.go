package eiam

import "time"

// Attribute is the canonical name of a user's text attribute (spec §2). Names
// follow the OpenID Connect standard claims where one exists.
type Attribute string

// The canonical text attributes of a user.
const (
	AttrUsername       Attribute = "username"
	AttrDisplayName    Attribute = "display_name"
	AttrName           Attribute = "name"
	AttrGivenName      Attribute = "given_name"
	AttrMiddleName     Attribute = "middle_name"
	AttrFamilyName     Attribute = "family_name"
	AttrNickname       Attribute = "nickname"
	AttrPreferredName  Attribute = "preferred_username"
	AttrPicture        Attribute = "picture"
	AttrGender         Attribute = "gender"
	AttrBirthdate      Attribute = "birthdate"
	AttrEmail          Attribute = "email"
	AttrPhoneRegion    Attribute = "phone_region"
	AttrPhoneNumber    Attribute = "phone_number"
	AttrAddress        Attribute = "address.formatted"
	AttrStreetAddress  Attribute = "address.street_address"
	AttrLocality       Attribute = "address.locality"
	AttrRegion         Attribute = "address.region"
	AttrPostalCode     Attribute = "address.postal_code"
	AttrCountry        Attribute = "address.country"
	AttrCompany        Attribute = "company"
	AttrIndustry       Attribute = "industry"
	AttrExternalID     Attribute = "external_id"
	AttrIdentityNumber Attribute = "identity_number"
	AttrDescription    Attribute = "description"
	AttrLocale         Attribute = "locale"
	AttrZoneinfo       Attribute = "zoneinfo"
	AttrWebsite        Attribute = "website"
	AttrProfile        Attribute = "profile"
)

// Flag is the canonical name of a user's boolean attribute.
type Flag string

// The canonical boolean attributes of a user.
const (
	FlagEmailVerified       Flag = "email_verified"
	FlagPhoneNumberVerified Flag = "phone_number_verified"
)

// Gender values (canonical; each dialect maps its own spelling).
const (
	GenderFemale  = "female"
	GenderMale    = "male"
	GenderUnknown = "unknown"
)

// Status is whether a user may sign in and use tokens.
type Status string

// User statuses.
const (
	StatusEnabled  Status = "enabled"
	StatusDisabled Status = "disabled"
)

// User is an account of one instance. Text attributes live in Attrs keyed by
// their canonical name, so that validation, audit diffs and each dialect's
// name mapping are tables rather than code per attribute; an absent key and
// an empty value both mean "not set".
type User struct {
	InstanceID string
	ID         string
	// Version increases by one with every successful change.
	Version int64
	Status  Status

	Attrs         map[Attribute]string
	EmailVerified bool
	PhoneVerified bool

	// CustomFields holds the values of declared custom fields by field
	// name. Single-valued fields hold one element; checkbox fields hold the
	// selected items in the order they were added.
	CustomFields map[string][]string

	// PasswordHash is an encoded argon2id hash; empty when no password is set.
	PasswordHash string
	// PasswordChangedAt is when the password last changed; tokens issued
	// before it are refused.
	PasswordChangedAt time.Time

	PrimaryOUID string
	// OUIDs are the units the user belongs to besides the primary one.
	OUIDs []string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Attr returns the value of a text attribute ("" when unset).
func (u *User) Attr(a Attribute) string { return u.Attrs[a] }

// Username returns the user's username.
func (u *User) Username() string { return u.Attrs[AttrUsername] }

// ExternalIDOrID is the user's external id, or the user id when none was
// given: Alibaba's APIs default it so, and eiam does on every read.
func (u *User) ExternalIDOrID() string {
	if v := u.Attrs[AttrExternalID]; v != "" {
		return v
	}
	return u.ID
}

// Flag returns the value of a boolean attribute.
func (u *User) Flag(f Flag) bool {
	switch f {
	case FlagEmailVerified:
		return u.EmailVerified
	case FlagPhoneNumberVerified:
		return u.PhoneVerified
	}
	return false
}

// Clone returns a deep copy, so that an update can be computed on a copy and
// discarded when it fails.
func (u *User) Clone() *User {
	c := *u
	c.Attrs = make(map[Attribute]string, len(u.Attrs))
	for k, v := range u.Attrs {
		c.Attrs[k] = v
	}
	c.CustomFields = make(map[string][]string, len(u.CustomFields))
	for k, v := range u.CustomFields {
		c.CustomFields[k] = append([]string(nil), v...)
	}
	c.OUIDs = append([]string(nil), u.OUIDs...)
	return &c
}

// CustomValue returns the single value of a custom field ("" when unset) and,
// for multi-value fields, the values joined by ",".
func (u *User) CustomValue(name string) string {
	vs := u.CustomFields[name]
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	out := vs[0]
	for _, v := range vs[1:] {
		out += "," + v
	}
	return out
}
