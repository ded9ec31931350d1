package alibabadev_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/alibabadev"
	"github.com/eiam/eiam/storetest"
)

// TestBadInputChangesNothing sends requests that must be refused — a
// user's own token, an application token of instance A reaching into
// instance B, malformed bodies — and checks that each is answered with the
// developer API's error (never a 500) and that none changed a user or
// wrote an audit record or event.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tokA := e.accessToken(instA, appA, "")
	instanceB, err := e.store.GetInstance(ctx, instB)
	if err != nil {
		t.Fatal(err)
	}
	rootB := instanceB.RootOUID
	wangwu := e.create(instA, "wangwu")

	// A user's own session with appA, as a sign-in through another dialect
	// makes it, carrying the application's scopes: its access and id tokens.
	s, err := e.tokens.StartSession(ctx, &eiam.Session{InstanceID: instA, Kind: eiam.SessionUser, UserID: e.user.ID,
		ApplicationID: appA, Scopes: []string{alibabadev.ScopeUserManage, alibabadev.ScopeUserRead}, Dialect: "authing"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	userAT, err := e.tokens.IssueAccess(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	userID, err := e.tokens.IssueID(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A client token of appA that is an id token, not an access token.
	cs, err := e.tokens.StartSession(ctx, &eiam.Session{InstanceID: instA, Kind: eiam.SessionClient, ApplicationID: appA,
		Scopes: []string{alibabadev.ScopeUserManage}, Dialect: "test"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clientID, err := e.tokens.IssueID(ctx, cs, nil)
	if err != nil {
		t.Fatal(err)
	}

	snap := storetest.TakeSnapshot(t, e.store, instA, instB)
	a, b := users(instA, appA), users(instB, appB)
	me, lisiInA, lisiInB := a+"/"+e.user.ID, a+"/"+e.userB.ID, b+"/"+e.userB.ID
	const (
		patch = `{"displayName":"owned"}`
		bad   = "InvalidParameter"
	)
	for _, tc := range []struct {
		name         string
		method, path string
		token, body  string
		status       int
		code, oauth  string
	}{
		// A user's token, even one issued to this application with its
		// scopes, does not administer the directory.
		{"user access token patches", "PATCH", me, userAT.Token, patch, 403, "insufficient_scope", "insufficient_scope"},
		{"user access token patches another user", "PATCH", a + "/" + wangwu.ID, userAT.Token, patch, 403, "insufficient_scope", "insufficient_scope"},
		{"user access token reads", "GET", me, userAT.Token, "", 403, "insufficient_scope", "insufficient_scope"},
		{"user access token creates", "POST", a, userAT.Token, `{"username":"mallory","primaryOrganizationalUnitId":"ou_rd"}`, 403, "insufficient_scope", "insufficient_scope"},
		{"user access token deletes", "DELETE", me, userAT.Token, "", 403, "insufficient_scope", "insufficient_scope"},
		{"user access token disables", "POST", me + "/actions/disable", userAT.Token, "", 403, "insufficient_scope", "insufficient_scope"},
		{"user id token", "PATCH", me, userID.Token, patch, 401, "invalid_token", "invalid_token"},
		{"client id token", "PATCH", me, clientID.Token, patch, 401, "invalid_token", "invalid_token"},

		{"query names another user on patch", "PATCH", me + "?userId=" + wangwu.ID, tokA, patch, 400, bad, "invalid_request"},
		{"query on get", "GET", me + "?withGroups=true", tokA, "", 400, bad, "invalid_request"},
		{"query on an action", "POST", me + "/actions/disable?userId=" + wangwu.ID, tokA, "", 400, bad, "invalid_request"},

		// Instance A's application token on instance B's paths and ids.
		{"A's token patches B's user through B", "PATCH", lisiInB, tokA, patch, 401, "invalid_token", "invalid_token"},
		{"A's token reads B's user through B", "GET", lisiInB, tokA, "", 401, "invalid_token", "invalid_token"},
		{"A's token creates in B", "POST", b, tokA, `{"username":"mallory","primaryOrganizationalUnitId":"` + rootB + `"}`, 401, "invalid_token", "invalid_token"},
		{"A's token deletes in B", "DELETE", lisiInB, tokA, "", 401, "invalid_token", "invalid_token"},
		{"A's token disables in B", "POST", lisiInB + "/actions/disable", tokA, "", 401, "invalid_token", "invalid_token"},
		{"A's token lists B", "GET", b, tokA, "", 401, "invalid_token", "invalid_token"},
		{"A's app under B's instance", "PATCH", users(instB, appA) + "/" + e.userB.ID, tokA, patch, 401, "invalid_token", "invalid_token"},
		{"B's user id through A: patch", "PATCH", lisiInA, tokA, patch, 404, "ResourceNotFound.User", "not_found"},
		{"B's user id through A: empty patch", "PATCH", lisiInA, tokA, `{}`, 404, "ResourceNotFound.User", "not_found"},
		{"B's user id through A: disable", "POST", lisiInA + "/actions/disable", tokA, "", 404, "ResourceNotFound.User", "not_found"},
		{"B's user id through A: enable", "POST", lisiInA + "/actions/enable", tokA, "", 404, "ResourceNotFound.User", "not_found"},
		{"B's user id through A: password", "POST", lisiInA + "/actions/updateUserPassword", tokA, `{"password":"An0ther-pass!"}`, 404, "ResourceNotFound.User", "not_found"},
		{"B's user id through A: primary unit", "POST", lisiInA + "/actions/setUserPrimaryOrganizationalUnit", tokA, `{"organizationalUnitId":"ou_rd"}`, 404, "ResourceNotFound.User", "not_found"},
		{"B's user id through A: add unit", "POST", lisiInA + "/actions/addUserToOrganizationalUnits", tokA, `{"organizationalUnitIds":["ou_rd"]}`, 404, "ResourceNotFound.User", "not_found"},
		{"B's user id through A: delete", "DELETE", lisiInA, tokA, "", 404, "ResourceNotFound.User", "not_found"},
		{"B's username through A", "POST", a + "/_/actions/getUserIdByUsername", tokA, `{"username":"lisi"}`, 404, "ResourceNotFound.User", "not_found"},
		{"B's user id as external id through A", "POST", a + "/_/actions/getUserIdByExternalId", tokA, `{"userExternalId":"` + e.userB.ID + `"}`, 404, "ResourceNotFound.User", "not_found"},
		{"B as the source through A", "POST", a + "/_/actions/getUserIdByExternalId", tokA, `{"userExternalId":"` + e.user.ID + `","userSourceId":"` + instB + `"}`, 404, "ResourceNotFound.User", "not_found"},
		{"B's unit as primary on create", "POST", a, tokA, `{"username":"mallory","primaryOrganizationalUnitId":"` + rootB + `"}`, 400, bad, "invalid_request"},
		{"B's unit as primary", "POST", me + "/actions/setUserPrimaryOrganizationalUnit", tokA, `{"organizationalUnitId":"` + rootB + `"}`, 400, bad, "invalid_request"},
		{"B's unit added", "POST", me + "/actions/addUserToOrganizationalUnits", tokA, `{"organizationalUnitIds":["` + rootB + `"]}`, 400, bad, "invalid_request"},

		// Malformed bodies.
		{"patch: invalid UTF-8", "PATCH", me, tokA, "{\"displayName\":\"\xff\"}", 400, bad, "invalid_request"},
		{"patch: invalid UTF-8 in a custom field", "PATCH", me, tokA, "{\"customFields\":[{\"fieldName\":\"nick_name\",\"fieldValue\":\"\xc3(\"}]}", 400, bad, "invalid_request"},
		{"patch: boolean as text", "PATCH", me, tokA, `{"email":"z@example.com","emailVerified":"true"}`, 400, bad, "invalid_request"},
		{"patch: number for a text", "PATCH", me, tokA, `{"username":42}`, 400, bad, "invalid_request"},
		{"patch: customFields an object", "PATCH", me, tokA, `{"customFields":{"age":"1"}}`, 400, bad, "invalid_request"},
		{"patch: unknown member", "PATCH", me, tokA, `{"status":"disabled"}`, 400, bad, "invalid_request"},
		{"patch: unknown custom field member", "PATCH", me, tokA, `{"customFields":[{"fieldName":"age","fieldValue":"1","op":"add"}]}`, 400, bad, "invalid_request"},
		{"patch: array body", "PATCH", me, tokA, `[{"displayName":"x"}]`, 400, bad, "invalid_request"},
		{"patch: oversized", "PATCH", me, tokA, `{"displayName":"` + strings.Repeat("x", 70<<10) + `"}`, 400, bad, "invalid_request"},
		{"create: invalid UTF-8", "POST", a, tokA, "{\"username\":\"mallory\",\"primaryOrganizationalUnitId\":\"ou_rd\",\"displayName\":\"\xff\"}", 400, bad, "invalid_request"},
		{"create: wrong type", "POST", a, tokA, `{"username":"mallory","primaryOrganizationalUnitId":["ou_rd"]}`, 400, bad, "invalid_request"},
		{"create: unknown member", "POST", a, tokA, `{"username":"mallory","primaryOrganizationalUnitId":"ou_rd","status":"enabled"}`, 400, bad, "invalid_request"},
		{"create: oversized", "POST", a, tokA, `{"username":"mallory","primaryOrganizationalUnitId":"ou_rd","description":"` + strings.Repeat("x", 70<<10) + `"}`, 400, bad, "invalid_request"},
		{"disable with a body", "POST", me + "/actions/disable", tokA, `{"reason":"x"}`, 400, bad, "invalid_request"},
		{"password: wrong type", "POST", me + "/actions/updateUserPassword", tokA, `{"password":12345678}`, 400, bad, "invalid_request"},
		{"password: invalid UTF-8", "POST", me + "/actions/updateUserPassword", tokA, "{\"password\":\"An0ther-\xff\"}", 400, bad, "invalid_request"},
		{"units: not an array", "POST", me + "/actions/addUserToOrganizationalUnits", tokA, `{"organizationalUnitIds":"ou_rd"}`, 400, bad, "invalid_request"},
		{"lookup: invalid UTF-8", "POST", a + "/_/actions/getUserIdByEmail", tokA, "{\"email\":\"\xff@example.com\"}", 400, bad, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.do(tc.method, tc.path, tc.token, tc.body), tc.status, tc.code, tc.oauth)
		})
	}
	// The token endpoint refuses malformed requests too.
	tokenPath := "/v2/" + instA + "/" + appA + "/oauth2/token"
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, query, body string
	}{
		{"invalid UTF-8 in the query", "grant_type=client_credentials&client_id=" + appA + "&client_secret=%FF", ""},
		{"invalid UTF-8 in the body", "", "grant_type=client_credentials&client_id=" + appA + "&scope=%C3%28&client_secret=" + url.QueryEscape(secret)},
		{"oversized body", "", "grant_type=client_credentials&client_id=" + appA + "&client_secret=" + strings.Repeat("x", 70<<10)},
		{"repeated parameter", "grant_type=client_credentials&grant_type=password&client_id=" + appA + "&client_secret=" + url.QueryEscape(secret), ""},
	} {
		t.Run("token: "+tc.name, func(t *testing.T) {
			r := e.do("POST", tokenPath+"?"+tc.query, "", tc.body, "Content-Type", form)
			if r.status < 400 || r.status >= 500 || r.body["error"] == nil || r.body["access_token"] != nil {
				t.Errorf("got %d %s; want a 4xx OAuth error", r.status, r.raw)
			}
		})
	}
	snap.Unchanged(t)
}
