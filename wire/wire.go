// Package wire holds what every API dialect does the same way at the edge:
// reading a bounded body, decoding a JSON object strictly (invalid UTF-8,
// duplicate keys, wrong types and trailing data are errors that name the
// member), bearer token extraction and client IP. Dialects own their names,
// envelopes and error tables; this package owns none of those.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/eiam/eiam"
)

// MaxBody is the default bound of a request body (profile updates are small).
const MaxBody = 64 << 10

// ReadBody reads at most limit bytes of r's body.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, eiam.Errorf(eiam.ErrInvalid, "body", "malformed_json", "reason", "unreadable body")
	}
	if int64(len(b)) > limit {
		return nil, eiam.Errorf(eiam.ErrInvalid, "body", "body_too_large", "max", limit)
	}
	return b, nil
}

// Member is one member of a JSON object, in document order.
type Member struct {
	Key   string
	Value json.RawMessage
}

// Path returns the member's name under prefix ("extension.age").
func (m Member) Path(prefix string) string {
	if prefix == "" {
		return m.Key
	}
	return prefix + "." + m.Key
}

// DecodeObject decodes a JSON object into its members in order. An empty
// body is an empty object. Errors name where they are.
func DecodeObject(body []byte, path string) ([]Member, error) {
	if len(bytes.TrimSpace(body)) == 0 && path == "" {
		return nil, nil
	}
	if !utf8.Valid(body) {
		return nil, eiam.Errorf(eiam.ErrInvalid, orBody(path), "invalid_utf8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, malformed(path, err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, eiam.Errorf(eiam.ErrInvalid, orBody(path), "invalid_type", "type", "a JSON object")
	}
	var out []Member
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, malformed(path, err)
		}
		key := t.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed(path, err)
		}
		m := Member{Key: key, Value: raw}
		if seen[key] {
			return nil, eiam.Errorf(eiam.ErrInvalid, m.Path(path), "duplicate_key")
		}
		seen[key] = true
		out = append(out, m)
	}
	if _, err := dec.Token(); err != nil {
		return nil, malformed(path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, eiam.Errorf(eiam.ErrInvalid, orBody(path), "malformed_json", "reason", "data after the JSON object")
	}
	return out, nil
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func malformed(path string, err error) error {
	reason := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		reason = "unexpected end of input"
	}
	return eiam.Errorf(eiam.ErrInvalid, orBody(path), "malformed_json", "reason", reason)
}

// IsNull reports whether a raw value is JSON null.
func IsNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// String decodes a JSON string; null gives "" (a clear, per the shared rules).
func String(v json.RawMessage, field string) (string, error) {
	if IsNull(v) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", eiam.Errorf(eiam.ErrInvalid, field, "invalid_type", "type", "a string")
	}
	return s, nil
}

// Bool decodes a JSON boolean (null is an error: a flag cannot be cleared).
func Bool(v json.RawMessage, field string) (bool, error) {
	var b bool
	if IsNull(v) || json.Unmarshal(v, &b) != nil {
		return false, eiam.Errorf(eiam.ErrInvalid, field, "invalid_type", "type", "a boolean")
	}
	return b, nil
}

// Scalar decodes a string, number or boolean into its text (custom field
// values arrive as any of them); null gives "".
func Scalar(v json.RawMessage, field string) (string, error) {
	t := bytes.TrimSpace(v)
	switch {
	case IsNull(t):
		return "", nil
	case len(t) > 0 && t[0] == '"':
		return String(t, field)
	case string(t) == "true" || string(t) == "false":
		return string(t), nil
	case len(t) > 0 && (t[0] == '-' || t[0] >= '0' && t[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(t, &n); err == nil {
			return n.String(), nil
		}
	}
	return "", eiam.Errorf(eiam.ErrInvalid, field, "invalid_type", "type", "a string, number or boolean")
}

// BearerToken takes the token from an Authorization value sent as
// "Bearer <token>" (any case) or bare, as the vendors' SDKs variously do.
func BearerToken(h string) string {
	h = strings.TrimSpace(h)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return h
}

// Itoa formats an int64 for headers and messages.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }
