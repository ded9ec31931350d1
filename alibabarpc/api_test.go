package alibabarpc_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/alibabarpc"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/password"
)

// testStore is what the handler tests need of a database: the directory
// and the nonce table.
type testStore interface {
	eiam.Store
	alibabarpc.Nonces
}

const (
	instA, instB = "idaas_alpha", "idaas_beta"
	akFull       = "LTAI5tFull00000001" // eiam:* in every instance
	akRead       = "LTAI5tRead00000001" // eiam:GetUser in instance A
	akB          = "LTAI5tBeta00000001" // eiam:* in instance B only
	akOff        = "LTAI5tOff000000001" // disabled
	akSecret     = "testSecret0000000000000000000001"
)

// env is a running RPC API over a real SQLite store and directory.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	host  string
	store testStore
	dir   *directory.Service
	user  *eiam.User // zhangsan in A
	userB *eiam.User // lisi in B
	ou    string     // a unit of A
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	s := openStore(t)
	for _, id := range []string{instA, instB} {
		if _, err := s.PutInstance(ctx, &eiam.Instance{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	inst, _ := s.GetInstance(ctx, instA)
	if _, err := s.PutOrgUnit(ctx, &eiam.OrgUnit{InstanceID: instA, ID: "ou_rd", Name: "R&D", ParentID: inst.RootOUID}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*eiam.AccessKey{
		{ID: akFull, Actions: []string{"eiam:*"}, Instances: []string{"*"}},
		{ID: akRead, Actions: []string{"eiam:GetUser"}, Instances: []string{instA}},
		{ID: akB, Actions: []string{"eiam:*"}, Instances: []string{instB}},
		{ID: akOff, Actions: []string{"eiam:*"}, Instances: []string{"*"}, Disabled: true},
	} {
		k.Secret = akSecret
		if err := s.PutAccessKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	h, err := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	dir := directory.New(s, directory.Options{Passwords: h})
	for _, f := range []*eiam.FieldDefinition{
		{InstanceID: instA, Name: "age", DisplayName: "Age", DataType: eiam.TypeNumber},
		{InstanceID: instA, Name: "nick_name", DisplayName: "Nick", DataType: eiam.TypeString},
	} {
		if err := dir.PutField(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	api := &alibabarpc.API{Directory: dir, Store: s, Nonces: s}
	mux := http.NewServeMux()
	api.Routes(func(p string, h http.Handler) { mux.Handle(p, h) })
	e := &env{t: t, srv: httptest.NewServer(mux), store: s, dir: dir, ou: "ou_rd"}
	t.Cleanup(e.srv.Close)
	e.host = strings.TrimPrefix(e.srv.URL, "http://")
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

// style is how a client sends a call.
type style int

const (
	v3Query     style = iota // generated Go SDK: V3, params in the query of a POST
	v3GoPlus                 // the same, query written by url.Values.Encode (spaces as +)
	v1Get                    // pop-core default: V1 GET
	v1Form                   // pop-core POST: V1, everything in a form body
	v1LegacyGet              // alibaba-cloud-sdk-go: V1 GET with RegionId, SignatureType= and a form Content-Type
)

// call describes one request; zero fields take defaults.
type call struct {
	style   style
	action  string
	params  map[string]string
	ak      string
	secret  string
	at      time.Time
	nonce   string
	version string
	header  map[string]string
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// request builds and signs the request c describes.
func (e *env) request(c call) *http.Request {
	e.t.Helper()
	if c.ak == "" {
		c.ak = akFull
	}
	if c.secret == "" {
		c.secret = akSecret
	}
	if c.at.IsZero() {
		c.at = time.Now()
	}
	if c.nonce == "" {
		c.nonce = newNonce()
	}
	if c.version == "" {
		c.version = alibabarpc.Version
	}
	vals := url.Values{}
	for k, v := range c.params {
		vals.Set(k, v)
	}
	r := &acssign.Request{Path: "/", Header: http.Header{}, Host: e.host}
	switch c.style {
	case v3Query, v3GoPlus:
		r.Method, r.Query = "POST", vals
		r.Header.Set("x-acs-action", c.action)
		r.Header.Set("x-acs-version", c.version)
		acssign.SignRequestV3(r, c.ak, c.secret, c.nonce, c.at)
	case v1Get, v1LegacyGet:
		r.Method, r.Query = "GET", vals
		vals.Set("Action", c.action)
		vals.Set("Version", c.version)
		if c.style == v1LegacyGet {
			vals.Set("RegionId", "cn-hangzhou")
			vals.Set("SignatureType", "")
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		acssign.SignRequestV1(r, c.ak, c.secret, c.nonce, c.at)
	case v1Form:
		r.Method, r.Form = "POST", vals
		vals.Set("Action", c.action)
		vals.Set("Version", c.version)
		for k, v := range map[string]string{"AccessKeyId": c.ak, "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
			"SignatureNonce": c.nonce, "SignatureVersion": "1.0", "Timestamp": c.at.UTC().Format("2006-01-02T15:04:05Z")} {
			vals.Set(k, v)
		}
		acssign.SignRequestV1(r, c.ak, c.secret, c.nonce, c.at)
		// pop-core sends the signature in the body with the rest.
		vals.Set("Signature", r.Query.Get("Signature"))
		r.Query = nil
	}
	hr, err := r.NewHTTPRequest(context.Background(), e.srv.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	if c.style == v3GoPlus {
		hr.URL.RawQuery = vals.Encode()
	}
	for k, v := range c.header {
		hr.Header.Set(k, v)
	}
	return hr
}

func (e *env) send(hr *http.Request) response {
	e.t.Helper()
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: string(b)}
	if err := json.Unmarshal(b, &r.body); err != nil {
		e.t.Fatalf("body is not a JSON object: %q", b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json;charset=utf-8" {
		e.t.Errorf("Content-Type %q", ct)
	}
	if id, _ := r.body["RequestId"].(string); id == "" {
		e.t.Errorf("no RequestId: %s", b)
	}
	if r.status == 200 {
		if _, ok := r.body["Code"]; ok {
			e.t.Errorf("a success carries Code: %s", b)
		}
	} else if r.body["Code"] == nil || r.body["Message"] == nil || r.body["HostId"] != e.host || r.body["Recommend"] == nil {
		e.t.Errorf("incomplete error envelope: %s", b)
	}
	return r
}

func (e *env) do(c call) response {
	e.t.Helper()
	return e.send(e.request(c))
}

func ok(t *testing.T, r response) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
}

func wantError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.body["Code"] != code {
		t.Errorf("got %d %s; want %d %s", r.status, r.raw, status, code)
	}
}

func TestUpdateThenGetEveryClientStyle(t *testing.T) {
	e := newEnv(t)
	for name, st := range map[string]style{"v3 query": v3Query, "v3 go plus": v3GoPlus, "v1 get": v1Get, "v1 form": v1Form, "v1 legacy": v1LegacyGet} {
		t.Run(name, func(t *testing.T) {
			display := "Alice W 中文 " + name + " a+b*~"
			ok(t, e.do(call{style: st, action: "UpdateUser", params: map[string]string{
				"InstanceId": instA, "UserId": e.user.ID, "DisplayName": display,
				"PhoneRegion": "86", "PhoneNumber": "13800138000", "PhoneNumberVerified": "true",
				"CustomFields.1.FieldName": "age", "CustomFields.1.FieldValue": "10", "CustomFields.1.Operation": "replace",
				"CustomFields.2.FieldName": "nick_name", "CustomFields.2.FieldValue": "a b+c", "CustomFields.2.Operation": "add",
			}}))
			r := e.do(call{style: st, action: "GetUser", params: map[string]string{"InstanceId": instA, "UserId": e.user.ID}})
			ok(t, r)
			u, _ := r.body["User"].(map[string]any)
			for k, v := range map[string]any{
				"UserId": e.user.ID, "InstanceId": instA, "Username": "zhangsan", "DisplayName": display,
				"PhoneRegion": "86", "PhoneNumber": "13800138000", "PhoneNumberVerified": true, "Status": "enabled",
				"UserSourceType": "build_in", "UserSourceId": instA, "UserExternalId": e.user.ID,
			} {
				if u[k] != v {
					t.Errorf("%s = %v, want %v", k, u[k], v)
				}
			}
			cf, _ := json.Marshal(u["CustomFields"])
			if string(cf) != `[{"FieldName":"age","FieldValue":"10"},{"FieldName":"nick_name","FieldValue":"a b+c"}]` {
				t.Errorf("CustomFields %s", cf)
			}
			if ut, _ := u["UpdateTime"].(float64); ut < 1e12 {
				t.Errorf("UpdateTime %v is not in milliseconds", u["UpdateTime"])
			}
		})
	}
	recs, err := e.store.ListAudit(context.Background(), instA, e.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	if last.Origin.Dialect != "alibaba-rpc" || last.Actor.Kind != eiam.ActorAccessKey || last.Actor.ID != akFull || last.Origin.RequestID == "" {
		t.Errorf("audit %+v", last)
	}
}

func TestSignatureFailures(t *testing.T) {
	e := newEnv(t)
	get := map[string]string{"InstanceId": instA, "UserId": e.user.ID}
	for _, st := range []style{v3Query, v1Get} {
		// The same request twice: the second is a replay.
		req := call{style: st, action: "GetUser", params: get, nonce: newNonce()}
		ok(t, e.do(req))
		wantError(t, e.do(req), 400, "SignatureNonceUsed")

		wantError(t, e.do(call{style: st, action: "GetUser", params: get, at: time.Now().Add(-20 * time.Minute)}), 400, "InvalidTimeStamp.Expired")
		wantError(t, e.do(call{style: st, action: "GetUser", params: get, at: time.Now().Add(20 * time.Minute)}), 400, "InvalidTimeStamp.Expired")
		r := e.do(call{style: st, action: "GetUser", params: get, secret: "wrong"})
		wantError(t, r, 400, "SignatureDoesNotMatch")
		if msg, _ := r.body["Message"].(string); !strings.Contains(msg, "server string to sign is:") {
			t.Errorf("message %q", msg)
		}
		wantError(t, e.do(call{style: st, action: "GetUser", params: get, ak: "LTAI5tNobody000001"}), 404, "InvalidAccessKeyId.NotFound")
		wantError(t, e.do(call{style: st, action: "GetUser", params: get, ak: akOff}), 400, "InvalidAccessKeyId.Inactive")
	}
	// A tampered parameter breaks the signature.
	hr := e.request(call{style: v1Get, action: "GetUser", params: get})
	q := hr.URL.Query()
	q.Set("UserId", e.userB.ID)
	hr.URL.RawQuery = q.Encode()
	wantError(t, e.send(hr), 400, "SignatureDoesNotMatch")
	// A nonce burnt by a bad signature is not; the good request still passes.
	n := newNonce()
	wantError(t, e.do(call{style: v3Query, action: "GetUser", params: get, nonce: n, secret: "wrong"}), 400, "SignatureDoesNotMatch")
	ok(t, e.do(call{style: v3Query, action: "GetUser", params: get, nonce: n}))
	// No signature at all.
	res := e.send(mustRequest(t, "GET", e.srv.URL+"/?Action=GetUser&Version=2021-12-01&InstanceId="+instA+"&UserId="+e.user.ID))
	wantError(t, res, 400, "MissingParameter")
}

func mustRequest(t *testing.T, method, target string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPermissionsAndRouting(t *testing.T) {
	e := newEnv(t)
	get := map[string]string{"InstanceId": instA, "UserId": e.user.ID}
	ok(t, e.do(call{action: "GetUser", params: get, ak: akRead}))
	wantError(t, e.do(call{action: "UpdateUser", params: map[string]string{"InstanceId": instA, "UserId": e.user.ID, "DisplayName": "x"}, ak: akRead}), 403, "Forbidden.RAM")
	wantError(t, e.do(call{action: "GetUser", params: get, ak: akB}), 403, "Forbidden.RAM")
	// A key of instance B asking for A's user through B: not found there.
	wantError(t, e.do(call{action: "GetUser", params: map[string]string{"InstanceId": instB, "UserId": e.user.ID}, ak: akB}), 404, "ResourceNotFound.User")
	wantError(t, e.do(call{action: "DeleteUser", params: map[string]string{"InstanceId": instB, "UserId": e.user.ID}, ak: akB}), 404, "ResourceNotFound.User")
	if _, err := e.store.GetUser(context.Background(), instA, e.user.ID); err != nil {
		t.Errorf("user of A was deleted through B: %v", err)
	}
	wantError(t, e.do(call{action: "FlyUser", params: get}), 404, "InvalidAction.NotFound")
	wantError(t, e.do(call{action: "GetUser", params: get, version: "2022-02-25"}), 400, "InvalidVersion")
	wantError(t, e.do(call{action: "GetUser", params: map[string]string{"UserId": e.user.ID}}), 400, "MissingParameter.InstanceId")
	wantError(t, e.do(call{action: "GetUser", params: map[string]string{"InstanceId": instA}}), 400, "MissingParameter.UserId")
	r := e.do(call{action: "GetUser", params: map[string]string{"InstanceId": instA, "UserId": e.user.ID, "Verbose": "true"}})
	wantError(t, r, 400, "InvalidParameter")
	if msg, _ := r.body["Message"].(string); !strings.Contains(msg, "Verbose") {
		t.Errorf("unknown parameter not named: %q", msg)
	}
	r = e.do(call{action: "GetUser", params: map[string]string{"InstanceId": instA, "UserId": "user_nobody"}, header: map[string]string{"Accept-Language": "zh-CN"}})
	wantError(t, r, 404, "ResourceNotFound.User")
	if msg, _ := r.body["Message"].(string); !strings.Contains(msg, "不存在") {
		t.Errorf("message not in Chinese: %q", msg)
	}
}

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	create := map[string]string{
		"InstanceId": instA, "Username": "bob", "PrimaryOrganizationalUnitId": e.ou, "DisplayName": "Bob",
		"Email": "bob@example.com", "EmailVerified": "true", "UserExternalId": "hr-42", "Password": "S3cure-pass!",
		"CustomFields.1.FieldName": "age", "CustomFields.1.FieldValue": "41", "ClientToken": "create-bob-1",
	}
	r := e.do(call{action: "CreateUser", params: create})
	ok(t, r)
	id, _ := r.body["UserId"].(string)
	// A retry with the same ClientToken names the same user and creates none.
	r = e.do(call{style: v1Form, action: "CreateUser", params: create})
	ok(t, r)
	if r.body["UserId"] != id {
		t.Errorf("retry created %v, first %s", r.body["UserId"], id)
	}
	page, err := e.store.ListUsers(context.Background(), instA, eiam.UserQuery{WithTotal: true})
	if err != nil || page.Total != 2 {
		t.Errorf("%d users after a retried create, want 2 (%v)", page.Total, err)
	}
	// Without a token a second create is a duplicate username: 403 per seed.
	delete(create, "ClientToken")
	create["UserExternalId"] = "hr-43"
	create["Email"] = "bob2@example.com"
	r = e.do(call{action: "CreateUser", params: create})
	wantError(t, r, 403, "ResourceDuplicated.Username")
	if r.body["Message"] != "The specified resource: Username already exist." {
		t.Errorf("message %q", r.body["Message"])
	}
	r = e.do(call{action: "UpdateUser", params: map[string]string{"InstanceId": instA, "UserId": e.user.ID, "Username": "BOB"}})
	wantError(t, r, 403, "ResourceDuplicated.Username")
	wantError(t, e.do(call{action: "CreateUser", params: map[string]string{"InstanceId": instA, "Username": "carol"}}), 400, "MissingParameter.PrimaryOrganizationalUnitId")
	wantError(t, e.do(call{action: "CreateUser", params: map[string]string{"InstanceId": instA, "Username": "carol", "PrimaryOrganizationalUnitId": "ou_nowhere"}}),
		400, "InvalidParameter.OrganizationalUnitId")

	u := e.do(call{action: "GetUser", params: map[string]string{"InstanceId": instA, "UserId": id}}).body["User"].(map[string]any)
	units, _ := json.Marshal(u["OrganizationalUnits"])
	if u["UserExternalId"] != "hr-42" || u["PasswordSet"] != true || u["EmailVerified"] != true ||
		string(units) != `[{"OrganizationalUnitId":"ou_rd","OrganizationalUnitName":"R\u0026D","Primary":true}]` {
		t.Errorf("created user %v", u)
	}
}

func TestUpdateErrors(t *testing.T) {
	e := newEnv(t)
	base := map[string]string{"InstanceId": instA, "UserId": e.user.ID}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		params map[string]string
		status int
		code   string
		msg    string
	}{
		{"undeclared field", with("CustomFields.1.FieldName", "shoe", "CustomFields.1.FieldValue", "42"), 400, "EntityNotExist.CustomField", "shoe"},
		{"value of the wrong type", with("CustomFields.1.FieldName", "age", "CustomFields.1.FieldValue", "old"), 400, "InvalidParameter.CustomFields", "age"},
		{"missing value", with("CustomFields.3.FieldName", "age"), 400, "MissingParameter.CustomFields", "CustomFields.3.FieldValue"},
		{"bad index", with("CustomFields.x.FieldName", "age"), 400, "InvalidParameter.CustomFields", "CustomFields.x.FieldName"},
		{"email without its flag", with("Email", "z@example.com"), 400, "MissingParameter.EmailVerified", "EmailVerified"},
		{"bad email", with("Email", "not-an-email", "EmailVerified", "true"), 400, "InvalidParameter.Email", "Email"},
		{"bad boolean", with("EmailVerified", "yes"), 400, "InvalidParameter.EmailVerified", "EmailVerified"},
		{"unknown parameter", with("Nickname", "z"), 400, "InvalidParameter", "Nickname"},
		{"unknown user", map[string]string{"InstanceId": instA, "UserId": "user_nobody", "DisplayName": "x"}, 404, "ResourceNotFound.User", "user_nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(call{action: "UpdateUser", params: tc.params})
			wantError(t, r, tc.status, tc.code)
			if msg, _ := r.body["Message"].(string); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q lacks %q", msg, tc.msg)
			}
		})
	}
	if u, _ := e.store.GetUser(context.Background(), instA, e.user.ID); u.Version != e.user.Version {
		t.Errorf("a failed update changed the user")
	}
	// The JSON-string fallback of CustomFields.
	ok(t, e.do(call{action: "UpdateUser", params: with("CustomFields", `[{"FieldName":"age","FieldValue":"7","Operation":"add"}]`)}))
	if u, _ := e.store.GetUser(context.Background(), instA, e.user.ID); u.CustomValue("age") != "7" {
		t.Errorf("JSON custom fields not applied: %v", u.CustomFields)
	}
	// remove, then an update with nothing in it changes nothing.
	ok(t, e.do(call{action: "UpdateUser", params: with("CustomFields.1.FieldName", "age", "CustomFields.1.Operation", "remove")}))
	u, _ := e.store.GetUser(context.Background(), instA, e.user.ID)
	ok(t, e.do(call{action: "UpdateUser", params: base}))
	if again, _ := e.store.GetUser(context.Background(), instA, e.user.ID); again.Version != u.Version || len(again.CustomFields) != 0 {
		t.Errorf("remove or empty update: %+v", again)
	}
}

func TestStatusListAndDelete(t *testing.T) {
	e := newEnv(t)
	bob := e.create(instA, "bob")
	ok(t, e.do(call{action: "UpdateUser", params: map[string]string{"InstanceId": instA, "UserId": bob.ID, "Email": "bob@example.com", "EmailVerified": "true"}}))
	ok(t, e.do(call{action: "DisableUser", params: map[string]string{"InstanceId": instA, "UserId": bob.ID}}))

	list := func(kv ...string) response {
		t.Helper()
		p := map[string]string{"InstanceId": instA}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		r := e.do(call{style: v1Get, action: "ListUsers", params: p})
		ok(t, r)
		return r
	}
	names := func(r response) string {
		var out []string
		for _, u := range r.body["Users"].([]any) {
			out = append(out, u.(map[string]any)["Username"].(string))
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		kv    []string
		want  string
		total float64
	}{
		{nil, "bob,zhangsan", 2},
		{[]string{"PageSize", "1"}, "bob", 2},
		{[]string{"PageSize", "1", "PageNumber", "2"}, "zhangsan", 2},
		{[]string{"Status", "disabled"}, "bob", 1},
		{[]string{"UsernameStartsWith", "ZHANG"}, "zhangsan", 1},
		{[]string{"Email", "BOB@example.com"}, "bob", 1},
		{[]string{"Email", "bob@example.com", "UserIds.1", e.user.ID}, "", 0},
		{[]string{"UserIds.2", bob.ID, "UserIds.1", e.user.ID}, "bob,zhangsan", 2},
		{[]string{"UserExternalId", e.user.ID}, "zhangsan", 1},
		{[]string{"UserSourceType", "ldap"}, "", 0},
		{[]string{"OrganizationalUnitId", e.ou}, "", 0},
	} {
		r := list(tc.kv...)
		if got := names(r); got != tc.want || r.body["TotalCount"] != tc.total {
			t.Errorf("ListUsers %v: %s (%v), want %s (%v)", tc.kv, got, r.body["TotalCount"], tc.want, tc.total)
		}
	}
	r := list("MaxResults", "1")
	if names(r) != "bob" || r.body["NextToken"] == nil || r.body["MaxResults"] != float64(1) {
		t.Fatalf("cursor page 1: %s", r.raw)
	}
	if r = list("MaxResults", "1", "NextToken", r.body["NextToken"].(string)); names(r) != "zhangsan" || r.body["NextToken"] != nil {
		t.Errorf("cursor page 2: %s", r.raw)
	}
	item := list("UserIds.1", bob.ID).body["Users"].([]any)[0].(map[string]any)
	for _, k := range []string{"CustomFields", "OrganizationalUnits", "Groups", "PrimaryOrganizationalUnitId"} {
		if _, has := item[k]; has {
			t.Errorf("list item has %s", k)
		}
	}

	ok(t, e.do(call{action: "EnableUser", params: map[string]string{"InstanceId": instA, "UserId": bob.ID}}))
	if u, _ := e.store.GetUser(context.Background(), instA, bob.ID); u.Status != eiam.StatusEnabled {
		t.Errorf("status %s after EnableUser", u.Status)
	}
	ok(t, e.do(call{action: "DeleteUser", params: map[string]string{"InstanceId": instA, "UserId": bob.ID}}))
	wantError(t, e.do(call{action: "GetUser", params: map[string]string{"InstanceId": instA, "UserId": bob.ID}}), 404, "ResourceNotFound.User")
	wantError(t, e.do(call{action: "DeleteUser", params: map[string]string{"InstanceId": instA, "UserId": bob.ID}}), 404, "ResourceNotFound.User")
}

func TestCustomFieldLifecycle(t *testing.T) {
	e := newEnv(t)
	r := e.do(call{action: "CreateCustomField", params: map[string]string{
		"InstanceId": instA, "EntityType": "user", "FieldName": "level", "FieldDisplayName": "Level",
		"FieldDataType": "string", "FieldDisplayType": "select", "FieldDataConfig.Items.1.Value": "junior",
		"FieldDataConfig.Items.1.DisplayName": "Junior", "FieldDataConfig.Items.2.Value": "senior",
		"UserPermission": "read_only", "Required": "false", "Unique": "false", "Encrypted": "false",
	}})
	ok(t, r)
	id, _ := r.body["FieldId"].(string)
	field := map[string]string{"InstanceId": instA, "FieldId": id}
	r = e.do(call{action: "GetCustomField", params: field})
	ok(t, r)
	cf := r.body["CustomField"].(map[string]any)
	items, _ := json.Marshal(cf["FieldDataConfig"])
	if cf["FieldName"] != "level" || cf["Status"] != "enabled" || cf["EntityType"] != "user" ||
		string(items) != `{"Items":[{"DisplayName":"Junior","Status":"enabled","Value":"junior"},{"DisplayName":"","Status":"enabled","Value":"senior"}]}` {
		t.Errorf("GetCustomField %s", r.raw)
	}
	wantError(t, e.do(call{action: "CreateCustomField", params: map[string]string{
		"InstanceId": instA, "EntityType": "user", "FieldName": "level", "FieldDisplayName": "L", "FieldDataType": "string", "FieldDisplayType": "input",
	}}), 403, "ResourceDuplicated.FieldName")
	wantError(t, e.do(call{action: "CreateCustomField", params: map[string]string{
		"InstanceId": instA, "EntityType": "user", "FieldName": "Bad Name", "FieldDisplayName": "L", "FieldDataType": "string", "FieldDisplayType": "input",
	}}), 400, "InvalidParameter.FieldName")

	update := func(v string) response {
		return e.do(call{action: "UpdateUser", params: map[string]string{"InstanceId": instA, "UserId": e.user.ID,
			"CustomFields.1.FieldName": "level", "CustomFields.1.FieldValue": v}})
	}
	wantError(t, update("principal"), 400, "InvalidParameter.CustomFields")
	ok(t, update("senior"))
	ok(t, e.do(call{action: "DisableCustomField", params: field}))
	wantError(t, update("junior"), 400, "InvalidParameter.CustomFields")
	ok(t, e.do(call{action: "EnableCustomField", params: field}))
	ok(t, update("junior"))
	ok(t, e.do(call{action: "DeleteCustomField", params: field}))
	wantError(t, e.do(call{action: "GetCustomField", params: field}), 404, "ResourceNotFound.CustomField")
	wantError(t, e.do(call{action: "DeleteCustomField", params: field}), 404, "ResourceNotFound.CustomField")
	wantError(t, update("junior"), 400, "EntityNotExist.CustomField")
}

func TestMatch(t *testing.T) {
	form := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	header := httptest.NewRequest("POST", "/?InstanceId=x", nil)
	header.Header.Set("x-acs-action", "GetUser")
	for _, tc := range []struct {
		name string
		r    *http.Request
		want bool
	}{
		{"query", httptest.NewRequest("GET", "/?Action=GetUser", nil), true},
		{"header", header, true},
		{"form body", form("Version=2021-12-01&Action=GetUser"), true},
		{"form without Action", form("Version=2021-12-01"), false},
		{"other path", httptest.NewRequest("GET", "/v2/x?Action=GetUser", nil), false},
		{"plain GET /", httptest.NewRequest("GET", "/", nil), false},
		{"JSON body", httptest.NewRequest("POST", "/", strings.NewReader(`{"Action":"GetUser"}`)), false},
	} {
		if got := alibabarpc.Match(tc.r); got != tc.want {
			t.Errorf("%s: Match = %v", tc.name, got)
		}
	}
	// Looking into the body leaves it for the handler.
	r := form("Action=GetUser&UserId=u1")
	alibabarpc.Match(r)
	if b, _ := io.ReadAll(r.Body); !bytes.Equal(b, []byte("Action=GetUser&UserId=u1")) {
		t.Errorf("body after Match: %q", b)
	}
}

// TestClientTokenConcurrentRetries sends one CreateUser several times at
// once, as a client retrying on timeouts might: all answers name the same
// user, and exactly one user exists.
func TestClientTokenConcurrentRetries(t *testing.T) {
	e := newEnv(t)
	params := map[string]string{"InstanceId": instA, "Username": "racer", "PrimaryOrganizationalUnitId": e.ou, "ClientToken": "race-1"}
	const n = 8
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = e.request(call{action: "CreateUser", params: params})
	}
	ids := make(chan string, n)
	for _, r := range reqs {
		go func() {
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				ids <- err.Error()
				return
			}
			defer res.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(res.Body).Decode(&out)
			id, _ := out["UserId"].(string)
			ids <- id
		}()
	}
	first := <-ids
	for range n - 1 {
		if id := <-ids; id != first || first == "" {
			t.Errorf("answers differ: %q and %q", first, id)
		}
	}
	page, err := e.store.ListUsers(context.Background(), instA, eiam.UserQuery{UsernamePrefix: "racer", WithTotal: true})
	if err != nil || page.Total != 1 {
		t.Errorf("%d users named racer (%v)", page.Total, err)
	}
}
