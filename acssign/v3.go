package acssign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// AlgorithmV3 is the only V3 algorithm accepted. The SDKs also know
// ACS3-HMAC-SM3 and ACS3-RSA-SHA256 but never use them by default.
const AlgorithmV3 = "ACS3-HMAC-SHA256"

// HashPayloadV3 returns the lowercase hex SHA-256 of body.
func HashPayloadV3(body []byte) string {
	s := sha256.Sum256(body)
	return hex.EncodeToString(s[:])
}

// CanonicalRequestV3 builds the V3 canonical request (§A.5 step 6) of r for
// the given signed header names (lowercase, in the order given) and payload
// hash:
//
//	METHOD \n URI \n QUERY \n name:value\n… \n name;… \n payloadHash
//
// The query is r.Query re-encoded with Percent and sorted by encoded key
// (then value); the host header is r.Host; a header sent several times
// contributes its trimmed values sorted and joined with ",".
func CanonicalRequestV3(r *Request, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(r.Method))
	b.WriteByte('\n')
	b.WriteString(canonicalURIV3(r.Path))
	b.WriteByte('\n')
	b.WriteString(canonicalQueryV3(r.Query))
	b.WriteByte('\n')
	for _, h := range signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderV3(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// StringToSignV3 returns "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonicalRequest)).
func StringToSignV3(canonicalRequest string) string {
	s := sha256.Sum256([]byte(canonicalRequest))
	return AlgorithmV3 + "\n" + hex.EncodeToString(s[:])
}

// SignV3 returns lowercase hex HMAC-SHA256(secret, stringToSign); unlike V1
// the key has no "&" suffix.
func SignV3(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// SignRequestV3 signs r as the Alibaba V3 clients do: it sets x-acs-date,
// x-acs-signature-nonce and x-acs-content-sha256 (from r.Body), signs host,
// content-type and every x-acs-* header present, and sets Authorization.
// x-acs-action and x-acs-version must already be set; r.Host must be set.
func SignRequestV3(r *Request, accessKeyID, secret, nonce string, now time.Time) {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set("x-acs-date", now.UTC().Format("2006-01-02T15:04:05Z"))
	r.Header.Set("x-acs-signature-nonce", nonce)
	hash := HashPayloadV3(r.Body)
	r.Header.Set("x-acs-content-sha256", hash)
	signed := []string{"host"}
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-acs-") || lk == "content-type" {
			signed = append(signed, lk)
		}
	}
	sort.Strings(signed)
	signed = slices.Compact(signed)
	sig := SignV3(secret, StringToSignV3(CanonicalRequestV3(r, signed, hash)))
	r.Header.Set("Authorization", AlgorithmV3+" Credential="+accessKeyID+",SignedHeaders="+strings.Join(signed, ";")+",Signature="+sig)
}

// canonicalURIV3 mirrors the SDKs, which fix up the few characters their
// path encoders disagree on.
func canonicalURIV3(path string) string {
	if path == "" {
		return "/"
	}
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(path)
}

func canonicalQueryV3(q url.Values) string {
	type kv struct{ k, v string }
	items := make([]kv, 0, len(q))
	for k, vs := range q {
		ek := Percent(k)
		for _, v := range vs {
			items = append(items, kv{ek, Percent(v)})
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].k != items[j].k {
			return items[i].k < items[j].k
		}
		return items[i].v < items[j].v
	})
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(it.k)
		b.WriteByte('=')
		b.WriteString(it.v)
	}
	return b.String()
}

func canonicalHeaderV3(r *Request, name string) string {
	if name == "host" && r.Host != "" {
		return strings.TrimSpace(r.Host)
	}
	vs := r.Header.Values(name)
	if len(vs) == 1 {
		return strings.TrimSpace(vs[0])
	}
	t := make([]string, len(vs))
	for i, v := range vs {
		t[i] = strings.TrimSpace(v)
	}
	sort.Strings(t)
	return strings.Join(t, ",")
}

// authorizationV3 holds the parts of a V3 Authorization header.
type authorizationV3 struct {
	credential, signature string
	signedHeaders         []string
}

func parseAuthorizationV3(auth string) (authorizationV3, *Error) {
	var a authorizationV3
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != AlgorithmV3 {
		return a, badMethod("signature algorithm " + alg + " is not supported, only " + AlgorithmV3)
	}
	seen := map[string]bool{}
	for _, item := range strings.Split(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return a, incomplete("malformed Authorization item "+item, "")
		}
		if seen[name] {
			return a, incomplete("repeated Authorization item "+name, "")
		}
		seen[name] = true
		switch name {
		case "Credential":
			a.credential = value
		case "SignedHeaders":
			a.signedHeaders = strings.Split(value, ";")
		case "Signature":
			a.signature = value
		default:
			return a, incomplete("unknown Authorization item "+name, "")
		}
	}
	switch {
	case a.credential == "":
		return a, incomplete("Authorization has no Credential", "")
	case len(a.signedHeaders) == 0:
		return a, incomplete("Authorization has no SignedHeaders", "")
	case a.signature == "":
		return a, incomplete("Authorization has no Signature", "")
	}
	if _, err := hex.DecodeString(a.signature); err != nil || len(a.signature) != 2*sha256.Size {
		return a, incomplete("Signature is not 64 hex digits", "")
	}
	// The SDKs always send lowercase hex; accept upper case too.
	a.signature = strings.ToLower(a.signature)
	return a, nil
}

func parseV3(r *Request) (*Parsed, error) {
	a, perr := parseAuthorizationV3(headerValue(r.Header, "Authorization"))
	if perr != nil {
		return nil, perr
	}
	signed := make(map[string]bool, len(a.signedHeaders))
	for _, h := range a.signedHeaders {
		if h == "" || h != strings.ToLower(h) || signed[h] {
			return nil, incomplete("SignedHeaders must be distinct lowercase names", "")
		}
		signed[h] = true
		if h == "host" {
			if r.Host == "" && r.Header.Get("Host") == "" {
				return nil, incomplete("signed header host is missing", "")
			}
			continue
		}
		if len(r.Header.Values(h)) == 0 {
			return nil, incomplete("signed header "+h+" is missing", "")
		}
	}
	// The minimum a V3 request must sign (§A.5 step 5).
	for _, h := range []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"} {
		if !signed[h] {
			return nil, incomplete("header "+h+" must be signed", "")
		}
	}
	// An unsigned x-acs-* header (a security token, an access key id) could
	// be added by anyone, so all of them must be signed, as the V3 document
	// requires and the SDKs do. Content-Type decides how the signed body is
	// read, so it must be signed too when there is a body.
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-acs-") && !signed[lk] {
			return nil, incomplete("header "+lk+" is present but not signed", "")
		}
		if lk == "content-type" && len(r.Body) > 0 && !signed[lk] {
			return nil, incomplete("header content-type is present but not signed", "")
		}
	}
	for _, h := range []string{"x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} {
		if len(r.Header.Values(h)) != 1 {
			return nil, incomplete("header "+h+" must be sent once", "")
		}
	}
	m, err := mergeParams(r)
	if err != nil {
		return nil, err
	}
	hash := HashPayloadV3(r.Body)
	canonical := CanonicalRequestV3(r, a.signedHeaders, hash)
	p := &Parsed{
		Scheme:           SchemeV3,
		AccessKeyID:      a.credential,
		Nonce:            headerValue(r.Header, "x-acs-signature-nonce"),
		Timestamp:        headerValue(r.Header, "x-acs-date"),
		Action:           headerValue(r.Header, "x-acs-action"),
		Version:          headerValue(r.Header, "x-acs-version"),
		SecurityToken:    headerValue(r.Header, "x-acs-security-token"),
		Params:           toValues(m),
		CanonicalRequest: canonical,
		StringToSign:     StringToSignV3(canonical),
		signature:        a.signature,
	}
	if p.Nonce == "" {
		return nil, missing("x-acs-signature-nonce")
	}
	if got := strings.ToLower(headerValue(r.Header, "x-acs-content-sha256")); got != hash {
		p.bodyErr = "x-acs-content-sha256 " + got + " does not match the body hash " + hash
	}
	p.Time, p.timeErr = parseISOTime(p.Timestamp)
	return p, nil
}
