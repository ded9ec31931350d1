package directory

import (
	"net/mail"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // zoneinfo is validated against the embedded database, whatever the host has
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"

	"github.com/eiam/eiam"
)

// checkText applies the rules every text value shares: valid UTF-8, no
// control characters, at most max characters.
func checkText(field, v string, max int) *eiam.Error {
	if !utf8.ValidString(v) {
		return eiam.Errorf(eiam.ErrInvalid, field, "invalid_utf8")
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return eiam.Errorf(eiam.ErrInvalid, field, "control_chars")
		}
	}
	if max > 0 && utf8.RuneCountInString(v) > max {
		return eiam.Errorf(eiam.ErrInvalid, field, "too_long", "max", max)
	}
	return nil
}

// validateAttr checks one non-empty value of a canonical attribute. It does
// not check cross-attribute rules (phone region with number, verified flags).
func validateAttr(a eiam.Attribute, v string, now time.Time) *eiam.Error {
	r, ok := rules[a]
	field := string(a)
	if !ok {
		return eiam.Errorf(eiam.ErrUnknownField, field, "unknown_field")
	}
	if err := checkText(field, v, r.max); err != nil {
		return err
	}
	switch r.kind {
	case kindUsername:
		for _, c := range v {
			if !(c < utf8.RuneSelf && (isAlnum(byte(c)) || strings.ContainsRune("_.@-", c))) {
				return eiam.Errorf(eiam.ErrInvalid, field, "invalid_username")
			}
		}
	case kindEmail:
		if !validEmail(v) {
			return eiam.Errorf(eiam.ErrInvalid, field, "invalid_email")
		}
	case kindURL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return eiam.Errorf(eiam.ErrInvalid, field, "invalid_url")
		}
	case kindGender:
		if v != eiam.GenderFemale && v != eiam.GenderMale && v != eiam.GenderUnknown {
			return eiam.Errorf(eiam.ErrInvalid, field, "invalid_enum", "allowed", "female, male, unknown")
		}
	case kindDate:
		d, err := time.Parse(time.DateOnly, v)
		if err != nil || d.Format(time.DateOnly) != v {
			return eiam.Errorf(eiam.ErrInvalid, field, "invalid_date")
		}
		if !d.Before(now) || d.Year() < 1900 {
			return eiam.Errorf(eiam.ErrInvalid, field, "date_not_past")
		}
	case kindPhoneRegion:
		if !allDigits(v) || len(v) > 6 || phonenumbers.GetRegionCodeForCountryCode(atoi(v)) == "ZZ" {
			return eiam.Errorf(eiam.ErrInvalid, field, "invalid_phone_region")
		}
	case kindPhoneNumber:
		if !allDigits(v) || len(v) < 6 {
			return eiam.Errorf(eiam.ErrInvalid, field, "invalid_format", "reason", "6 to 15 digits")
		}
	case kindLocale:
		if _, err := language.Parse(v); err != nil {
			return eiam.Errorf(eiam.ErrInvalid, field, "invalid_locale")
		}
	case kindZoneinfo:
		if _, err := time.LoadLocation(v); err != nil || v == "Local" {
			return eiam.Errorf(eiam.ErrInvalid, field, "invalid_zoneinfo")
		}
	}
	return nil
}

// validPhone checks number against the numbering plan of its region with
// libphonenumber's metadata.
func validPhone(region, number string) bool {
	n, err := phonenumbers.Parse("+"+region+number, "")
	if err != nil || n.GetCountryCode() != int32(atoi(region)) {
		return false
	}
	return phonenumbers.IsValidNumber(n)
}

// validEmail accepts an RFC 5322 addr-spec whose local part uses letters,
// digits and . _ - + (the seeds' rule), with a dotted domain.
func validEmail(v string) bool {
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return false
	}
	local, domain := v[:at], v[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") || len(local) > 64 {
		return false
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; !isAlnum(c) && !strings.ContainsRune("._-+", rune(c)) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	// The hand check above is stricter than RFC 5322; net/mail confirms
	// the result is also a well-formed address by the standard.
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi parses a short all-digit string (already checked); 0 otherwise.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// mask hides a sensitive value for audit records and logs, keeping the last
// four characters so an operator can still tell values apart.
func mask(v string) string {
	r := []rune(v)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}
