package directory

import (
	"strconv"
	"sync"
)

// PhoneMemo remembers whether phone numbers are valid, up to a number of
// them, for the Services given it (Options.Phones). Parsing a number with
// libphonenumber is the costliest rule of a new user (about 10 µs); an
// import checks every user of its file and then writes them through the
// same rules, with two Services, so without a memo it pays that twice per
// user. A number's validity depends on nothing but the number, so what is
// remembered never goes stale. It is safe for concurrent use.
type PhoneMemo struct {
	mu    sync.Mutex
	max   int
	valid map[phoneKey]bool
}

// phoneKey is a number in a fixed size: its country calling code, its
// digits as an integer and how many digits there are (leading zeros are
// part of a number).
type phoneKey struct {
	region uint16
	digits uint8
	number uint64
}

// keyOf returns the key of a number, false for one that does not fit one
// (it is then validated every time).
func keyOf(region, number string) (phoneKey, bool) {
	// A region with a leading zero ("086") is not a country calling code
	// and would share the key of the one without ("86").
	if len(region) == 0 || len(region) > 3 || region[0] == '0' || len(number) == 0 || len(number) > 19 ||
		!allDigits(region) || !allDigits(number) {
		return phoneKey{}, false
	}
	r, _ := strconv.ParseUint(region, 10, 16)
	n, err := strconv.ParseUint(number, 10, 64)
	if err != nil {
		return phoneKey{}, false
	}
	return phoneKey{region: uint16(r), digits: uint8(len(number)), number: n}, true
}

// NewPhoneMemo returns a memo of at most max numbers (up to about 50 bytes
// each, with the map's slack).
func NewPhoneMemo(max int) *PhoneMemo {
	return &PhoneMemo{max: max, valid: make(map[phoneKey]bool)}
}

// validPhone is validPhone, remembered. A nil memo remembers nothing.
func (m *PhoneMemo) validPhone(region, number string) bool {
	if m == nil {
		return validPhone(region, number)
	}
	k, ok := keyOf(region, number)
	if !ok {
		return validPhone(region, number)
	}
	m.mu.Lock()
	valid, seen := m.valid[k]
	m.mu.Unlock()
	if seen {
		return valid
	}
	valid = validPhone(region, number)
	m.mu.Lock()
	if len(m.valid) < m.max {
		m.valid[k] = valid
	}
	m.mu.Unlock()
	return valid
}
