package alibabarpc_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/storetest"
)

// akA may do everything, in instance A only.
const akA = "LTAI5tAlpha0000001"

// TestBadInputChangesNothing sends requests that must be refused — an
// access key of instance A naming instance B, or naming B's users, units
// and fields through A; malformed parameters and bodies — and checks that
// each is answered with the RPC error envelope (never a 500) and that none
// changed a user or a definition or wrote an audit record or event.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.store.PutAccessKey(ctx, &eiam.AccessKey{ID: akA, Secret: akSecret, Actions: []string{"eiam:*"}, Instances: []string{instA}}); err != nil {
		t.Fatal(err)
	}
	fieldB := &eiam.FieldDefinition{InstanceID: instB, Name: "badge", DisplayName: "Badge", DataType: eiam.TypeString}
	if err := e.dir.PutField(ctx, fieldB); err != nil {
		t.Fatal(err)
	}
	instanceB, err := e.store.GetInstance(ctx, instB)
	if err != nil {
		t.Fatal(err)
	}
	rootB := instanceB.RootOUID

	snap := storetest.TakeSnapshot(t, e.store, instA, instB)
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	inA := func(kv ...string) map[string]string { return p(append([]string{"InstanceId", instA}, kv...)...) }
	inB := func(kv ...string) map[string]string { return p(append([]string{"InstanceId", instB}, kv...)...) }
	const (
		forbidden = "Forbidden.RAM"
		noUser    = "ResourceNotFound.User"
		noField   = "ResourceNotFound.CustomField"
	)
	for _, tc := range []struct {
		name   string
		style  style
		action string
		params map[string]string
		ak     string
		status int
		code   string
	}{
		// A key limited to instance A, naming instance B.
		{"update in B", v3Query, "UpdateUser", inB("UserId", e.userB.ID, "DisplayName", "owned"), akA, 403, forbidden},
		{"create in B", v1Get, "CreateUser", inB("Username", "mallory", "PrimaryOrganizationalUnitId", rootB), akA, 403, forbidden},
		{"delete in B", v1Form, "DeleteUser", inB("UserId", e.userB.ID), akA, 403, forbidden},
		{"disable in B", v3Query, "DisableUser", inB("UserId", e.userB.ID), akA, 403, forbidden},
		{"enable in B", v3Query, "EnableUser", inB("UserId", e.userB.ID), akA, 403, forbidden},
		{"read in B", v1Get, "GetUser", inB("UserId", e.userB.ID), akA, 403, forbidden},
		{"list B", v1LegacyGet, "ListUsers", inB(), akA, 403, forbidden},
		{"create a field in B", v3Query, "CreateCustomField", inB("EntityType", "user", "FieldName", "x", "FieldDisplayName", "X", "FieldDataType", "string", "FieldDisplayType", "input"), akA, 403, forbidden},
		{"delete B's field in B", v3Query, "DeleteCustomField", inB("FieldId", fieldB.ID), akA, 403, forbidden},
		{"disable B's field in B", v1Get, "DisableCustomField", inB("FieldId", fieldB.ID), akA, 403, forbidden},

		// B's ids through instance A.
		{"B's user updated through A", v3Query, "UpdateUser", inA("UserId", e.userB.ID, "DisplayName", "owned"), akA, 404, noUser},
		{"B's user emptily updated through A", v3Query, "UpdateUser", inA("UserId", e.userB.ID), akA, 404, noUser},
		{"B's user deleted through A", v1Form, "DeleteUser", inA("UserId", e.userB.ID), akA, 404, noUser},
		{"B's user disabled through A", v1Get, "DisableUser", inA("UserId", e.userB.ID), akA, 404, noUser},
		{"B's user enabled through A", v1Get, "EnableUser", inA("UserId", e.userB.ID), akA, 404, noUser},
		{"B's user read through A", v3Query, "GetUser", inA("UserId", e.userB.ID), akA, 404, noUser},
		{"B's user updated through A, wildcard key", v3Query, "UpdateUser", inA("UserId", e.userB.ID, "DisplayName", "owned"), akFull, 404, noUser},
		{"B's field read through A", v3Query, "GetCustomField", inA("FieldId", fieldB.ID), akA, 404, noField},
		{"B's field deleted through A", v3Query, "DeleteCustomField", inA("FieldId", fieldB.ID), akA, 404, noField},
		{"B's field disabled through A", v1Get, "DisableCustomField", inA("FieldId", fieldB.ID), akA, 404, noField},
		{"B's field name used in A", v3Query, "UpdateUser", inA("UserId", e.user.ID, "CustomFields.1.FieldName", "badge", "CustomFields.1.FieldValue", "x"), akA, 400, "EntityNotExist.CustomField"},
		{"B's unit as primary in A", v3Query, "CreateUser", inA("Username", "mallory", "PrimaryOrganizationalUnitId", rootB), akA, 400, "InvalidParameter.OrganizationalUnitId"},
		{"B's unit as another unit in A", v3Query, "CreateUser", inA("Username", "mallory", "PrimaryOrganizationalUnitId", e.ou, "OrganizationalUnitIds.1", rootB), akA, 400, "InvalidParameter.OrganizationalUnitId"},

		// Malformed values.
		{"invalid UTF-8", v1Get, "UpdateUser", inA("UserId", e.user.ID, "DisplayName", "a\xffb"), akA, 400, "InvalidParameter.DisplayName"},
		{"invalid UTF-8 in a form body", v1Form, "UpdateUser", inA("UserId", e.user.ID, "DisplayName", "\xc3("), akA, 400, "InvalidParameter.DisplayName"},
		{"invalid UTF-8 in a custom field", v3Query, "UpdateUser", inA("UserId", e.user.ID, "CustomFields.1.FieldName", "nick_name", "CustomFields.1.FieldValue", "\xff"), akA, 400, "InvalidParameter.CustomFields"},
		{"invalid UTF-8 in a username", v3Query, "CreateUser", inA("Username", "m\xffy", "PrimaryOrganizationalUnitId", e.ou), akA, 400, "InvalidParameter.Username"},
		{"control character", v3Query, "UpdateUser", inA("UserId", e.user.ID, "DisplayName", "a\x00b"), akA, 400, "InvalidParameter.DisplayName"},
		{"boolean not a boolean", v1Get, "UpdateUser", inA("UserId", e.user.ID, "PhoneNumberVerified", "1"), akA, 400, "InvalidParameter.PhoneNumberVerified"},
		{"page size not a number", v1Get, "ListUsers", inA("PageSize", "ten"), akA, 400, "InvalidParameter.PageSize"},
		{"field flag not a boolean", v3Query, "CreateCustomField", inA("EntityType", "user", "FieldName", "x", "FieldDisplayName", "X", "FieldDataType", "string", "FieldDisplayType", "input", "Required", "maybe"), akA, 400, "InvalidParameter.Required"},
		{"unknown parameter on create", v3Query, "CreateUser", inA("Username", "mallory", "PrimaryOrganizationalUnitId", e.ou, "Status", "enabled"), akA, 400, "InvalidParameter"},
		{"unknown custom field member", v3Query, "UpdateUser", inA("UserId", e.user.ID, "CustomFields.1.FieldName", "age", "CustomFields.1.FieldValue", "1", "CustomFields.1.Op", "add"), akA, 400, "InvalidParameter"},
		{"invalid UTF-8 instance", v3Query, "UpdateUser", p("InstanceId", "idaas_\xff", "UserId", e.user.ID, "DisplayName", "owned"), akFull, 404, noUser},
		{"oversized value", v1Form, "UpdateUser", inA("UserId", e.user.ID, "DisplayName", strings.Repeat("x", 2000)), akA, 400, "InvalidParameter.DisplayName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.do(call{style: tc.style, action: tc.action, params: tc.params, ak: tc.ak}), tc.status, tc.code)
		})
	}

	// B's users are not listed through A, even when named.
	r := e.do(call{action: "ListUsers", params: inA("UserIds.1", e.userB.ID), ak: akA})
	if r.status != 200 || r.body["TotalCount"] != float64(0) {
		t.Errorf("ListUsers of B's id through A: %d %s", r.status, r.raw)
	}

	// Bodies the API does not read, or cannot.
	t.Run("oversized body", func(t *testing.T) {
		hr := e.request(call{style: v1Form, action: "UpdateUser", params: inA("UserId", e.user.ID, "Description", strings.Repeat("x", 1<<20)), ak: akA})
		r := e.send(hr)
		if r.status != 400 || !strings.HasPrefix(r.body["Code"].(string), "InvalidParameter") {
			t.Errorf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("too many parameters", func(t *testing.T) {
		params := inA("UserId", e.user.ID)
		for i := 1; i <= 5001; i++ {
			params["UserIds."+strconv.Itoa(i)] = "u"
		}
		r := e.do(call{style: v1Form, action: "ListUsers", params: params, ak: akA})
		if r.status != 400 || !strings.HasPrefix(r.body["Code"].(string), "InvalidParameter") {
			t.Errorf("got %d %.300s", r.status, r.raw)
		}
	})
	t.Run("JSON body", func(t *testing.T) {
		hr := e.request(call{action: "UpdateUser", params: inA("UserId", e.user.ID), ak: akA})
		hr.Body = http.NoBody
		req, err := http.NewRequest("POST", hr.URL.String(), strings.NewReader(`{"DisplayName":"owned"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = hr.Header.Clone()
		req.Header.Set("Content-Type", "application/json")
		wantError(t, e.send(req), 400, "InvalidParameter")
	})
	t.Run("repeated parameter", func(t *testing.T) {
		hr := e.request(call{style: v1Get, action: "UpdateUser", params: inA("UserId", e.user.ID, "DisplayName", "one"), ak: akA})
		hr.URL.RawQuery += "&DisplayName=two"
		r := e.send(hr)
		if r.status != 400 {
			t.Errorf("got %d %s", r.status, r.raw)
		}
	})
	snap.Unchanged(t)
}
