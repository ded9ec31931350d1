package bamboo_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/bamboo"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/httpserver"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/storetest"
	"github.com/eiam/eiam/token"
)

const (
	inst     = "idaas_bamboo"
	app      = "nTo1eRIub60vPb54WeE6aojPwYwImtl4" // the seed's example client id
	otherApp = "app_other"
	pass     = "S3cure-pass!"
)

type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  eiam.Store
	dir    *directory.Service
	tokens *token.Authority
	user   *eiam.User
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.OpenSQLite(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	hasher, err := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	must(err)
	dir := directory.New(st, directory.Options{Passwords: hasher})
	_, err = st.PutInstance(ctx, &eiam.Instance{ID: inst, Name: "Bamboo Co"})
	must(err)
	must(st.PutApplication(ctx, &eiam.Application{InstanceID: inst, ID: app, ClientID: app, Name: "Workplace"}))
	must(st.PutApplication(ctx, &eiam.Application{InstanceID: inst, ID: otherApp, ClientID: otherApp, Name: "Other"}))
	must(dir.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, Name: "age", DataType: eiam.TypeNumber, UserPermission: eiam.PermReadWrite}))
	must(dir.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, Name: "grade", DataType: eiam.TypeString, UserPermission: eiam.PermReadOnly}))
	pw := pass
	c := &eiam.ProfileChange{Password: &pw}
	c.SetAttr(eiam.AttrUsername, "zhangsan")
	c.SetAttr(eiam.AttrEmail, "zhangsan@example.com")
	c.SetFlag(eiam.FlagEmailVerified, true)
	u, err := dir.CreateUser(ctx, inst, "user_zs", c, eiam.Actor{Kind: eiam.ActorAdmin, ID: "test"}, eiam.Origin{Dialect: "test"})
	must(err)
	tokens := token.New(st, token.Options{PublicURL: "http://eiam.test"})
	must(tokens.EnsureKey(ctx))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := &bamboo.API{Directory: dir, Tokens: tokens, Store: st, Log: log,
		SignIn: &directory.SignIn{Store: st, Passwords: hasher, Lockout: directory.Lockout{MaxAttempts: 3, LockFor: time.Minute, MaxLock: time.Hour}}}
	hs, err := httpserver.New(httpserver.Options{Logger: log, Registry: prometheus.NewRegistry()})
	must(err)
	api.Routes(hs.Handle)
	srv := httptest.NewServer(hs.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, store: st, dir: dir, tokens: tokens, user: u}
}

// device are the seed's example device headers.
func device(client string) map[string]string {
	return map[string]string{
		"X-operating-sys-version": "windows10.1.1", "X-device-fingerprint": "156aysdna213sc50", "X-device-ip": "192.168.1.2",
		"X-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3 like Mac OS X)", "X-client-id": client,
		"Content-Type": "application/json",
	}
}

func (e *env) call(method, path, body string, hdr map[string]string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	for k, v := range hdr {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Request-Id") == "" {
		e.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("%s %s: body %q is not JSON", method, path, raw)
	}
	return resp.StatusCode, out
}

func (e *env) login(client string) (idToken, sessionToken string) {
	e.t.Helper()
	code, out := e.call("POST", "/api/v2/sdk/login", `{"user_name":"zhangsan","password":"`+pass+`"}`, device(client))
	if code != 200 || out["status"] != "SUCCESS" {
		e.t.Fatalf("login: %d %v", code, out)
	}
	if exp, _ := out["expire"].(float64); exp < 604000 || exp > 604800 {
		e.t.Errorf("expire = %v, want about 604800", out["expire"])
	}
	return out["id_token"].(string), out["session_token"].(string)
}

func with(h map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

const seedBody = `{"user_name":"zhangsan","name":"张三","head_img":"https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTIQ8QOTSn3y4cYHLlMC3sv6RCBmeMkxtOog47Zr3v2Afbqc2bmP0WibUIUskX39eJlJAEbAibXs","attr_gender":"male","attr_birthday":"2022-02-17","attr_nick_name":"张三","mailing_address":"湖北省武汉市","zip_code":"430000","first_name":"zhangsan","middle_name":"zhangsan","last_name":"zhangsan","industry":"事业单位","extension":{"age":"18"}}`

func TestSeedUpdateRoundTrip(t *testing.T) {
	e := setup(t)
	id, _ := e.login(app)
	code, out := e.call("POST", "/api/v2/sdk/profile/update", seedBody, with(device(app), "Authorization", "Bearer "+id))
	if code != 200 || len(out) != 0 {
		t.Fatalf("update: %d %v", code, out)
	}
	code, prof := e.call("GET", "/api/v2/sdk/profile", "", with(device(app), "Authorization", "Bearer "+id))
	if code != 200 {
		t.Fatalf("profile: %d %v", code, prof)
	}
	var sent map[string]any
	_ = json.Unmarshal([]byte(seedBody), &sent)
	for k, v := range sent {
		if k == "extension" {
			if got := prof["extension"].(map[string]any)["age"]; got != "18" {
				t.Errorf("extension.age = %v", got)
			}
			continue
		}
		if prof[k] != v {
			t.Errorf("%s read back %v, wrote %v", k, prof[k], v)
		}
	}
	recs, _ := e.store.ListAudit(context.Background(), inst, e.user.ID)
	last := recs[len(recs)-1]
	if last.Origin.Dialect != "bamboo" || last.Origin.Device["X-device-fingerprint"] != "156aysdna213sc50" ||
		last.Origin.Device["X-device-ip"] != "192.168.1.2" || last.Origin.ClientIP == "" || last.Actor.Kind != eiam.ActorSelf {
		t.Errorf("audit record %+v lacks the dialect, device headers, client IP or self actor", last)
	}
}

func TestDocumentedErrors(t *testing.T) {
	e := setup(t)
	id, _ := e.login(app)
	auth := "Bearer " + id
	for _, tc := range []struct {
		name       string
		method     string
		path, body string
		hdr        map[string]string
		status     int
		code, msg  string
	}{
		{"seed example: X-client-id missing", "POST", "/api/v2/sdk/profile/update", seedBody, with(device(""), "Authorization", auth),
			400, "SDK.COMMON.1001", "Parameter X-client-id cannot be left blank."},
		{"only X-client-id", "POST", "/api/v2/sdk/profile/update", seedBody, map[string]string{"X-client-id": app, "Authorization": auth},
			400, "SDK.COMMON.1003", ""},
		{"unknown client", "POST", "/api/v2/sdk/profile/update", seedBody, with(device("nope"), "Authorization", auth), 400, "SDK.COMMON.1012", ""},
		{"no token", "POST", "/api/v2/sdk/profile/update", seedBody, device(app), 400, "SDK.COMMON.1001", "Parameter Authorization cannot be left blank."},
		{"garbage token", "GET", "/api/v2/sdk/profile", "", with(device(app), "Authorization", "Bearer x.y.z"), 400, "SDK.COMMON.1005", "id_token has expired or is invalid."},
		{"token of another application", "GET", "/api/v2/sdk/profile", "", with(device(otherApp), "Authorization", auth), 400, "SDK.COMMON.1005", ""},
		{"email is not writable here", "POST", "/api/v2/sdk/profile/update", `{"email":"x@example.com"}`, with(device(app), "Authorization", auth), 400, "SDK.COMMON.1006", ""},
		{"undeclared extension", "POST", "/api/v2/sdk/profile/update", `{"extension":{"shoe":"42"}}`, with(device(app), "Authorization", auth), 400, "SDK.COMMON.1006", ""},
		{"read-only extension", "POST", "/api/v2/sdk/profile/update", `{"extension":{"grade":"P7"}}`, with(device(app), "Authorization", auth), 400, "SDK.COMMON.1006", ""},
		{"bad birthday", "POST", "/api/v2/sdk/profile/update", `{"attr_birthday":"2022-02-30"}`, with(device(app), "Authorization", auth), 400, "SDK.COMMON.1002", ""},
		{"malformed JSON", "POST", "/api/v2/sdk/profile/update", `{"name":`, with(device(app), "Authorization", auth), 400, "SDK.COMMON.1002", ""},
		{"oversized body", "POST", "/api/v2/sdk/profile/update", `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, with(device(app), "Authorization", auth), 400, "SDK.COMMON.1002", ""},
		{"Chinese message by X-L", "POST", "/api/v2/sdk/profile/update", seedBody, with(device(""), "Authorization", auth, "X-L", "zh"),
			400, "SDK.COMMON.1001", "参数 X-client-id 不能为空。"},
		{"login without password", "POST", "/api/v2/sdk/login", `{"user_name":"zhangsan"}`, device(app), 400, "SDK.COMMON.1001", "Parameter password cannot be left blank."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.call(tc.method, tc.path, tc.body, tc.hdr)
			if code != tc.status || out["error_code"] != tc.code {
				t.Fatalf("got %d %v, want %d %s", code, out, tc.status, tc.code)
			}
			if tc.msg != "" && out["error_msg"] != tc.msg {
				t.Errorf("error_msg = %q, want %q", out["error_msg"], tc.msg)
			}
		})
	}
	// None of the refused updates changed anything.
	got, _ := e.dir.GetUser(context.Background(), inst, e.user.ID)
	if got.Version != e.user.Version {
		t.Errorf("refused requests changed the user: version %d → %d", e.user.Version, got.Version)
	}
}

func TestLoginFailuresReportAttemptsThenLock(t *testing.T) {
	e := setup(t)
	h := with(device(app), "X-L", "zh")
	for i, want := range []string{"剩余登录尝试次数:2", "剩余登录尝试次数:1"} {
		code, out := e.call("POST", "/api/v2/sdk/login", `{"user_name":"zhangsan","password":"wrong-pass1"}`, h)
		if code != 400 || out["error_code"] != "SDK.LOGIN.1005" || !strings.Contains(out["error_msg"].(string), want) {
			t.Fatalf("failure %d: %d %v", i+1, code, out)
		}
	}
	code, out := e.call("POST", "/api/v2/sdk/login", `{"user_name":"zhangsan","password":"wrong-pass1"}`, h)
	if code != 400 || out["error_code"] != "SDK.LOGIN.1003" {
		t.Fatalf("third failure: %d %v; want locked", code, out)
	}
	code, out = e.call("POST", "/api/v2/sdk/login", `{"user_name":"zhangsan","password":"`+pass+`"}`, h)
	if out["error_code"] != "SDK.LOGIN.1003" {
		t.Fatalf("right password while locked: %d %v", code, out)
	}
	// An unknown user fails the same way as a wrong password.
	_, out = e.call("POST", "/api/v2/sdk/login", `{"user_name":"nobody","password":"wrong-pass1"}`, device(app))
	if out["error_code"] != "SDK.LOGIN.1005" {
		t.Fatalf("unknown user: %v", out)
	}
}

func TestSessionTokenRefreshAndDisabledUser(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	id, st := e.login(app)
	code, out := e.call("POST", "/api/v2/sdk/sso/session-token/id-token", "", with(device(app), "X-session-token", st))
	if code != 200 || out["id_token"] == "" || out["id_token"] == id {
		t.Fatalf("refresh: %d %v", code, out)
	}
	fresh := out["id_token"].(string)
	if code, _ := e.call("GET", "/api/v2/sdk/profile", "", with(device(app), "Authorization", "Bearer "+fresh)); code != 200 {
		t.Fatalf("refreshed id_token refused: %d", code)
	}
	if code, out := e.call("POST", "/api/v2/sdk/sso/session-token/id-token", "", with(device(app), "X-session-token", st+"x")); out["error_code"] != "SDK.COMMON.1005" {
		t.Fatalf("tampered session token: %d %v", code, out)
	}
	disabled := eiam.StatusDisabled
	if _, err := e.dir.UpdateUser(ctx, inst, e.user.ID, &eiam.ProfileChange{Status: &disabled}, eiam.Actor{Kind: eiam.ActorAdmin, ID: "t"}, eiam.Origin{Dialect: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{id, fresh} {
		if _, out := e.call("POST", "/api/v2/sdk/profile/update", `{"name":"x"}`, with(device(app), "Authorization", "Bearer "+tok)); out["error_code"] != "SDK.COMMON.1005" {
			t.Errorf("disabled user's token accepted: %v", out)
		}
	}
	if _, out := e.call("POST", "/api/v2/sdk/sso/session-token/id-token", "", with(device(app), "X-session-token", st)); out["error_code"] != "SDK.COMMON.1005" {
		t.Errorf("disabled user's session token yielded an id_token: %v", out)
	}
}
