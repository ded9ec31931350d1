package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
)

// server is an `eiam serve` run by a test.
type server struct {
	base           string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

// startServer runs `eiam serve` with the quickstart on a free port and
// waits until it listens.
func startServer(t *testing.T, flags ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	t.Cleanup(cancel)
	args := append([]string{"eiam", "serve", "--addr", "127.0.0.1:0", "--import", quickstartFile, "--log-format", "json"}, flags...)
	go func() { s.done <- run(ctx, args, env(), s.stdout, s.stderr) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(s.stdout.String()); m != nil {
			s.base = m[1]
			return s
		}
		select {
		case err := <-s.done:
			t.Fatalf("run returned before listening: %v\nstderr:\n%s", err, s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start; stderr:\n%s", s.stderr)
		}
	}
}

// stop cancels the server and returns what run returned, failing the test
// if it does not return within 20 s.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after cancel")
		return nil
	}
}

// client drives one running server through every dialect as the
// quickstart's user, application and access key.
type client struct {
	t                       *testing.T
	base                    string
	bambooToken, authingTok string
	devToken                string
}

const (
	qsInstance = "idaas_example01"
	qsApp      = "app_example01"
	qsUser     = "user_zhangsan"
	qsAK       = "LTAI5tExample000001"
	qsSecret   = "exampleSecret000000000000000001"
)

func (c *client) do(method, path string, body []byte, hdr map[string]string) map[string]any {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.send(req)
}

func (c *client) send(req *http.Request) map[string]any {
	c.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != 200 {
		c.t.Fatalf("%s %s: HTTP %d %s", req.Method, req.URL.Path, resp.StatusCode, raw)
	}
	if sc, ok := out["statusCode"].(float64); ok && sc != 200 {
		c.t.Fatalf("%s %s: %s", req.Method, req.URL.Path, raw)
	}
	return out
}

func bambooHeaders(tok string) map[string]string {
	h := map[string]string{"X-client-id": qsApp, "X-device-fingerprint": "fp-1", "X-operating-sys-version": "linux",
		"X-agent": "eiam-test", "Content-Type": "application/json"}
	if tok != "" {
		h["Authorization"] = "Bearer " + tok
	}
	return h
}

func (c *client) signIn() {
	out := c.do("POST", "/api/v2/sdk/login", []byte(`{"user_name":"zhangsan","password":"S3cure-pass!"}`), bambooHeaders(""))
	c.bambooToken = out["id_token"].(string)
	out = c.do("POST", "/api/v3/signin", []byte(`{"connection":"PASSWORD","passwordPayload":{"username":"zhangsan","password":"S3cure-pass!"},"client_id":"`+qsApp+`","client_secret":"change-me"}`),
		map[string]string{"x-authing-app-id": qsApp, "Content-Type": "application/json"})
	c.authingTok = out["data"].(map[string]any)["access_token"].(string)
	out = c.do("POST", "/v2/"+qsInstance+"/"+qsApp+"/oauth2/token?grant_type=client_credentials&client_id="+qsApp+"&client_secret=change-me", nil, nil)
	c.devToken = out["access_token"].(string)
}

func (c *client) rpc(params url.Values) map[string]any {
	c.t.Helper()
	params.Set("Version", "2021-12-01")
	params.Set("Format", "JSON")
	r := &acssign.Request{Method: "GET", Path: "/", Query: params, Header: http.Header{}}
	acssign.SignRequestV1(r, qsAK, qsSecret, eiam.NewID("n"), time.Now().UTC())
	req, err := r.NewHTTPRequest(context.Background(), c.base)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.send(req)
}

// The writers and readers of the one-directory test: each writer sets the
// username and the custom field "age"; each reader returns what it sees.
var writers = map[string]func(c *client, username, age string){
	"bamboo": func(c *client, username, age string) {
		c.do("POST", "/api/v2/sdk/profile/update", []byte(`{"user_name":"`+username+`","extension":{"age":"`+age+`"}}`), bambooHeaders(c.bambooToken))
	},
	"authing": func(c *client, username, age string) {
		c.do("POST", "/api/v3/update-profile", []byte(`{"username":"`+username+`","customData":{"age":`+age+`}}`),
			map[string]string{"x-authing-app-id": qsApp, "authorization": c.authingTok, "Content-Type": "application/json"})
	},
	"alibaba-dev": func(c *client, username, age string) {
		c.do("PATCH", "/v2/"+qsInstance+"/"+qsApp+"/users/"+qsUser,
			[]byte(`{"username":"`+username+`","customFields":[{"fieldName":"age","fieldValue":"`+age+`","operation":"replace"}]}`),
			map[string]string{"Authorization": "Bearer " + c.devToken, "Content-Type": "application/json"})
	},
	"alibaba-rpc": func(c *client, username, age string) {
		c.rpc(url.Values{"Action": {"UpdateUser"}, "InstanceId": {qsInstance}, "UserId": {qsUser}, "Username": {username},
			"CustomFields.1.FieldName": {"age"}, "CustomFields.1.FieldValue": {age}, "CustomFields.1.Operation": {"replace"}})
	},
}

var readers = map[string]func(c *client) (username, age string){
	"bamboo": func(c *client) (string, string) {
		out := c.do("GET", "/api/v2/sdk/profile", nil, bambooHeaders(c.bambooToken))
		return out["user_name"].(string), fmt.Sprint(out["extension"].(map[string]any)["age"])
	},
	"authing": func(c *client) (string, string) {
		out := c.do("GET", "/api/v3/get-profile?withCustomData=true&withIdentities=false&withDepartmentIds=false", nil,
			map[string]string{"x-authing-app-id": qsApp, "authorization": c.authingTok})
		d := out["data"].(map[string]any)
		return d["username"].(string), fmt.Sprint(d["customData"].(map[string]any)["age"])
	},
	"alibaba-dev": func(c *client) (string, string) {
		out := c.do("GET", "/v2/"+qsInstance+"/"+qsApp+"/users/"+qsUser, nil, map[string]string{"Authorization": "Bearer " + c.devToken})
		return out["username"].(string), customValue(out["customFields"], "fieldName", "fieldValue")
	},
	"alibaba-rpc": func(c *client) (string, string) {
		u := c.rpc(url.Values{"Action": {"GetUser"}, "InstanceId": {qsInstance}, "UserId": {qsUser}})["User"].(map[string]any)
		return u["Username"].(string), customValue(u["CustomFields"], "FieldName", "FieldValue")
	},
}

func customValue(list any, nameKey, valueKey string) string {
	items, _ := list.([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if m[nameKey] == "age" {
			return fmt.Sprint(m[valueKey])
		}
	}
	return ""
}

// TestOneDirectoryAcrossDialects writes through every dialect and reads
// through every dialect: each change is visible, identical, through every
// other door, and leaves exactly one audit record naming its dialect.
func TestOneDirectoryAcrossDialects(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db testDB) {
		srv := startServer(t, db.flags()...)
		c := &client{t: t, base: srv.base}
		c.signIn()
		names := []string{"bamboo", "authing", "alibaba-dev", "alibaba-rpc"}
		for i, w := range names {
			username, age := "zs_"+strings.ReplaceAll(w, "-", "_"), fmt.Sprint(20+i)
			writers[w](c, username, age)
			for _, r := range names {
				gotName, gotAge := readers[r](c)
				if gotName != username || gotAge != age {
					t.Errorf("written through %s, read through %s: username %q age %q; want %q %q", w, r, gotName, gotAge, username, age)
				}
			}
		}
		if err := srv.stop(t); err != nil {
			t.Fatalf("run: %v", err)
		}
		recs, err := db.open(t).ListAudit(context.Background(), qsInstance, qsUser)
		if err != nil {
			t.Fatal(err)
		}
		var dialects []string
		for _, r := range recs {
			dialects = append(dialects, r.Origin.Dialect)
		}
		if got, want := strings.Join(dialects, ","), "import,bamboo,authing,alibaba-dev,alibaba-rpc"; got != want {
			t.Errorf("audit records name dialects %s, want %s (one per change)", got, want)
		}
	})
}

// TestTokensStayAtTheirDoor presents the tokens each door really issues at
// the doors that must refuse them — a user's token does not administer the
// directory, an application's token speaks for no user — and checks that
// each is refused with that door's error and that nothing was changed.
func TestTokensStayAtTheirDoor(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db testDB) {
		srv := startServer(t, db.flags()...)
		c := &client{t: t, base: srv.base}
		c.signIn()
		out := c.do("POST", "/api/v3/get-management-token", []byte(`{"accessKeyId":"`+qsAK+`","accessKeySecret":"`+qsSecret+`"}`),
			map[string]string{"Content-Type": "application/json", "x-authing-userpool-id": qsInstance})
		mgmtTok := out["data"].(map[string]any)["access_token"].(string)

		bamboo := func(tok string) map[string]string { return bambooHeaders(tok) }
		authingSelf := func(tok string) map[string]string {
			return map[string]string{"x-authing-app-id": qsApp, "authorization": tok, "Content-Type": "application/json"}
		}
		authingAdmin := func(tok string) map[string]string {
			return map[string]string{"Authorization": "Bearer " + tok, "x-authing-userpool-id": qsInstance, "Content-Type": "application/json"}
		}
		dev := func(tok string) map[string]string {
			return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
		}
		const (
			bambooUpdate  = "/api/v2/sdk/profile/update"
			authingUpdate = "/api/v3/update-profile"
			authingAdminU = "/api/v3/update-user"
			devPatch      = "/v2/" + qsInstance + "/" + qsApp + "/users/" + qsUser
		)
		bambooBody, selfBody := `{"attr_nick_name":"owned"}`, `{"nickname":"owned"}`
		adminBody, devBody := `{"userId":"`+qsUser+`","nickname":"owned"}`, `{"displayName":"owned"}`
		for _, tc := range []struct {
			name, method, path string
			hdr                map[string]string
			body               string
			status             int
			key                string // the member of the answer that names the error
			want               any
		}{
			{"Authing access token at Bamboo", "POST", bambooUpdate, bamboo(c.authingTok), bambooBody, 400, "error_code", "SDK.COMMON.1005"},
			{"application token at Bamboo", "POST", bambooUpdate, bamboo(c.devToken), bambooBody, 400, "error_code", "SDK.COMMON.1005"},
			{"management token at Bamboo", "POST", bambooUpdate, bamboo(mgmtTok), bambooBody, 400, "error_code", "SDK.COMMON.1005"},
			{"Bamboo id token at Authing self-service", "POST", authingUpdate, authingSelf(c.bambooToken), selfBody, 200, "statusCode", 401.0},
			{"application token at Authing self-service", "POST", authingUpdate, authingSelf(c.devToken), selfBody, 200, "statusCode", 401.0},
			{"management token at Authing self-service", "POST", authingUpdate, authingSelf(mgmtTok), selfBody, 200, "statusCode", 401.0},
			{"Authing user token at Authing management", "POST", authingAdminU, authingAdmin(c.authingTok), adminBody, 200, "statusCode", 401.0},
			{"Bamboo id token at Authing management", "POST", authingAdminU, authingAdmin(c.bambooToken), adminBody, 200, "statusCode", 401.0},
			{"application token at Authing management", "POST", authingAdminU, authingAdmin(c.devToken), adminBody, 200, "statusCode", 401.0},
			{"Authing user token at the developer API", "PATCH", devPatch, dev(c.authingTok), devBody, 403, "error", "insufficient_scope"},
			{"Bamboo id token at the developer API", "PATCH", devPatch, dev(c.bambooToken), devBody, 401, "error", "invalid_token"},
			{"management token at the developer API", "PATCH", devPatch, dev(mgmtTok), devBody, 401, "error", "invalid_token"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequest(tc.method, srv.base+tc.path, strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range tc.hdr {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				var got map[string]any
				_ = json.Unmarshal(raw, &got)
				if resp.StatusCode != tc.status || got[tc.key] != tc.want {
					t.Errorf("HTTP %d %s; want %d with %s %v", resp.StatusCode, raw, tc.status, tc.key, tc.want)
				}
			})
		}
		if err := srv.stop(t); err != nil {
			t.Fatalf("run: %v", err)
		}
		recs, err := db.open(t).ListAudit(context.Background(), qsInstance, qsUser)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 {
			t.Errorf("%d audit records, want only the import's", len(recs))
		}
	})
}
