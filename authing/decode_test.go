package authing

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/eiam/eiam"
)

// The sign-in bodies authing-node-sdk 4.0.1 sends (spec A.1, captured).
const (
	sdkSigninPost = `{"connection":"PASSWORD","passwordPayload":{"password":"pw123","username":"bob"},"client_id":"app1","client_secret":"secret1"}`
	sdkSigninNone = `{"connection":"PASSWORD","passwordPayload":{"password":"pw123","username":"bob"}}`
)

func TestDecodeSignin(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       SignInRequest
	}{
		{"client_secret_post", sdkSigninPost, SignInRequest{Login: "bob", LoginKind: "username", Password: "pw123",
			ClientID: "app1", ClientSecret: "secret1", SecretGiven: true}},
		{"none or basic", sdkSigninNone, SignInRequest{Login: "bob", LoginKind: "username", Password: "pw123"}},
		{"email", `{"connection":"PASSWORD","passwordPayload":{"email":"a@example.com","password":"p"}}`,
			SignInRequest{Login: "a@example.com", LoginKind: "email", Password: "p"}},
		{"phone", `{"connection":"PASSWORD","passwordPayload":{"phone":"13800138000","password":"p"}}`,
			SignInRequest{Login: "13800138000", LoginKind: "phone", Password: "p"}},
		{"account", `{"connection":"PASSWORD","passwordPayload":{"account":"bob","password":"p"}}`,
			SignInRequest{Login: "bob", LoginKind: "account", Password: "p"}},
		{"options are accepted", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"p"},"options":{"scope":"openid profile offline_access","clientIp":"1.2.3.4","context":{"a":1},"tenantId":"t","customData":{"x":1},"autoRegister":false,"captchaCode":"c","captchaToken":"t","passwordEncryptType":"none"}}`,
			SignInRequest{Login: "bob", LoginKind: "username", Password: "p", Scope: "openid profile offline_access"}},
		{"empty logins are not logins", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","email":"","password":"p"}}`,
			SignInRequest{Login: "bob", LoginKind: "username", Password: "p"}},
	} {
		got, err := DecodeSignin([]byte(tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if *got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, *got, tc.want)
		}
	}
}

func TestDecodeSigninRejects(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       eiam.Code
		field      string
	}{
		{"passcode", `{"connection":"PASSCODE","passCodePayload":{"email":"a@b.c","passCode":"1234"}}`, eiam.ErrInvalid, "connection"},
		{"ldap", `{"connection":"LDAP","ldapPayload":{"sAMAccountName":"bob","password":"p"}}`, eiam.ErrInvalid, "connection"},
		{"ad", `{"connection":"AD","adPayload":{"sAMAccountName":"bob","password":"p"}}`, eiam.ErrInvalid, "connection"},
		{"no connection", `{"passwordPayload":{"username":"bob","password":"p"}}`, eiam.ErrMissing, "connection"},
		{"no payload", `{"connection":"PASSWORD"}`, eiam.ErrMissing, "passwordPayload"},
		{"no password", `{"connection":"PASSWORD","passwordPayload":{"username":"bob"}}`, eiam.ErrMissing, "passwordPayload.password"},
		{"no login", `{"connection":"PASSWORD","passwordPayload":{"password":"p"}}`, eiam.ErrMissing, "passwordPayload.username"},
		{"two logins", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","email":"a@b.c","password":"p"}}`, eiam.ErrInvalid, "passwordPayload.email"},
		{"unknown payload member", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"p","otp":"1"}}`, eiam.ErrUnknownField, "passwordPayload.otp"},
		{"other payload with PASSWORD", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"p"},"adPayload":{}}`, eiam.ErrUnknownField, "adPayload"},
		{"unknown member", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"p"},"grant_type":"password"}`, eiam.ErrUnknownField, "grant_type"},
		{"unknown option", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"p"},"options":{"mfa":true}}`, eiam.ErrUnknownField, "options.mfa"},
		{"encrypted password", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"p"},"options":{"passwordEncryptType":"rsa"}}`, eiam.ErrInvalid, "options.passwordEncryptType"},
		{"scope type", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"p"},"options":{"scope":["openid"]}}`, eiam.ErrInvalid, "options.scope"},
		{"password type", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":123}}`, eiam.ErrInvalid, "passwordPayload.password"},
		{"client_id type", `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"p"},"client_id":1}`, eiam.ErrInvalid, "client_id"},
		{"invalid UTF-8", "{\"connection\":\"PASSWORD\xff\"}", eiam.ErrInvalid, "body"},
		{"connection type", `{"connection":1,"passwordPayload":{"username":"bob","password":"p"}}`, eiam.ErrInvalid, "connection"},
	} {
		_, err := DecodeSignin([]byte(tc.body))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.name, err, tc.code, tc.field)
		}
		if n := len(eiam.Violations(err)); n != 1 {
			t.Errorf("%s: %d violations reported, want 1: %v", tc.name, n, err)
		}
	}
}

func TestBasicCredentials(t *testing.T) {
	// "Basic YXBwMTpzZWNyZXQx" is what the SDK sent for app1:secret1.
	for _, tc := range []struct {
		header, id, secret string
		basic, fails       bool
	}{
		{"Basic YXBwMTpzZWNyZXQx", "app1", "secret1", true, false},
		{"basic YXBwMTpzZWNyZXQx", "app1", "secret1", true, false},
		{"eyJhbGciOiJSUzI1NiJ9.x.y", "", "", false, false},
		{"Bearer eyJ", "", "", false, false},
		{"", "", "", false, false},
		{"Basic !!!", "", "", true, true},
		{"Basic YXBwMQ==", "", "", true, true},
	} {
		id, secret, basic, err := basicCredentials(tc.header)
		if id != tc.id || secret != tc.secret || basic != tc.basic || (err != nil) != tc.fails {
			t.Errorf("%q: got %q %q %v %v", tc.header, id, secret, basic, err)
		}
	}
}

func TestGrantScopes(t *testing.T) {
	vendorOnly := &eiam.Application{Scopes: []string{"urn:alibaba:idaas:scope:user:read_all"}}
	limited := &eiam.Application{Scopes: []string{"openid", "profile", "roles"}}
	for _, tc := range []struct {
		requested string
		app       *eiam.Application
		want      string
	}{
		{"", vendorOnly, "openid profile"},
		{"openid profile email phone address offline_access", vendorOnly, "openid profile email phone address offline_access"},
		{"openid roles unknown openid", vendorOnly, "openid"},
		{"openid email roles", limited, "openid roles"},
		{"openid profile", &eiam.Application{}, "openid profile"},
	} {
		if got := strings.Join(grantScopes(tc.requested, tc.app), " "); got != tc.want {
			t.Errorf("grantScopes(%q, %v) = %q, want %q", tc.requested, tc.app.Scopes, got, tc.want)
		}
	}
}

func TestIDClaims(t *testing.T) {
	u, _ := fullUser()
	c := idClaims(u, []string{"openid"})
	if len(c) != 0 {
		t.Errorf("openid alone gave claims %v", c)
	}
	c = idClaims(u, []string{"openid", "profile"})
	for k, want := range map[string]any{"name": "Zhang San", "nickname": "xxxx", "given_name": "San", "family_name": "Zhang",
		"birthdate": "2022-06-03", "gender": "M", "picture": "https://files.authing.co/a.png", "updated_at": "2022-07-03T04:20:30.000Z",
		"zoneinfo": "Asia/Shanghai", "preferred_username": "alice", "locale": "zh-CN"} {
		if c[k] != want {
			t.Errorf("profile claim %s = %v, want %v", k, c[k], want)
		}
	}
	if _, ok := c["email"]; ok {
		t.Error("email claim without the email scope")
	}
	c = idClaims(u, []string{"openid", "email", "phone", "address"})
	if c["email"] != "test@example.com" || c["email_verified"] != true || c["phone_number"] != "18800008888" || c["phone_number_verified"] != true {
		t.Errorf("email/phone claims = %v", c)
	}
	if addr, _ := c["address"].(map[string]any); addr["locality"] != "BJ" || addr["formatted"] != "Beijing Chaoyang" {
		t.Errorf("address claim = %v", c["address"])
	}
	if _, ok := c["name"]; ok {
		t.Error("profile claim without the profile scope")
	}
}

func TestDecodeUpdateUser(t *testing.T) {
	// The capture of the spec's example (acssign/testdata).
	req, err := DecodeUpdateUser([]byte(`{"userId":"u1","nickname":"Bobby","customData":{"school":"PKU"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.User != (UserRef{ID: "u1"}) || req.Change.Attrs[eiam.AttrNickname] != "Bobby" || len(req.Change.CustomFields) != 1 {
		t.Errorf("got %+v %+v", req.User, req.Change)
	}

	req, err = DecodeUpdateUser([]byte(`{"userId":"bob","options":{"userIdType":"username","resetPasswordOnNextLogin":false,"passwordEncryptType":"none"},
		"email":"Bob@Example.com","emailVerified":true,"phone":"13800138000","phoneVerified":false,"password":"N3w-pass!",
		"status":"Suspended","gender":"F","formatted":"addr","region":"Xinjiang","givenName":"Bob"}`))
	if err != nil {
		t.Fatal(err)
	}
	c := req.Change
	disabled := eiam.StatusDisabled
	want := &eiam.ProfileChange{
		Attrs: map[eiam.Attribute]string{
			eiam.AttrEmail: "Bob@Example.com", eiam.AttrPhoneNumber: "13800138000", eiam.AttrPhoneRegion: "86",
			eiam.AttrGender: eiam.GenderFemale, eiam.AttrAddress: "addr", eiam.AttrRegion: "Xinjiang", eiam.AttrGivenName: "Bob",
		},
		Flags:    map[eiam.Flag]bool{eiam.FlagEmailVerified: true, eiam.FlagPhoneNumberVerified: false},
		Password: c.Password, Status: &disabled,
	}
	if req.User != (UserRef{ID: "bob", Type: "username"}) || !reflect.DeepEqual(c, want) || *c.Password != "N3w-pass!" {
		t.Errorf("got %+v\n%+v\nwant %+v", req.User, c, want)
	}

	for in, region := range map[string]string{`"+1"`: "1", `"852"`: "852", `""`: ""} {
		req, err := DecodeUpdateUser([]byte(`{"userId":"u","phone":"2025550123","phoneVerified":true,"phoneCountryCode":` + in + `}`))
		if err != nil || req.Change.Attrs[eiam.AttrPhoneRegion] != region {
			t.Errorf("phoneCountryCode %s: region %q, %v; want %q", in, req.Change.Attrs[eiam.AttrPhoneRegion], err, region)
		}
	}
	for status, want := range map[string]eiam.Status{"Activated": eiam.StatusEnabled, "Suspended": eiam.StatusDisabled,
		"Deactivated": eiam.StatusDisabled, "Resigned": eiam.StatusDisabled, "Archived": eiam.StatusDisabled} {
		req, err := DecodeUpdateUser([]byte(`{"userId":"u","status":"` + status + `"}`))
		if err != nil || *req.Change.Status != want {
			t.Errorf("status %s: %v, %v", status, req, err)
		}
	}
}

func TestDecodeUpdateUserRejects(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       eiam.Code
		field      string
	}{
		{"no user", `{"nickname":"x"}`, eiam.ErrMissing, "userId"},
		{"unknown member", `{"userId":"u","nick":"x"}`, eiam.ErrUnknownField, "nick"},
		{"browser not kept", `{"userId":"u","browser":"x"}`, eiam.ErrUnknownField, "browser"},
		{"metadata not kept", `{"userId":"u","metadata":[]}`, eiam.ErrUnknownField, "metadata"},
		{"status enum", `{"userId":"u","status":"Gone"}`, eiam.ErrInvalid, "status"},
		{"status null", `{"userId":"u","status":null}`, eiam.ErrInvalid, "status"},
		{"flag type", `{"userId":"u","emailVerified":"yes"}`, eiam.ErrInvalid, "emailVerified"},
		{"flag null", `{"userId":"u","phoneVerified":null}`, eiam.ErrInvalid, "phoneVerified"},
		{"id type", `{"userId":"identity","options":{"userIdType":"identity"}}`, eiam.ErrInvalid, "options.userIdType"},
		{"reset on next login", `{"userId":"u","options":{"resetPasswordOnNextLogin":true}}`, eiam.ErrInvalid, "options.resetPasswordOnNextLogin"},
		{"generated password", `{"userId":"u","options":{"autoGeneratePassword":true}}`, eiam.ErrInvalid, "options.autoGeneratePassword"},
		{"encrypted password", `{"userId":"u","password":"x","options":{"passwordEncryptType":"sm2"}}`, eiam.ErrInvalid, "options.passwordEncryptType"},
		{"notification", `{"userId":"u","options":{"sendPasswordResetedNotification":{"method":"email"}}}`, eiam.ErrUnknownField, "options.sendPasswordResetedNotification"},
		{"unknown option", `{"userId":"u","options":{"force":true}}`, eiam.ErrUnknownField, "options.force"},
		{"options type", `{"userId":"u","options":[]}`, eiam.ErrInvalid, "options"},
		{"password type", `{"userId":"u","password":1}`, eiam.ErrInvalid, "password"},
		{"userId type", `{"userId":7}`, eiam.ErrInvalid, "userId"},
	} {
		_, err := DecodeUpdateUser([]byte(tc.body))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.name, err, tc.code, tc.field)
		}
	}
}

func TestDecodeCreateUser(t *testing.T) {
	for _, tc := range []struct {
		body, username string
	}{
		{`{"username":"bob","email":"b@example.com","emailVerified":true}`, "bob"},
		{`{"email":"b@example.com","emailVerified":true}`, "b@example.com"},
		{`{"phone":"13800138000","phoneVerified":true}`, "13800138000"},
	} {
		req, err := DecodeCreateUser([]byte(tc.body))
		if err != nil || req.Change.Attrs[eiam.AttrUsername] != tc.username {
			t.Errorf("%s: username %v, %v; want %q", tc.body, req, err, tc.username)
		}
	}
	req, err := DecodeCreateUser([]byte(`{"username":"bob","password":"S3cure-pass!","status":"Activated","departmentIds":["ou_a","ou_b"],"options":{"departmentIdType":"department_id","resetPasswordOnFirstLogin":false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c := req.Change; *c.PrimaryOUID != "ou_a" || !reflect.DeepEqual(*c.OUIDs, []string{"ou_b"}) || *c.Password != "S3cure-pass!" || *c.Status != eiam.StatusEnabled {
		t.Errorf("got %+v", req.Change)
	}
	for _, tc := range []struct {
		body, field string
		code        eiam.Code
	}{
		{`{"name":"x"}`, "username", eiam.ErrMissing},
		{`{"username":"u","salt":"x"}`, "salt", eiam.ErrUnknownField},
		{`{"username":"u","identities":[]}`, "identities", eiam.ErrUnknownField},
		{`{"username":"u","departmentIds":"ou"}`, "departmentIds", eiam.ErrInvalid},
		{`{"username":"u","departmentIds":[""]}`, "departmentIds", eiam.ErrInvalid},
		{`{"username":"u","options":{"keepPassword":true}}`, "options.keepPassword", eiam.ErrInvalid},
		{`{"username":"u","options":{"departmentIdType":"code"}}`, "options.departmentIdType", eiam.ErrInvalid},
		{`{"username":"u","userId":"x"}`, "userId", eiam.ErrUnknownField},
	} {
		_, err := DecodeCreateUser([]byte(tc.body))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.body, err, tc.code, tc.field)
		}
	}
}

func TestDecodeDeleteUsers(t *testing.T) {
	req, err := DecodeDeleteUsers([]byte(`{"userIds":["a","b"],"options":{"userIdType":"external_id"}}`))
	if err != nil || !reflect.DeepEqual(req.Users, []UserRef{{"a", "external_id"}, {"b", "external_id"}}) {
		t.Errorf("got %+v, %v", req, err)
	}
	many := `{"userIds":["` + strings.Repeat(`x","`, maxBatch) + `x"]}`
	for _, tc := range []struct {
		body, field string
		code        eiam.Code
	}{
		{`{}`, "userIds", eiam.ErrMissing},
		{`{"userIds":[]}`, "userIds", eiam.ErrMissing},
		{`{"userIds":[1]}`, "userIds", eiam.ErrInvalid},
		{`{"userIds":["a"],"force":true}`, "force", eiam.ErrUnknownField},
		{many, "userIds", eiam.ErrInvalid},
	} {
		_, err := DecodeDeleteUsers([]byte(tc.body))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%.60s: got %v, want %s on %s", tc.body, err, tc.code, tc.field)
		}
	}
}

func TestDecodeQueries(t *testing.T) {
	// The query authing-node-sdk's getUser sends (acssign capture).
	q, _ := url.ParseQuery("userId=a+b&userIdType=user_id&flatCustomData=false&withCustomData=true&withPost=false&withIdentities=false&withDepartmentIds=false")
	ref, v, err := DecodeGetUser(q)
	if err != nil || ref != (UserRef{ID: "a b", Type: "user_id"}) || v != (View{CustomData: true, Admin: true}) {
		t.Errorf("get-user: %+v %+v %v", ref, v, err)
	}
	q, _ = url.ParseQuery("withCustomData=true&withIdentities=false&withDepartmentIds=true")
	v, err = DecodeGetProfile(q)
	if err != nil || v != (View{CustomData: true, DepartmentIDs: true}) {
		t.Errorf("get-profile: %+v %v", v, err)
	}
	for _, tc := range []struct {
		query, field string
		code         eiam.Code
		user         bool
	}{
		{"withCustomData=yes", "withCustomData", eiam.ErrInvalid, false},
		{"withCustomData=true&withCustomData=false", "withCustomData", eiam.ErrInvalid, false},
		{"userId=x", "userId", eiam.ErrUnknownField, false},
		{"withIdentities=1", "withIdentities", eiam.ErrInvalid, true},
		{"withCustomData=true", "userId", eiam.ErrMissing, true},
		{"userId=x&userIdType=identity", "userIdType", eiam.ErrInvalid, true},
		{"userId=x&fields=all", "fields", eiam.ErrUnknownField, true},
	} {
		q, _ := url.ParseQuery(tc.query)
		if tc.user {
			_, _, err = DecodeGetUser(q)
		} else {
			_, err = DecodeGetProfile(q)
		}
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.query, err, tc.code, tc.field)
		}
	}
}

// TestEveryErrorKindIsMapped lists every domain error kind with the
// statusCode and apiCode spec §3 gives Authing.
func TestEveryErrorKindIsMapped(t *testing.T) {
	want := map[eiam.Code]wireError{
		eiam.ErrMissing:         {400, 1002},
		eiam.ErrInvalid:         {400, 1003},
		eiam.ErrUnknownField:    {400, 1003},
		eiam.ErrCustomField:     {400, 1003},
		eiam.ErrUnknownClient:   {400, 1004},
		eiam.ErrUnauthenticated: {401, 2020},
		eiam.ErrBadCredentials:  {400, 2333},
		eiam.ErrLocked:          {400, 2057},
		eiam.ErrSignature:       {401, 0},
		eiam.ErrForbidden:       {403, 1001},
		eiam.ErrNotFound:        {404, 2004},
		eiam.ErrConflict:        {400, 2026},
		eiam.ErrPrecondition:    {412, 0},
		eiam.ErrRateLimited:     {429, 0},
		eiam.ErrInternal:        {500, 0},
	}
	for _, code := range eiam.Codes {
		got, ok := errorCodes[code]
		if !ok {
			t.Errorf("kind %s has no Authing mapping", code)
			continue
		}
		if w, listed := want[code]; !listed || got != w {
			t.Errorf("kind %s maps to %+v, want %+v", code, got, w)
		}
		if got.status < 400 || got.status == http.StatusOK {
			t.Errorf("kind %s maps to a success status", code)
		}
	}
	if len(want) != len(eiam.Codes) || len(errorCodes) != len(eiam.Codes) {
		t.Errorf("table has %d kinds, eiam has %d", len(errorCodes), len(eiam.Codes))
	}
}

func FuzzDecodeSignin(f *testing.F) {
	f.Add([]byte(sdkSigninPost))
	f.Add([]byte(sdkSigninNone))
	f.Add([]byte(`{"connection":"PASSCODE","passCodePayload":{"phone":"1","passCode":"2"},"options":{"scope":"openid"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeSignin(b)
		if err != nil {
			if eiam.AsError(err).Code == eiam.ErrInternal {
				t.Fatalf("internal error from decoder: %v", err)
			}
			return
		}
		if req.Login == "" || req.Password == "" || !isLogin(req.LoginKind) {
			t.Fatalf("accepted a sign-in without a login and password: %+v", req)
		}
	})
}

func FuzzDecodeUpdateUser(f *testing.F) {
	f.Add([]byte(`{"userId":"u1","nickname":"Bobby","customData":{"school":"PKU"}}`))
	f.Add([]byte(`{"userId":"u","email":"a@b.c","emailVerified":true,"phone":"1","phoneCountryCode":"+1","status":"Suspended","options":{"userIdType":"email"}}`))
	f.Add([]byte(`{"userId":"u 2","nickname":"a b+c","phoneVerified":true,"emailVerified":false,"gender":null,"customData":{"zeta":1,"num":-0.000001,"big":1e+21},"options":{"userIdType":"user_id"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeUpdateUser(b)
		if err != nil {
			if eiam.AsError(err).Code == eiam.ErrInternal {
				t.Fatalf("internal error from decoder: %v", err)
			}
			return
		}
		if req.User.ID == "" {
			t.Fatal("accepted an update without a user")
		}
		if _, ok := userIDTypes[req.User.Type]; !ok && req.User.Type != "" {
			t.Fatalf("accepted user id type %q", req.User.Type)
		}
		for a := range req.Change.Attrs {
			if _, ok := adminAttrs[a2w(a)]; !ok {
				t.Fatalf("decoded attribute %s that update-user does not define", a)
			}
		}
		if req.Change.Status != nil && *req.Change.Status != eiam.StatusEnabled && *req.Change.Status != eiam.StatusDisabled {
			t.Fatalf("decoded status %q", *req.Change.Status)
		}
	})
}

// a2w returns one Authing name of attribute a ("" when none).
func a2w(a eiam.Attribute) string {
	for w, x := range adminAttrs {
		if x == a {
			return w
		}
	}
	return ""
}
