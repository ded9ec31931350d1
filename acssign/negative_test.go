package acssign

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC)

const (
	testAK     = "AKtest"
	testSecret = "secret-test"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// newV1 returns a pop-core style POST: common params in the query, business
// params in a form body.
func newV1(at time.Time) *Request {
	r := &Request{
		Method: "POST",
		Path:   "/",
		Query:  url.Values{"Action": {"UpdateUser"}, "Version": {"2021-12-01"}, "InstanceId": {"idaas_abc"}},
		Form:   url.Values{"UserId": {"user_123"}, "DisplayName": {"Alice W 中文 *~+"}, "SignatureType": {""}},
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		Host:   "127.0.0.1:8080",
	}
	r.Body = []byte(encodeValues(r.Form))
	SignRequestV1(r, testAK, testSecret, "nonce-v1", at)
	return r
}

// newV3 returns a V3 POST with a query and a form body.
func newV3(at time.Time) *Request {
	r := &Request{
		Method: "POST",
		Path:   "/",
		Query:  url.Values{"InstanceId": {"idaas_abc"}, "Display Name": {"a b+c*~"}},
		Form:   url.Values{"UserId": {"user_123"}},
		Header: http.Header{},
		Host:   "127.0.0.1:8080",
	}
	r.Body = []byte(encodeValues(r.Form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("x-acs-action", "UpdateUser")
	r.Header.Set("x-acs-version", "2021-12-01")
	SignRequestV3(r, testAK, testSecret, "nonce-v3", at)
	return r
}

// newAuthing returns an authing-node-sdk style updateUser.
func newAuthing(at time.Time) *Request {
	r := &Request{
		Method: "POST",
		Path:   "/api/v3/update-user",
		Header: http.Header{"X-Authing-Lang": {"zh-CN"}},
		Host:   "127.0.0.1:8080",
		Body:   []byte(`{"userId":"u1","nickname":"Bobby 中","customData":{"z":1,"a":[true,null]},"phoneVerified":true}`),
	}
	if err := SignRequestAuthing(r, testAK, testSecret, "nonce-authing", at); err != nil {
		panic(err)
	}
	return r
}

// resignV3 signs r over exactly the given headers, bypassing the policy of
// SignRequestV3, so that a test isolates the verifier's policy checks.
func resignV3(r *Request, signed ...string) *Request {
	sig := SignV3(testSecret, StringToSignV3(CanonicalRequestV3(r, signed, HashPayloadV3(r.Body))))
	r.Header.Set("Authorization", AlgorithmV3+" Credential="+testAK+",SignedHeaders="+strings.Join(signed, ";")+",Signature="+sig)
	return r
}

func TestNegative(t *testing.T) {
	stale := testNow.Add(-16 * time.Minute)
	future := testNow.Add(16 * time.Minute)
	v3all := []string{"content-type", "host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
	tests := []struct {
		name   string
		req    func() *Request
		secret string // default testSecret
		want   string // "" = accepted
	}{
		// Baselines, so that every failure below is caused by its change.
		{"v1 ok", func() *Request { return newV1(testNow) }, "", ""},
		{"v3 ok", func() *Request { return newV3(testNow) }, "", ""},
		{"authing ok", func() *Request { return newAuthing(testNow) }, "", ""},
		{"v1 ok at edge of window", func() *Request { return newV1(testNow.Add(-15 * time.Minute)) }, "", ""},

		{"no signature at all", func() *Request {
			return &Request{Method: "GET", Path: "/", Query: url.Values{"Action": {"GetUser"}}}
		}, "", CodeMissingParameter},
		{"bearer token is not a signature", func() *Request {
			return &Request{Method: "GET", Path: "/", Header: http.Header{"Authorization": {"Bearer abc"}}}
		}, "", CodeMissingParameter},

		// V1
		{"v1 tampered query parameter", func() *Request { r := newV1(testNow); r.Query.Set("InstanceId", "idaas_other"); return r }, "", CodeSignatureDoesNotMatch},
		{"v1 tampered form parameter", func() *Request { r := newV1(testNow); r.Form.Set("UserId", "user_124"); return r }, "", CodeSignatureDoesNotMatch},
		{"v1 added parameter", func() *Request { r := newV1(testNow); r.Query.Set("Admin", "true"); return r }, "", CodeSignatureDoesNotMatch},
		{"v1 empty value dropped", func() *Request { r := newV1(testNow); r.Form.Del("SignatureType"); return r }, "", CodeSignatureDoesNotMatch},
		{"v1 form overrides query", func() *Request { r := newV1(testNow); r.Form.Set("InstanceId", "idaas_other"); return r }, "", CodeSignatureDoesNotMatch},
		{"v1 method changed", func() *Request { r := newV1(testNow); r.Method = "GET"; return r }, "", CodeSignatureDoesNotMatch},
		{"v1 wrong secret", func() *Request { return newV1(testNow) }, "other", CodeSignatureDoesNotMatch},
		{"v1 secret with & suffix", func() *Request { return newV1(testNow) }, testSecret + "&", CodeSignatureDoesNotMatch},
		{"v1 missing Signature", func() *Request { r := newV1(testNow); r.Query.Del("Signature"); return r }, "", CodeMissingParameter},
		{"v1 empty Signature", func() *Request { r := newV1(testNow); r.Query.Set("Signature", ""); return r }, "", CodeIncompleteSignature},
		{"v1 missing AccessKeyId", func() *Request { r := newV1(testNow); r.Query.Del("AccessKeyId"); return r }, "", CodeMissingParameter},
		{"v1 missing SignatureNonce", func() *Request { r := newV1(testNow); r.Query.Del("SignatureNonce"); return r }, "", CodeMissingParameter},
		{"v1 missing Timestamp", func() *Request { r := newV1(testNow); r.Query.Del("Timestamp"); return r }, "", CodeMissingParameter},
		{"v1 unknown SignatureMethod", func() *Request { r := newV1(testNow); r.Query.Set("SignatureMethod", "HMAC-SHA256"); return r }, "", CodeInvalidSignatureMethod},
		{"v1 unknown SignatureVersion", func() *Request { r := newV1(testNow); r.Query.Set("SignatureVersion", "2.0"); return r }, "", CodeInvalidSignatureMethod},
		{"v1 bearer SignatureType", func() *Request { r := newV1(testNow); r.Form.Set("SignatureType", "BEARERTOKEN"); return r }, "", CodeInvalidSignatureMethod},
		{"v1 repeated parameter", func() *Request { r := newV1(testNow); r.Query.Add("InstanceId", "idaas_x"); return r }, "", CodeIncompleteSignature},
		{"v1 stale timestamp", func() *Request { return newV1(stale) }, "", CodeInvalidTimeStampExpired},
		{"v1 future timestamp", func() *Request { return newV1(future) }, "", CodeInvalidTimeStampExpired},
		{"v1 malformed timestamp", func() *Request {
			r := newV1(testNow)
			r.Query.Set("Timestamp", "2026-11-24 16:00:00")
			r.Query.Del("Signature")
			SignRequestV1(r, testAK, testSecret, "n", testNow)
			return r
		}, "", CodeInvalidTimeStampFormat},

		// V3
		{"v3 tampered query parameter", func() *Request { r := newV3(testNow); r.Query.Set("InstanceId", "idaas_other"); return r }, "", CodeSignatureDoesNotMatch},
		{"v3 tampered body", func() *Request { r := newV3(testNow); r.Body = []byte("UserId=user_124"); return r }, "", CodeSignatureDoesNotMatch},
		{"v3 tampered body with matching hash header", func() *Request {
			r := newV3(testNow)
			r.Body = []byte("UserId=user_124")
			r.Header.Set("x-acs-content-sha256", HashPayloadV3(r.Body))
			return r
		}, "", CodeSignatureDoesNotMatch},
		{"v3 tampered signed header", func() *Request { r := newV3(testNow); r.Header.Set("x-acs-action", "DeleteUser"); return r }, "", CodeSignatureDoesNotMatch},
		{"v3 host changed", func() *Request { r := newV3(testNow); r.Host = "127.0.0.1:8081"; return r }, "", CodeSignatureDoesNotMatch},
		{"v3 method changed", func() *Request { r := newV3(testNow); r.Method = "PUT"; return r }, "", CodeSignatureDoesNotMatch},
		{"v3 wrong secret", func() *Request { return newV3(testNow) }, "other", CodeSignatureDoesNotMatch},
		{"v3 upper-case hex accepted", func() *Request {
			r := newV3(testNow)
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "Signature=") + len("Signature=")
			r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
			return r
		}, "", ""},
		{"v3 x-acs-date not signed", func() *Request {
			return resignV3(newV3(testNow), "content-type", "host", "x-acs-action", "x-acs-content-sha256", "x-acs-signature-nonce", "x-acs-version")
		}, "", CodeIncompleteSignature},
		{"v3 host not signed", func() *Request {
			return resignV3(newV3(testNow), v3all[0], v3all[2], v3all[3], v3all[4], v3all[5], v3all[6])
		}, "", CodeIncompleteSignature},
		{"v3 content-type not signed", func() *Request { return resignV3(newV3(testNow), v3all[1:]...) }, "", CodeIncompleteSignature},
		{"v3 resigned with all headers", func() *Request { return resignV3(newV3(testNow), v3all...) }, "", ""},
		{"v3 unsigned security token", func() *Request { r := newV3(testNow); r.Header.Set("x-acs-security-token", "t"); return r }, "", CodeIncompleteSignature},
		{"v3 signed header absent", func() *Request { r := newV3(testNow); r.Header.Del("x-acs-signature-nonce"); return r }, "", CodeIncompleteSignature},
		{"v3 upper-case SignedHeaders", func() *Request {
			r := newV3(testNow)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "Host;", 1))
			return r
		}, "", CodeIncompleteSignature},
		{"v3 unknown algorithm", func() *Request {
			r := newV3(testNow)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), AlgorithmV3, "ACS3-HMAC-SM3", 1))
			return r
		}, "", CodeInvalidSignatureMethod},
		{"v3 RSA algorithm", func() *Request {
			r := newV3(testNow)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), AlgorithmV3, "ACS3-RSA-SHA256", 1))
			return r
		}, "", CodeInvalidSignatureMethod},
		{"v3 truncated Authorization", func() *Request {
			r := newV3(testNow)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ",Signature=")])
			return r
		}, "", CodeIncompleteSignature},
		{"v3 truncated signature", func() *Request {
			r := newV3(testNow)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-2])
			return r
		}, "", CodeIncompleteSignature},
		{"v3 algorithm only", func() *Request { r := newV3(testNow); r.Header.Set("Authorization", AlgorithmV3); return r }, "", CodeIncompleteSignature},
		{"v3 repeated item", func() *Request {
			r := newV3(testNow)
			r.Header.Set("Authorization", r.Header.Get("Authorization")+",Credential=other")
			return r
		}, "", CodeIncompleteSignature},
		{"v3 non-hex signature", func() *Request {
			r := newV3(testNow)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+"g")
			return r
		}, "", CodeIncompleteSignature},
		{"v3 stale date", func() *Request { return newV3(stale) }, "", CodeInvalidTimeStampExpired},
		{"v3 malformed date", func() *Request {
			r := newV3(testNow)
			r.Header.Set("x-acs-date", "yesterday")
			return resignV3(r, v3all...)
		}, "", CodeInvalidTimeStampFormat},

		// Authing
		{"authing tampered body value", func() *Request {
			r := newAuthing(testNow)
			r.Body = []byte(strings.Replace(string(r.Body), "Bobby", "Bobbi", 1))
			return r
		}, "", CodeSignatureDoesNotMatch},
		{"authing nested key order matters", func() *Request {
			r := newAuthing(testNow)
			r.Body = []byte(strings.Replace(string(r.Body), `{"z":1,"a":[true,null]}`, `{"a":[true,null],"z":1}`, 1))
			return r
		}, "", CodeSignatureDoesNotMatch},
		{"authing string vs number", func() *Request {
			r := newAuthing(testNow)
			r.Body = []byte(strings.Replace(string(r.Body), `"z":1`, `"z":"1"`, 1))
			return r
		}, "", CodeSignatureDoesNotMatch},
		{"authing top-level order is free, whitespace is free", func() *Request {
			r := newAuthing(testNow)
			r.Body = []byte(`{ "phoneVerified": true, "customData": { "z": 1, "a": [ true, null ] }, "nickname": "Bobby 中", "userId": "u1" }`)
			return r
		}, "", ""},
		{"authing wrong secret", func() *Request { return newAuthing(testNow) }, "other", CodeSignatureDoesNotMatch},
		{"authing added x-authing header", func() *Request { r := newAuthing(testNow); r.Header.Set("x-authing-app-id", "other"); return r }, "", CodeSignatureDoesNotMatch},
		{"authing tampered lang header", func() *Request { r := newAuthing(testNow); r.Header.Set("x-authing-lang", "en-US"); return r }, "", CodeSignatureDoesNotMatch},
		{"authing path changed", func() *Request { r := newAuthing(testNow); r.Path = "/api/v3/delete-users-batch"; return r }, "", CodeSignatureDoesNotMatch},
		{"authing query on POST", func() *Request { r := newAuthing(testNow); r.Query = url.Values{"userId": {"u2"}}; return r }, "", CodeIncompleteSignature},
		{"authing body not JSON", func() *Request { r := newAuthing(testNow); r.Body = []byte("userId=u1"); return r }, "", CodeIncompleteSignature},
		{"authing body JSON array", func() *Request { r := newAuthing(testNow); r.Body = []byte(`["u1"]`); return r }, "", CodeIncompleteSignature},
		{"authing trailing data", func() *Request { r := newAuthing(testNow); r.Body = append(r.Body, " {}"...); return r }, "", CodeIncompleteSignature},
		{"authing duplicate key", func() *Request {
			r := newAuthing(testNow)
			r.Body = []byte(`{"userId":"u1","userId":"u2"}`)
			return r
		}, "", CodeIncompleteSignature},
		{"authing missing date", func() *Request { r := newAuthing(testNow); r.Header.Del("Date"); return r }, "", CodeMissingParameter},
		{"authing missing nonce", func() *Request { r := newAuthing(testNow); r.Header.Del("x-authing-signature-nonce"); return r }, "", CodeMissingParameter},
		{"authing other method", func() *Request {
			r := newAuthing(testNow)
			r.Header.Set("x-authing-signature-method", "HMAC-SHA256")
			return r
		}, "", CodeInvalidSignatureMethod},
		{"authing truncated Authorization", func() *Request { r := newAuthing(testNow); r.Header.Set("Authorization", "authing "+testAK); return r }, "", CodeIncompleteSignature},
		{"authing no access key", func() *Request {
			r := newAuthing(testNow)
			_, sig, _ := strings.Cut(r.Header.Get("Authorization"), ":")
			r.Header.Set("Authorization", "authing :"+sig)
			return r
		}, "", CodeIncompleteSignature},
		{"authing no signature", func() *Request {
			r := newAuthing(testNow)
			r.Header.Set("Authorization", "authing "+testAK+":")
			return r
		}, "", CodeIncompleteSignature},
		{"authing stale date", func() *Request { return newAuthing(stale) }, "", CodeInvalidTimeStampExpired},
		{"authing malformed date", func() *Request {
			r := newAuthing(testNow)
			r.Header.Del("Authorization")
			if err := SignRequestAuthing(r, testAK, testSecret, "n", testNow); err != nil {
				panic(err)
			}
			r.Header.Set("Date", "2026-11-24")
			return resignAuthing(r)
		}, "", CodeInvalidTimeStampFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secret := tc.secret
			if secret == "" {
				secret = testSecret
			}
			err := check(tc.req(), secret)
			if got := ErrorCode(err); got != tc.want {
				t.Fatalf("got %v (code %q), want code %q", err, got, tc.want)
			}
			if tc.want != "" {
				if e := err.(*Error); e.Message == "" || e.Detail == "" {
					t.Errorf("error lacks message or detail: %#v", e)
				}
			}
		})
	}
}

// check runs Parse, Verify and CheckTime.
func check(r *Request, secret string) error {
	p, err := Parse(r)
	if err != nil {
		return err
	}
	if err := p.Verify(secret); err != nil {
		return err
	}
	return p.CheckTime(testNow, DefaultWindow)
}

func resignAuthing(r *Request) *Request {
	sts, err := StringToSignAuthing(r)
	if err != nil {
		panic(err)
	}
	r.Header.Set("Authorization", "authing "+testAK+":"+SignAuthing(testSecret, sts))
	return r
}

// The SignatureDoesNotMatch message ends with the server's string to sign,
// which legacy SDKs compare with their own.
func TestMismatchMessage(t *testing.T) {
	r := newV1(testNow)
	p, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Verify("wrong")
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("Verify = %v", err)
	}
	want := "Specified signature is not matched with our calculation. server string to sign is:" + p.StringToSign
	if e.Message != want || e.StringToSign != p.StringToSign || !strings.HasPrefix(e.StringToSign, "POST&%2F&AccessKeyId%3DAKtest%26") {
		t.Errorf("got %#v", e)
	}

	p3, err := Parse(newV3(testNow))
	if err != nil {
		t.Fatal(err)
	}
	e3 := p3.Verify("wrong").(*Error)
	if !strings.HasSuffix(e3.Message, "server string to sign is:"+p3.StringToSign) || e3.CanonicalRequest == "" {
		t.Errorf("got %#v", e3)
	}
}

func TestV1UnencodedPlusInSignature(t *testing.T) {
	for i := 0; ; i++ {
		r := newV1(testNow.Add(time.Duration(i) * time.Second))
		sig := r.Query.Get("Signature")
		if !strings.Contains(sig, "+") {
			continue
		}
		r.Query.Set("Signature", strings.ReplaceAll(sig, "+", " "))
		if err := check(r, testSecret); err != nil {
			t.Fatal(err)
		}
		return
	}
}
