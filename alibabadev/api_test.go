package alibabadev_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/alibabadev"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/token"
)

// testStore is what the handler tests need of a database: the directory,
// and the session and signing-key tables of the token authority.
type testStore interface {
	eiam.Store
	token.Store
}

const (
	instA, instB = "idaas_alpha", "idaas_beta"
	appA         = "app_alpha"  // instance A, manage + read
	appRO        = "app_reader" // instance A, read only
	appOther     = "app_other"  // instance A, manage + read
	appB         = "app_beta"   // instance B, manage + read
	secret       = "s3cret-Client!"
)

// env is a running developer API over a real SQLite store, directory and
// token authority.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  testStore
	dir    *directory.Service
	tokens *token.Authority
	user   *eiam.User // zhangsan, in instance A
	userB  *eiam.User // lisi, in instance B
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	s := openStore(t)
	h, err := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{instA, instB} {
		if _, err := s.PutInstance(ctx, &eiam.Instance{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	inst, err := s.GetInstance(ctx, instA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutOrgUnit(ctx, &eiam.OrgUnit{InstanceID: instA, ID: "ou_rd", Name: "R&D", ParentID: inst.RootOUID}); err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash(secret)
	if err != nil {
		t.Fatal(err)
	}
	both := []string{alibabadev.ScopeUserManage, alibabadev.ScopeUserRead}
	for _, app := range []*eiam.Application{
		{InstanceID: instA, ID: appA, ClientID: appA, Scopes: both},
		{InstanceID: instA, ID: appRO, ClientID: appRO, Scopes: []string{alibabadev.ScopeUserRead}},
		{InstanceID: instA, ID: appOther, ClientID: appOther, Scopes: both},
		{InstanceID: instB, ID: appB, ClientID: appB, Scopes: both},
	} {
		app.Name, app.SecretHash = app.ID, hash
		if err := s.PutApplication(ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	dir := directory.New(s, directory.Options{Passwords: h})
	for _, f := range []*eiam.FieldDefinition{
		{InstanceID: instA, Name: "age", DisplayName: "Age", DataType: eiam.TypeNumber, UserPermission: eiam.PermReadWrite},
		{InstanceID: instA, Name: "nick_name", DisplayName: "Nick", DataType: eiam.TypeString},
		{InstanceID: instA, Name: "employee_no", DisplayName: "No", DataType: eiam.TypeString, Unique: true},
	} {
		if err := dir.PutField(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	auth := token.New(s, token.Options{PublicURL: "http://eiam.test"})
	if err := auth.EnsureKey(ctx); err != nil {
		t.Fatal(err)
	}
	api := &alibabadev.API{Directory: dir, Tokens: auth, Store: s, Secrets: h}
	mux := http.NewServeMux()
	api.Routes(func(p string, h http.Handler) { mux.Handle(p, h) })
	e := &env{t: t, srv: httptest.NewServer(mux), store: s, dir: dir, tokens: auth}
	t.Cleanup(e.srv.Close)
	e.user = e.create(instA, "zhangsan")
	e.userB = e.create(instB, "lisi")
	return e
}

func (e *env) create(instanceID, username string) *eiam.User {
	e.t.Helper()
	c := &eiam.ProfileChange{}
	c.SetAttr(eiam.AttrUsername, username)
	u, err := e.dir.CreateUser(context.Background(), instanceID, "", c, eiam.Actor{Kind: eiam.ActorAdmin, ID: "test"}, eiam.Origin{Dialect: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (e *env) do(method, path, bearer, body string, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: string(b)}
	if err := json.Unmarshal(b, &r.body); err != nil {
		e.t.Fatalf("%s %s: body is not a JSON object: %q", method, path, b)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return r
}

// token asks for a token as the generated SDK does: everything in the
// query of an empty POST.
func (e *env) token(instanceID, appID, clientSecret, scope string) response {
	e.t.Helper()
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {clientSecret}}
	if scope != "" {
		q.Set("scope", scope)
	}
	return e.do("POST", "/v2/"+instanceID+"/"+appID+"/oauth2/token?"+q.Encode(), "", "",
		"X-Acs-Signature-Method", "HMAC-SHA1", "X-Acs-Signature-Nonce", "c24fb5517f072db309357436aff4a5b8")
}

func (e *env) accessToken(instanceID, appID, scope string) string {
	e.t.Helper()
	r := e.token(instanceID, appID, secret, scope)
	tok, _ := r.body["access_token"].(string)
	if r.status != 200 || tok == "" {
		e.t.Fatalf("token for %s: %d %s", appID, r.status, r.raw)
	}
	return tok
}

func users(instanceID, appID string) string { return "/v2/" + instanceID + "/" + appID + "/users" }

// wantError checks an error answer: status, code, OAuth error, and that
// requestId and the description are present.
func wantError(t *testing.T, r response, status int, code, oauth string) {
	t.Helper()
	if r.status != status || r.body["code"] != code || r.body["error"] != oauth {
		t.Errorf("got %d %s; want %d code %s error %s", r.status, r.raw, status, code, oauth)
	}
	if r.body["requestId"] == "" || r.body["message"] == "" || r.body["message"] != r.body["error_description"] {
		t.Errorf("incomplete error envelope: %s", r.raw)
	}
}

func TestTokenPatchGetRoundTrip(t *testing.T) {
	e := newEnv(t)
	tr := e.token(instA, appA, secret, "")
	if tr.status != 200 || tr.body["token_type"] != "Bearer" || tr.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token: %d %s", tr.status, tr.raw)
	}
	in, _ := tr.body["expires_in"].(float64)
	at, _ := tr.body["expires_at"].(float64)
	if in < 3500 || in > 7300 || at < 1e9 || at > 1e11 {
		t.Errorf("expires_in %v, expires_at %v (want seconds)", in, at)
	}
	tok := tr.body["access_token"].(string)

	body := `{"username":"zhangsan2","displayName":"Zhang San","email":"zs@example.com","emailVerified":true,
		"phoneRegion":"86","phoneNumber":"13800138000","phoneNumberVerified":true,
		"customFields":[{"fieldName":"age","fieldValue":"30","operation":"replace"},
		{"fieldName":"nick_name","fieldValue":"Z","operator":"add"}]}`
	r := e.do("PATCH", users(instA, appA)+"/"+e.user.ID, tok, body)
	if r.status != 200 || r.raw != "{}\n" {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	r = e.do("GET", users(instA, appA)+"/"+e.user.ID, tok, "")
	if r.status != 200 {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}
	for k, v := range map[string]any{
		"userId": e.user.ID, "instanceId": instA, "username": "zhangsan2", "displayName": "Zhang San",
		"email": "zs@example.com", "emailVerified": true, "phoneRegion": "86", "phoneNumber": "13800138000",
		"phoneNumberVerified": true, "status": "enabled", "userSourceType": "build_in", "userSourceId": instA,
		"userExternalId": e.user.ID,
	} {
		if r.body[k] != v {
			t.Errorf("%s = %v, want %v", k, r.body[k], v)
		}
	}
	cf, _ := json.Marshal(r.body["customFields"])
	if string(cf) != `[{"fieldName":"age","fieldValue":"30"},{"fieldName":"nick_name","fieldValue":"Z"}]` {
		t.Errorf("customFields %s", cf)
	}
	if ct, _ := r.body["updateTime"].(float64); ct < 1e12 {
		t.Errorf("updateTime %v is not in milliseconds", r.body["updateTime"])
	}

	// The change was audited as the application's, through this dialect.
	recs, err := e.store.ListAudit(context.Background(), instA, e.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	if last.Origin.Dialect != "alibaba-dev" || last.Actor.Kind != eiam.ActorApplication || last.Actor.ID != appA || last.Origin.RequestID == "" {
		t.Errorf("audit %+v", last)
	}
	// An empty patch changes nothing and writes no audit record.
	if r := e.do("PATCH", users(instA, appA)+"/"+e.user.ID, tok, `{}`); r.status != 200 {
		t.Errorf("empty patch: %d %s", r.status, r.raw)
	}
	if again, _ := e.store.ListAudit(context.Background(), instA, e.user.ID); len(again) != len(recs) {
		t.Errorf("an empty patch wrote an audit record")
	}
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	basic := func(id, s string) string {
		r, _ := http.NewRequest("POST", "/", nil)
		r.SetBasicAuth(id, s)
		return r.Header.Get("Authorization")
	}
	form := "application/x-www-form-urlencoded"
	path := "/v2/" + instA + "/" + appA + "/oauth2/token"
	t.Run("basic and form body", func(t *testing.T) {
		r := e.do("POST", path, "", "grant_type=client_credentials&scope="+url.QueryEscape(alibabadev.ScopeUserRead),
			"Content-Type", form, "Authorization", basic(appA, secret))
		if r.status != 200 || r.body["scope"] != alibabadev.ScopeUserRead {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		// The narrower token may read but not write.
		tok := r.body["access_token"].(string)
		if r := e.do("GET", users(instA, appA)+"/"+e.user.ID, tok, ""); r.status != 200 {
			t.Errorf("read with read scope: %d %s", r.status, r.raw)
		}
		wantError(t, e.do("DELETE", users(instA, appA)+"/"+e.user.ID, tok, ""), 403, "insufficient_scope", "insufficient_scope")
	})
	t.Run("body wins over query", func(t *testing.T) {
		r := e.do("POST", path+"?grant_type=password&client_id="+appA+"&client_secret=wrong", "",
			"grant_type=client_credentials&client_secret="+url.QueryEscape(secret), "Content-Type", form)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	for _, tc := range []struct {
		name         string
		r            response
		status       int
		code, oauth  string
		wwwAuthBasic bool
	}{
		{"wrong secret", e.token(instA, appA, "wrong", ""), 401, "invalid_client", "invalid_client", false},
		{"wrong secret, basic", e.do("POST", path, "", "grant_type=client_credentials", "Content-Type", form, "Authorization", basic(appA, "x")),
			401, "invalid_client", "invalid_client", true},
		{"unknown application", e.token(instA, "app_nobody", secret, ""), 401, "invalid_client", "invalid_client", false},
		{"application of another instance", e.token(instA, appB, secret, ""), 401, "invalid_client", "invalid_client", false},
		{"client id of another application", e.do("POST", path+"?grant_type=client_credentials&client_id="+appOther+"&client_secret="+url.QueryEscape(secret), "", ""),
			401, "invalid_client", "invalid_client", false},
		{"no client", e.do("POST", path+"?grant_type=client_credentials", "", ""), 401, "invalid_client", "invalid_client", false},
		{"other grant", e.do("POST", path+"?grant_type=password&client_id="+appA+"&client_secret="+url.QueryEscape(secret), "", ""),
			400, "unsupported_grant_type", "unsupported_grant_type", false},
		{"no grant", e.do("POST", path+"?client_id="+appA+"&client_secret="+url.QueryEscape(secret), "", ""),
			400, "MissingParameter", "invalid_request", false},
		{"scope not granted", e.token(instA, appRO, secret, alibabadev.ScopeUserManage), 400, "invalid_scope", "invalid_scope", false},
		{"two client auth methods", e.do("POST", path+"?grant_type=client_credentials&client_secret=x", "", "", "Authorization", basic(appA, secret)),
			400, "InvalidParameter", "invalid_request", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, tc.r, tc.status, tc.code, tc.oauth)
			if got := tc.r.header.Get("WWW-Authenticate") != ""; got != tc.wwwAuthBasic {
				t.Errorf("WWW-Authenticate %q", tc.r.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	tokA := e.accessToken(instA, appA, "")
	tokRO := e.accessToken(instA, appRO, "")
	tokB := e.accessToken(instB, appB, "")
	me := users(instA, appA) + "/" + e.user.ID

	r := e.do("PATCH", users(instA, appRO)+"/"+e.user.ID, tokRO, `{"displayName":"x"}`)
	wantError(t, r, 403, "insufficient_scope", "insufficient_scope")
	if h := r.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="insufficient_scope"`) || !strings.Contains(h, alibabadev.ScopeUserManage) {
		t.Errorf("WWW-Authenticate %q", h)
	}
	if r := e.do("GET", users(instA, appRO)+"/"+e.user.ID, tokRO, ""); r.status != 200 {
		t.Errorf("read-only token cannot read: %d %s", r.status, r.raw)
	}
	for name, r := range map[string]response{
		"no token":                e.do("GET", me, "", ""),
		"garbage token":           e.do("GET", me, "not-a-jwt", ""),
		"app A's token on app B":  e.do("GET", users(instA, appOther)+"/"+e.user.ID, tokA, ""),
		"read-only app's token":   e.do("GET", me, tokRO, ""),
		"other instance's token":  e.do("GET", me, tokB, ""),
		"token on other instance": e.do("GET", users(instB, appA)+"/"+e.userB.ID, tokA, ""),
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, r, 401, "invalid_token", "invalid_token")
			if r.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	// A user id of another instance does not exist here.
	wantError(t, e.do("GET", users(instA, appA)+"/"+e.userB.ID, tokA, ""), 404, "ResourceNotFound.User", "not_found")
	wantError(t, e.do("PATCH", users(instA, appA)+"/"+e.userB.ID, tokA, `{"displayName":"x"}`), 404, "ResourceNotFound.User", "not_found")
	wantError(t, e.do("DELETE", users(instA, appA)+"/"+e.userB.ID, tokA, ""), 404, "ResourceNotFound.User", "not_found")
	if u, err := e.store.GetUser(context.Background(), instB, e.userB.ID); err != nil || u.Attr(eiam.AttrDisplayName) != "" {
		t.Errorf("user of instance B touched: %+v %v", u, err)
	}
}

func TestPatchErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.accessToken(instA, appA, "")
	other := e.create(instA, "wangwu")
	me := users(instA, appA) + "/" + e.user.ID
	for _, tc := range []struct {
		name, body  string
		status      int
		code, oauth string
		msg         string
		lang        string
	}{
		{"duplicate username", `{"username":"WANGWU"}`, 409, "ResourceDuplicated.Username", "conflict",
			"The specified resource: username already exist.", ""},
		{"duplicate username, Chinese", `{"username":"wangwu"}`, 409, "ResourceDuplicated.Username", "conflict", "username 已存在。", "zh-CN,zh;q=0.9"},
		{"unknown key named", `{"nickname":"x"}`, 400, "InvalidParameter", "invalid_request", "Parameter nickname is not supported", ""},
		{"email needs its flag", `{"email":"z@example.com"}`, 400, "MissingParameter", "invalid_request", "emailVerified", ""},
		{"phone needs its flag", `{"phoneRegion":"86","phoneNumber":"13900139000"}`, 400, "MissingParameter", "invalid_request", "phoneNumberVerified", ""},
		{"undeclared custom field", `{"customFields":[{"fieldName":"shoe","fieldValue":"42"}]}`, 400, "InvalidParameter", "invalid_request",
			"Custom field shoe is not defined", ""},
		{"custom field type", `{"customFields":[{"fieldName":"age","fieldValue":"old"}]}`, 400, "InvalidParameter", "invalid_request", "age", ""},
		{"operation and operator differ", `{"customFields":[{"fieldName":"age","fieldValue":"1","operation":"add","operator":"remove"}]}`,
			400, "InvalidParameter", "invalid_request", "customFields[0].operator", ""},
		{"malformed", `{"username":`, 400, "InvalidParameter", "invalid_request", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.lang != "" {
				r = e.do("PATCH", me, tok, tc.body, "Accept-Language", tc.lang)
			} else {
				r = e.do("PATCH", me, tok, tc.body)
			}
			wantError(t, r, tc.status, tc.code, tc.oauth)
			if msg, _ := r.body["message"].(string); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q lacks %q", msg, tc.msg)
			}
		})
	}
	// A unique custom field conflicts like any unique value.
	if r := e.do("PATCH", users(instA, appA)+"/"+other.ID, tok, `{"customFields":[{"fieldName":"employee_no","fieldValue":"E1"}]}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	wantError(t, e.do("PATCH", me, tok, `{"customFields":[{"fieldName":"employee_no","fieldValue":"E1"}]}`), 409, "ResourceDuplicated.CustomField", "conflict")
	// None of the failures changed the user.
	u, err := e.store.GetUser(context.Background(), instA, e.user.ID)
	if err != nil || u.Version != e.user.Version {
		t.Errorf("a failed patch changed the user: version %d → %d, %v", e.user.Version, u.Version, err)
	}
}

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	tok := e.accessToken(instA, appA, "")
	base := users(instA, appA)

	r := e.do("POST", base, tok, `{"username":"bob","primaryOrganizationalUnitId":"ou_rd","displayName":"Bob","email":"bob@example.com",
		"emailVerified":true,"userExternalId":"hr-42","password":"S3cure-pass!","customFields":[{"fieldName":"age","fieldValue":"41"}]}`)
	id, _ := r.body["userId"].(string)
	if r.status != 200 || !strings.HasPrefix(id, "user_") {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("POST", base, tok, `{"username":"BOB","primaryOrganizationalUnitId":"ou_rd"}`), 409, "ResourceDuplicated.Username", "conflict")
	wantError(t, e.do("POST", base, tok, `{"username":"carol","primaryOrganizationalUnitId":"ou_nowhere"}`), 400, "InvalidParameter", "invalid_request")
	wantError(t, e.do("POST", base, tok, `{"username":"carol"}`), 400, "MissingParameter", "invalid_request")

	r = e.do("GET", base+"/"+id, tok, "")
	units, _ := json.Marshal(r.body["organizationalUnits"])
	if r.body["userExternalId"] != "hr-42" || r.body["passwordSet"] != true || r.body["primaryOrganizationalUnitId"] != "ou_rd" ||
		string(units) != `[{"organizationalUnitId":"ou_rd","organizationalUnitName":"R\u0026D","primary":true}]` {
		t.Errorf("get: %s", r.raw)
	}

	for action, want := range map[string]string{
		"getUserIdByUsername":   `{"username":"Bob"}`,
		"getUserIdByEmail":      `{"email":"bob@example.com"}`,
		"getUserIdByExternalId": `{"userExternalId":"hr-42","userSourceType":"build_in","userSourceId":"` + instA + `"}`,
	} {
		if r := e.do("POST", base+"/_/actions/"+action, tok, want); r.status != 200 || r.body["userId"] != id {
			t.Errorf("%s: %d %s", action, r.status, r.raw)
		}
	}
	// An account without an external id answers to its user id.
	if r := e.do("POST", base+"/_/actions/getUserIdByExternalId", tok, `{"userExternalId":"`+e.user.ID+`"}`); r.body["userId"] != e.user.ID {
		t.Errorf("default external id: %s", r.raw)
	}
	wantError(t, e.do("POST", base+"/_/actions/getUserIdByExternalId", tok, `{"userExternalId":"hr-42","userSourceType":"ldap"}`), 404, "ResourceNotFound.User", "not_found")
	wantError(t, e.do("POST", base+"/_/actions/getUserIdByEmail", tok, `{"email":"nobody@example.com"}`), 404, "ResourceNotFound.User", "not_found")
	wantError(t, e.do("POST", base+"/_/actions/getUserIdByEmail", tok, `{}`), 400, "MissingParameter", "invalid_request")
	wantError(t, e.do("POST", base+"/_/actions/getUserIdByEmail", tok, `{"mail":"x"}`), 400, "InvalidParameter", "invalid_request")
	wantError(t, e.do("POST", base+"/"+id+"/actions/fly", tok, ``), 404, "ResourceNotFound.Action", "not_found")

	if r := e.do("POST", base+"/"+id+"/actions/disable", tok, ""); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", base+"/"+id, tok, ""); r.body["status"] != "disabled" {
		t.Errorf("after disable: %s", r.raw)
	}
	if r := e.do("POST", base+"/"+id+"/actions/enable", tok, ""); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("POST", base+"/"+id+"/actions/updateUserPassword", tok, `{"password":"short"}`), 400, "InvalidParameter", "invalid_request")
	if r := e.do("POST", base+"/"+id+"/actions/updateUserPassword", tok, `{"password":"An0ther-pass!"}`); r.status != 200 {
		t.Errorf("password: %d %s", r.status, r.raw)
	}
	root, _ := e.store.GetInstance(context.Background(), instA)
	if r := e.do("POST", base+"/"+id+"/actions/addUserToOrganizationalUnits", tok, `{"organizationalUnitIds":["`+root.RootOUID+`"]}`); r.status != 200 {
		t.Errorf("add unit: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("POST", base+"/"+id+"/actions/removeUserFromOrganizationalUnits", tok, `{"organizationalUnitIds":["ou_rd"]}`), 400, "InvalidParameter", "invalid_request")
	if r := e.do("POST", base+"/"+id+"/actions/setUserPrimaryOrganizationalUnit", tok, `{"organizationalUnitId":"`+root.RootOUID+`"}`); r.status != 200 {
		t.Errorf("set primary: %d %s", r.status, r.raw)
	}
	if u, _ := e.store.GetUser(context.Background(), instA, id); u.PrimaryOUID != root.RootOUID {
		t.Errorf("primary unit %s", u.PrimaryOUID)
	}

	r = e.do("GET", base+"?pageNumber=1&pageSize=2", tok, "")
	data, _ := r.body["data"].([]any)
	if r.status != 200 || r.body["totalCount"] != float64(2) || len(data) != 2 {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	if first, _ := data[0].(map[string]any); first["username"] != "bob" || first["customFields"] != nil {
		t.Errorf("list item %v", data[0])
	}
	if r := e.do("GET", base+"?pageNumber=2&pageSize=1", tok, ""); len(r.body["data"].([]any)) != 1 {
		t.Errorf("page 2: %s", r.raw)
	}
	// bob left R&D when the root became his primary unit.
	if r := e.do("GET", base+"?organizationalUnitId=ou_rd", tok, ""); r.body["totalCount"] != float64(0) {
		t.Errorf("unit filter: %s", r.raw)
	}
	if r := e.do("GET", base+"?organizationalUnitId="+root.RootOUID, tok, ""); r.body["totalCount"] != float64(2) {
		t.Errorf("unit filter: %s", r.raw)
	}
	wantError(t, e.do("GET", base+"?pageSize=500", tok, ""), 400, "InvalidParameter", "invalid_request")

	if r := e.do("DELETE", base+"/"+id, tok, ""); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("GET", base+"/"+id, tok, ""), 404, "ResourceNotFound.User", "not_found")
}
