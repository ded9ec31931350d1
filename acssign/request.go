package acssign

import (
	"context"
	"crypto/hmac"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Scheme names a signature scheme.
type Scheme string

// The supported schemes.
const (
	SchemeV1      Scheme = "v1"      // Alibaba RPC, HMAC-SHA1, signature in the parameters
	SchemeV3      Scheme = "v3"      // Alibaba ACS3-HMAC-SHA256 Authorization header
	SchemeAuthing Scheme = "authing" // authing-node-sdk 4.x "authorization: authing AK:sig"
)

// DefaultWindow is the clock skew the Alibaba gateway tolerates (§A.6), and
// the default for CheckTime and Verifier.
const DefaultWindow = 15 * time.Minute

// Request is what verification needs from an HTTP request. Build it with
// NewRequest on a server; tests may fill it directly.
type Request struct {
	Method string      // GET, POST…
	Path   string      // URL path as sent, still percent-encoded (RPC: "/")
	Query  url.Values  // decoded query string
	Form   url.Values  // Body decoded as application/x-www-form-urlencoded, or nil; V3 trusts it only because Body is hashed, so it must come from Body
	Header http.Header // request headers; Host is taken from Host, not from here
	Host   string      // Host header as sent, including any port
	Body   []byte      // raw body bytes
}

// NewRequest extracts a Request from an incoming server request. body is the
// already-read request body (the caller chooses the size limit). Form is
// filled only for POST/PUT/PATCH with Content-Type
// application/x-www-form-urlencoded, as the Alibaba clients send it.
func NewRequest(hr *http.Request, body []byte) (*Request, error) {
	q, err := url.ParseQuery(hr.URL.RawQuery)
	if err != nil {
		return nil, incomplete("malformed query string: "+err.Error(), "")
	}
	r := &Request{
		Method: hr.Method,
		Path:   rawPath(hr),
		Query:  q,
		Header: hr.Header,
		Host:   hr.Host,
		Body:   body,
	}
	if hr.Method == http.MethodPost || hr.Method == http.MethodPut || hr.Method == http.MethodPatch {
		if ct, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
			if r.Form, err = url.ParseQuery(string(body)); err != nil {
				return nil, incomplete("malformed form body: "+err.Error(), "")
			}
		}
	}
	return r, nil
}

// rawPath returns the path exactly as the client wrote it: V3 signs the
// encoded path, and Go's URL.EscapedPath may re-encode it differently.
func rawPath(hr *http.Request) string {
	if uri := hr.RequestURI; strings.HasPrefix(uri, "/") {
		if i := strings.IndexByte(uri, '?'); i >= 0 {
			uri = uri[:i]
		}
		return uri
	}
	return hr.URL.EscapedPath()
}

// NewHTTPRequest turns r into a client request against baseURL (scheme and
// host, e.g. "http://127.0.0.1:8080"), for tests and small clients: the query
// is written with Percent encoding as the SDKs do, Form (if set) becomes an
// application/x-www-form-urlencoded body unless Body is already set, and
// r.Host, if set, is sent as the Host header.
func (r *Request) NewHTTPRequest(ctx context.Context, baseURL string) (*http.Request, error) {
	body := r.Body
	if body == nil && r.Form != nil {
		body = []byte(encodeValues(r.Form))
	}
	target := strings.TrimRight(baseURL, "/") + r.Path
	if len(r.Query) > 0 {
		target += "?" + encodeValues(r.Query)
	}
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	hr, err := http.NewRequestWithContext(ctx, r.Method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("acssign: build request: %w", err)
	}
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Host") {
			continue
		}
		hr.Header[k] = append([]string(nil), vs...)
	}
	if r.Form != nil && r.Body == nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.Host != "" {
		hr.Host = r.Host
	}
	return hr, nil
}

func encodeValues(v url.Values) string {
	var b strings.Builder
	for _, k := range sortedKeys(v) {
		for _, x := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(Percent(k))
			b.WriteByte('=')
			b.WriteString(Percent(x))
		}
	}
	return b.String()
}

// Parsed is the identity a request claims, before its secret is known, plus
// everything needed to check the signature. Parse fills it; its fields are
// read-only for callers.
type Parsed struct {
	Scheme      Scheme
	AccessKeyID string
	Nonce       string
	// Timestamp is the raw V1 Timestamp, V3 x-acs-date or Authing date value;
	// Time is its parsed value, zero if it did not parse (CheckTime reports it).
	Timestamp string
	Time      time.Time
	// Action and Version come from the Action/Version parameters (V1) or the
	// x-acs-action/x-acs-version headers (V3); empty for Authing or if absent.
	Action  string
	Version string
	// SecurityToken is the STS token (V1 SecurityToken, V3
	// x-acs-security-token), empty if none. eiam issues no STS tokens, so a
	// caller should reject a request that carries one.
	SecurityToken string
	// Params holds the signed parameters with one value per key: for V1 the
	// merged query and form without Signature (form wins); for V3 the merged
	// query and form (the form is covered by the body hash); for Authing the
	// query (GET only — the JSON body is the payload).
	Params url.Values
	// StringToSign is what the server signs; CanonicalRequest is the V3
	// canonical request (empty for other schemes).
	StringToSign     string
	CanonicalRequest string

	signature string   // as sent: base64 (V1, Authing) or hex (V3)
	alt       []string // other strings to sign the client may have used (Authing "path?")
	bodyErr   string   // V3: why the body does not match x-acs-content-sha256
	timeErr   bool
}

// Detect says which scheme a request uses, or "" if it carries no signature
// at all (for example a bearer token). It looks only at the Authorization
// header and the V1 parameter names; Parse does the validation.
func Detect(r *Request) Scheme {
	auth := headerValue(r.Header, "Authorization")
	switch {
	case strings.HasPrefix(auth, "ACS3-"):
		return SchemeV3
	case len(auth) >= 8 && strings.EqualFold(auth[:8], "authing "):
		return SchemeAuthing
	}
	for _, k := range []string{"Signature", "AccessKeyId", "SignatureMethod", "SignatureNonce"} {
		if r.Query.Has(k) || r.Form.Has(k) {
			return SchemeV1
		}
	}
	return ""
}

// Parse detects the scheme, checks that the signature is well formed and
// extracts the claimed access key, nonce and timestamp. It computes the
// server's string to sign but does not need the secret. Errors are *Error
// with code IncompleteSignature, InvalidSignatureMethod or MissingParameter
// (a request with no signature at all gives MissingParameter "Signature").
func Parse(r *Request) (*Parsed, error) {
	switch Detect(r) {
	case SchemeV1:
		return parseV1(r)
	case SchemeV3:
		return parseV3(r)
	case SchemeAuthing:
		return parseAuthing(r)
	}
	return nil, missing("Signature")
}

// Verify recomputes the signature with secret and compares it in constant
// time. On mismatch it returns an *Error with code SignatureDoesNotMatch whose
// StringToSign (and Message suffix) is the server's string to sign.
func (p *Parsed) Verify(secret string) error {
	if p.bodyErr != "" {
		return mismatch(p.bodyErr, p.StringToSign, p.CanonicalRequest)
	}
	if p.signature == "" {
		return incomplete("empty signature", p.StringToSign)
	}
	ok := false
	// Every candidate is computed so the time taken does not say which one
	// was close; there are at most two.
	for _, sts := range append([]string{p.StringToSign}, p.alt...) {
		var want string
		switch p.Scheme {
		case SchemeV1:
			want = SignV1(secret, sts)
		case SchemeV3:
			want = SignV3(secret, sts)
		case SchemeAuthing:
			want = SignAuthing(secret, sts)
		default:
			return incomplete("unknown scheme", p.StringToSign)
		}
		if hmac.Equal([]byte(want), []byte(p.signature)) {
			ok = true
		}
	}
	if !ok {
		return mismatch("signature does not match", p.StringToSign, p.CanonicalRequest)
	}
	return nil
}

// CheckTime checks the request time against now: an unparsable timestamp
// gives InvalidTimeStamp.Format, one more than window away (either side)
// gives InvalidTimeStamp.Expired. window <= 0 means DefaultWindow.
func (p *Parsed) CheckTime(now time.Time, window time.Duration) error {
	if window <= 0 {
		window = DefaultWindow
	}
	if p.timeErr || p.Time.IsZero() {
		return &Error{Code: CodeInvalidTimeStampFormat, Message: msgFormat, Detail: fmt.Sprintf("cannot parse timestamp %q", p.Timestamp)}
	}
	if d := now.Sub(p.Time); d > window || d < -window {
		return &Error{Code: CodeInvalidTimeStampExpired, Message: msgExpired, Detail: fmt.Sprintf("timestamp %s is %s away from server time", p.Timestamp, d.Round(time.Second))}
	}
	return nil
}

// headerValue returns the single value of a header, trimmed.
func headerValue(h http.Header, name string) string {
	return strings.TrimSpace(h.Get(name))
}

// singleValues checks that no key is repeated and flattens v. Clients never
// repeat a key, and a repeated one is a smuggling risk: the signature could
// cover one value while a handler reads the other.
func singleValues(v url.Values, where string) (map[string]string, *Error) {
	m := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) != 1 {
			return nil, incomplete(fmt.Sprintf("parameter %q is repeated in the %s", k, where), "")
		}
		m[k] = vs[0]
	}
	return m, nil
}

// mergeParams merges query and form, the form value winning (§A.4 step 1).
func mergeParams(r *Request) (map[string]string, *Error) {
	q, err := singleValues(r.Query, "query")
	if err != nil {
		return nil, err
	}
	f, err := singleValues(r.Form, "form body")
	if err != nil {
		return nil, err
	}
	for k, v := range f {
		q[k] = v
	}
	return q, nil
}

func toValues(m map[string]string) url.Values {
	v := make(url.Values, len(m))
	for k, x := range m {
		v[k] = []string{x}
	}
	return v
}
