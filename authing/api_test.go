package authing_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/authing"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/httpserver"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/storetest"
	"github.com/eiam/eiam/token"
)

// Fixture names. app1/secret1 and the bodies are those of the spec's
// captures of authing-node-sdk 4.0.1.
const (
	inst      = "idaas_authing01"
	farInst   = "idaas_authing02"
	app1      = "app1"
	secret1   = "secret1"
	appPublic = "app_public"
	appOther  = "app_other"
	appFar    = "app_far"
	bobPass   = "S3cure-pass!"
	akID      = "LTAIauthing000001"
	akSecret  = "authingSecret000000000000000001"
	akWild    = "LTAIauthing000002"
	akRead    = "LTAIauthing000003"
)

// testStore is what the handler tests need of the store: the directory's
// tables and those of sessions, signing keys and sign-in failures.
type testStore interface {
	eiam.Store
	eiam.SessionStore
	eiam.SigningKeyStore
	eiam.LoginStore
}

// openStore returns a fresh SQLite store. Until sqlstore keeps sessions,
// signing keys and sign-in failures the handler tests are skipped; they run
// unchanged once it does.
func openStore(t *testing.T) testStore {
	t.Helper()
	var s any = storetest.OpenSQLite(t)
	ts, ok := s.(testStore)
	if !ok {
		t.Skip("sqlstore does not implement the session, signing-key and login stores yet")
	}
	return ts
}

// env is a running server with the Authing routes over a real SQLite
// store, directory, sign-in and token authority.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  testStore
	dir    *directory.Service
	tokens *token.Authority
	bob    *eiam.User
	alice  *eiam.User
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st := openStore(t)
	// The cheapest parameters password accepts: the tests hash many times.
	hasher, err := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 16, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	dir := directory.New(st, directory.Options{Passwords: hasher})
	auth := token.New(st, token.Options{PublicURL: "http://eiam.test"})
	if err := auth.EnsureKey(ctx); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{inst, farInst} {
		_, err := st.PutInstance(ctx, &eiam.Instance{ID: id, Name: id, CreatedAt: time.Now()})
		must(err)
	}
	hash := func(s string) string {
		h, err := hasher.Hash(s)
		must(err)
		return h
	}
	for _, app := range []*eiam.Application{
		{InstanceID: inst, ID: app1, Name: "Portal", ClientID: app1, SecretHash: hash(secret1)},
		{InstanceID: inst, ID: appPublic, Name: "SPA", ClientID: appPublic},
		{InstanceID: inst, ID: appOther, Name: "Other", ClientID: appOther, SecretHash: hash("secret2")},
		{InstanceID: farInst, ID: appFar, Name: "Far", ClientID: appFar},
	} {
		must(st.PutApplication(ctx, app))
	}
	for _, f := range []*eiam.FieldDefinition{
		{InstanceID: inst, Name: "school", DataType: eiam.TypeString, UserPermission: eiam.PermReadWrite},
		{InstanceID: inst, Name: "age", DataType: eiam.TypeNumber, UserPermission: eiam.PermReadWrite},
		{InstanceID: inst, Name: "vip", DataType: eiam.TypeBoolean, UserPermission: eiam.PermReadWrite},
		{InstanceID: inst, Name: "hobbies", DataType: eiam.TypeString, DisplayType: eiam.DisplayCheckbox, UserPermission: eiam.PermReadWrite},
		{InstanceID: inst, Name: "employee_no", DataType: eiam.TypeString, UserPermission: eiam.PermReadOnly},
		{InstanceID: inst, Name: "note", DataType: eiam.TypeString, UserPermission: eiam.PermHide},
	} {
		must(dir.PutField(ctx, f))
	}
	admin := eiam.Actor{Kind: eiam.ActorAdmin, ID: "test"}
	create := func(username, email, phone string) *eiam.User {
		pw := bobPass
		c := &eiam.ProfileChange{Password: &pw}
		c.SetAttr(eiam.AttrUsername, username)
		c.SetAttr(eiam.AttrEmail, email)
		c.SetFlag(eiam.FlagEmailVerified, true)
		c.SetAttr(eiam.AttrPhoneRegion, "86")
		c.SetAttr(eiam.AttrPhoneNumber, phone)
		c.SetFlag(eiam.FlagPhoneNumberVerified, true)
		c.CustomFields = []eiam.CustomFieldOp{{Name: "employee_no", Value: "E-" + username}, {Name: "note", Value: "private"}}
		u, err := dir.CreateUser(ctx, inst, "", c, admin, eiam.Origin{Dialect: "test"})
		must(err)
		return u
	}
	e := &env{t: t, store: st, dir: dir, tokens: auth,
		bob: create("bob", "bob@example.com", "13800138000"), alice: create("alice", "alice@example.com", "13900139000")}
	for _, k := range []*eiam.AccessKey{
		{ID: akID, Secret: akSecret, Actions: []string{"eiam:*"}, Instances: []string{inst}},
		{ID: akWild, Secret: akSecret, Actions: []string{"eiam:*"}, Instances: []string{"*"}},
		{ID: akRead, Secret: akSecret, Actions: []string{"eiam:GetUser"}, Instances: []string{inst}},
	} {
		must(st.PutAccessKey(ctx, k))
	}
	api := &authing.API{
		Directory: dir,
		SignIn: &directory.SignIn{Store: st, Passwords: hasher,
			Lockout: directory.Lockout{MaxAttempts: 3, LockFor: time.Minute, MaxLock: time.Hour}},
		Secrets: hasher,
		Tokens:  auth,
		Store:   st,
		Nonces:  acssign.NewMemoryNonces(0, nil),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	hs, err := httpserver.New(httpserver.Options{Logger: api.Log, Registry: prometheus.NewRegistry()})
	must(err)
	api.Routes(hs.Handle)
	hs.Handle("GET /oidc/.well-known/jwks.json", api.JWKSHandler())
	e.srv = httptest.NewServer(hs.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// reply is a decoded response.
type reply struct {
	HTTP       int
	StatusCode int            `json:"statusCode"`
	Message    string         `json:"message"`
	APICode    int            `json:"apiCode"`
	RequestID  string         `json:"requestId"`
	Data       map[string]any `json:"data"`
}

func (e *env) send(req *http.Request) reply {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		e.t.Fatalf("%s %s: undecodable response: %v", req.Method, req.URL.Path, err)
	}
	r.HTTP = resp.StatusCode
	if r.RequestID == "" {
		e.t.Errorf("%s %s: response without requestId", req.Method, req.URL.Path)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Errorf("%s %s: HTTP %d; Authing answers everything with 200", req.Method, req.URL.Path, resp.StatusCode)
	}
	return r
}

func (e *env) do(method, target string, headers map[string]string, body string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+target, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.send(req)
}

// signin signs bob in through app1 (client_secret_post) and returns the
// access token.
func (e *env) signin(username string, extra string) reply {
	e.t.Helper()
	r := e.do("POST", "/api/v3/signin", map[string]string{"x-authing-app-id": app1},
		`{"connection":"PASSWORD","passwordPayload":{"password":"`+bobPass+`","username":"`+username+`"},"client_id":"app1","client_secret":"secret1"`+extra+`}`)
	if r.StatusCode != 200 {
		e.t.Fatalf("sign-in of %s: %+v", username, r)
	}
	return r
}

func (e *env) token(username string) string {
	e.t.Helper()
	return e.signin(username, "").Data["access_token"].(string)
}

// signed sends a management request signed as authing-node-sdk 4.x signs.
func (e *env) signed(method, target, body, keyID string, headers map[string]string) reply {
	e.t.Helper()
	path, query, _ := strings.Cut(target, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &acssign.Request{Method: method, Path: path, Query: q, Header: http.Header{}, Body: []byte(body)}
	r.Header.Set("x-authing-sdk-version", "authing-node-sdk:4.0.1")
	r.Header.Set("x-authing-lang", "en-US")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	if err := acssign.SignRequestAuthing(r, keyID, akSecret, eiam.NewID("nonce"), time.Now()); err != nil {
		e.t.Fatal(err)
	}
	req, err := r.NewHTTPRequest(context.Background(), e.srv.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.send(req)
}

// claims decodes a JWT's payload without checking it.
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func expectError(t *testing.T, name string, r reply, status, apiCode int) {
	t.Helper()
	if r.StatusCode != status || r.APICode != apiCode || r.Message == "" {
		t.Errorf("%s: statusCode %d apiCode %d message %q; want %d/%d", name, r.StatusCode, r.APICode, r.Message, status, apiCode)
	}
}

func TestSignin(t *testing.T) {
	e := newEnv(t)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(app1+":"+secret1))
	for _, tc := range []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		apiCode int
	}{
		{"client_secret_post", map[string]string{"x-authing-app-id": app1},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"},"client_id":"app1","client_secret":"secret1"}`, 200, 0},
		{"client_secret_basic", map[string]string{"x-authing-app-id": app1, "Authorization": basic},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"}}`, 200, 0},
		{"none, public app", map[string]string{"x-authing-app-id": appPublic},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"}}`, 200, 0},
		{"stale access token in Authorization is ignored", map[string]string{"x-authing-app-id": appPublic, "Authorization": "eyJhbGciOi.x.y"},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","email":"bob@example.com"}}`, 200, 0},
		{"phone", map[string]string{"x-authing-app-id": appPublic},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","phone":"13800138000"}}`, 200, 0},
		{"none, confidential app", map[string]string{"x-authing-app-id": app1},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"}}`, 400, 1004},
		{"wrong client secret", map[string]string{"x-authing-app-id": app1},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"},"client_id":"app1","client_secret":"nope"}`, 400, 1004},
		{"wrong Basic secret", map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("app1:nope"))},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"}}`, 400, 1004},
		{"header and client_id disagree", map[string]string{"x-authing-app-id": appOther},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"},"client_id":"app1","client_secret":"secret1"}`, 400, 1004},
		{"unknown app", map[string]string{"x-authing-app-id": "app_nobody"},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"}}`, 400, 1004},
		{"no app", nil,
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"}}`, 400, 1002},
		{"user of another instance", map[string]string{"x-authing-app-id": appFar},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"}}`, 400, 2333},
		{"passcode unsupported", map[string]string{"x-authing-app-id": appPublic},
			`{"connection":"PASSCODE","passCodePayload":{"email":"bob@example.com","passCode":"1234"}}`, 400, 1003},
		{"unknown member", map[string]string{"x-authing-app-id": appPublic},
			`{"connection":"PASSWORD","passwordPayload":{"password":"S3cure-pass!","username":"bob"},"grant_type":"password"}`, 400, 1003},
	} {
		r := e.do("POST", "/api/v3/signin", tc.headers, tc.body)
		if tc.status != 200 {
			expectError(t, tc.name, r, tc.status, tc.apiCode)
			continue
		}
		if r.StatusCode != 200 || r.Message != "" {
			t.Errorf("%s: %+v", tc.name, r)
			continue
		}
		d := r.Data
		if d["token_type"] != "Bearer" || d["scope"] != "openid profile" || d["id_token"] == nil || d["refresh_token"] != nil {
			t.Errorf("%s: data %v", tc.name, d)
		}
		if n, _ := d["expire_in"].(json.Number).Int64(); n < 7100 || n > 7200 {
			t.Errorf("%s: expire_in %v, want about 7200", tc.name, d["expire_in"])
		}
		at := claims(t, d["access_token"].(string))
		if at["sub"] != e.bob.ID || (at["aud"] != tc.headers["x-authing-app-id"] && at["aud"] != app1) {
			t.Errorf("%s: access token sub %v aud %v", tc.name, at["sub"], at["aud"])
		}
		id := claims(t, d["id_token"].(string))
		if id["sub"] != e.bob.ID || id["email"] != nil {
			t.Errorf("%s: id token %v", tc.name, id)
		}
	}

	// Scopes are honoured: offline_access brings a refresh token, email the
	// email claims.
	r := e.signin("bob", `,"options":{"scope":"openid profile email offline_access","clientIp":"1.2.3.4"}`)
	if r.Data["scope"] != "openid profile email offline_access" || !strings.HasPrefix(r.Data["refresh_token"].(string), authing.RefreshPrefix+"_") {
		t.Errorf("offline sign-in: %v", r.Data)
	}
	if id := claims(t, r.Data["id_token"].(string)); id["email"] != "bob@example.com" || id["email_verified"] != true {
		t.Errorf("email claims: %v", id)
	}
}

func TestSigninFailures(t *testing.T) {
	e := newEnv(t)
	wrong := `{"connection":"PASSWORD","passwordPayload":{"password":"wrong","username":"alice"},"client_id":"app1","client_secret":"secret1"}`
	r := e.do("POST", "/api/v3/signin", nil, wrong)
	expectError(t, "wrong password", r, 400, 2333)
	if r.Data["remainCount"] != json.Number("2") || !strings.Contains(r.Message, "password") {
		t.Errorf("wrong password: %+v", r)
	}
	r = e.do("POST", "/api/v3/signin", map[string]string{"x-authing-lang": "zh-CN"}, wrong)
	if !strings.Contains(r.Message, "密码") {
		t.Errorf("x-authing-lang zh-CN gave %q", r.Message)
	}
	r = e.do("POST", "/api/v3/signin", map[string]string{"Accept-Language": "zh-CN,zh;q=0.9"}, wrong)
	expectError(t, "third failure locks", r, 400, 2057)
	if !strings.Contains(r.Message, "锁定") {
		t.Errorf("Accept-Language zh gave %q", r.Message)
	}
	// Locked even with the right password.
	r = e.do("POST", "/api/v3/signin", nil, strings.Replace(wrong, `"wrong"`, `"`+bobPass+`"`, 1))
	expectError(t, "locked", r, 400, 2057)
	// Not the same user: bob still signs in.
	e.signin("bob", "")
}

func TestUpdateThenGetProfile(t *testing.T) {
	e := newEnv(t)
	tok := e.token("bob")
	// Seed 001's sample code, with customData.
	body := `{"name":"xxxx","nickname":"xxxx","photo":"https://files.authing.co/authing-console/default-user-avatar.png","birthdate":"2022-06-03","country":"CN","province":"BJ","city":"BJ","address":"xxxxxxx","streetAddress":"xxx street","postalCode":"438100","customData":{"school":"xxx","age":22}}`
	// The Node SDK sends the token bare.
	r := e.do("POST", "/api/v3/update-profile", map[string]string{"x-authing-app-id": app1, "authorization": tok}, body)
	if r.StatusCode != 200 || r.Data["nickname"] != "xxxx" || r.Data["city"] != "BJ" || r.Data["userId"] != e.bob.ID {
		t.Fatalf("update-profile: %+v", r)
	}
	for _, auth := range []string{tok, "Bearer " + tok, "bearer " + tok, "BEARER  " + tok} {
		r = e.do("GET", "/api/v3/get-profile?withCustomData=true&withIdentities=false&withDepartmentIds=false",
			map[string]string{"x-authing-app-id": app1, "authorization": auth}, "")
		if r.StatusCode != 200 {
			t.Errorf("get-profile with %.10q: %+v", auth, r)
			continue
		}
		d := r.Data
		for k, want := range map[string]any{"name": "xxxx", "photo": "https://files.authing.co/authing-console/default-user-avatar.png",
			"birthdate": "2022-06-03", "country": "CN", "province": "BJ", "address": "xxxxxxx", "streetAddress": "xxx street",
			"postalCode": "438100", "username": "bob", "email": "bob@example.com", "phone": "13800138000", "phoneCountryCode": "+86",
			"status": "Activated", "gender": "U"} {
			if d[k] != want {
				t.Errorf("get-profile %s = %v, want %v", k, d[k], want)
			}
		}
		cd, _ := d["customData"].(map[string]any)
		if cd["school"] != "xxx" || cd["age"] != json.Number("22") || cd["employee_no"] != "E-bob" || cd["note"] != nil {
			t.Errorf("customData = %v", cd)
		}
		if _, ok := d["identities"]; ok {
			t.Error("identities without withIdentities")
		}
	}
	// Without the app header the token's app is used; flags select parts.
	r = e.do("GET", "/api/v3/get-profile?withIdentities=true&withDepartmentIds=true", map[string]string{"authorization": tok}, "")
	if r.StatusCode != 200 || r.Data["customData"] != nil || r.Data["identities"] == nil || len(r.Data["departmentIds"].([]any)) != 1 {
		t.Errorf("get-profile flags: %+v", r.Data)
	}
	// Multi-value and boolean custom fields; clearing.
	r = e.do("POST", "/api/v3/update-profile", map[string]string{"authorization": tok},
		`{"customData":{"hobbies":["go","tea"],"vip":true,"school":null},"gender":"F","formatted":"Beijing"}`)
	cd, _ := r.Data["customData"].(map[string]any)
	if r.StatusCode != 200 || cd["vip"] != true || len(cd["hobbies"].([]any)) != 2 || cd["school"] != nil || r.Data["gender"] != "F" || r.Data["address"] != "Beijing" {
		t.Errorf("second update: %+v", r)
	}
	u, err := e.dir.GetUser(context.Background(), inst, e.bob.ID)
	if err != nil || u.Attr(eiam.AttrGender) != eiam.GenderFemale || u.Attr(eiam.AttrNickname) != "xxxx" || u.CustomValue("age") != "22" {
		t.Errorf("stored user: %+v %v", u, err)
	}
	recs, _ := e.store.ListAudit(context.Background(), inst, e.bob.ID)
	last := recs[len(recs)-1]
	if last.Actor.Kind != eiam.ActorSelf || last.Actor.ApplicationID != app1 || last.Origin.Dialect != "authing" || last.Origin.RequestID == "" {
		t.Errorf("audit record: %+v", last)
	}
}

func TestUpdateProfileRefusals(t *testing.T) {
	e := newEnv(t)
	tok := e.token("bob")
	h := map[string]string{"authorization": tok}
	for _, tc := range []struct {
		name, body      string
		status, apiCode int
	}{
		{"email has its own endpoint", `{"email":"new@example.com"}`, 400, 1003},
		{"password has its own endpoint", `{"password":"x"}`, 400, 1003},
		{"another user cannot be named", `{"userId":"` + e.alice.ID + `","nickname":"owned"}`, 400, 1003},
		{"read-only custom field", `{"customData":{"employee_no":"E-1"}}`, 400, 1003},
		{"hidden custom field", `{"customData":{"note":"x"}}`, 400, 1003},
		{"undeclared custom field", `{"customData":{"shoe_size":42}}`, 400, 1003},
		{"array for a single field", `{"customData":{"school":["a","b"]}}`, 400, 1003},
		{"number field", `{"customData":{"age":"old"}}`, 400, 1003},
		{"username taken", `{"username":"ALICE"}`, 400, 2026},
		{"username required", `{"username":""}`, 400, 1002},
		{"bad date", `{"birthdate":"2022-13-01"}`, 400, 1003},
		{"oversized body", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 400, 1003},
	} {
		expectError(t, tc.name, e.do("POST", "/api/v3/update-profile", h, tc.body), tc.status, tc.apiCode)
	}
	u, _ := e.dir.GetUser(context.Background(), inst, e.alice.ID)
	if u.Attr(eiam.AttrNickname) != "" || u.Version != e.alice.Version {
		t.Errorf("alice changed through bob's token: %+v", u)
	}
	// The message names the member the caller sent, not the canonical one.
	r := e.do("POST", "/api/v3/update-profile", h, `{"city":"`+strings.Repeat("x", 200)+`"}`)
	if !strings.Contains(r.Message, "city") {
		t.Errorf("message %q does not name city", r.Message)
	}
}

func TestTokenRefusals(t *testing.T) {
	e := newEnv(t)
	tok := e.token("bob")
	aliceTok := e.token("alice")
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		apiCode int
	}{
		{"no token", map[string]string{"x-authing-app-id": app1}, 401, 2020},
		{"garbage", map[string]string{"authorization": "Bearer not.a.jwt"}, 401, 2020},
		{"tampered", map[string]string{"authorization": tok[:len(tok)-4] + "AAAA"}, 401, 2020},
		{"token of another app", map[string]string{"x-authing-app-id": appOther, "authorization": tok}, 401, 2020},
		{"app of another instance", map[string]string{"x-authing-app-id": appFar, "authorization": tok}, 401, 2020},
		{"unknown app", map[string]string{"x-authing-app-id": "app_nobody", "authorization": tok}, 400, 1004},
	} {
		expectError(t, tc.name, e.do("GET", "/api/v3/get-profile", tc.headers, ""), tc.status, tc.apiCode)
	}
	// An id token is not an access token.
	idTok := e.signin("bob", "").Data["id_token"].(string)
	expectError(t, "id token", e.do("GET", "/api/v3/get-profile", map[string]string{"authorization": idTok}, ""), 401, 2020)

	// A disabled user's token stops working at once.
	disabled := eiam.StatusDisabled
	if _, err := e.dir.UpdateUser(context.Background(), inst, e.alice.ID, &eiam.ProfileChange{Status: &disabled},
		eiam.Actor{Kind: eiam.ActorAdmin, ID: "test"}, eiam.Origin{Dialect: "test"}); err != nil {
		t.Fatal(err)
	}
	expectError(t, "disabled user", e.do("POST", "/api/v3/update-profile", map[string]string{"authorization": aliceTok}, `{"nickname":"x"}`), 401, 2020)
	// And a disabled user cannot sign in even with the right password.
	r := e.do("POST", "/api/v3/signin", nil, `{"connection":"PASSWORD","passwordPayload":{"password":"`+bobPass+`","username":"alice"},"client_id":"app1","client_secret":"secret1"}`)
	expectError(t, "disabled sign-in", r, 403, 1001)
}

func TestManagementSigned(t *testing.T) {
	e := newEnv(t)
	// The captured shape of updateUser, on a real user; the key is limited
	// to one instance, so the SDK's request (which names none) works as is.
	r := e.signed("POST", "/api/v3/update-user", `{"userId":"`+e.bob.ID+`","nickname":"Bobby","customData":{"school":"PKU","employee_no":"E-7"}}`, akID, nil)
	if r.StatusCode != 200 || r.Data["nickname"] != "Bobby" || r.Data["customData"].(map[string]any)["employee_no"] != "E-7" {
		t.Fatalf("update-user: %+v", r)
	}
	recs, _ := e.store.ListAudit(context.Background(), inst, e.bob.ID)
	if a := recs[len(recs)-1].Actor; a.Kind != eiam.ActorAccessKey || a.ID != akID {
		t.Errorf("audit actor %+v", a)
	}
	// The admin may change email and phone, with their verified flags.
	r = e.signed("POST", "/api/v3/update-user", `{"userId":"bob","options":{"userIdType":"username"},"email":"bobby@example.com","emailVerified":true,"phone":"2015550123","phoneCountryCode":"+1","phoneVerified":true,"status":"Suspended"}`, akID, nil)
	if r.StatusCode != 200 || r.Data["email"] != "bobby@example.com" || r.Data["phoneCountryCode"] != "+1" || r.Data["status"] != "Suspended" {
		t.Errorf("update-user email/phone/status: %+v", r)
	}
	r = e.signed("POST", "/api/v3/update-user", `{"userId":"alice@example.com","options":{"userIdType":"email"},"phone":"13700137000"}`, akID, nil)
	expectError(t, "phone without phoneVerified", r, 400, 1002)
	if !strings.Contains(r.Message, "phoneVerified") {
		t.Errorf("message %q does not name phoneVerified", r.Message)
	}

	r = e.signed("GET", "/api/v3/get-user?userId=alice&userIdType=username&withCustomData=true&withDepartmentIds=true", "", akRead, nil)
	if r.StatusCode != 200 || r.Data["userId"] != e.alice.ID || r.Data["customData"].(map[string]any)["note"] != "private" {
		t.Errorf("get-user: %+v", r)
	}

	for _, tc := range []struct {
		name            string
		method, target  string
		body, key       string
		headers         map[string]string
		status, apiCode int
	}{
		{"key without the action", "POST", "/api/v3/update-user", `{"userId":"bob","options":{"userIdType":"username"},"nickname":"x"}`, akRead, nil, 403, 1001},
		{"wildcard key needs a pool", "POST", "/api/v3/update-user", `{"userId":"bob","options":{"userIdType":"username"},"nickname":"x"}`, akWild, nil, 400, 1002},
		{"wildcard key with unknown pool", "GET", "/api/v3/get-user?userId=bob&userIdType=username", "", akWild, map[string]string{"x-authing-userpool-id": "idaas_nowhere"}, 404, 2004},
		{"pool the key may not use", "GET", "/api/v3/get-user?userId=bob&userIdType=username", "", akID, map[string]string{"x-authing-userpool-id": farInst}, 403, 1001},
		{"app of another pool", "GET", "/api/v3/get-user?userId=bob&userIdType=username", "", akID, map[string]string{"x-authing-app-id": appFar}, 403, 1001},
		{"unknown user", "GET", "/api/v3/get-user?userId=user_nobody", "", akID, nil, 404, 2004},
		{"unknown key", "GET", "/api/v3/get-user?userId=bob&userIdType=username", "", "LTAInobody", nil, 400, 1004},
		{"unknown member", "POST", "/api/v3/update-user", `{"userId":"bob","options":{"userIdType":"username"},"browser":"x"}`, akID, nil, 400, 1003},
	} {
		expectError(t, tc.name, e.signed(tc.method, tc.target, tc.body, tc.key, tc.headers), tc.status, tc.apiCode)
	}
	// The wildcard key works once the pool is named.
	r = e.signed("POST", "/api/v3/update-user", `{"userId":"alice","options":{"userIdType":"username"},"nickname":"Al"}`, akWild, map[string]string{"x-authing-userpool-id": inst})
	if r.StatusCode != 200 || r.Data["nickname"] != "Al" {
		t.Errorf("wildcard key with pool: %+v", r)
	}
}

func TestManagementSignatureRefusals(t *testing.T) {
	e := newEnv(t)
	body := `{"userId":"bob","options":{"userIdType":"username"},"nickname":"x"}`
	sign := func(secret, nonce string, at time.Time, mutate func(*acssign.Request)) *http.Request {
		r := &acssign.Request{Method: "POST", Path: "/api/v3/update-user", Header: http.Header{}, Body: []byte(body)}
		if err := acssign.SignRequestAuthing(r, akID, secret, nonce, at); err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(r)
		}
		req, err := r.NewHTTPRequest(context.Background(), e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	expectError(t, "wrong secret", e.send(sign("wrong", "n1", time.Now(), nil)), 401, 0)
	expectError(t, "stale date", e.send(sign(akSecret, "n2", time.Now().Add(-time.Hour), nil)), 401, 0)
	expectError(t, "body changed after signing", e.send(sign(akSecret, "n3", time.Now(), func(r *acssign.Request) {
		r.Body = []byte(strings.Replace(body, `"x"`, `"y"`, 1))
	})), 401, 0)
	expectError(t, "pool header added after signing", e.send(sign(akSecret, "n4", time.Now(), func(r *acssign.Request) {
		r.Header.Set("x-authing-userpool-id", farInst)
	})), 401, 0)
	if r := e.send(sign(akSecret, "n5", time.Now(), nil)); r.StatusCode != 200 {
		t.Fatalf("first use of nonce: %+v", r)
	}
	expectError(t, "replayed nonce", e.send(sign(akSecret, "n5", time.Now(), nil)), 401, 0)
	expectError(t, "no credential", e.do("POST", "/api/v3/update-user", nil, body), 401, 2020)
}

func TestManagementToken(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v3/get-management-token", nil, `{"accessKeyId":"`+akID+`","accessKeySecret":"`+akSecret+`"}`)
	tok, _ := r.Data["access_token"].(string)
	if r.StatusCode != 200 || tok == "" || r.Data["expires_in"] != json.Number("7200") {
		t.Fatalf("get-management-token: %+v", r)
	}
	if c := claims(t, tok); c["scoped_userpool_id"] != inst {
		t.Errorf("claims %v", c)
	}
	h := map[string]string{"Authorization": "Bearer " + tok, "x-authing-userpool-id": inst}
	r = e.do("POST", "/api/v3/update-user", h, `{"userId":"`+e.bob.ID+`","company":"steamory"}`)
	if r.StatusCode != 200 || r.Data["company"] != "steamory" {
		t.Errorf("update-user with token: %+v", r)
	}
	// create, read, delete.
	r = e.do("POST", "/api/v3/create-user", h, `{"email":"carol@example.com","emailVerified":true,"password":"S3cure-pass!","customData":{"age":30},"departmentIds":[]}`)
	carol, _ := r.Data["userId"].(string)
	if r.StatusCode != 200 || r.Data["username"] != "carol@example.com" || carol == "" {
		t.Fatalf("create-user: %+v", r)
	}
	r = e.do("GET", "/api/v3/get-user?userId="+carol+"&withCustomData=true", h, "")
	if r.StatusCode != 200 || r.Data["customData"].(map[string]any)["age"] != json.Number("30") {
		t.Errorf("get-user: %+v", r)
	}
	expectError(t, "duplicate", e.do("POST", "/api/v3/create-user", h, `{"username":"Carol@example.com"}`), 400, 2026)
	expectError(t, "batch with an unknown user", e.do("POST", "/api/v3/delete-users-batch", h, `{"userIds":["`+carol+`","user_nobody"]}`), 404, 2004)
	r = e.do("POST", "/api/v3/delete-users-batch", h, `{"userIds":["`+carol+`"]}`)
	if r.StatusCode != 200 || r.Data["success"] != true {
		t.Errorf("delete-users-batch: %+v", r)
	}
	expectError(t, "deleted", e.do("GET", "/api/v3/get-user?userId="+carol, h, ""), 404, 2004)

	// Another pool than the token's is refused; user tokens are not
	// management tokens and vice versa.
	expectError(t, "other pool", e.do("GET", "/api/v3/get-user?userId=x", map[string]string{"Authorization": "Bearer " + tok, "x-authing-userpool-id": farInst}, ""), 403, 1001)
	expectError(t, "user token", e.do("GET", "/api/v3/get-user?userId=x", map[string]string{"Authorization": e.token("bob")}, ""), 401, 2020)
	expectError(t, "management token as user token", e.do("GET", "/api/v3/get-profile", map[string]string{"Authorization": tok}, ""), 401, 2020)

	expectError(t, "wrong secret", e.do("POST", "/api/v3/get-management-token", nil, `{"accessKeyId":"`+akID+`","accessKeySecret":"nope"}`), 400, 1004)
	expectError(t, "wildcard key without pool", e.do("POST", "/api/v3/get-management-token", nil, `{"accessKeyId":"`+akWild+`","accessKeySecret":"`+akSecret+`"}`), 400, 1002)

	// Disabling the key kills its tokens.
	if err := e.store.PutAccessKey(context.Background(), &eiam.AccessKey{ID: akID, Secret: akSecret, Actions: []string{"eiam:*"}, Instances: []string{inst}, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	expectError(t, "disabled key", e.do("GET", "/api/v3/get-user?userId="+e.bob.ID, h, ""), 401, 2020)
}

func TestJWKS(t *testing.T) {
	e := newEnv(t)
	resp, err := e.srv.Client().Get(e.srv.URL + "/oidc/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"kty":"RSA"`)) {
		t.Errorf("jwks: %d %s", resp.StatusCode, b)
	}
	// The access token's kid is published.
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(e.token("bob"), ".")[0])
	var h struct{ Kid string }
	_ = json.Unmarshal(hdr, &h)
	if h.Kid == "" || !bytes.Contains(b, []byte(h.Kid)) {
		t.Errorf("kid %q not in %s", h.Kid, b)
	}
}
