package gosdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
)

// caller runs one RPC action with flat parameters (CustomFields already
// flattened by the caller's SDK) and returns the decoded JSON answer.
type caller func(action string, params map[string]interface{}) (map[string]interface{}, error)

// user is the part of GetUser's User the tests read.
type user struct {
	UserID                      string `json:"UserId"`
	Username                    string
	DisplayName                 string
	PrimaryOrganizationalUnitID string `json:"PrimaryOrganizationalUnitId"`
	CustomFields                []struct{ FieldName, FieldValue string }
}

func (u user) field(name string) string {
	for _, f := range u.CustomFields {
		if f.FieldName == name {
			return f.FieldValue
		}
	}
	return ""
}

func getUser(t *testing.T, call caller, id string) user {
	t.Helper()
	res, err := call("GetUser", map[string]interface{}{"InstanceId": instanceID, "UserId": id})
	if err != nil {
		t.Fatalf("GetUser %s: %v", id, err)
	}
	raw, _ := json.Marshal(res["User"])
	var u user
	if err := json.Unmarshal(raw, &u); err != nil || u.UserID == "" {
		t.Fatalf("GetUser %s: no User in %v (%v)", id, res, err)
	}
	return u
}

// exercise is the scenario every client runs: update zhangsan with a
// custom field, read it back, create a user in zhangsan's organizational
// unit, and fail to create the same username again.
func exercise(t *testing.T, call caller, code func(error) string, tag string) {
	age := fmt.Sprint(40 + len(tag))
	res, err := call("UpdateUser", map[string]interface{}{
		"InstanceId": instanceID, "UserId": userID, "DisplayName": "Zhang San 张三 " + tag,
		"CustomFields": []map[string]interface{}{{"FieldName": "age", "FieldValue": age, "Operation": "replace"}},
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if res["RequestId"] == nil || res["RequestId"] == "" {
		t.Errorf("UpdateUser: no RequestId in %v", res)
	}
	u := getUser(t, call, userID)
	if u.Username != username || u.DisplayName != "Zhang San 张三 "+tag || u.field("age") != age {
		t.Errorf("GetUser after UpdateUser = %+v, want display name %q and age %s", u, "Zhang San 张三 "+tag, age)
	}
	if u.PrimaryOrganizationalUnitID == "" {
		t.Fatalf("GetUser: no PrimaryOrganizationalUnitId in %+v", u)
	}

	name := "lisi_" + strings.ToLower(tag)
	create := map[string]interface{}{
		"InstanceId": instanceID, "Username": name, "DisplayName": "Li Si",
		"PrimaryOrganizationalUnitId": u.PrimaryOrganizationalUnitID,
		"CustomFields":                []map[string]interface{}{{"FieldName": "age", "FieldValue": "25"}},
	}
	res, err = call("CreateUser", create)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	id, _ := res["UserId"].(string)
	if id == "" {
		t.Fatalf("CreateUser: no UserId in %v", res)
	}
	if c := getUser(t, call, id); c.Username != name || c.PrimaryOrganizationalUnitID != u.PrimaryOrganizationalUnitID || c.field("age") != "25" {
		t.Errorf("GetUser of the created user = %+v", c)
	}

	_, err = call("CreateUser", create)
	if got := code(err); got != "ResourceDuplicated.Username" {
		t.Errorf("CreateUser of a taken username: code %q (err %v), want ResourceDuplicated.Username", got, err)
	}
}

func darabonbaCode(err error) string {
	// CallApi wraps its errors in tea's SDKError (DisableSDKError unset).
	var e *tea.SDKError
	if errors.As(err, &e) {
		return tea.StringValue(e.Code)
	}
	return ""
}

func TestDarabonbaCallApi(t *testing.T) {
	for _, c := range []struct{ name, alg string }{{"V3", ""}, {"V1", "v2"}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := &openapiutil.Config{
				AccessKeyId: dara.String(accessKey), AccessKeySecret: dara.String(secret),
				Endpoint: dara.String(startEIAM(t)), Protocol: dara.String("http"),
			}
			if c.alg != "" {
				cfg.SignatureAlgorithm = dara.String(c.alg)
			}
			client, err := openapi.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			rt := &dara.RuntimeOptions{}
			call := func(action string, params map[string]interface{}) (map[string]interface{}, error) {
				// The Params the generated eiam-20211201 client passes.
				p := &openapiutil.Params{
					Action: dara.String(action), Version: dara.String("2021-12-01"), Protocol: dara.String("HTTPS"),
					Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
					Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
				}
				res, err := client.CallApi(p, &openapiutil.OpenApiRequest{Query: openapiutil.Query(params)}, rt)
				if err != nil {
					return nil, err
				}
				body, _ := res["body"].(map[string]interface{})
				return body, nil
			}
			exercise(t, call, darabonbaCode, c.name)
		})
	}
}

// flatten turns CustomFields into the CustomFields.N.Key parameters
// CommonRequest callers write by hand.
func flatten(params map[string]interface{}) map[string]string {
	out := map[string]string{}
	for k, v := range params {
		if list, ok := v.([]map[string]interface{}); ok {
			for i, m := range list {
				for kk, vv := range m {
					out[fmt.Sprintf("%s.%d.%s", k, i+1, kk)] = fmt.Sprint(vv)
				}
			}
			continue
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}

func legacyCode(err error) string {
	var e *sdkerrors.ServerError
	if errors.As(err, &e) {
		return e.ErrorCode()
	}
	return ""
}

func TestCommonRequest(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			endpoint := startEIAM(t)
			client, err := sdk.NewClientWithAccessKey("cn-hangzhou", accessKey, secret)
			if err != nil {
				t.Fatal(err)
			}
			call := func(action string, params map[string]interface{}) (map[string]interface{}, error) {
				req := requests.NewCommonRequest()
				req.Method, req.Scheme, req.Domain = method, "http", endpoint
				req.Product, req.Version, req.ApiName = "Eiam", "2021-12-01", action
				for k, v := range flatten(params) {
					if method == "POST" && k != "InstanceId" {
						req.FormParams[k] = v // POST: business parameters in the form body
					} else {
						req.QueryParams[k] = v
					}
				}
				res, err := client.ProcessCommonRequest(req)
				if err != nil {
					return nil, err
				}
				var body map[string]interface{}
				if err := json.Unmarshal(res.GetHttpContentBytes(), &body); err != nil {
					return nil, fmt.Errorf("%s: %v: %s", action, err, res.GetHttpContentString())
				}
				return body, nil
			}
			exercise(t, call, legacyCode, method)
		})
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	client, err := openapi.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(accessKey), AccessKeySecret: dara.String("wrong"),
		Endpoint: dara.String(startEIAM(t)), Protocol: dara.String("http"),
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &openapiutil.Params{
		Action: dara.String("GetUser"), Version: dara.String("2021-12-01"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	_, err = client.CallApi(p, &openapiutil.OpenApiRequest{Query: openapiutil.Query(map[string]interface{}{
		"InstanceId": instanceID, "UserId": userID})}, &dara.RuntimeOptions{})
	if code := darabonbaCode(err); !strings.Contains(code, "Signature") {
		t.Errorf("wrong secret: code %q (err %v), want a signature error", code, err)
	}
}

// guideDarabonba is the migration guide's darabonba-openapi snippet: the
// Config that points the client (and so the generated eiam-20211201 client,
// which takes the same Config) at eiam, and one UpdateUser call.
func guideDarabonba(eiamHost string) (map[string]interface{}, error) {
	// docs:snippet rpc-darabonba-go
	config := &openapiutil.Config{
		AccessKeyId:     dara.String("LTAI5tExample000001"),
		AccessKeySecret: dara.String("exampleSecret000000000000000001"),
		Endpoint:        dara.String(eiamHost), // host[:port]; was eiam.cn-hangzhou.aliyuncs.com
		Protocol:        dara.String("http"),   // "https" when eiam is served over TLS
		// SignatureAlgorithm: dara.String("v2"), // V1 (HMAC-SHA1) instead of V3; both work
	}
	client, err := openapi.NewClient(config)
	if err != nil {
		return nil, err
	}
	params := &openapiutil.Params{
		Action: dara.String("UpdateUser"), Version: dara.String("2021-12-01"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	query := openapiutil.Query(map[string]interface{}{
		"InstanceId":   "idaas_example01",
		"UserId":       "user_zhangsan",
		"DisplayName":  "Zhang San",
		"CustomFields": []map[string]interface{}{{"FieldName": "age", "FieldValue": "42", "Operation": "replace"}},
	})
	res, err := client.CallApi(params, &openapiutil.OpenApiRequest{Query: query}, &dara.RuntimeOptions{})
	// docs:end
	return res, err
}

// guideCommonRequest is the migration guide's alibaba-cloud-sdk-go snippet.
func guideCommonRequest(eiamHost string) (*responses.CommonResponse, error) {
	// docs:snippet rpc-alibaba-cloud-sdk-go
	client, err := sdk.NewClientWithAccessKey("cn-hangzhou", "LTAI5tExample000001", "exampleSecret000000000000000001")
	if err != nil {
		return nil, err
	}
	req := requests.NewCommonRequest()
	req.Method = "POST"
	req.Scheme = "http"   // "https" when eiam is served over TLS
	req.Domain = eiamHost // host[:port]; was eiam.cn-hangzhou.aliyuncs.com
	req.Product = "Eiam"
	req.Version = "2021-12-01"
	req.ApiName = "UpdateUser"
	req.QueryParams["InstanceId"] = "idaas_example01"
	req.QueryParams["UserId"] = "user_zhangsan"
	req.FormParams["DisplayName"] = "Zhang San"
	req.FormParams["CustomFields.1.FieldName"] = "age"
	req.FormParams["CustomFields.1.FieldValue"] = "43"
	req.FormParams["CustomFields.1.Operation"] = "replace"
	res, err := client.ProcessCommonRequest(req)
	// docs:end
	return res, err
}

// TestGuideSnippets runs the guide's Go snippets against eiam and reads
// back what each wrote.
func TestGuideSnippets(t *testing.T) {
	eiamHost := startEIAM(t)
	read := func(call caller) user { return getUser(t, call, userID) }
	client, err := openapi.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(accessKey), AccessKeySecret: dara.String(secret),
		Endpoint: dara.String(eiamHost), Protocol: dara.String("http"),
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(action string, params map[string]interface{}) (map[string]interface{}, error) {
		p := &openapiutil.Params{
			Action: dara.String(action), Version: dara.String("2021-12-01"), Protocol: dara.String("HTTPS"),
			Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
			Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
		}
		res, err := client.CallApi(p, &openapiutil.OpenApiRequest{Query: openapiutil.Query(params)}, &dara.RuntimeOptions{})
		if err != nil {
			return nil, err
		}
		body, _ := res["body"].(map[string]interface{})
		return body, nil
	}

	res, err := guideDarabonba(eiamHost)
	if err != nil {
		t.Fatalf("darabonba snippet: %v", err)
	}
	if body, _ := res["body"].(map[string]interface{}); body["RequestId"] == nil {
		t.Errorf("darabonba snippet: no RequestId in %v", res)
	}
	if u := read(call); u.DisplayName != "Zhang San" || u.field("age") != "42" {
		t.Errorf("after the darabonba snippet: %+v", u)
	}

	cr, err := guideCommonRequest(eiamHost)
	if err != nil {
		t.Fatalf("alibaba-cloud-sdk-go snippet: %v", err)
	}
	if !cr.IsSuccess() || !strings.Contains(cr.GetHttpContentString(), "RequestId") {
		t.Errorf("alibaba-cloud-sdk-go snippet: %d %s", cr.GetHttpStatus(), cr.GetHttpContentString())
	}
	if u := read(call); u.field("age") != "43" {
		t.Errorf("after the alibaba-cloud-sdk-go snippet: %+v", u)
	}
}
