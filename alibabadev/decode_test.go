package alibabadev

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/i18n"
)

// seedBody is seed 002's request, built from the example column of its
// parameter table (the seed shows no literal body): every documented key,
// with both operation and its deprecated alias operator.
const seedBody = `{
  "username": "name001",
  "displayName": "display_name001",
  "phoneRegion": "86",
  "phoneNumber": "156xxxxxxx",
  "phoneNumberVerified": true,
  "email": "example@example.com",
  "emailVerified": true,
  "customFields": [
    {"operator": "replace", "fieldName": "age", "fieldValue": "test_value", "operation": "replace"}
  ]
}`

// sdkPatchBody is what the generated Go SDK sent for PatchUser (§C.3.7).
const sdkPatchBody = `{"customFields":[{"fieldName":"age","fieldValue":"10","operation":"replace"}],"phoneNumberVerified":true,"username":"alice"}`

func TestDecodePatchSeedBody(t *testing.T) {
	c, err := DecodePatch([]byte(seedBody))
	if err != nil {
		t.Fatal(err)
	}
	want := &eiam.ProfileChange{
		Attrs: map[eiam.Attribute]string{
			eiam.AttrUsername: "name001", eiam.AttrDisplayName: "display_name001", eiam.AttrPhoneRegion: "86",
			eiam.AttrPhoneNumber: "156xxxxxxx", eiam.AttrEmail: "example@example.com",
		},
		Flags:        map[eiam.Flag]bool{eiam.FlagPhoneNumberVerified: true, eiam.FlagEmailVerified: true},
		CustomFields: []eiam.CustomFieldOp{{Name: "age", Value: "test_value", Op: eiam.OpReplace}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestDecodePatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want *eiam.ProfileChange
	}{
		{"sdk capture", sdkPatchBody, &eiam.ProfileChange{
			Attrs:        map[eiam.Attribute]string{eiam.AttrUsername: "alice"},
			Flags:        map[eiam.Flag]bool{eiam.FlagPhoneNumberVerified: true},
			CustomFields: []eiam.CustomFieldOp{{Name: "age", Value: "10", Op: eiam.OpReplace}},
		}},
		{"empty body", ``, &eiam.ProfileChange{}},
		{"empty object", `{}`, &eiam.ProfileChange{}},
		{"null clears", `{"displayName":null,"email":""}`, &eiam.ProfileChange{
			Attrs: map[eiam.Attribute]string{eiam.AttrDisplayName: "", eiam.AttrEmail: ""},
		}},
		{"operator alone", `{"customFields":[{"fieldName":"a","fieldValue":"1","operator":"add"}]}`, &eiam.ProfileChange{
			CustomFields: []eiam.CustomFieldOp{{Name: "a", Value: "1", Op: eiam.OpAdd}},
		}},
		{"no operation is replace; numbers as text", `{"customFields":[{"fieldName":"a","fieldValue":18}]}`, &eiam.ProfileChange{
			CustomFields: []eiam.CustomFieldOp{{Name: "a", Value: "18", Op: eiam.OpReplace}},
		}},
		{"remove needs no value", `{"customFields":[{"fieldName":"a","operation":"remove"}]}`, &eiam.ProfileChange{
			CustomFields: []eiam.CustomFieldOp{{Name: "a", Op: eiam.OpRemove}},
		}},
		{"explicit empty value", `{"customFields":[{"fieldName":"a","fieldValue":""}]}`, &eiam.ProfileChange{
			CustomFields: []eiam.CustomFieldOp{{Name: "a", Op: eiam.OpReplace}},
		}},
		{"null list", `{"customFields":null}`, &eiam.ProfileChange{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DecodePatch([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, tc.want) {
				t.Errorf("got  %+v\nwant %+v", c, tc.want)
			}
		})
	}
}

func TestDecodePatchRejects(t *testing.T) {
	for _, tc := range []struct {
		body  string
		code  eiam.Code
		field string
	}{
		{`{"nickname":"x"}`, eiam.ErrUnknownField, "nickname"},
		{`{"description":"x"}`, eiam.ErrUnknownField, "description"},
		{`{"password":"x"}`, eiam.ErrUnknownField, "password"},
		{`{"primaryOrganizationalUnitId":"ou_1"}`, eiam.ErrUnknownField, "primaryOrganizationalUnitId"},
		{`{"username":1}`, eiam.ErrInvalid, "username"},
		{`{"emailVerified":"true"}`, eiam.ErrInvalid, "emailVerified"},
		{`{"emailVerified":null}`, eiam.ErrInvalid, "emailVerified"},
		{`{"customFields":{}}`, eiam.ErrInvalid, "customFields"},
		{`{"customFields":[1]}`, eiam.ErrInvalid, "customFields[0]"},
		{`{"customFields":[{"fieldValue":"1"}]}`, eiam.ErrMissing, "customFields[0].fieldName"},
		{`{"customFields":[{"fieldName":"a"}]}`, eiam.ErrMissing, "customFields[0].fieldValue"},
		{`{"customFields":[{"fieldName":"a","fieldValue":"1","operation":"set"}]}`, eiam.ErrInvalid, "customFields[0].operation"},
		{`{"customFields":[{"fieldName":"a","fieldValue":"1","operation":"add","operator":"remove"}]}`, eiam.ErrInvalid, "customFields[0].operator"},
		{`{"customFields":[{"fieldName":"a","fieldValue":"1","op":"add"}]}`, eiam.ErrUnknownField, "customFields[0].op"},
		{`{"customFields":[{"fieldName":"a","fieldValue":{"x":1}}]}`, eiam.ErrInvalid, "customFields[0].fieldValue"},
		{`{"customFields":[{"fieldName":"a","fieldName":"b","fieldValue":"1"}]}`, eiam.ErrInvalid, "customFields[0].fieldName"},
		{`{"username":"a","username":"b"}`, eiam.ErrInvalid, "username"},
		{`[]`, eiam.ErrInvalid, "body"},
		{`{"username":"a"`, eiam.ErrInvalid, "body"},
	} {
		_, err := DecodePatch([]byte(tc.body))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.body, err, tc.code, tc.field)
		}
	}
}

func TestDecodePatchBoundsCustomFields(t *testing.T) {
	entry := `{"fieldName":"a","fieldValue":"1"}`
	at := func(n int) string {
		return `{"customFields":[` + strings.TrimSuffix(strings.Repeat(entry+",", n), ",") + `]}`
	}
	if c, err := DecodePatch([]byte(at(maxCustomFields))); err != nil || len(c.CustomFields) != maxCustomFields {
		t.Errorf("%d entries: %v", maxCustomFields, err)
	}
	if _, err := DecodePatch([]byte(at(maxCustomFields + 1))); eiam.AsError(err).Key != "too_long" {
		t.Errorf("%d entries: %v, want too_long", maxCustomFields+1, err)
	}
}

func TestDecodePatchReportsEveryViolation(t *testing.T) {
	_, err := DecodePatch([]byte(`{"a":1,"username":2,"customFields":[{"fieldName":"x"}]}`))
	var fields []string
	for _, v := range eiam.Violations(err) {
		fields = append(fields, v.Field)
	}
	if got := strings.Join(fields, ","); got != "a,username,customFields[0].fieldValue" {
		t.Errorf("violations %s", got)
	}
}

// sdkCreateBody is what the generated Go SDK sent for CreateUser (§C.3.7).
const sdkCreateBody = `{"customFields":[{"fieldName":"age","fieldValue":"3"}],"primaryOrganizationalUnitId":"ou_1","username":"bob"}`

func TestDecodeCreate(t *testing.T) {
	c, err := DecodeCreate([]byte(sdkCreateBody))
	if err != nil {
		t.Fatal(err)
	}
	ou := "ou_1"
	want := &eiam.ProfileChange{
		Attrs:        map[eiam.Attribute]string{eiam.AttrUsername: "bob"},
		CustomFields: []eiam.CustomFieldOp{{Name: "age", Value: "3", Op: eiam.OpReplace}},
		PrimaryOUID:  &ou,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	full := `{"username":"u","primaryOrganizationalUnitId":"ou","displayName":"D","description":"d","email":"a@b.cn",
		"emailVerified":true,"phoneRegion":"86","phoneNumber":"13800138000","phoneNumberVerified":false,"password":"pw-Secret1",
		"userExternalId":"ext-1","passwordInitializationConfig":{"passwordInitializationPolicyPriority":"global",
		"passwordInitializationType":"random","passwordForcedUpdateStatus":"enabled","userNotificationChannels":["sms"]}}`
	c, err = DecodeCreate([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	if c.Password == nil || *c.Password != "pw-Secret1" || c.Attrs[eiam.AttrExternalID] != "ext-1" ||
		c.Attrs[eiam.AttrDescription] != "d" || c.Flags[eiam.FlagPhoneNumberVerified] || !c.Flags[eiam.FlagEmailVerified] {
		t.Errorf("full create decoded as %+v", c)
	}
}

func TestDecodeCreateRejects(t *testing.T) {
	for _, tc := range []struct {
		body  string
		code  eiam.Code
		field string
	}{
		{`{"primaryOrganizationalUnitId":"ou"}`, eiam.ErrMissing, "username"},
		{`{"username":"u"}`, eiam.ErrMissing, "primaryOrganizationalUnitId"},
		{`{"username":"u","primaryOrganizationalUnitId":""}`, eiam.ErrMissing, "primaryOrganizationalUnitId"},
		{`{"username":"u","primaryOrganizationalUnitId":"ou","customFields":[{"fieldName":"a","fieldValue":"1","operation":"add"}]}`,
			eiam.ErrUnknownField, "customFields[0].operation"},
		{`{"username":"u","primaryOrganizationalUnitId":"ou","status":"disabled"}`, eiam.ErrUnknownField, "status"},
		{`{"username":"u","primaryOrganizationalUnitId":"ou","passwordInitializationConfig":{"passwordForcedUpdateStatus":"enabled"}}`,
			eiam.ErrInvalid, "passwordInitializationConfig.passwordForcedUpdateStatus"},
		{`{"username":"u","primaryOrganizationalUnitId":"ou","passwordInitializationConfig":{"passwordInitializationPolicyPriority":"custom","userNotificationChannels":["email"]}}`,
			eiam.ErrInvalid, "passwordInitializationConfig.userNotificationChannels"},
		{`{"username":"u","primaryOrganizationalUnitId":"ou","passwordInitializationConfig":{"userNotificationChannels":["fax"]}}`,
			eiam.ErrInvalid, "passwordInitializationConfig.userNotificationChannels[0]"},
		{`{"username":"u","primaryOrganizationalUnitId":"ou","passwordInitializationConfig":{"passwordInitializationType":"fixed"}}`,
			eiam.ErrInvalid, "passwordInitializationConfig.passwordInitializationType"},
		{`{"username":"u","primaryOrganizationalUnitId":"ou","passwordInitializationConfig":{"x":1}}`,
			eiam.ErrUnknownField, "passwordInitializationConfig.x"},
	} {
		_, err := DecodeCreate([]byte(tc.body))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.body, err, tc.code, tc.field)
		}
	}
}

func TestDecodeListQuery(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  eiam.UserQuery
		field string
	}{
		{"", eiam.UserQuery{Limit: 20, WithTotal: true}, ""},
		{"pageNumber=1&pageSize=20", eiam.UserQuery{Limit: 20, WithTotal: true}, ""},
		{"pageNumber=3&pageSize=100&organizationalUnitId=ou_1", eiam.UserQuery{Limit: 100, Offset: 200, OUID: "ou_1", WithTotal: true}, ""},
		{"pageSize=0", eiam.UserQuery{}, "pageSize"},
		{"pageSize=101", eiam.UserQuery{}, "pageSize"},
		{"pageNumber=0", eiam.UserQuery{}, "pageNumber"},
		{"pageNumber=99999999999999999999", eiam.UserQuery{}, "pageNumber"},
		{"pageSize=x", eiam.UserQuery{}, "pageSize"},
		{"status=enabled", eiam.UserQuery{}, "status"},
		{"pageSize=1&pageSize=2", eiam.UserQuery{}, "pageSize"},
	} {
		q, err := DecodeListQuery(tc.query)
		if tc.field != "" {
			if eiam.AsError(err).Field != tc.field {
				t.Errorf("%q: got %v, want an error on %s", tc.query, err, tc.field)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(q, tc.want) {
			t.Errorf("%q: got %+v, %v; want %+v", tc.query, q, err, tc.want)
		}
	}
}

func TestDecodeTokenRequest(t *testing.T) {
	basic := func(id, secret string) string {
		r, _ := http.NewRequest("POST", "/", nil)
		r.SetBasicAuth(id, secret)
		return r.Header.Get("Authorization")
	}
	for _, tc := range []struct {
		name   string
		params map[string]string
		auth   string
		want   *TokenRequest
		code   eiam.Code
	}{
		{"post", map[string]string{"grant_type": "client_credentials", "client_id": "app_1", "client_secret": "s", "scope": "a b a"}, "",
			&TokenRequest{GrantType: "client_credentials", ClientID: "app_1", ClientSecret: "s", Scopes: []string{"a", "b"}}, ""},
		{"basic", map[string]string{"grant_type": "client_credentials"}, basic("app_1", "s:x"),
			&TokenRequest{GrantType: "client_credentials", ClientID: "app_1", ClientSecret: "s:x", Basic: true}, ""},
		{"basic, form-encoded", map[string]string{}, basic("app%201", "a%2Bb"),
			&TokenRequest{ClientID: "app 1", ClientSecret: "a+b", Basic: true}, ""},
		{"basic and matching client_id", map[string]string{"client_id": "app_1"}, basic("app_1", "s"),
			&TokenRequest{ClientID: "app_1", ClientSecret: "s", Basic: true}, ""},
		{"basic and another client_id", map[string]string{"client_id": "app_2"}, basic("app_1", "s"), nil, eiam.ErrUnknownClient},
		{"two methods", map[string]string{"client_secret": "s"}, basic("app_1", "s"), nil, eiam.ErrInvalid},
		{"bad basic", map[string]string{}, "Basic !!!", nil, eiam.ErrUnknownClient},
		{"unknown params ignored", map[string]string{"client_id": "a", "code": "x", "exclusive_tag": "y"}, "",
			&TokenRequest{ClientID: "a"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeTokenRequest(tc.params, tc.auth)
			if tc.code != "" {
				if eiam.ErrorCode(err) != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestGrantScopes(t *testing.T) {
	app := &eiam.Application{Scopes: []string{ScopeUserManage, ScopeUserRead}}
	if got, err := grantScopes(app, nil); err != nil || !reflect.DeepEqual(got, app.Scopes) {
		t.Errorf("default: %v %v", got, err)
	}
	if got, err := grantScopes(app, []string{ScopeUserRead}); err != nil || !reflect.DeepEqual(got, []string{ScopeUserRead}) {
		t.Errorf("subset: %v %v", got, err)
	}
	_, err := grantScopes(app, []string{ScopeUserRead, "openid"})
	if m := mapError(eiam.AsError(err)); m.oauth != "invalid_scope" || m.status != 400 {
		t.Errorf("foreign scope: %v → %+v", err, m)
	}
	if _, err := grantScopes(&eiam.Application{}, nil); mapError(eiam.AsError(err)).oauth != "invalid_scope" {
		t.Errorf("application without scopes: %v", err)
	}
}

func TestEveryErrorKindIsMapped(t *testing.T) {
	for _, code := range eiam.Codes {
		m, ok := errorCodes[code]
		if !ok || m.code == "" || m.oauth == "" || m.status < 400 {
			t.Errorf("kind %s has no developer API mapping", code)
		}
	}
	for _, tc := range []struct {
		err    *eiam.Error
		status int
		code   string
		oauth  string
	}{
		{eiam.Errorf(eiam.ErrMissing, "username", "required"), 400, "MissingParameter", "invalid_request"},
		{eiam.Errorf(eiam.ErrInvalid, "email", "invalid_email"), 400, "InvalidParameter", "invalid_request"},
		{eiam.Errorf(eiam.ErrUnknownField, "x", "unknown_field"), 400, "InvalidParameter", "invalid_request"},
		{eiam.Errorf(eiam.ErrCustomField, "custom_fields.age", "undeclared_field"), 400, "InvalidParameter", "invalid_request"},
		{eiam.Errorf(eiam.ErrUnknownClient, "client_id", "unknown_client"), 401, "invalid_client", "invalid_client"},
		{eiam.Errorf(eiam.ErrUnauthenticated, "token", "token_invalid"), 401, "invalid_token", "invalid_token"},
		{eiam.Errorf(eiam.ErrForbidden, "", "forbidden"), 403, "insufficient_scope", "insufficient_scope"},
		{eiam.Errorf(eiam.ErrNotFound, "user_id", "user_not_found"), 404, "ResourceNotFound.User", "not_found"},
		{eiam.Errorf(eiam.ErrNotFound, "email", "user_not_found"), 404, "ResourceNotFound.User", "not_found"},
		{eiam.Errorf(eiam.ErrNotFound, "instance_id", "not_found"), 404, "ResourceNotFound.Instance", "not_found"},
		{eiam.Errorf(eiam.ErrConflict, "username", "conflict"), 409, "ResourceDuplicated.Username", "conflict"},
		{eiam.Errorf(eiam.ErrConflict, "email", "conflict"), 409, "ResourceDuplicated.Email", "conflict"},
		{eiam.Errorf(eiam.ErrConflict, "external_id", "conflict"), 409, "ResourceDuplicated.UserExternalId", "conflict"},
		{eiam.Errorf(eiam.ErrConflict, "custom_fields.employee_no", "conflict"), 409, "ResourceDuplicated.CustomField", "conflict"},
		{eiam.Errorf(eiam.ErrPrecondition, "version", "version_mismatch"), 412, "PreconditionFailed", "precondition_failed"},
		{eiam.Errorf(eiam.ErrRateLimited, "", "rate_limited"), 429, "Throttling.User", "rate_limited"},
		{eiam.Errorf(eiam.ErrInternal, "", "internal"), 500, "InternalError", "server_error"},
	} {
		if m := mapError(tc.err); m.status != tc.status || m.code != tc.code || m.oauth != tc.oauth {
			t.Errorf("%v → %+v; want %d %s %s", tc.err, m, tc.status, tc.code, tc.oauth)
		}
	}
}

func TestMessagesUseWireNames(t *testing.T) {
	for _, tc := range []struct {
		err    *eiam.Error
		lang   i18n.Lang
		want   string
		absent string
	}{
		{eiam.Errorf(eiam.ErrMissing, "email_verified", "required_with", "attr", "email"), i18n.English,
			"Parameter emailVerified is required when", "email_verified"},
		{eiam.Errorf(eiam.ErrConflict, "username", "conflict", "field", "username"), i18n.English,
			"The specified resource: username already exist.", ""},
		{eiam.Errorf(eiam.ErrInvalid, "display_name", "too_long", "max", 128), i18n.Chinese, "参数 displayName 过长", "display_name"},
		{eiam.Errorf(eiam.ErrCustomField, "custom_fields.age", "undeclared_field"), i18n.English,
			"Custom field age is not defined", "custom_fields"},
		{eiam.Errorf(eiam.ErrUnauthenticated, "token", "token_invalid"), i18n.English, "access_token has expired or is invalid.", ""},
	} {
		got := localize(tc.lang, tc.err)
		if !strings.Contains(got, tc.want) || (tc.absent != "" && strings.Contains(got, tc.absent)) {
			t.Errorf("%v: %q, want it to contain %q and not %q", tc.err, got, tc.want, tc.absent)
		}
	}
}

func TestEncodeUser(t *testing.T) {
	at := time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC)
	u := &eiam.User{
		InstanceID: "idaas_1", ID: "user_1", Status: eiam.StatusEnabled,
		Attrs: map[eiam.Attribute]string{
			eiam.AttrUsername: "alice", eiam.AttrDisplayName: "Alice", eiam.AttrEmail: "a@example.com",
			eiam.AttrPhoneRegion: "86", eiam.AttrPhoneNumber: "13800138000",
		},
		EmailVerified: true, PhoneVerified: true,
		CustomFields: map[string][]string{"age": {"30"}, "tags": {"a", "b"}, "gone": {"x"}},
		PrimaryOUID:  "ou_root", OUIDs: []string{"ou_rd", "ou_root"},
		CreatedAt: at, UpdatedAt: at.Add(time.Second),
	}
	defs := []*eiam.FieldDefinition{{Name: "age"}, {Name: "tags", DisplayType: eiam.DisplayCheckbox}}
	b, err := json.Marshal(EncodeUser(u, map[string]string{"ou_root": "Example Co", "ou_rd": "R&D"}, defs))
	if err != nil {
		t.Fatal(err)
	}
	ms := at.UnixMilli()
	want := fmt.Sprintf(`{"instanceId":"idaas_1","userId":"user_1","username":"alice","displayName":"Alice","description":"",`+
		`"phoneRegion":"86","phoneNumber":"13800138000","phoneNumberVerified":true,"email":"a@example.com","emailVerified":true,`+
		`"userExternalId":"user_1","userSourceType":"build_in","userSourceId":"idaas_1","status":"enabled","passwordSet":false,`+
		`"registerTime":%d,"createTime":%d,"updateTime":%d,"primaryOrganizationalUnitId":"ou_root",`+
		`"organizationalUnits":[{"organizationalUnitId":"ou_root","organizationalUnitName":"Example Co","primary":true},`+
		`{"organizationalUnitId":"ou_rd","organizationalUnitName":"R\u0026D","primary":false}],"groups":[],`+
		`"customFields":[{"fieldName":"age","fieldValue":"30"},{"fieldName":"tags","fieldValue":"a,b"}]}`, ms, ms, ms+1000)
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	item, _ := json.Marshal(EncodeListItem(u))
	for _, k := range []string{"organizationalUnits", "customFields", "groups", "primaryOrganizationalUnitId"} {
		if strings.Contains(string(item), `"`+k+`"`) {
			t.Errorf("list item carries %s: %s", k, item)
		}
	}
	u.Attrs[eiam.AttrExternalID] = "hr-7"
	if u.ExternalIDOrID() != "hr-7" {
		t.Error("a set external id is not shown")
	}
}

func FuzzDecodePatch(f *testing.F) {
	for _, s := range []string{seedBody, sdkPatchBody, `{"customFields":[{"fieldName":"a","operator":"remove"}]}`, `{"email":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodePatch(b)
		if err != nil {
			if eiam.AsError(err).Code == eiam.ErrInternal {
				t.Fatalf("internal error from decoder: %v", err)
			}
			return
		}
		for a := range c.Attrs {
			ok := false
			for k := range patchKeys {
				ok = ok || textNames[k] == a
			}
			if !ok {
				t.Fatalf("decoded attribute %s that PatchUser does not define", a)
			}
		}
		if c.Password != nil || c.Status != nil || c.PrimaryOUID != nil || c.OUIDs != nil || len(c.CustomFields) > maxCustomFields {
			t.Fatalf("patch decoded into %+v", c)
		}
		for _, op := range c.CustomFields {
			if op.Name == "" || (op.Op != eiam.OpAdd && op.Op != eiam.OpReplace && op.Op != eiam.OpRemove) {
				t.Fatalf("bad operation %+v", op)
			}
		}
	})
}

func FuzzDecodeCreate(f *testing.F) {
	f.Add([]byte(sdkCreateBody))
	f.Add([]byte(`{"username":"u","primaryOrganizationalUnitId":"o","passwordInitializationConfig":{"userNotificationChannels":["sms"]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCreate(b)
		if err != nil {
			if eiam.AsError(err).Code == eiam.ErrInternal {
				t.Fatalf("internal error from decoder: %v", err)
			}
			return
		}
		if c.Attrs[eiam.AttrUsername] == "" || c.PrimaryOUID == nil || *c.PrimaryOUID == "" {
			t.Fatalf("create without username or unit accepted: %+v", c)
		}
		if c.Status != nil || c.OUIDs != nil {
			t.Fatalf("create decoded into %+v", c)
		}
	})
}
