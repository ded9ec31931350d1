package bamboo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/storetest"
)

const (
	farInst = "idaas_bamboo_far"
	farApp  = "app_far"
)

// addNeighbours gives the fixture a second user (lisi) of the same
// instance and a second instance with its own application and user
// (wangwu), whom a bad request must not reach either.
func (e *env) addNeighbours() (lisi, wangwu *eiam.User) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.store.PutInstance(ctx, &eiam.Instance{ID: farInst, Name: "Far Co"}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.PutApplication(ctx, &eiam.Application{InstanceID: farInst, ID: farApp, ClientID: farApp, Name: "Far"}); err != nil {
		e.t.Fatal(err)
	}
	create := func(inst, username string) *eiam.User {
		pw := pass
		c := &eiam.ProfileChange{Password: &pw}
		c.SetAttr(eiam.AttrUsername, username)
		u, err := e.dir.CreateUser(ctx, inst, "", c, eiam.Actor{Kind: eiam.ActorAdmin, ID: "test"}, eiam.Origin{Dialect: "test"})
		if err != nil {
			e.t.Fatal(err)
		}
		return u
	}
	return create(inst, "lisi"), create(farInst, "wangwu")
}

// TestBadInputChangesNothing sends requests that must be refused — naming
// another user, crossing instances, malformed bodies — and checks each
// answer is Bamboo's documented error (never a 500) and that none of them
// changed a user or wrote an audit record or event.
func TestBadInputChangesNothing(t *testing.T) {
	e := setup(t)
	lisi, wangwu := e.addNeighbours()
	own, _ := e.login(app)
	auth := "Bearer " + own

	// wangwu's token, issued in the other instance.
	code, out := e.call("POST", "/api/v2/sdk/login", `{"user_name":"wangwu","password":"`+pass+`"}`, device(farApp))
	if code != 200 {
		t.Fatalf("login in the other instance: %d %v", code, out)
	}
	farToken := "Bearer " + out["id_token"].(string)

	// An id token of a client session (no user behind it) signed by the
	// same authority for the same application.
	ctx := context.Background()
	s, err := e.tokens.StartSession(ctx, &eiam.Session{InstanceID: inst, Kind: eiam.SessionClient, ApplicationID: app, Dialect: "test"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clientID, err := e.tokens.IssueID(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}

	snap := storetest.TakeSnapshot(t, e.store, inst, farInst)
	update, profile, login := "/api/v2/sdk/profile/update", "/api/v2/sdk/profile", "/api/v2/sdk/login"
	mine := with(device(app), "Authorization", auth)
	for _, tc := range []struct {
		name         string
		method, path string
		body         string
		hdr          map[string]string
		code         string
	}{
		// Another user's id with a self-service token: the body cannot
		// name a user, and another user's username is taken.
		{"body names another user by id", "POST", update, `{"id":"` + lisi.ID + `","name":"owned"}`, mine, "SDK.COMMON.1006"},
		{"body names another user by user_id", "POST", update, `{"user_id":"` + lisi.ID + `","name":"owned"}`, mine, "SDK.COMMON.1006"},
		{"query names another user", "POST", update + "?user_id=" + lisi.ID, `{"name":"owned"}`, mine, "SDK.COMMON.1006"},
		{"another user's username", "POST", update, `{"user_name":"LISI","name":"owned"}`, mine, "SDK.COMMON.1006"},
		{"a client session's id token", "POST", update, `{"name":"owned"}`, with(device(app), "Authorization", "Bearer "+clientID.Token), "SDK.COMMON.1005"},
		{"a client session's id token reads nothing", "GET", profile, "", with(device(app), "Authorization", "Bearer "+clientID.Token), "SDK.COMMON.1005"},

		// Another instance's ids.
		{"token of another instance", "POST", update, `{"name":"owned"}`, with(device(app), "Authorization", farToken), "SDK.COMMON.1005"},
		{"token of another instance reads nothing", "GET", profile, "", with(device(app), "Authorization", farToken), "SDK.COMMON.1005"},
		{"own token with another instance's client", "POST", update, `{"name":"owned"}`, with(device(farApp), "Authorization", auth), "SDK.COMMON.1005"},
		{"user of another instance signs in here", "POST", login, `{"user_name":"wangwu","password":"` + pass + `"}`, device(app), "SDK.LOGIN.1005"},
		{"user of another instance by id", "POST", login, `{"user_name":"` + wangwu.ID + `","password":"` + pass + `"}`, device(app), "SDK.LOGIN.1005"},

		// Malformed bodies.
		{"invalid UTF-8", "POST", update, "{\"name\":\"\xff\xfe\"}", mine, "SDK.COMMON.1002"},
		{"invalid UTF-8 in a key", "POST", update, "{\"\xff\":\"x\"}", mine, "SDK.COMMON.1002"},
		{"invalid UTF-8 in an extension", "POST", update, "{\"extension\":{\"age\":\"\xc3\"}}", mine, "SDK.COMMON.1002"},
		{"number for a text", "POST", update, `{"name":12}`, mine, "SDK.COMMON.1002"},
		{"object for a text", "POST", update, `{"attr_nick_name":{"a":1}}`, mine, "SDK.COMMON.1002"},
		{"array for extension", "POST", update, `{"extension":["age"]}`, mine, "SDK.COMMON.1002"},
		{"object in an extension", "POST", update, `{"extension":{"age":{"v":18}}}`, mine, "SDK.COMMON.1002"},
		{"text for a number field", "POST", update, `{"extension":{"age":"old"}}`, mine, "SDK.COMMON.1002"},
		{"unknown field", "POST", update, `{"nick":"x"}`, mine, "SDK.COMMON.1006"},
		{"unknown field beside a good one", "POST", update, `{"name":"ok","mobile":"13800138000"}`, mine, "SDK.COMMON.1006"},
		{"duplicate key", "POST", update, `{"name":"a","name":"b"}`, mine, "SDK.COMMON.1002"},
		{"array body", "POST", update, `[{"name":"a"}]`, mine, "SDK.COMMON.1002"},
		{"trailing data", "POST", update, `{"name":"a"} {"name":"b"}`, mine, "SDK.COMMON.1002"},
		{"oversized body", "POST", update, `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, mine, "SDK.COMMON.1002"},
		{"control character", "POST", update, `{"name":"a\u0000b"}`, mine, "SDK.COMMON.1002"},
		{"login: invalid UTF-8", "POST", login, "{\"user_name\":\"\xff\",\"password\":\"x\"}", device(app), "SDK.COMMON.1002"},
		{"login: wrong type", "POST", login, `{"user_name":["zhangsan"],"password":"x"}`, device(app), "SDK.COMMON.1002"},
		{"login: unknown field", "POST", login, `{"user_name":"zhangsan","password":"` + pass + `","tenant":"x"}`, device(app), "SDK.COMMON.1006"},
		{"login: oversized", "POST", login, `{"user_name":"zhangsan","password":"` + strings.Repeat("a", 70<<10) + `"}`, device(app), "SDK.COMMON.1002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.call(tc.method, tc.path, tc.body, tc.hdr)
			if code != 400 || out["error_code"] != tc.code || out["error_msg"] == "" {
				t.Errorf("got %d %v, want 400 %s", code, out, tc.code)
			}
		})
	}
	snap.Unchanged(t)
}
