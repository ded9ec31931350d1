package alibabarpc

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/i18n"
)

// seedParams is seed 003's UpdateUser, built from the example column of its
// parameter table, plus the V1 protocol parameters a client adds.
var seedParams = map[string]string{
	"InstanceId":                 "idaas_ue2jvisn35ea5lmthk267xxxxx",
	"UserId":                     "user_d6sbsuumeta4h66ec3il7yxxxx",
	"Username":                   "username_test",
	"DisplayName":                "test_name",
	"PhoneRegion":                "86",
	"PhoneNumber":                "156xxxxxxxxx",
	"PhoneNumberVerified":        "true",
	"Email":                      "example@example.com",
	"EmailVerified":              "true",
	"CustomFields.1.FieldName":   "nick_name",
	"CustomFields.1.FieldValue":  "test_value",
	"CustomFields.1.Operation":   "add",
	"Action":                     "UpdateUser",
	"Version":                    "2021-12-01",
	"Format":                     "JSON",
	"AccessKeyId":                "testAK",
	"SignatureMethod":            "HMAC-SHA1",
	"SignatureVersion":           "1.0",
	"SignatureNonce":             "3d9bd936414ad2784c24bab7c0976e38",
	"Timestamp":                  "2026-11-24T16:08:13Z",
	"SignatureType":              "",
	"RegionId":                   "cn-hangzhou",
	"SecurityToken":              "",
	"ResourceOwnerAccount":       "",
	"OwnerId":                    "",
	"CustomFields.2.FieldName":   "age",
	"CustomFields.2.FieldValue":  "10",
	"CustomFields.10.FieldName":  "tags",
	"CustomFields.10.Operation":  "remove",
	"CustomFields.10.FieldValue": "a b+c*~",
}

func TestDecodeUpdateUserSeed(t *testing.T) {
	req, err := DecodeUpdateUser(seedParams)
	if err != nil {
		t.Fatal(err)
	}
	want := &UpdateUserRequest{
		InstanceID: "idaas_ue2jvisn35ea5lmthk267xxxxx", UserID: "user_d6sbsuumeta4h66ec3il7yxxxx",
		Change: &eiam.ProfileChange{
			Attrs: map[eiam.Attribute]string{
				eiam.AttrUsername: "username_test", eiam.AttrDisplayName: "test_name", eiam.AttrPhoneRegion: "86",
				eiam.AttrPhoneNumber: "156xxxxxxxxx", eiam.AttrEmail: "example@example.com",
			},
			Flags: map[eiam.Flag]bool{eiam.FlagEmailVerified: true, eiam.FlagPhoneNumberVerified: true},
			// Index order is numeric: 10 comes after 2.
			CustomFields: []eiam.CustomFieldOp{
				{Name: "nick_name", Value: "test_value", Op: eiam.OpAdd},
				{Name: "age", Value: "10", Op: eiam.OpReplace},
				{Name: "tags", Value: "a b+c*~", Op: eiam.OpRemove},
			},
		},
	}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("got  %+v\nwant %+v", req.Change, want.Change)
	}
}

// params builds a parameter map from a query string.
func params(t testing.TB, q string) map[string]string {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for k, vs := range v {
		m[k] = vs[0]
	}
	return m
}

func TestFlatCustomFields(t *testing.T) {
	const base = "InstanceId=i&UserId=u&"
	for _, tc := range []struct {
		name  string
		query string
		want  []eiam.CustomFieldOp
		code  eiam.Code
		field string
	}{
		{"gap", "CustomFields.1.FieldName=a&CustomFields.1.FieldValue=1&CustomFields.3.FieldName=b&CustomFields.3.FieldValue=2",
			[]eiam.CustomFieldOp{{Name: "a", Value: "1", Op: eiam.OpReplace}, {Name: "b", Value: "2", Op: eiam.OpReplace}}, "", ""},
		{"out of order", "CustomFields.11.FieldName=b&CustomFields.11.FieldValue=2&CustomFields.9.FieldName=a&CustomFields.9.FieldValue=1",
			[]eiam.CustomFieldOp{{Name: "a", Value: "1", Op: eiam.OpReplace}, {Name: "b", Value: "2", Op: eiam.OpReplace}}, "", ""},
		{"explicit empty value clears", "CustomFields.1.FieldName=a&CustomFields.1.FieldValue=",
			[]eiam.CustomFieldOp{{Name: "a", Op: eiam.OpReplace}}, "", ""},
		{"remove without value", "CustomFields.1.FieldName=a&CustomFields.1.Operation=remove",
			[]eiam.CustomFieldOp{{Name: "a", Op: eiam.OpRemove}}, "", ""},
		{"empty operation is replace", "CustomFields.1.FieldName=a&CustomFields.1.FieldValue=x&CustomFields.1.Operation=",
			[]eiam.CustomFieldOp{{Name: "a", Value: "x", Op: eiam.OpReplace}}, "", ""},
		{"JSON fallback", `CustomFields=[{"FieldName":"a","FieldValue":"1","Operation":"add"},{"FieldName":"b","FieldValue":2,"Operation":null}]`,
			[]eiam.CustomFieldOp{{Name: "a", Value: "1", Op: eiam.OpAdd}, {Name: "b", Value: "2", Op: eiam.OpReplace}}, "", ""},
		{"missing value", "CustomFields.1.FieldName=a", nil, eiam.ErrMissing, "CustomFields.1.FieldValue"},
		{"missing name", "CustomFields.2.FieldValue=1", nil, eiam.ErrMissing, "CustomFields.2.FieldName"},
		{"non-numeric index", "CustomFields.x.FieldName=a", nil, eiam.ErrInvalid, "CustomFields.x.FieldName"},
		{"index zero", "CustomFields.0.FieldName=a&CustomFields.0.FieldValue=1", nil, eiam.ErrInvalid, "CustomFields.0.FieldName"},
		{"leading zero", "CustomFields.01.FieldName=a&CustomFields.01.FieldValue=1", nil, eiam.ErrInvalid, "CustomFields.01.FieldName"},
		{"negative index", "CustomFields.-1.FieldName=a", nil, eiam.ErrInvalid, "CustomFields.-1.FieldName"},
		{"huge index", "CustomFields.99999999999999999999999.FieldName=a", nil, eiam.ErrInvalid, "CustomFields.99999999999999999999999.FieldName"},
		{"index past the bound", "CustomFields.1001.FieldName=a&CustomFields.1001.FieldValue=1", nil, eiam.ErrInvalid, "CustomFields.1001.FieldName"},
		{"unknown sub-key", "CustomFields.1.FieldName=a&CustomFields.1.FieldValue=1&CustomFields.1.Operator=add", nil, eiam.ErrUnknownField, "CustomFields.1.Operator"},
		{"no sub-key", "CustomFields.1=a", nil, eiam.ErrUnknownField, "CustomFields.1"},
		{"nested too deep", "CustomFields.1.FieldName.x=a", nil, eiam.ErrUnknownField, "CustomFields.1.FieldName.x"},
		{"bad operation", "CustomFields.1.FieldName=a&CustomFields.1.FieldValue=1&CustomFields.1.Operation=set", nil, eiam.ErrInvalid, "CustomFields.1.Operation"},
		{"both forms", `CustomFields=[]&CustomFields.1.FieldName=a&CustomFields.1.FieldValue=1`, nil, eiam.ErrInvalid, "CustomFields"},
		{"malformed JSON", `CustomFields=[{"FieldName":`, nil, eiam.ErrInvalid, "CustomFields"},
		{"JSON not an array", `CustomFields={"FieldName":"a"}`, nil, eiam.ErrInvalid, "CustomFields"},
		{"JSON unknown member", `CustomFields=[{"FieldName":"a","FieldValue":"1","Op":"add"}]`, nil, eiam.ErrUnknownField, "CustomFields.1.Op"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeUpdateUser(params(t, base+tc.query))
			if tc.code != "" {
				if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
					t.Fatalf("got %v, want %s on %s", err, tc.code, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req.Change.CustomFields, tc.want) {
				t.Errorf("got %+v, want %+v", req.Change.CustomFields, tc.want)
			}
		})
	}
}

func TestFlatBound(t *testing.T) {
	build := func(n int) map[string]string {
		m := map[string]string{"InstanceId": "i", "UserId": "u"}
		for i := 1; i <= n; i++ {
			m["CustomFields."+strconv.Itoa(i)+".FieldName"] = "f"
			m["CustomFields."+strconv.Itoa(i)+".FieldValue"] = strconv.Itoa(i)
		}
		return m
	}
	req, err := DecodeUpdateUser(build(MaxListIndex))
	if err != nil || len(req.Change.CustomFields) != MaxListIndex {
		t.Fatalf("%d entries: %v", MaxListIndex, err)
	}
	if req.Change.CustomFields[MaxListIndex-1].Value != strconv.Itoa(MaxListIndex) {
		t.Errorf("last entry %+v", req.Change.CustomFields[MaxListIndex-1])
	}
	if _, err := DecodeUpdateUser(build(MaxListIndex + 1)); eiam.ErrorCode(err) != eiam.ErrInvalid {
		t.Errorf("%d entries: %v", MaxListIndex+1, err)
	}
	json := `[` + strings.TrimSuffix(strings.Repeat(`{"FieldName":"f","FieldValue":"1"},`, MaxListIndex+1), ",") + `]`
	if _, err := DecodeUpdateUser(map[string]string{"InstanceId": "i", "UserId": "u", "CustomFields": json}); eiam.ErrorCode(err) != eiam.ErrInvalid {
		t.Errorf("%d JSON entries: %v", MaxListIndex+1, err)
	}
}

func TestDecodeUpdateUserRejects(t *testing.T) {
	for _, tc := range []struct {
		query string
		code  eiam.Code
		field string
	}{
		{"UserId=u", eiam.ErrMissing, "InstanceId"},
		{"InstanceId=i", eiam.ErrMissing, "UserId"},
		{"InstanceId=i&UserId=", eiam.ErrMissing, "UserId"},
		{"InstanceId=i&UserId=u&Nickname=x", eiam.ErrUnknownField, "Nickname"},
		{"InstanceId=i&UserId=u&Description=x", eiam.ErrUnknownField, "Description"},
		{"InstanceId=i&UserId=u&Password=x", eiam.ErrUnknownField, "Password"},
		{"InstanceId=i&UserId=u&CustomFieldsX=1", eiam.ErrUnknownField, "CustomFieldsX"},
		{"InstanceId=i&UserId=u&EmailVerified=yes", eiam.ErrInvalid, "EmailVerified"},
		{"InstanceId=i&UserId=u&EmailVerified=", eiam.ErrInvalid, "EmailVerified"},
	} {
		_, err := DecodeUpdateUser(params(t, tc.query))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.query, err, tc.code, tc.field)
		}
	}
	for in, want := range map[string]bool{"true": true, "false": false, "TRUE": true, "False": false} {
		req, err := DecodeUpdateUser(map[string]string{"InstanceId": "i", "UserId": "u", "EmailVerified": in})
		if err != nil || req.Change.Flags[eiam.FlagEmailVerified] != want {
			t.Errorf("EmailVerified=%s: %v %v", in, req, err)
		}
	}
	req, err := DecodeUpdateUser(map[string]string{"InstanceId": "i", "UserId": "u", "DisplayName": ""})
	if err != nil || req.Change.Attrs[eiam.AttrDisplayName] != "" || len(req.Change.Attrs) != 1 {
		t.Errorf("an empty DisplayName does not clear: %+v %v", req, err)
	}
}

func TestDecodeCreateUser(t *testing.T) {
	// The Go SDK's CreateUser capture (§C.3.1), with a global password
	// policy priority, under which the request's own settings are ignored.
	req, err := DecodeCreateUser(params(t, "InstanceId=idaas_abc&OrganizationalUnitIds.1=ou_2&"+
		"PasswordInitializationConfig.PasswordForcedUpdateStatus=enabled&PasswordInitializationConfig.UserNotificationChannels.1=sms&"+
		"PasswordInitializationConfig.PasswordInitializationPolicyPriority=global&PrimaryOrganizationalUnitId=ou_1&Username=bob&"+
		"CustomFields.1.FieldName=age&CustomFields.1.FieldValue=3&UserExternalId=hr-1&Description=d&Password=S3cure-pass!&ClientToken=tok-1"))
	if err != nil {
		t.Fatal(err)
	}
	c := req.Change
	if c.Attrs[eiam.AttrUsername] != "bob" || *c.PrimaryOUID != "ou_1" || !reflect.DeepEqual(*c.OUIDs, []string{"ou_2"}) ||
		c.Attrs[eiam.AttrExternalID] != "hr-1" || c.Attrs[eiam.AttrDescription] != "d" || *c.Password != "S3cure-pass!" ||
		req.ClientToken != "tok-1" || len(c.CustomFields) != 1 {
		t.Errorf("decoded %+v", req)
	}
	for _, tc := range []struct {
		query string
		code  eiam.Code
		field string
	}{
		{"InstanceId=i&PrimaryOrganizationalUnitId=o", eiam.ErrMissing, "Username"},
		{"InstanceId=i&Username=u", eiam.ErrMissing, "PrimaryOrganizationalUnitId"},
		{"InstanceId=i&Username=u&PrimaryOrganizationalUnitId=o&CustomFields.1.FieldName=a&CustomFields.1.FieldValue=1&CustomFields.1.Operation=add",
			eiam.ErrUnknownField, "CustomFields.1.Operation"},
		{"InstanceId=i&Username=u&PrimaryOrganizationalUnitId=o&PasswordInitializationConfig.PasswordForcedUpdateStatus=enabled",
			eiam.ErrInvalid, "PasswordInitializationConfig.PasswordForcedUpdateStatus"},
		{"InstanceId=i&Username=u&PrimaryOrganizationalUnitId=o&PasswordInitializationConfig.UserNotificationChannels.1=sms",
			eiam.ErrInvalid, "PasswordInitializationConfig.UserNotificationChannels"},
		{"InstanceId=i&Username=u&PrimaryOrganizationalUnitId=o&PasswordInitializationConfig.Other=1",
			eiam.ErrUnknownField, "PasswordInitializationConfig.Other"},
		{"InstanceId=i&Username=u&PrimaryOrganizationalUnitId=o&ClientToken=" + strings.Repeat("x", 65), eiam.ErrInvalid, "ClientToken"},
		{"InstanceId=i&Username=u&PrimaryOrganizationalUnitId=o&ClientToken=a%20b", eiam.ErrInvalid, "ClientToken"},
	} {
		_, err := DecodeCreateUser(params(t, tc.query))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.query, err, tc.code, tc.field)
		}
	}
}

func TestClientTokenUserID(t *testing.T) {
	a := ClientTokenUserID("idaas_1", "LTAI1", "tok")
	if a != ClientTokenUserID("idaas_1", "LTAI1", "tok") {
		t.Error("not deterministic")
	}
	for _, other := range []string{ClientTokenUserID("idaas_2", "LTAI1", "tok"), ClientTokenUserID("idaas_1", "LTAI2", "tok"), ClientTokenUserID("idaas_1", "LTAI1", "tok2")} {
		if other == a {
			t.Error("distinct tokens share an id")
		}
	}
	if !strings.HasPrefix(a, "user_") || len(a) != len(eiam.NewID("user")) {
		t.Errorf("id %q is not shaped like eiam's", a)
	}
}

func TestDecodeListUsers(t *testing.T) {
	req, err := DecodeListUsers(params(t, "InstanceId=i&PageNumber=2&PageSize=10&UsernameStartsWith=al&DisplayNameStartsWith=Al&"+
		"Email=a@b.cn&PhoneRegion=1&PhoneNumber=2025550100&UserExternalId=x&Status=disabled&UserIds.2=u2&UserIds.1=u1&"+
		"OrganizationalUnitId=ou&UserSourceType=build_in&UserSourceId=i"))
	if err != nil {
		t.Fatal(err)
	}
	want := &ListUsersRequest{
		InstanceID: "i",
		Query: eiam.UserQuery{Limit: 10, Offset: 10, UsernamePrefix: "al", DisplayNamePrefix: "Al", OUID: "ou",
			Status: eiam.StatusDisabled, IDs: []string{"u1", "u2"}, WithTotal: true},
		Email: "a@b.cn", Phone: "1 2025550100", ExternalID: "x",
	}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("got  %+v\nwant %+v", req, want)
	}
	req, err = DecodeListUsers(params(t, "InstanceId=i&MaxResults=5&NextToken=abc&UserSourceType=ding_talk"))
	if err != nil || !req.Cursor || req.Query.Limit != 5 || req.Query.After != "abc" || !req.None {
		t.Errorf("cursor paging: %+v %v", req, err)
	}
	for _, tc := range []struct{ query, field string }{
		{"InstanceId=i&PageSize=101", "PageSize"},
		{"InstanceId=i&PageNumber=0", "PageNumber"},
		{"InstanceId=i&MaxResults=5&PageSize=5", "PageNumber"},
		{"InstanceId=i&Status=locked", "Status"},
		{"InstanceId=i&PhoneRegion=86", "PhoneNumber"},
		{"InstanceId=i&Filter=x", "Filter"},
	} {
		if _, err := DecodeListUsers(params(t, tc.query)); eiam.AsError(err).Field != tc.field {
			t.Errorf("%s: got %v, want an error on %s", tc.query, err, tc.field)
		}
	}
}

func TestDecodeCreateCustomField(t *testing.T) {
	req, err := DecodeCreateCustomField(params(t, "InstanceId=i&EntityType=user&FieldName=level&FieldDisplayName=Level&"+
		"FieldDataType=string&FieldDisplayType=select&FieldDataConfig.Items.1.Value=a&FieldDataConfig.Items.1.DisplayName=A&"+
		"FieldDataConfig.Items.2.Value=b&FieldDataConfig.Items.2.Status=disabled&DefaultValue=a&Description=d&Required=true&"+
		"Unique=false&Encrypted=true&UserPermission=read_write"))
	if err != nil {
		t.Fatal(err)
	}
	want := &eiam.FieldDefinition{
		InstanceID: "i", Name: "level", DisplayName: "Level", DataType: eiam.TypeString, DisplayType: eiam.DisplaySelect,
		Items:        []eiam.FieldItem{{Value: "a", DisplayName: "A"}, {Value: "b", Disabled: true}},
		DefaultValue: "a", Description: "d", Required: true, Encrypted: true, UserPermission: eiam.PermReadWrite,
	}
	if !reflect.DeepEqual(req.Field, want) {
		t.Errorf("got  %+v\nwant %+v", req.Field, want)
	}
	for _, tc := range []struct{ query, field string }{
		{"InstanceId=i&FieldName=a&FieldDisplayName=A&FieldDataType=string&FieldDisplayType=input", "EntityType"},
		{"InstanceId=i&EntityType=group&FieldName=a&FieldDisplayName=A&FieldDataType=string&FieldDisplayType=input", "EntityType"},
		{"InstanceId=i&EntityType=user&FieldDisplayName=A&FieldDataType=string&FieldDisplayType=input", "FieldName"},
		{"InstanceId=i&EntityType=user&FieldName=a&FieldDisplayName=A&FieldDataType=string&FieldDisplayType=select&FieldDataConfig.Items.1.Value=x&DefaultValue=y", "DefaultValue"},
		{"InstanceId=i&EntityType=user&FieldName=a&FieldDisplayName=A&FieldDataType=string&FieldDisplayType=input&UserPermission=all", "UserPermission"},
		{"InstanceId=i&EntityType=user&FieldName=a&FieldDisplayName=A&FieldDataType=string&FieldDisplayType=select&FieldDataConfig.Items.1.Status=enabled", "FieldDataConfig.Items.1.Value"},
	} {
		if _, err := DecodeCreateCustomField(params(t, tc.query)); eiam.AsError(err).Field != tc.field {
			t.Errorf("%s: got %v, want an error on %s", tc.query, err, tc.field)
		}
	}
}

func TestEveryErrorKindIsMapped(t *testing.T) {
	for _, code := range eiam.Codes {
		m, ok := errorCodes[code]
		if !ok || m.code == "" || m.status < 400 {
			t.Errorf("kind %s has no RPC mapping", code)
		}
	}
	for _, tc := range []struct {
		err    *eiam.Error
		names  map[string]string
		status int
		code   string
	}{
		{eiam.Errorf(eiam.ErrMissing, "UserId", "required"), userNames, 400, "MissingParameter.UserId"},
		{eiam.Errorf(eiam.ErrMissing, "email_verified", "required_with", "attr", "email"), userNames, 400, "MissingParameter.EmailVerified"},
		{eiam.Errorf(eiam.ErrMissing, "CustomFields.3.FieldValue", "required"), userNames, 400, "MissingParameter.CustomFields"},
		{eiam.Errorf(eiam.ErrInvalid, "phone_number", "invalid_phone"), userNames, 400, "InvalidParameter.PhoneNumber"},
		{eiam.Errorf(eiam.ErrInvalid, "custom_fields.age", "not_a_number"), userNames, 400, "InvalidParameter.CustomFields"},
		{eiam.Errorf(eiam.ErrInvalid, "display_name", "too_long"), fieldDefNames, 400, "InvalidParameter.FieldDisplayName"},
		{eiam.Errorf(eiam.ErrUnknownField, "Nickname", "unknown_field"), userNames, 400, "InvalidParameter"},
		{eiam.Errorf(eiam.ErrCustomField, "custom_fields.age", "undeclared_field"), userNames, 400, "EntityNotExist.CustomField"},
		{eiam.Errorf(eiam.ErrCustomField, "custom_fields.age", "disabled_field"), userNames, 400, "InvalidParameter.CustomFields"},
		{eiam.Errorf(eiam.ErrUnknownClient, "", "unknown_client"), userNames, 404, "InvalidAccessKeyId.NotFound"},
		{eiam.Errorf(eiam.ErrForbidden, "", "forbidden"), userNames, 403, "Forbidden.RAM"},
		{eiam.Errorf(eiam.ErrNotFound, "user_id", "user_not_found"), userNames, 404, "ResourceNotFound.User"},
		{eiam.Errorf(eiam.ErrNotFound, "field_id", "not_found"), fieldDefNames, 404, "ResourceNotFound.CustomField"},
		{eiam.Errorf(eiam.ErrConflict, "username", "conflict"), userNames, 403, "ResourceDuplicated.Username"},
		{eiam.Errorf(eiam.ErrConflict, "email", "conflict"), userNames, 403, "ResourceDuplicated.Email"},
		{eiam.Errorf(eiam.ErrConflict, "name", "conflict"), fieldDefNames, 403, "ResourceDuplicated.FieldName"},
		{eiam.Errorf(eiam.ErrSignature, "", "forbidden"), userNames, 400, "SignatureDoesNotMatch"},
		{eiam.Errorf(eiam.ErrRateLimited, "", "rate_limited"), userNames, 400, "Throttling.User"},
		{eiam.Errorf(eiam.ErrInternal, "", "internal"), userNames, 500, "InternalError"},
	} {
		if m := mapError(tc.err, tc.names); m.status != tc.status || m.code != tc.code {
			t.Errorf("%v → %+v; want %d %s", tc.err, m, tc.status, tc.code)
		}
	}
}

func TestMessages(t *testing.T) {
	for _, tc := range []struct {
		err  *eiam.Error
		lang i18n.Lang
		want string
	}{
		// The seed's documented message, word for word.
		{eiam.Errorf(eiam.ErrConflict, "username", "conflict", "field", "username"), i18n.English,
			"The specified resource: Username already exist."},
		// As the directory reports it: on the flag.
		{eiam.Errorf(eiam.ErrMissing, "phone_number_verified", "required_with", "attr", "phone_number"), i18n.English,
			"Parameter PhoneNumberVerified is required when PhoneNumber is given."},
		{eiam.Errorf(eiam.ErrMissing, "UserId", "required"), i18n.Chinese, "参数 UserId 不能为空。"},
		{eiam.Errorf(eiam.ErrCustomField, "custom_fields.age", "undeclared_field"), i18n.English,
			"Custom field age is not defined in this instance."},
	} {
		if got := i18n.MessageAll(tc.lang, renamed(tc.err, userNames)); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
}

// FuzzParams feeds arbitrary query strings through every decoder: none may
// panic, report an internal error, or decode more entries than the bound.
func FuzzParams(f *testing.F) {
	for _, s := range []string{
		"InstanceId=i&UserId=u&CustomFields.1.FieldName=a&CustomFields.1.FieldValue=1&CustomFields.1.Operation=add",
		"InstanceId=i&UserId=u&CustomFields.99999999999999999999.FieldName=a",
		`InstanceId=i&UserId=u&CustomFields=[{"FieldName":"a","FieldValue":"1"}]`,
		"InstanceId=i&Username=u&PrimaryOrganizationalUnitId=o&OrganizationalUnitIds.2=x&PasswordInitializationConfig.UserNotificationChannels.1=sms",
		"InstanceId=i&UserIds.1=a&MaxResults=3&NextToken=x",
		"InstanceId=i&EntityType=user&FieldName=a&FieldDataConfig.Items.1.Value=v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		m := map[string]string{}
		for k, vs := range v {
			m[k] = vs[0]
		}
		check := func(err error) {
			if err != nil && eiam.AsError(err).Code == eiam.ErrInternal {
				t.Fatalf("internal error: %v", err)
			}
		}
		up, err := DecodeUpdateUser(m)
		check(err)
		if err == nil && len(up.Change.CustomFields) > MaxListIndex {
			t.Fatalf("%d custom field operations", len(up.Change.CustomFields))
		}
		_, err = DecodeCreateUser(m)
		check(err)
		_, err = DecodeListUsers(m)
		check(err)
		_, err = DecodeCreateCustomField(m)
		check(err)
		_, err = DecodeUserRequest(m)
		check(err)
	})
}
