package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
)

// The multi-process test's directory.
const (
	mpInstance = "idaas_multi"
	mpApp      = "app_multi"
	mpSecret   = "multi-secret"
	mpAK       = "LTAI5tMultiProcess0001"
	mpAKSecret = "multiProcessSecret000000000001"
	mpPassword = "S3cure-pass!"
	mpProcs    = 3
	// mpRenamers are the users that race to rename themselves.
	mpRenamers = 12
)

func mpData() map[string]any {
	users := []map[string]any{
		{"id": "user_audit", "username": "audit", "custom_fields": map[string]any{"counter": "0"}},
		{"id": "user_nonce", "username": "nonce", "custom_fields": map[string]any{"counter": "0"}},
	}
	for _, kind := range revocations {
		users = append(users, map[string]any{"id": "user_revoke_" + kind.name, "username": "revoke_" + kind.name, "password": mpPassword})
	}
	for i := range mpRenamers {
		users = append(users, map[string]any{"id": fmt.Sprintf("user_ren_%02d", i), "username": fmt.Sprintf("ren%02d", i)})
	}
	return map[string]any{
		"instances": []any{map[string]any{
			"id": mpInstance, "name": "Multi Co",
			"organizational_units": []any{map[string]any{"id": "ou_multi", "name": "Staff"}},
			"custom_fields":        []any{map[string]any{"name": "counter", "data_type": "number", "user_permission": "read_write"}},
			"applications": []any{map[string]any{"id": mpApp, "name": "Load", "client_secret": mpSecret,
				"scopes": []string{"urn:alibaba:idaas:scope:user:manager_all"}}},
			"users": users,
		}},
		"access_keys": []any{map[string]any{"id": mpAK, "secret": mpAKSecret, "actions": []string{"eiam:*"}, "instances": []string{"*"}}},
	}
}

// cluster is several eiam processes serving one PostgreSQL database.
type cluster struct {
	db       procDB
	procs    []*proc
	c        *http.Client
	appToken string
}

// at returns the base URL of process i (modulo their number).
func (cl *cluster) at(i int) string { return cl.procs[i%len(cl.procs)].base }

// dev sends a request of the Alibaba developer API as the application.
func (cl *cluster) dev(i int, method, path, body string) reply {
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	return do(cl.c, method, cl.at(i)+"/v2/"+mpInstance+"/"+mpApp+path, b,
		map[string]string{"Authorization": "Bearer " + cl.appToken, "Content-Type": "application/json"})
}

// rpcRequest returns a signed Alibaba RPC request (V1 in the query, or V3
// in headers) with the given nonce. Its Host is fixed, as a load balancer in
// front of the processes would keep it, so that one signed request is valid
// at every process.
func rpcRequest(params url.Values, nonce string, v3 bool) *acssign.Request {
	params.Set("Version", "2021-12-01")
	r := &acssign.Request{Method: "POST", Path: "/", Header: http.Header{}, Host: "eiam.test"}
	if v3 {
		action := params.Get("Action")
		params.Del("Action")
		params.Del("Version")
		r.Query = params
		r.Header.Set("x-acs-action", action)
		r.Header.Set("x-acs-version", "2021-12-01")
		acssign.SignRequestV3(r, mpAK, mpAKSecret, nonce, time.Now())
		return r
	}
	params.Set("Format", "JSON")
	r.Method, r.Query = "GET", params
	acssign.SignRequestV1(r, mpAK, mpAKSecret, nonce, time.Now())
	return r
}

// rpc sends a signed request to process i.
func (cl *cluster) rpc(i int, r *acssign.Request, requestID string) reply {
	req, err := r.NewHTTPRequest(context.Background(), cl.at(i))
	if err != nil {
		return reply{err: err}
	}
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	return send(cl.c, req)
}

// TestMultiProcessPostgres runs three eiam processes on one PostgreSQL
// database and checks, under concurrent requests spread over them, what
// replicas must share: unique usernames, revocation, nonces and the audit
// log.
func TestMultiProcessPostgres(t *testing.T) {
	db := postgresProcDB(t, "multiproc")
	importData(t, db, mpData())
	cl := &cluster{db: db, c: newHTTPClient(), procs: make([]*proc, mpProcs)}
	// The processes start at once, as replicas do: each makes sure of the
	// schema and of a signing key.
	errs := make([]error, mpProcs)
	var wg sync.WaitGroup
	for i := range cl.procs {
		wg.Go(func() { cl.procs[i], errs[i] = launchProc(t, db) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A token issued by one process is good at the others.
	cl.appToken = clientCredentials(t, cl.c, cl.at(0), mpInstance, mpApp, mpSecret)

	t.Run("uniqueness", cl.testUniqueness)
	t.Run("revocation", cl.testRevocation)
	t.Run("nonce replay", cl.testNonceReplay)
	t.Run("audit", cl.testAudit)
	if t.Failed() {
		for i, p := range cl.procs {
			t.Logf("stderr of process %d:\n%s", i, p.stderr)
		}
	}
}

// race sends n requests at once, request k through send(k), and returns
// their replies.
func race(n int, send func(k int) reply) []reply {
	out := make([]reply, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			<-start
			out[k] = send(k)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// testUniqueness makes creations and renames race for one username (in
// differing case) across the processes, several rounds: exactly one
// request wins, the others are told the username is taken, and exactly one
// user holds it.
func (cl *cluster) testUniqueness(t *testing.T) {
	s := cl.db.open(t)
	ctx := context.Background()
	names := map[string]string{} // renamer id → its username
	for i := range mpRenamers {
		names[fmt.Sprintf("user_ren_%02d", i)] = fmt.Sprintf("ren%02d", i)
	}
	const creators = 12
	for round := range 4 {
		name := fmt.Sprintf("contested%d", round)
		replies := race(creators+mpRenamers, func(k int) reply {
			n := name
			if k%2 == 1 {
				n = strings.ToUpper(name)
			}
			if k < creators {
				return cl.dev(k, "POST", "/users", `{"username":"`+n+`","displayName":"`+n+`","primaryOrganizationalUnitId":"ou_multi"}`)
			}
			return cl.dev(k, "PATCH", fmt.Sprintf("/users/user_ren_%02d", k-creators), `{"username":"`+n+`"}`)
		})
		winner, wins := "", 0
		for k, r := range replies {
			switch {
			case r.err == nil && r.status == 200:
				wins++
				if k < creators {
					winner, _ = r.json()["userId"].(string)
				} else {
					winner = fmt.Sprintf("user_ren_%02d", k-creators)
				}
			case r.err == nil && r.status == 409 && r.json()["code"] == "ResourceDuplicated.Username":
			default:
				t.Errorf("round %d request %d: %s; want success or ResourceDuplicated.Username", round, k, r)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d requests for username %s succeeded; want exactly 1", round, wins, name)
		}
		if _, ok := names[winner]; ok {
			names[winner] = name
		}
		page, err := s.ListUsers(ctx, mpInstance, eiam.UserQuery{UsernamePrefix: "contested", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var holders []string
		for _, u := range page.Users {
			if strings.EqualFold(u.Attrs[eiam.AttrUsername], name) {
				holders = append(holders, u.ID)
			}
		}
		if len(holders) != 1 || holders[0] != winner {
			t.Errorf("round %d: users %v hold username %s; want only the winner %s", round, holders, name, winner)
		}
		for id, want := range names {
			u, err := s.GetUser(ctx, mpInstance, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Attrs[eiam.AttrUsername]; !strings.EqualFold(got, want) {
				t.Errorf("round %d: %s is named %q; want %q", round, id, got, want)
			}
		}
	}
}

// revocations are the ways a user's tokens stop being good, each made
// through the Alibaba developer API.
var revocations = []struct {
	name         string
	method, path string
	body         string
}{
	{"disable", "POST", "/actions/disable", ""},
	{"password", "POST", "/actions/updateUserPassword", `{"password":"An0ther-pass!"}`},
	{"delete", "DELETE", "", ""},
}

// testRevocation revokes a signed-in user's tokens through one process
// while all processes serve the user's requests: once the revocation is
// acknowledged, no process accepts the token again — neither the very
// next request to each, nor any request of the load started after it.
func (cl *cluster) testRevocation(t *testing.T) {
	for i, rv := range revocations {
		t.Run(rv.name, func(t *testing.T) {
			userID := "user_revoke_" + rv.name
			tok := authingSignIn(t, cl.c, cl.at(i), mpApp, mpSecret, "revoke_"+rv.name, mpPassword)
			// A request with the token: a read of the profile, or an
			// update, whose token check reads no user (cached verdicts
			// alone decide).
			profile := func(p int) (ok bool, r reply) {
				hdr := map[string]string{"Authorization": tok, "x-authing-app-id": mpApp}
				if p/mpProcs%2 == 0 {
					r = do(cl.c, "GET", cl.at(p)+"/api/v3/get-profile", nil, hdr)
				} else {
					hdr["Content-Type"] = "application/json"
					r = do(cl.c, "POST", cl.at(p)+"/api/v3/update-profile", []byte(`{"nickname":"n`+strconv.Itoa(p)+`"}`), hdr)
				}
				status, _ := r.json()["statusCode"].(float64)
				switch {
				case r.err == nil && r.status == 200 && status == 200:
					return true, r
				case r.err == nil && r.status == 200 && status == 401:
					return false, r
				case rv.name == "delete" && r.err == nil && r.status == 200 && status == 404:
					// The token passed, and the user was deleted before
					// the update reached it: accepted, as far as the
					// token is concerned.
					return true, r
				}
				t.Errorf("profile request at process %d: %s", p%mpProcs, r)
				return false, r
			}
			for p := range 2 * mpProcs {
				if ok, r := profile(p); !ok {
					t.Fatalf("before revocation, process %d refuses the token: %s", p%mpProcs, r)
				}
			}

			// The load: two clients per process, each recording whether a
			// request it started after the revocation was acknowledged
			// succeeded.
			var revoked atomic.Bool
			var late atomic.Int64
			var served atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for g := range 2 * mpProcs {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						after := revoked.Load()
						ok, r := profile(g)
						served.Add(1)
						if ok && after {
							late.Add(1)
							t.Errorf("process %d accepted the token after the %s was acknowledged: %s", g%mpProcs, rv.name, r)
						}
					}
				})
			}
			for served.Load() < 20 {
				time.Sleep(time.Millisecond)
			}
			by := (i + 1) % mpProcs
			r := cl.dev(by, rv.method, "/users/"+userID+rv.path, rv.body)
			if r.err != nil || r.status != 200 {
				close(stop)
				wg.Wait()
				t.Fatalf("%s through process %d: %s", rv.name, by, r)
			}
			revoked.Store(true)
			for p := range 2 * mpProcs {
				if ok, r := profile(by + 1 + p); ok {
					t.Errorf("the request after the %s through process %d: process %d accepted the token: %s", rv.name, by, (by+1+p)%mpProcs, r)
				}
			}
			for before := served.Load(); served.Load() < before+20; {
				time.Sleep(time.Millisecond)
			}
			close(stop)
			wg.Wait()
		})
	}
}

// testNonceReplay sends one signed RPC request to every process at once,
// twice to each: exactly one is accepted and the others are refused as a
// replay, and the change it carries is made once.
func (cl *cluster) testNonceReplay(t *testing.T) {
	const rounds, copies = 10, 2 * mpProcs
	for round := 1; round <= rounds; round++ {
		nonce := eiam.NewID("nonce")
		req := rpcRequest(url.Values{"Action": {"UpdateUser"}, "InstanceId": {mpInstance}, "UserId": {"user_nonce"},
			"CustomFields.1.FieldName": {"counter"}, "CustomFields.1.FieldValue": {strconv.Itoa(round)},
			"CustomFields.1.Operation": {"replace"}}, nonce, round%2 == 0)
		replies := race(copies, func(k int) reply { return cl.rpc(k, req, "") })
		accepted := 0
		for k, r := range replies {
			switch {
			case r.err == nil && r.status == 200:
				accepted++
			case r.err == nil && r.status == 400 && r.json()["Code"] == "SignatureNonceUsed":
			default:
				t.Errorf("round %d copy %d (process %d): %s; want success or SignatureNonceUsed", round, k, k%mpProcs, r)
			}
		}
		if accepted != 1 {
			t.Errorf("round %d: nonce %s accepted %d times; want once", round, nonce, accepted)
		}
	}
	recs, err := cl.db.open(t).ListAudit(context.Background(), mpInstance, "user_nonce")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(recs) - 1; got != rounds {
		t.Errorf("%d updates recorded for %d nonces; want one each", got, rounds)
	}
}

// testAudit sends concurrent updates of one user through every process
// and two dialects: each is recorded exactly once, the versions are
// contiguous, and each record's old value is the previous record's new one
// (no update was lost or applied over a stale read).
func (cl *cluster) testAudit(t *testing.T) {
	const clients, each = 12, 6
	sent := map[string]int{} // request id → counter value
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range clients {
		wg.Go(func() {
			for n := range each {
				v := 1000*(g+1) + n
				id := fmt.Sprintf("audit-%d", v)
				p := g + n
				var r reply
				if g%2 == 0 {
					r = do(cl.c, "PATCH", cl.at(p)+"/v2/"+mpInstance+"/"+mpApp+"/users/user_audit",
						fmt.Appendf(nil, `{"customFields":[{"fieldName":"counter","fieldValue":"%d","operation":"replace"}]}`, v),
						map[string]string{"Authorization": "Bearer " + cl.appToken, "Content-Type": "application/json", "X-Request-Id": id})
				} else {
					r = cl.rpc(p, rpcRequest(url.Values{"Action": {"UpdateUser"}, "InstanceId": {mpInstance}, "UserId": {"user_audit"},
						"CustomFields.1.FieldName": {"counter"}, "CustomFields.1.FieldValue": {strconv.Itoa(v)},
						"CustomFields.1.Operation": {"replace"}}, eiam.NewID("n"), n%2 == 0), id)
				}
				if r.err != nil || r.status != 200 {
					t.Errorf("update %s through process %d: %s", id, p%mpProcs, r)
					continue
				}
				mu.Lock()
				sent[id] = v
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	s := cl.db.open(t)
	recs, err := s.ListAudit(context.Background(), mpInstance, "user_audit")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(recs) - 1; got != clients*each {
		t.Errorf("%d update records for %d updates", got, clients*each)
	}
	prev := "0"
	seen := map[string]bool{}
	for i, r := range recs {
		if r.Version != int64(i+1) {
			t.Errorf("record %d has version %d; want %d", i, r.Version, i+1)
		}
		if i == 0 {
			continue
		}
		if len(r.Changes) != 1 || r.Changes[0].Attribute != "custom_fields.counter" {
			t.Errorf("record %d: changes %+v; want the counter", i, r.Changes)
			continue
		}
		ch := r.Changes[0]
		v, ok := sent[r.Origin.RequestID]
		if ch.Old != prev || !ok || ch.New != strconv.Itoa(v) || seen[r.Origin.RequestID] {
			t.Errorf("record %d (request %s): counter %s → %s after %s; want a change from %s to the value that request sent, recorded once",
				i, r.Origin.RequestID, ch.Old, ch.New, prev, prev)
		}
		seen[r.Origin.RequestID] = true
		prev = ch.New
	}
	u, err := s.GetUser(context.Background(), mpInstance, "user_audit")
	if err != nil {
		t.Fatal(err)
	}
	if last := recs[len(recs)-1]; u.Version != last.Version || !slices.Equal(u.CustomFields["counter"], []string{prev}) {
		t.Errorf("user at version %d with counter %v; the audit log ends at version %d with %s", u.Version, u.CustomFields["counter"], last.Version, prev)
	}
	versions := eventVersions(t, s)["user_audit"]
	if want := int(recs[len(recs)-1].Version); len(versions) != want {
		t.Errorf("%d events for %d audit records", len(versions), want)
	}
}
