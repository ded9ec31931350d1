// Command capture-go drives the real Alibaba Cloud Go SDKs against a loopback
// HTTP server and writes the requests they send to alibaba_go_captures.json
// in the directory given as the first argument (default: ..). The acssign
// tests verify each one. It is its own module so that acssign itself stays
// standard-library only; run it with: go run . ..
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"sync"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
)

const (
	ak = "testAK"
	sk = "testSecret"
)

// tricky exercises the percent-encoding rules.
const tricky = "a b+c*~!'()&=?%/中文😀"

type capture struct {
	Name        string      `json:"name"`
	Client      string      `json:"client"`
	Scheme      string      `json:"scheme"`
	AccessKeyID string      `json:"accessKeyId"`
	Secret      string      `json:"secret"`
	Method      string      `json:"method"`
	Target      string      `json:"target"`
	Headers     [][2]string `json:"headers"`
	Body        string      `json:"body"`
	BodyBase64  string      `json:"bodyBase64"`
}

type recorder struct {
	mu   sync.Mutex
	reqs []capture
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := capture{Method: r.Method, Target: r.RequestURI, Body: string(body), BodyBase64: base64.StdEncoding.EncodeToString(body)}
	c.Headers = append(c.Headers, [2]string{"Host", r.Host})
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			c.Headers = append(c.Headers, [2]string{k, v})
		}
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, c)
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	io.WriteString(w, `{"RequestId":"capture"}`)
}

func version(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return path + "@" + d.Version
			}
		}
	}
	return path
}

func main() {
	out := ".."
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	rec := &recorder{}
	go http.Serve(ln, rec)
	endpoint := ln.Addr().String()

	var caps []capture
	run := func(name, client, scheme string, fn func() error) {
		before := len(rec.reqs)
		if err := fn(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.reqs) != before+1 {
			log.Fatalf("%s: want one request, got %d", name, len(rec.reqs)-before)
		}
		c := rec.reqs[before]
		c.Name, c.Client, c.Scheme, c.AccessKeyID, c.Secret = name, client, scheme, ak, sk
		caps = append(caps, c)
	}

	// darabonba-openapi: what the generated EIAM SDK calls (§C.1).
	darabonba := version("github.com/alibabacloud-go/darabonba-openapi/v2")
	newClient := func(alg string) *openapi.Client {
		cfg := &openapiutil.Config{AccessKeyId: dara.String(ak), AccessKeySecret: dara.String(sk), Endpoint: dara.String(endpoint), Protocol: dara.String("http")}
		if alg != "" {
			cfg.SignatureAlgorithm = dara.String(alg)
		}
		c, err := openapi.NewClient(cfg)
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	params := func(method string) *openapiutil.Params {
		return &openapiutil.Params{
			Action: dara.String("UpdateUser"), Version: dara.String("2021-12-01"), Protocol: dara.String("HTTPS"),
			Pathname: dara.String("/"), Method: dara.String(method), AuthType: dara.String("AK"), Style: dara.String("RPC"),
			ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
		}
	}
	query := openapiutil.Query(map[string]interface{}{
		"InstanceId":          "idaas_abc",
		"UserId":              "user_123",
		"Username":            "alice.w@x",
		"DisplayName":         "Alice W 中文😀",
		"PhoneNumberVerified": true,
		"CustomFields": []map[string]interface{}{
			{"FieldName": "age", "FieldValue": "10", "Operation": "replace"},
			{"FieldName": "nick_name", "FieldValue": tricky, "Operation": "add"},
		},
		"Empty": "",
	})
	rt := &dara.RuntimeOptions{}
	for _, alg := range []struct{ name, alg, scheme string }{{"V3", "", "v3"}, {"V1", "v2", "v1"}} {
		c := newClient(alg.alg)
		run("darabonba "+alg.name+" POST query", darabonba, alg.scheme, func() error {
			_, err := c.CallApi(params("POST"), &openapiutil.OpenApiRequest{Query: query}, rt)
			return err
		})
		run("darabonba "+alg.name+" GET query", darabonba, alg.scheme, func() error {
			_, err := c.CallApi(params("GET"), &openapiutil.OpenApiRequest{Query: query}, rt)
			return err
		})
		run("darabonba "+alg.name+" POST form body", darabonba, alg.scheme, func() error {
			_, err := c.CallApi(params("POST"), &openapiutil.OpenApiRequest{
				Query: openapiutil.Query(map[string]interface{}{"InstanceId": "idaas_abc"}),
				Body: map[string]interface{}{"InstanceId": "idaas_abc", "UserId": "user_123", "DisplayName": tricky,
					"CustomFields": []map[string]interface{}{{"FieldName": "age", "FieldValue": "10"}}},
			}, rt)
			return err
		})
	}

	// alibaba-cloud-sdk-go CommonRequest (legacy core; adds RegionId and an
	// empty SignatureType).
	legacy := version("github.com/aliyun/alibaba-cloud-sdk-go")
	lc, err := sdk.NewClientWithAccessKey("cn-hangzhou", ak, sk)
	if err != nil {
		log.Fatal(err)
	}
	for _, method := range []string{"GET", "POST"} {
		run("alibaba-cloud-sdk-go CommonRequest "+method, legacy, "v1", func() error {
			req := requests.NewCommonRequest()
			req.Method, req.Scheme, req.Domain = method, "http", endpoint
			req.Product, req.Version, req.ApiName = "Eiam", "2021-12-01", "UpdateUser"
			req.QueryParams["InstanceId"] = "idaas_abc"
			req.QueryParams["UserId"] = "user_123"
			req.QueryParams["CustomFields.1.FieldValue"] = tricky
			if method == "POST" {
				req.FormParams["Username"] = "alice w"
				req.FormParams["DisplayName"] = tricky
			}
			_, err := lc.ProcessCommonRequest(req)
			return err
		})
	}

	doc := map[string]interface{}{"generatedBy": "acssign/testdata/capture-go", "captures": caps}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	file := filepath.Join(out, "alibaba_go_captures.json")
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d captures\n", file, len(caps))
}
