package acssign

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// randomSecret is drawn per test run, so no fuzzed or seeded signature can
// have been made with it.
func randomSecret(t testing.TB) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// fuzzRequest builds a Request from flat fuzz inputs. headers holds
// "Name: value" lines.
func fuzzRequest(method, rawQuery, headers string, body []byte) *Request {
	q, _ := url.ParseQuery(rawQuery)
	h := http.Header{}
	host := ""
	for _, line := range strings.Split(headers, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(name), "host") {
			host = strings.TrimSpace(value)
			continue
		}
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	r := &Request{Method: method, Path: "/", Query: q, Header: h, Host: host, Body: body}
	if method == "POST" && strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Form, _ = url.ParseQuery(string(body))
	}
	return r
}

// flatten is the inverse of fuzzRequest, for seeds.
func flatten(r *Request) (method, rawQuery, headers string, body []byte) {
	var hb strings.Builder
	if r.Host != "" {
		hb.WriteString("Host: " + r.Host + "\n")
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			hb.WriteString(k + ": " + v + "\n")
		}
	}
	return r.Method, encodeValues(r.Query), hb.String(), r.Body
}

func addSeeds(f *testing.F, add func(r *Request)) {
	add(newV1(testNow))
	add(newV3(testNow))
	add(newAuthing(testNow))
	for _, file := range captureFiles {
		for _, c := range loadCaptures(f, file) {
			add(c.request(f))
		}
	}
}

// FuzzParse feeds arbitrary requests to Parse, Verify and CheckTime: none may
// panic, and Verify with a secret nobody has may never succeed.
func FuzzParse(f *testing.F) {
	addSeeds(f, func(r *Request) {
		m, q, h, b := flatten(r)
		f.Add(m, q, h, b)
	})
	f.Add("GET", "Signature=&AccessKeyId=&SignatureMethod=HMAC-SHA1", "", []byte(nil))
	f.Add("POST", "", "Authorization: ACS3-HMAC-SHA256 ,,,=\n", []byte("{"))
	f.Add("POST", "", "Authorization: authing ::\nDate: x", []byte(`{"a":`))
	f.Add("GET", "a[]=1&a=2", "Authorization: authing a:b\nx-authing-signature-nonce: n\nx-authing-signature-method: HMAC-SHA1\nx-authing-signature-version: 1.0\ndate: Tue, 24 Nov 2026 16:00:00 GMT", []byte(nil))
	secret := randomSecret(f)
	f.Fuzz(func(t *testing.T, method, rawQuery, headers string, body []byte) {
		r := fuzzRequest(method, rawQuery, headers, body)
		Detect(r)
		StringToSignV1(method, r.Query)
		CanonicalRequestV3(r, strings.Split(headers, ";"), "")
		_, _ = StringToSignAuthing(r)
		p, err := Parse(r)
		if err != nil {
			if ErrorCode(err) == "" {
				t.Fatalf("Parse returned a non-*Error: %v", err)
			}
			return
		}
		if err := p.Verify(secret); err == nil {
			t.Fatalf("fuzzed request verified with a random secret: %+v", p)
		} else if ErrorCode(err) == "" {
			t.Fatalf("Verify returned a non-*Error: %v", err)
		}
		_ = p.CheckTime(time.Now(), 0)
	})
}

// FuzzVerify mutates one part of a validly signed request. Verify with a
// random secret must always fail, and a mutation that changes anything the
// scheme signs must make Verify with the real secret fail too.
func FuzzVerify(f *testing.F) {
	for kind := range 3 {
		for where := range 4 {
			f.Add(uint8(kind), uint8(where), "InstanceId", "idaas_other")
			f.Add(uint8(kind), uint8(where), "x-acs-action", "DeleteUser")
			f.Add(uint8(kind), uint8(where), "x-authing-lang", " zh-CN ")
			f.Add(uint8(kind), uint8(where), "Authorization", "ACS3-HMAC-SHA256 Credential=AKtest")
		}
	}
	secret := randomSecret(f)
	f.Fuzz(func(t *testing.T, kind, where uint8, key, value string) {
		var r *Request
		switch kind % 3 {
		case 0:
			r = newV1(testNow)
		case 1:
			r = newV3(testNow)
		default:
			r = newAuthing(testNow)
		}
		scheme := Detect(r)
		signedChange := false
		switch where % 4 {
		case 0: // query parameter (signed by V1 and V3, refused on Authing POST)
			if r.Query == nil {
				r.Query = url.Values{}
			}
			before := slices.Clone(r.Query[key])
			r.Query.Set(key, value)
			// V1 merges the form over the query, so a key the form also has
			// is not what gets signed.
			signedChange = !slices.Equal(before, r.Query[key]) && !(scheme == SchemeV1 && r.Form.Has(key))
			if key == "Signature" && len(before) == 1 {
				// Parse reads a space in the V1 signature as the "+" it was.
				signedChange = strings.ReplaceAll(before[0], " ", "+") != strings.ReplaceAll(value, " ", "+")
			}
		case 1: // header
			lk := strings.ToLower(key)
			before := r.Header.Values(key)
			r.Header.Set(key, value)
			switch scheme {
			case SchemeV3:
				signedChange = strings.HasPrefix(lk, "x-acs-") && !(len(before) == 1 && strings.TrimSpace(before[0]) == strings.TrimSpace(value))
			case SchemeAuthing:
				signedChange = (strings.HasPrefix(lk, "x-authing-") || lk == "date") && !(len(before) == 1 && authingHeaderValue(before[0]) == authingHeaderValue(value))
			}
			// Authorization is not asserted on: its access key id is not
			// signed (the secret binds it), and its spelling may vary.
		case 2: // body
			signedChange = scheme == SchemeV3 && !bytes.Equal(r.Body, []byte(value))
			r.Body = []byte(value)
		case 3: // form parameter (V1 signs it; V3 covers it via the body only)
			if r.Form == nil {
				return
			}
			merged := r.Form[key]
			if len(merged) == 0 {
				merged = r.Query[key]
			}
			merged = slices.Clone(merged)
			r.Form.Set(key, value)
			signedChange = scheme == SchemeV1 && !slices.Equal(merged, []string{value})
			if key == "Signature" && len(merged) == 1 {
				signedChange = strings.ReplaceAll(merged[0], " ", "+") != strings.ReplaceAll(value, " ", "+")
			}
		}
		p, err := Parse(r)
		if err != nil {
			return
		}
		if p.Verify(secret) == nil {
			t.Fatal("verified with a random secret")
		}
		if signedChange && p.Verify(testSecret) == nil {
			t.Fatalf("signed part changed (where=%d key=%q value=%q) but the request still verifies", where%4, key, value)
		}
	})
}
