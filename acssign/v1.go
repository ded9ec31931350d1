package acssign

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
	"time"
)

// StringToSignV1 builds the V1 (RPC HMAC-SHA1) string to sign (§A.4):
// METHOD & Percent("/") & Percent(canonical query), where the canonical query
// joins Percent(key)=Percent(value) for every key but Signature, sorted by
// key in byte order. Empty values are kept. A repeated key contributes each
// of its values in order (Parse rejects repeated keys before this).
func StringToSignV1(method string, params url.Values) string {
	var c strings.Builder
	for _, k := range sortedKeys(params) {
		if k == "Signature" {
			continue
		}
		for _, v := range params[k] {
			if c.Len() > 0 {
				c.WriteByte('&')
			}
			c.WriteString(Percent(k))
			c.WriteByte('=')
			c.WriteString(Percent(v))
		}
	}
	return strings.ToUpper(method) + "&%2F&" + Percent(c.String())
}

// SignV1 returns base64(HMAC-SHA1(secret+"&", stringToSign)).
func SignV1(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignRequestV1 signs r as the Alibaba RPC clients do: it sets AccessKeyId,
// SignatureMethod, SignatureVersion, SignatureNonce, Timestamp and Format
// where neither the query nor the form has them yet, then puts Signature in
// the query. Action, Version and business parameters must already be in
// r.Query or r.Form.
func SignRequestV1(r *Request, accessKeyID, secret, nonce string, now time.Time) {
	if r.Query == nil {
		r.Query = url.Values{}
	}
	defaults := [][2]string{
		{"AccessKeyId", accessKeyID},
		{"Format", "JSON"},
		{"SignatureMethod", "HMAC-SHA1"},
		{"SignatureNonce", nonce},
		{"SignatureVersion", "1.0"},
		{"Timestamp", now.UTC().Format("2006-01-02T15:04:05Z")},
	}
	for _, d := range defaults {
		if !r.Query.Has(d[0]) && !r.Form.Has(d[0]) {
			r.Query.Set(d[0], d[1])
		}
	}
	r.Query.Del("Signature")
	params := url.Values{}
	for k, v := range r.Query {
		params[k] = v
	}
	for k, v := range r.Form {
		params[k] = v
	}
	r.Query.Set("Signature", SignV1(secret, StringToSignV1(r.Method, params)))
}

func parseV1(r *Request) (*Parsed, error) {
	m, err := mergeParams(r)
	if err != nil {
		return nil, err
	}
	sig, ok := m["Signature"]
	if !ok {
		return nil, missing("Signature")
	}
	delete(m, "Signature")
	for _, name := range []string{"AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if m[name] == "" {
			return nil, missing(name)
		}
	}
	if m["SignatureMethod"] != "HMAC-SHA1" {
		return nil, badMethod("SignatureMethod " + m["SignatureMethod"] + " is not HMAC-SHA1")
	}
	if m["SignatureVersion"] != "1.0" {
		return nil, badMethod("SignatureVersion " + m["SignatureVersion"] + " is not 1.0")
	}
	// The legacy Go SDK sends SignatureType with an empty value; BEARERTOKEN
	// means the request is not HMAC-signed at all.
	if t := m["SignatureType"]; t != "" {
		return nil, badMethod("SignatureType " + t + " is not supported")
	}
	params := toValues(m)
	p := &Parsed{
		Scheme:        SchemeV1,
		AccessKeyID:   m["AccessKeyId"],
		Nonce:         m["SignatureNonce"],
		Timestamp:     m["Timestamp"],
		Action:        m["Action"],
		Version:       m["Version"],
		SecurityToken: m["SecurityToken"],
		Params:        params,
		StringToSign:  StringToSignV1(r.Method, params),
		// A client that forgets to encode the signature has its "+" decoded
		// to a space; base64 never contains a space, so undo that.
		signature: strings.ReplaceAll(sig, " ", "+"),
	}
	p.Time, p.timeErr = parseISOTime(p.Timestamp)
	return p, nil
}

// parseISOTime parses the Alibaba timestamp (UTC "2006-01-02T15:04:05Z");
// any RFC 3339 time is accepted because older clients add fractions.
func parseISOTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, true
	}
	return t, false
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
