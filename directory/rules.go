package directory

import "github.com/eiam/eiam"

// kind selects the format check of a text attribute beyond length and
// control characters.
type kind int

const (
	kindText kind = iota
	kindUsername
	kindEmail
	kindURL
	kindGender
	kindDate
	kindPhoneRegion
	kindPhoneNumber
	kindLocale
	kindZoneinfo
)

// rule is what the engine knows of one canonical attribute.
type rule struct {
	// max is the maximum length in characters (runes).
	max  int
	kind kind
	// selfWritable is false for attributes a user may not change on
	// themselves: they have verification flows of their own (spec §2).
	selfWritable bool
	// sensitive values are encrypted at rest and masked in audit and logs.
	sensitive bool
}

// rules is the table of every canonical text attribute. An attribute not in
// it cannot be set.
var rules = map[eiam.Attribute]rule{
	eiam.AttrUsername:       {256, kindUsername, true, false},
	eiam.AttrDisplayName:    {128, kindText, true, false},
	eiam.AttrName:           {128, kindText, true, false},
	eiam.AttrGivenName:      {64, kindText, true, false},
	eiam.AttrMiddleName:     {64, kindText, true, false},
	eiam.AttrFamilyName:     {64, kindText, true, false},
	eiam.AttrNickname:       {64, kindText, true, false},
	eiam.AttrPreferredName:  {256, kindText, true, false},
	eiam.AttrPicture:        {1024, kindURL, true, false},
	eiam.AttrGender:         {7, kindGender, true, false},
	eiam.AttrBirthdate:      {10, kindDate, true, false},
	eiam.AttrEmail:          {128, kindEmail, false, false},
	eiam.AttrPhoneRegion:    {6, kindPhoneRegion, false, false},
	eiam.AttrPhoneNumber:    {15, kindPhoneNumber, false, false},
	eiam.AttrAddress:        {256, kindText, true, false},
	eiam.AttrStreetAddress:  {256, kindText, true, false},
	eiam.AttrLocality:       {128, kindText, true, false},
	eiam.AttrRegion:         {128, kindText, true, false},
	eiam.AttrPostalCode:     {32, kindText, true, false},
	eiam.AttrCountry:        {64, kindText, true, false},
	eiam.AttrCompany:        {128, kindText, true, false},
	eiam.AttrIndustry:       {128, kindText, true, false},
	eiam.AttrExternalID:     {128, kindText, true, false},
	eiam.AttrIdentityNumber: {64, kindText, true, true},
	eiam.AttrDescription:    {256, kindText, true, false},
	eiam.AttrLocale:         {35, kindLocale, true, false},
	eiam.AttrZoneinfo:       {64, kindZoneinfo, true, false},
	eiam.AttrWebsite:        {1024, kindURL, true, false},
	eiam.AttrProfile:        {1024, kindURL, true, false},
}

// Sensitive reports whether attribute a is encrypted at rest and masked.
func Sensitive(a eiam.Attribute) bool { return rules[a].sensitive }

// MaxLength returns the documented maximum length of attribute a (0 when a
// is not a canonical text attribute).
func MaxLength(a eiam.Attribute) int { return rules[a].max }

// Attributes returns every canonical text attribute the engine accepts.
func Attributes() []eiam.Attribute {
	out := make([]eiam.Attribute, 0, len(rules))
	for a := range rules {
		out = append(out, a)
	}
	return out
}

// defaultCustomMax bounds a string custom field value when its definition
// sets no length.
const defaultCustomMax = 1024

// maxNumberLen is the longest number custom field value (Alibaba: ≤ 32 chars).
const maxNumberLen = 32
