package acssign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// StringToSignAuthing builds the string authing-node-sdk 4.x signs for a
// management request (dialects-authing-bamboo §A.4, checked against the SDK
// source and captures):
//
//	METHOD\n
//	name:value\n    for every x-authing-* header and date, sorted by name
//	path[?k=v&…]    the parameters sorted by name (JavaScript order)
//
// The parameters are the query for GET and the top-level keys of the JSON
// body otherwise. Values are not percent-encoded: strings appear raw,
// numbers, booleans and null as their JSON text, objects and arrays as
// compact JSON in the body's own key order. A GET array sent by axios as
// k[]=a&k[]=b is signed as k=["a","b"].
//
// When a request has no parameters the SDK may have signed "path" or
// "path?" (it appends "?" when its parameter object had keys whose values
// were all undefined); this returns "path" and Parse also tries "path?".
func StringToSignAuthing(r *Request) (string, error) {
	sts, _, err := stringToSignAuthing(r)
	if err != nil {
		return "", err
	}
	return sts, nil
}

// SignAuthing returns base64(HMAC-SHA1(secret, stringToSign)); unlike
// Alibaba V1 the key has no "&" suffix.
func SignAuthing(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignRequestAuthing signs r as authing-node-sdk 4.x does: it sets the
// x-authing-signature-* headers and date, and then Authorization. A non-GET
// request's Body must be empty or a JSON object.
func SignRequestAuthing(r *Request, accessKeyID, secret, nonce string, now time.Time) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set("x-authing-signature-nonce", nonce)
	r.Header.Set("x-authing-signature-method", "HMAC-SHA1")
	r.Header.Set("x-authing-signature-version", "1.0")
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	if len(r.Body) > 0 && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	sts, err := StringToSignAuthing(r)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "authing "+accessKeyID+":"+SignAuthing(secret, sts))
	return nil
}

func parseAuthing(r *Request) (*Parsed, error) {
	auth := headerValue(r.Header, "Authorization")
	cred := strings.TrimSpace(auth[len("authing "):])
	i := strings.LastIndexByte(cred, ':')
	if i <= 0 || i == len(cred)-1 {
		return nil, incomplete("Authorization must be \"authing AccessKeyId:Signature\"", "")
	}
	for _, h := range []string{"x-authing-signature-method", "x-authing-signature-version", "x-authing-signature-nonce", "date"} {
		if headerValue(r.Header, h) == "" {
			return nil, missing(h)
		}
	}
	if m := headerValue(r.Header, "x-authing-signature-method"); m != "HMAC-SHA1" {
		return nil, badMethod("x-authing-signature-method " + m + " is not HMAC-SHA1")
	}
	if v := headerValue(r.Header, "x-authing-signature-version"); v != "1.0" {
		return nil, badMethod("x-authing-signature-version " + v + " is not 1.0")
	}
	sts, bare, err := stringToSignAuthing(r)
	if err != nil {
		return nil, err
	}
	p := &Parsed{
		Scheme:       SchemeAuthing,
		AccessKeyID:  cred[:i],
		Nonce:        headerValue(r.Header, "x-authing-signature-nonce"),
		Timestamp:    headerValue(r.Header, "date"),
		StringToSign: sts,
		signature:    cred[i+1:],
	}
	if bare {
		p.alt = []string{sts + "?"}
	}
	if r.Method == http.MethodGet {
		p.Params = url.Values{}
		for k, v := range r.Query {
			p.Params[k] = append([]string(nil), v...)
		}
	}
	t, terr := http.ParseTime(p.Timestamp)
	p.Time, p.timeErr = t, terr != nil
	return p, nil
}

// stringToSignAuthing returns the string to sign and whether the request had
// no parameters (so that "path?" is also possible).
func stringToSignAuthing(r *Request) (string, bool, *Error) {
	var b strings.Builder
	b.WriteString(strings.ToUpper(r.Method))
	b.WriteByte('\n')

	type header struct{ name, value string }
	var hs []header
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-authing-") && lk != "date" {
			continue
		}
		// The SDK keeps one value per header name.
		if len(vs) != 1 {
			return "", false, incomplete("header "+lk+" must be sent once", "")
		}
		hs = append(hs, header{lk, authingHeaderValue(vs[0])})
	}
	sort.Slice(hs, func(i, j int) bool { return jsLess(hs[i].name, hs[j].name) })
	for _, h := range hs {
		b.WriteString(h.name)
		b.WriteByte(':')
		b.WriteString(h.value)
		b.WriteByte('\n')
	}

	path, err := url.PathUnescape(r.Path)
	if err != nil {
		return "", false, incomplete("malformed path", "")
	}
	b.WriteString(path)

	params, perr := authingParams(r)
	if perr != nil {
		return "", false, perr
	}
	if len(params) == 0 {
		return b.String(), true, nil
	}
	sort.Slice(params, func(i, j int) bool { return jsLess(params[i][0], params[j][0]) })
	for i, kv := range params {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
	}
	return b.String(), false, nil
}

// authingHeaderValue mirrors the SDK's filter(value).trim().
func authingHeaderValue(v string) string {
	v = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r', '\f':
			return ' '
		}
		return r
	}, v)
	return strings.TrimFunc(v, jsSpace)
}

// authingParams returns the signed (name, value) pairs.
func authingParams(r *Request) ([][2]string, *Error) {
	if r.Method == http.MethodGet {
		return authingQueryParams(r.Query)
	}
	// The SDK signs only the body of a non-GET request; query parameters
	// would ride along unsigned, so refuse them.
	if len(r.Query) > 0 {
		return nil, incomplete("query parameters of a "+r.Method+" request are not covered by the signature", "")
	}
	return authingBodyParams(r.Body)
}

func authingQueryParams(q url.Values) ([][2]string, *Error) {
	out := make([][2]string, 0, len(q))
	seen := make(map[string]bool, len(q))
	for k, vs := range q {
		name, value := k, ""
		if base, ok := strings.CutSuffix(k, "[]"); ok {
			// axios writes an array as k[]=a&k[]=b; the SDK signed
			// JSON.stringify(array). The SDK's GET arrays are all string
			// arrays, so every element is a JSON string.
			var b strings.Builder
			b.WriteByte('[')
			for i, v := range vs {
				if i > 0 {
					b.WriteByte(',')
				}
				jsJSONString(&b, v)
			}
			b.WriteByte(']')
			name, value = base, b.String()
		} else {
			if len(vs) != 1 {
				return nil, incomplete("parameter "+k+" is repeated in the query", "")
			}
			value = vs[0]
		}
		if seen[name] {
			return nil, incomplete("parameter "+name+" is given twice", "")
		}
		seen[name] = true
		out = append(out, [2]string{name, value})
	}
	return out, nil
}

func authingBodyParams(body []byte) ([][2]string, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	bad := func(why string) ([][2]string, *Error) {
		return nil, incomplete("body is not a JSON object: "+why, "")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad("no opening brace")
	}
	var out [][2]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad(err.Error())
		}
		key, _ := tok.(string)
		if seen[key] {
			// JSON.parse and Go keep the last duplicate but a handler might
			// not; the SDK never sends one.
			return nil, incomplete("body key "+key+" is repeated", "")
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad(err.Error())
		}
		v, err := authingValue(raw)
		if err != nil {
			return bad(err.Error())
		}
		out = append(out, [2]string{key, v})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return bad("no closing brace")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("data after the object")
	}
	return out, nil
}

// authingValue renders a top-level body value as the SDK's `${value}` or
// JSON.stringify(value) did. The body is itself JSON.stringify output, so
// numbers and nested values are already in JavaScript's form; compacting
// keeps them byte-identical while tolerating a pretty-printed body.
func authingValue(raw json.RawMessage) (string, error) {
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '{', '[':
		var b bytes.Buffer
		err := json.Compact(&b, raw)
		return b.String(), err
	}
	return string(raw), nil
}
