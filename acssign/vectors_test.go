package acssign

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
)

// The official V1 vector (dialects-alibaba §A.4).
func officialV1Params() url.Values {
	return url.Values{
		"AccessKeyId":      {"testid"},
		"Action":           {"DescribeDedicatedHosts"},
		"Format":           {"JSON"},
		"RegionId":         {"cn-beijing"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureNonce":   {"edb2b34af0af9a6d14deaf7c1a5315eb"},
		"SignatureVersion": {"1.0"},
		"Timestamp":        {"2023-03-13T08:34:30Z"},
		"Version":          {"2014-05-26"},
	}
}

func TestOfficialVectorV1(t *testing.T) {
	const wantSTS = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDedicatedHosts%26Format%3DJSON%26RegionId%3Dcn-beijing%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dedb2b34af0af9a6d14deaf7c1a5315eb%26SignatureVersion%3D1.0%26Timestamp%3D2023-03-13T08%253A34%253A30Z%26Version%3D2014-05-26"
	sts := StringToSignV1("GET", officialV1Params())
	if sts != wantSTS {
		t.Fatalf("StringToSignV1\n got %s\nwant %s", sts, wantSTS)
	}
	for _, tc := range []struct{ method, want string }{
		{"GET", "9NaGiOspFP5UPcwX8Iwt2YJXXuk="},
		{"POST", "ZvQ9xGiFnquSJRvj+WE6kdSpTwU="},
	} {
		if got := SignV1("testsecret", StringToSignV1(tc.method, officialV1Params())); got != tc.want {
			t.Errorf("%s: SignV1 = %s, want %s", tc.method, got, tc.want)
		}
		// The same through Parse and Verify, with Signature in the query.
		q := officialV1Params()
		q.Set("Signature", tc.want)
		p, err := Parse(&Request{Method: tc.method, Path: "/", Query: q})
		if err != nil {
			t.Fatalf("%s: Parse: %v", tc.method, err)
		}
		if err := p.Verify("testsecret"); err != nil {
			t.Errorf("%s: Verify: %v", tc.method, err)
		}
		if p.Action != "DescribeDedicatedHosts" || p.Version != "2014-05-26" || p.AccessKeyID != "testid" {
			t.Errorf("%s: parsed %+v", tc.method, p)
		}
	}
	// SignRequestV1 reproduces the vector when given the same inputs.
	r := &Request{Method: "GET", Path: "/", Query: url.Values{
		"Action": {"DescribeDedicatedHosts"}, "Version": {"2014-05-26"}, "RegionId": {"cn-beijing"},
	}}
	SignRequestV1(r, "testid", "testsecret", "edb2b34af0af9a6d14deaf7c1a5315eb", mustTime(t, "2023-03-13T08:34:30Z"))
	if got := r.Query.Get("Signature"); got != "9NaGiOspFP5UPcwX8Iwt2YJXXuk=" {
		t.Errorf("SignRequestV1 Signature = %s", got)
	}
}

// The official V3 vector (dialects-alibaba §A.5).
func TestOfficialVectorV3(t *testing.T) {
	const (
		wantHashed = "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
		wantSig    = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
		signed     = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
	)
	r := &Request{
		Method: "POST",
		Path:   "/",
		Query:  url.Values{"ImageId": {"win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"}, "RegionId": {"cn-shanghai"}},
		Host:   "ecs.cn-shanghai.aliyuncs.com",
		Header: http.Header{},
	}
	r.Header.Set("x-acs-action", "RunInstances")
	r.Header.Set("x-acs-version", "2014-05-26")
	r.Header.Set("x-acs-date", "2023-10-26T10:22:32Z")
	r.Header.Set("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d")
	r.Header.Set("x-acs-content-sha256", HashPayloadV3(nil))

	cr := CanonicalRequestV3(r, []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}, HashPayloadV3(nil))
	h := sha256.Sum256([]byte(cr))
	if got := hex.EncodeToString(h[:]); got != wantHashed {
		t.Fatalf("hashed canonical request = %s, want %s\n%s", got, wantHashed, cr)
	}
	if got := SignV3("YourAccessKeySecret", StringToSignV3(cr)); got != wantSig {
		t.Fatalf("SignV3 = %s, want %s", got, wantSig)
	}

	r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders="+signed+",Signature="+wantSig)
	p, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify("YourAccessKeySecret"); err != nil {
		t.Fatal(err)
	}
	if p.AccessKeyID != "YourAccessKeyId" || p.Action != "RunInstances" || p.Nonce != "3156853299f313e23d1673dc12e1703d" {
		t.Errorf("parsed %+v", p)
	}

	// SignRequestV3 signs the same header set and so reproduces the vector.
	r.Header.Del("Authorization")
	SignRequestV3(r, "YourAccessKeyId", "YourAccessKeySecret", "3156853299f313e23d1673dc12e1703d", mustTime(t, "2023-10-26T10:22:32Z"))
	if want := "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=" + signed + ",Signature=" + wantSig; r.Header.Get("Authorization") != want {
		t.Errorf("SignRequestV3 Authorization = %s", r.Header.Get("Authorization"))
	}
}

// The example from dialects-authing-bamboo §A.4: the resource part of the
// string to sign for ManagementClient.updateUser.
func TestAuthingSpecExample(t *testing.T) {
	r := &Request{
		Method: "POST",
		Path:   "/api/v3/update-user",
		Header: http.Header{},
		Body:   []byte(`{"userId":"u1","nickname":"Bobby","customData":{"school":"PKU"}}`),
	}
	sts, err := StringToSignAuthing(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "POST\n/api/v3/update-user?customData={\"school\":\"PKU\"}&nickname=Bobby&userId=u1"; sts != want {
		t.Errorf("got %q, want %q", sts, want)
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"AZaz09-_.~":        "AZaz09-_.~",
		" ":                 "%20",
		"*":                 "%2A",
		"+":                 "%2B",
		"/:=&%":             "%2F%3A%3D%26%25",
		"!'()":              "%21%27%28%29",
		"中":                 "%E4%B8%AD",
		"😀":                 "%F0%9F%98%80",
		"\x00\xff":          "%00%FF",
		"alice.w@x":         "alice.w%40x",
		"2023-03-13T08:34Z": "2023-03-13T08%3A34Z",
	} {
		if got := Percent(in); got != want {
			t.Errorf("Percent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSLess(t *testing.T) {
	// JavaScript sorts by UTF-16 code units: a supplementary character
	// (surrogate 0xD83D…) sorts before U+FF01, unlike Go's byte order.
	if !jsLess("😀", "！") || jsLess("！", "😀") {
		t.Error("supplementary vs BMP order")
	}
	for _, tc := range [][2]string{{"a", "b"}, {"", "a"}, {"Z", "_"}, {"_", "a"}, {"ab", "abc"}} {
		if !jsLess(tc[0], tc[1]) || jsLess(tc[1], tc[0]) {
			t.Errorf("jsLess(%q, %q)", tc[0], tc[1])
		}
	}
}
