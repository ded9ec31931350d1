package alibabarpc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/alibabarpc"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/password"
)

// capture is one request recorded from a real Alibaba SDK (see
// acssign/testdata/README.md).
type capture struct {
	Name        string     `json:"name"`
	Scheme      string     `json:"scheme"`
	AccessKeyID string     `json:"accessKeyId"`
	Secret      string     `json:"secret"`
	Method      string     `json:"method"`
	Target      string     `json:"target"`
	Headers     [][]string `json:"headers"`
	BodyBase64  string     `json:"bodyBase64"`
}

func loadCaptures(t *testing.T) []capture {
	t.Helper()
	var all []capture
	for _, f := range []string{"alibaba_captures.json", "alibaba_go_captures.json"} {
		b, err := os.ReadFile("../acssign/testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var file struct{ Captures []capture }
		if err := json.Unmarshal(b, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		all = append(all, file.Captures...)
	}
	return all
}

// captureOutcome is what each captured request must get: every one is
// authenticated; the business outcome depends on what the SDK was given.
var captureOutcome = map[string]string{
	"pop-core GET UpdateUser":          "",
	"pop-core POST form UpdateUser":    "",
	"openapi-client V3 POST form body": "",
	"openapi-client V1 POST form body": "",
	"darabonba V3 POST form body":      "",
	"darabonba V1 POST form body":      "",
	// The capture program sent an extra "Empty=" parameter, which no
	// action defines: authenticated, then refused by name.
	"openapi-client V3 POST query": "InvalidParameter",
	"openapi-client V3 GET query":  "InvalidParameter",
	"openapi-client V1 POST query": "InvalidParameter",
	"darabonba V3 POST query":      "InvalidParameter",
	"darabonba V3 GET query":       "InvalidParameter",
	"darabonba V1 POST query":      "InvalidParameter",
	"darabonba V1 GET query":       "InvalidParameter",
	// A JSON body is signed but never read by this API, so it is refused.
	"openapi-client V3 POST json body": "InvalidParameter",
	// eiam issues no STS tokens.
	"openapi-client V3 STS token": "InvalidSecurityToken.MismatchWithAccessKey",
	// Sent a CustomFields.1.FieldValue without its FieldName.
	"alibaba-cloud-sdk-go CommonRequest GET":  "MissingParameter.CustomFields",
	"alibaba-cloud-sdk-go CommonRequest POST": "MissingParameter.CustomFields",
}

// TestRealClientCaptures replays every request the real SDKs sent to a
// capture server, byte for byte (target, headers, body, Host), against the
// API with its clock set to the moment of capture: each must be
// authenticated and then answered as its parameters deserve.
func TestRealClientCaptures(t *testing.T) {
	ctx := context.Background()
	var now time.Time
	s := openStoreAt(t, func() time.Time { return now })
	if _, err := s.PutInstance(ctx, &eiam.Instance{ID: "idaas_abc", Name: "abc"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAccessKey(ctx, &eiam.AccessKey{ID: "testAK", Secret: "testSecret", Actions: []string{"eiam:*"}, Instances: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	h, _ := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	dir := directory.New(s, directory.Options{Passwords: h})
	for _, name := range []string{"age", "nick_name", "empty"} {
		typ := eiam.TypeString
		if name == "age" {
			typ = eiam.TypeNumber
		}
		if err := dir.PutField(ctx, &eiam.FieldDefinition{InstanceID: "idaas_abc", Name: name, DisplayName: name, DataType: typ}); err != nil {
			t.Fatal(err)
		}
	}
	c := &eiam.ProfileChange{}
	c.SetAttr(eiam.AttrUsername, "seed_user")
	if _, err := dir.CreateUser(ctx, "idaas_abc", "user_123", c, eiam.Actor{Kind: eiam.ActorAdmin}, eiam.Origin{}); err != nil {
		t.Fatal(err)
	}
	api := &alibabarpc.API{Directory: dir, Store: s, Nonces: s, Clock: func() time.Time { return now }}
	srv := httptest.NewServer(api)
	defer srv.Close()

	seen := 0
	for _, cp := range loadCaptures(t) {
		want, known := captureOutcome[cp.Name]
		t.Run(cp.Name, func(t *testing.T) {
			if !known {
				t.Fatalf("capture %q has no expected outcome; add one", cp.Name)
			}
			seen++
			body, err := base64.StdEncoding.DecodeString(cp.BodyBase64)
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest(cp.Method, srv.URL+cp.Target, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range cp.Headers {
				switch strings.ToLower(kv[0]) {
				case "host":
					req.Host = kv[1]
				case "connection", "content-length", "transfer-encoding":
				default:
					req.Header.Add(kv[0], kv[1])
				}
			}
			now = captureTime(t, req)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var out map[string]any
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("not JSON: %q", raw)
			}
			got, _ := out["Code"].(string)
			if got != want || (want == "") != (res.StatusCode == 200) {
				t.Errorf("got %d %s; want code %q", res.StatusCode, raw, want)
			}
		})
	}
	if seen < 15 {
		t.Errorf("only %d captures replayed", seen)
	}
}

// captureTime reads the signing time of a captured request.
func captureTime(t *testing.T, r *http.Request) time.Time {
	t.Helper()
	v := r.Header.Get("x-acs-date")
	if v == "" {
		v = r.URL.Query().Get("Timestamp")
	}
	if v == "" && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		form, _ := url.ParseQuery(string(b))
		v = form.Get("Timestamp")
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatalf("no signing time in the capture: %v", err)
	}
	return at
}
