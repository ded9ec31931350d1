package acssign

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Percent encodes s the way every Alibaba signature does: the UTF-8 bytes of
// s, with A–Z a–z 0–9 - _ . ~ kept and every other byte written as %XX in
// upper-case hex. It differs from url.QueryEscape (which writes a space as
// "+") and from url.PathEscape (which keeps sub-delimiters).
func Percent(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// jsLess orders strings as JavaScript's default Array.prototype.sort does,
// by UTF-16 code units. The Authing SDK sorts parameter names that way; it
// differs from Go's byte order only when a supplementary-plane character is
// compared with one in U+E000–U+FFFF.
func jsLess(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return utf16Key(ra) < utf16Key(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return a == "" && b != ""
}

// utf16Key maps a rune to a value that sorts like its first UTF-16 code unit
// followed by its second.
func utf16Key(r rune) uint32 {
	if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError || r2 != utf8.RuneError {
		return uint32(r1)<<16 | uint32(r2)
	}
	return uint32(r) << 16
}

// jsJSONString writes s as JavaScript's JSON.stringify would: only '"', '\\'
// and control characters are escaped, and non-ASCII text is left as is. Go's
// json.Marshal also escapes <, >, & and U+2028/U+2029, which would not match.
func jsJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// jsSpace reports whether r is white space for JavaScript's String.prototype.trim.
func jsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}
