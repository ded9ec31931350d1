package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eiam/eiam/acssign"
)

// The tenant the generated import file declares (see importFile).
const (
	benchInstance  = "idaas_bench01"
	benchApp       = "app_bench01"
	benchAppSecret = "bench-app-secret-0001"
	benchAK        = "LTAI5tBenchmark00001"
	benchAKSecret  = "benchSecret0000000000000000001"
	benchPassword  = "Bench-pass-01!"
	// customField is the custom field every update sets.
	customField = "cost_center"
)

func userID(i int) string   { return fmt.Sprintf("user_bench_%06d", i) }
func username(i int) string { return fmt.Sprintf("bench%06d", i) }

// dialects are the seed APIs the benchmark drives, in the order it runs them.
var dialects = []struct {
	name string
	// selfService dialects update the signed-in user: worker w signs in
	// as user w (of the first min(c, users), which have passwords). The
	// others are administrators' APIs updating a random user.
	selfService bool
	// prepare signs in whatever the dialect needs and returns its target.
	prepare func(ctx context.Context, base string, signedIn, users int) (target, error)
}{
	{"authing", true, prepareAuthing},
	{"alibaba-dev", false, prepareAlibabaDev},
	{"alibaba-rpc", false, prepareAlibabaRPC},
	{"bamboo", true, prepareBamboo},
}

func dialectNames() []string {
	var names []string
	for _, d := range dialects {
		names = append(names, d.name)
	}
	return names
}

// values returns the nickname and custom field value of worker w's seq-th
// update: new on every request, so that no update is a no-op.
func values(w, seq int, rng *rand.Rand) (nick, cost string) {
	return "n" + strconv.Itoa(w) + "-" + strconv.Itoa(seq), "CC-" + strconv.Itoa(rng.IntN(100000))
}

func jsonRequest(ctx context.Context, method, u, body string, hdr map[string]string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req, nil
}

// call sends one set-up request and decodes its JSON answer into out.
func call(req *http.Request, out any) error {
	status, body, err := send(http.DefaultClient, req)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d %s", req.Method, req.URL.Path, status, clip(body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: %v in %s", req.Method, req.URL.Path, err, clip(body))
	}
	return nil
}

// signInAll signs users 0…n-1 in with signIn, four at a time (password
// hashing makes each sign-in deliberately slow), and returns their tokens.
func signInAll(ctx context.Context, n int, signIn func(ctx context.Context, i int) (string, error)) ([]string, error) {
	tokens := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tokens[i], errs[i] = signIn(ctx, i)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return tokens, nil
}

// prepareAuthing signs the users in through POST /api/v3/signin and
// updates each worker's own profile through POST /api/v3/update-profile.
func prepareAuthing(ctx context.Context, base string, signedIn, _ int) (target, error) {
	tokens, err := signInAll(ctx, signedIn, func(ctx context.Context, i int) (string, error) {
		body := `{"connection":"PASSWORD","passwordPayload":{"username":"` + username(i) + `","password":"` + benchPassword +
			`"},"client_id":"` + benchApp + `","client_secret":"` + benchAppSecret + `"}`
		req, err := jsonRequest(ctx, "POST", base+"/api/v3/signin", body, map[string]string{"x-authing-app-id": benchApp})
		if err != nil {
			return "", err
		}
		var out struct {
			StatusCode int `json:"statusCode"`
			Data       struct {
				AccessToken string `json:"access_token"`
			} `json:"data"`
		}
		if err := call(req, &out); err != nil {
			return "", err
		}
		if out.StatusCode != 200 || out.Data.AccessToken == "" {
			return "", fmt.Errorf("authing sign-in of %s: statusCode %d, no access token", username(i), out.StatusCode)
		}
		return out.Data.AccessToken, nil
	})
	if err != nil {
		return target{}, err
	}
	return target{
		request: func(ctx context.Context, w, seq int, rng *rand.Rand) (*http.Request, error) {
			nick, cost := values(w, seq, rng)
			return jsonRequest(ctx, "POST", base+"/api/v3/update-profile",
				`{"nickname":"`+nick+`","customData":{"`+customField+`":"`+cost+`"}}`,
				map[string]string{"x-authing-app-id": benchApp, "authorization": tokens[w%len(tokens)]})
		},
		ok: func(status int, body []byte) bool {
			var env struct {
				StatusCode int `json:"statusCode"`
			}
			return status == http.StatusOK && json.Unmarshal(body, &env) == nil && env.StatusCode == 200
		},
	}, nil
}

// prepareAlibabaDev takes one client_credentials token of the application,
// as a provisioning system would, and patches random users with it.
func prepareAlibabaDev(ctx context.Context, base string, _, users int) (target, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v2/"+benchInstance+"/"+benchApp+
		"/oauth2/token?grant_type=client_credentials&client_id="+benchApp+"&client_secret="+benchAppSecret, nil)
	if err != nil {
		return target{}, err
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := call(req, &out); err != nil {
		return target{}, fmt.Errorf("alibaba developer API token: %w", err)
	}
	auth := "Bearer " + out.AccessToken
	return target{
		request: func(ctx context.Context, w, seq int, rng *rand.Rand) (*http.Request, error) {
			nick, cost := values(w, seq, rng)
			return jsonRequest(ctx, "PATCH", base+"/v2/"+benchInstance+"/"+benchApp+"/users/"+userID(rng.IntN(users)),
				`{"displayName":"`+nick+`","customFields":[{"fieldName":"`+customField+`","fieldValue":"`+cost+`","operation":"replace"}]}`,
				map[string]string{"Authorization": auth})
		},
		ok: func(status int, _ []byte) bool { return status == http.StatusOK },
	}, nil
}

// prepareAlibabaRPC updates random users through Action=UpdateUser, each
// request signed with ACS3-HMAC-SHA256 (the current Alibaba SDKs' V3
// signature) and a fresh nonce.
func prepareAlibabaRPC(_ context.Context, base string, _, users int) (target, error) {
	u, err := url.Parse(base)
	if err != nil {
		return target{}, err
	}
	return target{
		request: func(ctx context.Context, w, seq int, rng *rand.Rand) (*http.Request, error) {
			nick, cost := values(w, seq, rng)
			r := &acssign.Request{Method: "POST", Path: "/", Host: u.Host, Header: http.Header{}, Query: url.Values{
				"InstanceId": {benchInstance}, "UserId": {userID(rng.IntN(users))}, "DisplayName": {nick},
				"CustomFields.1.FieldName": {customField}, "CustomFields.1.FieldValue": {cost}, "CustomFields.1.Operation": {"replace"},
			}}
			r.Header.Set("x-acs-action", "UpdateUser")
			r.Header.Set("x-acs-version", "2021-12-01")
			acssign.SignRequestV3(r, benchAK, benchAKSecret, fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()), time.Now())
			return r.NewHTTPRequest(ctx, base)
		},
		ok: func(status int, body []byte) bool {
			var out struct {
				Code string `json:"Code"`
			}
			return status == http.StatusOK && json.Unmarshal(body, &out) == nil && out.Code == ""
		},
	}, nil
}

func bambooHeaders(token string) map[string]string {
	h := map[string]string{"X-client-id": benchApp, "X-device-fingerprint": "bench", "X-operating-sys-version": "linux", "X-agent": "eiam-bench"}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return h
}

// prepareBamboo signs the users in through POST /api/v2/sdk/login and
// updates each worker's own profile through POST /api/v2/sdk/profile/update.
func prepareBamboo(ctx context.Context, base string, signedIn, _ int) (target, error) {
	tokens, err := signInAll(ctx, signedIn, func(ctx context.Context, i int) (string, error) {
		req, err := jsonRequest(ctx, "POST", base+"/api/v2/sdk/login",
			`{"user_name":"`+username(i)+`","password":"`+benchPassword+`"}`, bambooHeaders(""))
		if err != nil {
			return "", err
		}
		var out struct {
			IDToken string `json:"id_token"`
		}
		if err := call(req, &out); err != nil {
			return "", err
		}
		if out.IDToken == "" {
			return "", fmt.Errorf("bamboo login of %s: no id_token", username(i))
		}
		return out.IDToken, nil
	})
	if err != nil {
		return target{}, err
	}
	return target{
		request: func(ctx context.Context, w, seq int, rng *rand.Rand) (*http.Request, error) {
			nick, cost := values(w, seq, rng)
			return jsonRequest(ctx, "POST", base+"/api/v2/sdk/profile/update",
				`{"attr_nick_name":"`+nick+`","extension":{"`+customField+`":"`+cost+`"}}`,
				bambooHeaders(tokens[w%len(tokens)]))
		},
		ok: func(status int, body []byte) bool {
			return status == http.StatusOK && !bytes.Contains(body, []byte(`"error_code"`))
		},
	}, nil
}

// floorTarget updates random users of the floor.
func floorTarget(base string, users int) target {
	return target{
		request: func(ctx context.Context, w, seq int, rng *rand.Rand) (*http.Request, error) {
			nick, cost := values(w, seq, rng)
			return jsonRequest(ctx, "POST", base+"/users/"+userID(rng.IntN(users)),
				`{"nickname":"`+nick+`","custom":{"`+customField+`":"`+cost+`"}}`, nil)
		},
		ok: func(status int, _ []byte) bool { return status == http.StatusOK },
	}
}
