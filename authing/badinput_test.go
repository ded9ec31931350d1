package authing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/storetest"
)

// TestBadInputChangesNothing sends requests that must be refused — a
// self-service token reaching for another user or for the management API,
// ids and headers of another user pool, malformed bodies — and checks that
// each is answered with Authing's error envelope (HTTP 200, never a 500)
// and that none changed a user or wrote an audit record or event.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// carol lives in the other pool.
	c := &eiam.ProfileChange{}
	c.SetAttr(eiam.AttrUsername, "carol")
	carol, err := e.dir.CreateUser(ctx, farInst, "", c, eiam.Actor{Kind: eiam.ActorAdmin, ID: "test"}, eiam.Origin{Dialect: "test"})
	if err != nil {
		t.Fatal(err)
	}
	far, err := e.store.GetInstance(ctx, farInst)
	if err != nil {
		t.Fatal(err)
	}

	bobTok := e.token("bob")
	self := map[string]string{"authorization": bobTok}
	// A client session's access token for app1: it speaks for no user.
	s, err := e.tokens.StartSession(ctx, &eiam.Session{InstanceID: inst, Kind: eiam.SessionClient, ApplicationID: app1, Dialect: "test"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clientTok, err := e.tokens.IssueAccess(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/api/v3/get-management-token", nil, `{"accessKeyId":"`+akID+`","accessKeySecret":"`+akSecret+`"}`)
	mgmt := map[string]string{"Authorization": "Bearer " + r.Data["access_token"].(string)}
	// A management token asked for the other pool, which the key may not use.
	r = e.do("POST", "/api/v3/get-management-token", map[string]string{"x-authing-userpool-id": farInst},
		`{"accessKeyId":"`+akID+`","accessKeySecret":"`+akSecret+`"}`)
	farMgmt := map[string]string{"Authorization": "Bearer " + r.Data["access_token"].(string)}

	snap := storetest.TakeSnapshot(t, e.store, inst, farInst)
	owned := `{"userId":"` + e.alice.ID + `","nickname":"owned"}`
	type req struct {
		name           string
		method, target string
		headers        map[string]string
		body           string
		key            string // when set, the request is signed with this key
		status, api    int
	}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, tc := range []req{
		// Another user's id with a self-service token.
		{"update-profile names another user", "POST", "/api/v3/update-profile", self, owned, "", 400, 1003},
		{"update-profile names another user in the query", "POST", "/api/v3/update-profile?userId=" + e.alice.ID, self, `{"nickname":"owned"}`, "", 400, 1003},
		{"update-profile takes another user's username", "POST", "/api/v3/update-profile", self, `{"username":"alice"}`, "", 400, 2026},
		{"get-profile names another user", "GET", "/api/v3/get-profile?userId=" + e.alice.ID, self, "", "", 400, 1003},
		{"client token on update-profile", "POST", "/api/v3/update-profile", map[string]string{"authorization": clientTok.Token}, `{"nickname":"owned"}`, "", 401, 2020},
		{"client token on get-profile", "GET", "/api/v3/get-profile", map[string]string{"authorization": "Bearer " + clientTok.Token}, "", "", 401, 2020},
		{"user token on update-user", "POST", "/api/v3/update-user", map[string]string{"Authorization": "Bearer " + bobTok}, owned, "", 401, 2020},
		{"bare user token on update-user", "POST", "/api/v3/update-user", self, owned, "", 401, 2020},
		{"user token on get-user", "GET", "/api/v3/get-user?userId=" + e.alice.ID, map[string]string{"Authorization": "Bearer " + bobTok}, "", "", 401, 2020},
		{"user token on create-user", "POST", "/api/v3/create-user", map[string]string{"Authorization": "Bearer " + bobTok}, `{"username":"mallory"}`, "", 401, 2020},
		{"user token on delete-users-batch", "POST", "/api/v3/delete-users-batch", map[string]string{"Authorization": "Bearer " + bobTok}, `{"userIds":["` + e.alice.ID + `"]}`, "", 401, 2020},
		{"user token with its pool on update-user", "POST", "/api/v3/update-user", map[string]string{"Authorization": "Bearer " + bobTok, "x-authing-userpool-id": inst}, owned, "", 401, 2020},
		{"client token on update-user", "POST", "/api/v3/update-user", map[string]string{"Authorization": "Bearer " + clientTok.Token}, owned, "", 401, 2020},

		// Another pool's ids.
		{"self-service with another pool's header", "POST", "/api/v3/update-profile", with(self, "x-authing-userpool-id", farInst), `{"nickname":"owned"}`, "", 401, 2020},
		{"get-profile with another pool's header", "GET", "/api/v3/get-profile", with(self, "x-authing-userpool-id", farInst), "", "", 401, 2020},
		{"self-service with another pool's app", "POST", "/api/v3/update-profile", with(self, "x-authing-app-id", appFar), `{"nickname":"owned"}`, "", 401, 2020},
		{"key of one pool names another", "POST", "/api/v3/update-user", map[string]string{"x-authing-userpool-id": farInst}, `{"userId":"` + carol.ID + `","nickname":"owned"}`, akID, 403, 1001},
		{"key of one pool names another's app", "POST", "/api/v3/update-user", map[string]string{"x-authing-app-id": appFar}, `{"userId":"` + carol.ID + `","nickname":"owned"}`, akID, 403, 1001},
		{"key of one pool deletes in another", "POST", "/api/v3/delete-users-batch", map[string]string{"x-authing-userpool-id": farInst}, `{"userIds":["` + carol.ID + `"]}`, akID, 403, 1001},
		{"key of one pool creates in another", "POST", "/api/v3/create-user", map[string]string{"x-authing-userpool-id": farInst}, `{"username":"mallory"}`, akID, 403, 1001},
		{"another pool's user id", "POST", "/api/v3/update-user", nil, `{"userId":"` + carol.ID + `","nickname":"owned"}`, akID, 404, 2004},
		{"another pool's username", "POST", "/api/v3/update-user", nil, `{"userId":"carol","options":{"userIdType":"username"},"nickname":"owned"}`, akID, 404, 2004},
		{"another pool's user id, wildcard key", "POST", "/api/v3/update-user", map[string]string{"x-authing-userpool-id": inst}, `{"userId":"` + carol.ID + `","nickname":"owned"}`, akWild, 404, 2004},
		{"another pool's user read", "GET", "/api/v3/get-user?userId=" + carol.ID, nil, "", akID, 404, 2004},
		{"batch with another pool's user deletes nothing", "POST", "/api/v3/delete-users-batch", nil, `{"userIds":["` + e.alice.ID + `","` + carol.ID + `"]}`, akID, 404, 2004},
		{"another pool's department", "POST", "/api/v3/create-user", nil, `{"username":"mallory","departmentIds":["` + far.RootOUID + `"]}`, akID, 400, 1003},
		{"pool and app disagree", "POST", "/api/v3/update-user", map[string]string{"x-authing-userpool-id": farInst, "x-authing-app-id": app1}, owned, akWild, 400, 1003},
		{"management token with another pool's header", "POST", "/api/v3/update-user", with(mgmt, "x-authing-userpool-id", farInst), `{"userId":"` + carol.ID + `","nickname":"owned"}`, "", 403, 1001},
		{"management token of a pool the key may not use", "POST", "/api/v3/update-user", farMgmt, `{"userId":"` + carol.ID + `","nickname":"owned"}`, "", 403, 1001},

		// Malformed bodies, self-service.
		{"update-profile: invalid UTF-8", "POST", "/api/v3/update-profile", self, "{\"nickname\":\"\xff\"}", "", 400, 1003},
		{"update-profile: number for a text", "POST", "/api/v3/update-profile", self, `{"nickname":7}`, "", 400, 1003},
		{"update-profile: customData not an object", "POST", "/api/v3/update-profile", self, `{"customData":"school=PKU"}`, "", 400, 1003},
		{"update-profile: bad gender", "POST", "/api/v3/update-profile", self, `{"gender":"X"}`, "", 400, 1003},
		{"update-profile: unknown member", "POST", "/api/v3/update-profile", self, `{"nickName":"x"}`, "", 400, 1003},
		{"update-profile: array body", "POST", "/api/v3/update-profile", self, `[]`, "", 400, 1003},
		{"update-profile: oversized", "POST", "/api/v3/update-profile", self, `{"nickname":"` + strings.Repeat("x", 70<<10) + `"}`, "", 400, 1003},
		{"get-profile: flag not a boolean", "GET", "/api/v3/get-profile?withCustomData=yes", self, "", "", 400, 1003},
		{"signin: invalid UTF-8", "POST", "/api/v3/signin", map[string]string{"x-authing-app-id": appPublic}, "{\"connection\":\"PASSWORD\",\"passwordPayload\":{\"username\":\"\xff\",\"password\":\"x\"}}", "", 400, 1003},
		{"signin: payload not an object", "POST", "/api/v3/signin", map[string]string{"x-authing-app-id": appPublic}, `{"connection":"PASSWORD","passwordPayload":"bob"}`, "", 400, 1003},
		{"signin: oversized", "POST", "/api/v3/signin", map[string]string{"x-authing-app-id": appPublic}, `{"connection":"PASSWORD","passwordPayload":{"username":"bob","password":"` + strings.Repeat("x", 70<<10) + `"}}`, "", 400, 1003},

		// Malformed bodies, management.
		{"update-user: invalid UTF-8", "POST", "/api/v3/update-user", mgmt, "{\"userId\":\"" + e.bob.ID + "\",\"nickname\":\"\xc3\"}", "", 400, 1003},
		{"update-user: userId not a string", "POST", "/api/v3/update-user", mgmt, `{"userId":5,"nickname":"x"}`, "", 400, 1003},
		{"update-user: flag not a boolean", "POST", "/api/v3/update-user", mgmt, `{"userId":"` + e.bob.ID + `","email":"b@example.com","emailVerified":"yes"}`, "", 400, 1003},
		{"update-user: customData an array", "POST", "/api/v3/update-user", mgmt, `{"userId":"` + e.bob.ID + `","customData":[1]}`, "", 400, 1003},
		{"update-user: unknown member", "POST", "/api/v3/update-user", mgmt, `{"userId":"` + e.bob.ID + `","shoe":42}`, "", 400, 1003},
		{"update-user: unknown option", "POST", "/api/v3/update-user", mgmt, `{"userId":"` + e.bob.ID + `","nickname":"x","options":{"force":true}}`, "", 400, 1003},
		{"update-user: undeclared custom field", "POST", "/api/v3/update-user", mgmt, `{"userId":"` + e.bob.ID + `","customData":{"shoe":42}}`, "", 400, 1003},
		{"update-user: oversized", "POST", "/api/v3/update-user", mgmt, `{"userId":"` + e.bob.ID + `","nickname":"` + strings.Repeat("x", 70<<10) + `"}`, "", 400, 1003},
		{"update-user: in the query", "POST", "/api/v3/update-user?userId=" + e.alice.ID, mgmt, `{"userId":"` + e.bob.ID + `","nickname":"x"}`, "", 400, 1003},
		{"create-user: username not a string", "POST", "/api/v3/create-user", mgmt, `{"username":123}`, "", 400, 1003},
		{"create-user: departmentIds not an array", "POST", "/api/v3/create-user", mgmt, `{"username":"mallory","departmentIds":"ou_x"}`, "", 400, 1003},
		{"create-user: invalid UTF-8", "POST", "/api/v3/create-user", mgmt, "{\"username\":\"mallory\",\"name\":\"\xff\"}", "", 400, 1003},
		{"create-user: unknown member", "POST", "/api/v3/create-user", mgmt, `{"username":"mallory","role":"admin"}`, "", 400, 1003},
		{"delete-users-batch: userIds not an array", "POST", "/api/v3/delete-users-batch", mgmt, `{"userIds":"` + e.alice.ID + `"}`, "", 400, 1003},
		{"delete-users-batch: numbers", "POST", "/api/v3/delete-users-batch", mgmt, `{"userIds":[1]}`, "", 400, 1003},
		{"delete-users-batch: unknown member", "POST", "/api/v3/delete-users-batch", mgmt, `{"ids":["` + e.alice.ID + `"]}`, "", 400, 1003},
		{"get-user: unknown parameter", "GET", "/api/v3/get-user?userId=" + e.bob.ID + "&withPassword=true", mgmt, "", "", 400, 1003},
		{"get-management-token: invalid UTF-8", "POST", "/api/v3/get-management-token", nil, "{\"accessKeyId\":\"\xff\",\"accessKeySecret\":\"x\"}", "", 400, 1003},
		{"get-management-token: wrong type", "POST", "/api/v3/get-management-token", nil, `{"accessKeyId":["` + akID + `"],"accessKeySecret":"x"}`, "", 400, 1003},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			if tc.key != "" {
				r = e.signed(tc.method, tc.target, tc.body, tc.key, tc.headers)
			} else {
				r = e.do(tc.method, tc.target, tc.headers, tc.body)
			}
			expectError(t, tc.name, r, tc.status, tc.api)
		})
	}
	snap.Unchanged(t)
}
