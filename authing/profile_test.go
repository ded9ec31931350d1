package authing

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// seedExample is the body of seed 001's sample code (updateProfile with its
// customData), as the SDK serializes it.
const seedExample = `{"name":"xxxx","nickname":"xxxx","photo":"https://files.authing.co/authing-console/default-user-avatar.png","birthdate":"2022-06-03","country":"CN","province":"BJ","city":"BJ","address":"xxxxxxx","streetAddress":"xxx street","postalCode":"438100","customData":{"school":"xxx","age":22}}`

func TestDecodeSeedExample(t *testing.T) {
	c, err := DecodeUpdateProfile([]byte(seedExample))
	if err != nil {
		t.Fatal(err)
	}
	want := map[eiam.Attribute]string{
		eiam.AttrName: "xxxx", eiam.AttrNickname: "xxxx",
		eiam.AttrPicture:   "https://files.authing.co/authing-console/default-user-avatar.png",
		eiam.AttrBirthdate: "2022-06-03", eiam.AttrCountry: "CN", eiam.AttrRegion: "BJ", eiam.AttrLocality: "BJ",
		eiam.AttrAddress: "xxxxxxx", eiam.AttrStreetAddress: "xxx street", eiam.AttrPostalCode: "438100",
	}
	if !reflect.DeepEqual(c.Attrs, want) {
		t.Errorf("attrs = %v\nwant    %v", c.Attrs, want)
	}
	wantOps := []eiam.CustomFieldOp{
		{Name: "school", Value: "xxx", Op: eiam.OpReplace, Path: "customData.school"},
		{Name: "age", Value: "22", Op: eiam.OpReplace, Path: "customData.age"},
	}
	if !reflect.DeepEqual(c.CustomFields, wantOps) {
		t.Errorf("custom fields = %+v, want %+v", c.CustomFields, wantOps)
	}
	if c.Password != nil || c.Status != nil || c.Flags != nil {
		t.Error("a profile update decoded into a password, status or flag change")
	}
}

// TestDecodeEveryProfileMember checks each member of update-profile lands on
// its canonical attribute, and that the seed's table is covered.
func TestDecodeEveryProfileMember(t *testing.T) {
	for _, tc := range []struct {
		member, value string
		attr          eiam.Attribute
		want          string
	}{
		{"name", "Zhang San", eiam.AttrName, "Zhang San"},
		{"nickname", "Zhang San", eiam.AttrNickname, "Zhang San"},
		{"photo", "https://files.authing.co/a.png", eiam.AttrPicture, "https://files.authing.co/a.png"},
		{"externalId", "10010", eiam.AttrExternalID, "10010"},
		{"birthdate", "2022-06-03", eiam.AttrBirthdate, "2022-06-03"},
		{"country", "CN", eiam.AttrCountry, "CN"},
		{"province", "BJ", eiam.AttrRegion, "BJ"},
		{"city", "BJ", eiam.AttrLocality, "BJ"},
		{"address", "Beijing Chaoyang", eiam.AttrAddress, "Beijing Chaoyang"},
		{"streetAddress", "xxx street", eiam.AttrStreetAddress, "xxx street"},
		{"postalCode", "438100", eiam.AttrPostalCode, "438100"},
		{"gender", "M", eiam.AttrGender, eiam.GenderMale},
		{"gender", "F", eiam.AttrGender, eiam.GenderFemale},
		{"gender", "U", eiam.AttrGender, eiam.GenderUnknown},
		{"username", "bob", eiam.AttrUsername, "bob"},
		{"company", "steamory", eiam.AttrCompany, "steamory"},
		{"identityNumber", "420421xxxxxxxx1234", eiam.AttrIdentityNumber, "420421xxxxxxxx1234"},
		{"givenName", "San", eiam.AttrGivenName, "San"},
		{"familyName", "Zhang", eiam.AttrFamilyName, "Zhang"},
		{"middleName", "James", eiam.AttrMiddleName, "James"},
		{"profile", "https://example.com/alice", eiam.AttrProfile, "https://example.com/alice"},
		{"preferredUsername", "alice", eiam.AttrPreferredName, "alice"},
		{"website", "https://my-website.com", eiam.AttrWebsite, "https://my-website.com"},
		{"zoneinfo", "Asia/Shanghai", eiam.AttrZoneinfo, "Asia/Shanghai"},
		{"locale", "zh-CN", eiam.AttrLocale, "zh-CN"},
		{"formatted", "132, My Street", eiam.AttrAddress, "132, My Street"},
		{"region", "Xinjiang", eiam.AttrRegion, "Xinjiang"},
	} {
		body, _ := json.Marshal(map[string]string{tc.member: tc.value})
		c, err := DecodeUpdateProfile(body)
		if err != nil {
			t.Errorf("%s: %v", tc.member, err)
			continue
		}
		if len(c.Attrs) != 1 || c.Attrs[tc.attr] != tc.want {
			t.Errorf("%s=%q decoded to %v, want %s=%q", tc.member, tc.value, c.Attrs, tc.attr, tc.want)
		}
	}
	// Every member of the seed's request table is accepted.
	for _, m := range []string{"name", "nickname", "photo", "externalId", "birthdate", "country", "province", "city",
		"address", "streetAddress", "postalCode", "gender", "username", "company", "identityNumber"} {
		if _, ok := profileAttrs[m]; !ok {
			t.Errorf("seed member %s is not accepted", m)
		}
	}
}

func TestDecodeClears(t *testing.T) {
	c, err := DecodeUpdateProfile([]byte(`{"nickname":null,"company":"","gender":null,"customData":{"age":null,"school":""}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []eiam.Attribute{eiam.AttrNickname, eiam.AttrCompany, eiam.AttrGender} {
		if v, ok := c.Attrs[a]; !ok || v != "" {
			t.Errorf("%s = %q, %v; want an explicit clear", a, v, ok)
		}
	}
	for _, op := range c.CustomFields {
		if op.Value != "" || op.Op != eiam.OpReplace {
			t.Errorf("custom op %+v is not a clear", op)
		}
	}
}

func TestDecodeCustomDataArrays(t *testing.T) {
	c, err := DecodeUpdateProfile([]byte(`{"customData":{"tags":["a","b",3],"none":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []eiam.CustomFieldOp{
		{Name: "tags", Value: "a", Op: eiam.OpReplace, Path: "customData.tags[0]"},
		{Name: "tags", Value: "b", Op: eiam.OpAdd, Path: "customData.tags[1]"},
		{Name: "tags", Value: "3", Op: eiam.OpAdd, Path: "customData.tags[2]"},
		{Name: "none", Value: "", Op: eiam.OpReplace, Path: "customData.none"},
	}
	if !reflect.DeepEqual(c.CustomFields, want) {
		t.Errorf("ops = %+v\nwant  %+v", c.CustomFields, want)
	}
	defs := []*eiam.FieldDefinition{
		{Name: "tags", DataType: eiam.TypeString, DisplayType: eiam.DisplayCheckbox},
		{Name: "single", DataType: eiam.TypeString, DisplayType: eiam.DisplayInput},
	}
	if err := checkCustomData(c, defs); err != nil {
		t.Errorf("array for a checkbox field refused: %v", err)
	}
	c, _ = DecodeUpdateProfile([]byte(`{"customData":{"single":["a","b"]}}`))
	err = checkCustomData(c, defs)
	if e := eiam.AsError(err); err == nil || e.Code != eiam.ErrInvalid || e.Field != "customData.single" {
		t.Errorf("array for a single-valued field: got %v", err)
	}
}

func TestDecodeUpdateProfileRejects(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       eiam.Code
		field      string
	}{
		{"email has its own endpoint", `{"email":"a@example.com"}`, eiam.ErrUnknownField, "email"},
		{"phone has its own endpoint", `{"phone":"13800138000"}`, eiam.ErrUnknownField, "phone"},
		{"phone code", `{"phoneCountryCode":"+86"}`, eiam.ErrUnknownField, "phoneCountryCode"},
		{"password has its own endpoint", `{"password":"S3cure-pass!"}`, eiam.ErrUnknownField, "password"},
		{"no other user", `{"userId":"user_other","nickname":"x"}`, eiam.ErrUnknownField, "userId"},
		{"no status", `{"status":"Suspended"}`, eiam.ErrUnknownField, "status"},
		{"no verified flag", `{"emailVerified":true}`, eiam.ErrUnknownField, "emailVerified"},
		{"unsupported member", `{"browser":"x"}`, eiam.ErrUnknownField, "browser"},
		{"unknown member", `{"nick_name":"x"}`, eiam.ErrUnknownField, "nick_name"},
		{"wrong type", `{"name":12}`, eiam.ErrInvalid, "name"},
		{"wrong type array", `{"name":["a"]}`, eiam.ErrInvalid, "name"},
		{"gender letters only", `{"gender":"male"}`, eiam.ErrInvalid, "gender"},
		{"customData not an object", `{"customData":"school"}`, eiam.ErrInvalid, "customData"},
		{"customData nested object", `{"customData":{"a":{"b":1}}}`, eiam.ErrInvalid, "customData.a"},
		{"customData array of objects", `{"customData":{"a":[{"b":1}]}}`, eiam.ErrInvalid, "customData.a[0]"},
		{"customData array with null", `{"customData":{"a":["x",null]}}`, eiam.ErrInvalid, "customData.a[1]"},
		{"customData duplicate key", `{"customData":{"a":1,"a":2}}`, eiam.ErrInvalid, "customData.a"},
		{"alias disagrees", `{"address":"a","formatted":"b"}`, eiam.ErrInvalid, "formatted"},
		{"invalid UTF-8", "{\"name\":\"\xff\"}", eiam.ErrInvalid, "body"},
		{"not an object", `["name"]`, eiam.ErrInvalid, "body"},
		{"truncated", `{"name":"a"`, eiam.ErrInvalid, "body"},
		{"trailing data", `{"name":"a"} {}`, eiam.ErrInvalid, "body"},
		{"duplicate key", `{"name":"a","name":"b"}`, eiam.ErrInvalid, "name"},
	} {
		_, err := DecodeUpdateProfile([]byte(tc.body))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: %s: got %v, want %s on %s", tc.name, tc.body, err, tc.code, tc.field)
		}
	}
	// Every violation is reported, not only the first.
	_, err := DecodeUpdateProfile([]byte(`{"email":"a@b.c","phone":"1","name":3}`))
	if n := len(eiam.Violations(err)); n != 3 {
		t.Errorf("got %d violations, want 3: %v", n, err)
	}
	// An alias that agrees is fine.
	if _, err := DecodeUpdateProfile([]byte(`{"address":"a","formatted":"a","province":"BJ","region":"BJ"}`)); err != nil {
		t.Errorf("agreeing aliases refused: %v", err)
	}
}

// fullUser has every attribute, flag and kind of custom field set.
func fullUser() (*eiam.User, []*eiam.FieldDefinition) {
	at := time.Date(2022, 7, 3, 3, 20, 30, 0, time.UTC)
	u := &eiam.User{
		InstanceID: "idaas_test", ID: "user_6229ffa", Version: 3, Status: eiam.StatusEnabled,
		Attrs: map[eiam.Attribute]string{
			eiam.AttrUsername: "bob", eiam.AttrName: "Zhang San", eiam.AttrNickname: "xxxx",
			eiam.AttrPicture: "https://files.authing.co/a.png", eiam.AttrExternalID: "10010", eiam.AttrGender: eiam.GenderMale,
			eiam.AttrBirthdate: "2022-06-03", eiam.AttrCountry: "CN", eiam.AttrRegion: "BJ", eiam.AttrLocality: "BJ",
			eiam.AttrAddress: "Beijing Chaoyang", eiam.AttrStreetAddress: "xxx Street", eiam.AttrPostalCode: "438100",
			eiam.AttrCompany: "steamory", eiam.AttrGivenName: "San", eiam.AttrFamilyName: "Zhang", eiam.AttrMiddleName: "James",
			eiam.AttrProfile: "https://example.com/alice", eiam.AttrPreferredName: "alice", eiam.AttrWebsite: "https://my-website.com",
			eiam.AttrZoneinfo: "Asia/Shanghai", eiam.AttrLocale: "zh-CN", eiam.AttrIdentityNumber: "420421xxxxxxxx1234",
			eiam.AttrEmail: "test@example.com", eiam.AttrPhoneRegion: "86", eiam.AttrPhoneNumber: "18800008888",
		},
		EmailVerified: true, PhoneVerified: true,
		CustomFields: map[string][]string{
			"school": {"Peking University"}, "age": {"22"}, "vip": {"true"}, "hobbies": {"go", "tea"},
			"joined": {"2020-01-02"}, "secret_note": {"hidden"}, "odd_number": {"+5"}, "retired": {"x"},
		},
		PasswordChangedAt: at, PrimaryOUID: "ou_root", OUIDs: []string{"ou_rd"}, CreatedAt: at, UpdatedAt: at.Add(time.Hour),
	}
	defs := []*eiam.FieldDefinition{
		{Name: "school", DataType: eiam.TypeString, UserPermission: eiam.PermReadWrite},
		{Name: "age", DataType: eiam.TypeNumber, UserPermission: eiam.PermReadWrite},
		{Name: "vip", DataType: eiam.TypeBoolean, UserPermission: eiam.PermReadOnly},
		{Name: "hobbies", DataType: eiam.TypeString, DisplayType: eiam.DisplayCheckbox, UserPermission: eiam.PermReadWrite},
		{Name: "joined", DataType: eiam.TypeDate, UserPermission: eiam.PermReadOnly},
		{Name: "secret_note", DataType: eiam.TypeString, UserPermission: eiam.PermHide},
		{Name: "odd_number", DataType: eiam.TypeNumber, UserPermission: eiam.PermReadOnly},
		{Name: "retired", DataType: eiam.TypeString, UserPermission: eiam.PermReadWrite, Disabled: true},
	}
	return u, defs
}

// TestEncodeUserGolden checks the whole UserDto of a user with everything
// set against testdata/userdto.golden (go test -update rewrites it).
func TestEncodeUserGolden(t *testing.T) {
	u, defs := fullUser()
	got, err := json.MarshalIndent(EncodeUser(u, defs, View{CustomData: true, Identities: true, DepartmentIDs: true}), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "userdto.golden", got)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestEncodeUser(t *testing.T) {
	u, defs := fullUser()
	enc := func(u *eiam.User, v View) map[string]any {
		var m map[string]any
		b, _ := json.Marshal(EncodeUser(u, defs, v))
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := enc(u, View{})
	for k, want := range map[string]any{
		"status": "Activated", "workStatus": "Active", "gender": "M", "phoneCountryCode": "+86", "phone": "18800008888",
		"createdAt": "2022-07-03T03:20:30.000Z", "updatedAt": "2022-07-03T04:20:30.000Z", "emailVerified": true,
		"province": "BJ", "region": "BJ", "address": "Beijing Chaoyang", "formatted": "Beijing Chaoyang", "userSourceType": "adminCreated",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	for _, k := range []string{"customData", "identities", "departmentIds", "postIdList"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s returned without its flag", k)
		}
	}
	// Every member a write accepts is read back under the same name.
	for _, n := range append(append([]attrName{}, profileNames...), adminNames...) {
		if _, ok := m[n.wire]; !ok {
			t.Errorf("member %s is not returned", n.wire)
		}
	}

	m = enc(u, View{CustomData: true, DepartmentIDs: true, Identities: true, Posts: true})
	cd, _ := m["customData"].(map[string]any)
	want := map[string]any{
		"school": "Peking University", "age": json.Number("22"), "vip": true,
		"hobbies": []any{"go", "tea"}, "joined": "2020-01-02", "odd_number": "+5",
	}
	if !reflect.DeepEqual(cd, want) {
		t.Errorf("customData = %#v\nwant %#v", cd, want)
	}
	if ids, _ := m["departmentIds"].([]any); len(ids) != 2 || ids[0] != "ou_root" || ids[1] != "ou_rd" {
		t.Errorf("departmentIds = %v", m["departmentIds"])
	}
	if ids, ok := m["identities"].([]any); !ok || len(ids) != 0 {
		t.Errorf("identities = %#v, want []", m["identities"])
	}

	// An administrator also sees hidden fields; flat puts them on top.
	m = enc(u, View{FlatCustomData: true, Admin: true})
	if m["secret_note"] != "hidden" || m["school"] != "Peking University" || m["customData"] != nil {
		t.Errorf("flat admin view: secret_note=%v school=%v customData=%v", m["secret_note"], m["school"], m["customData"])
	}

	// Status and gender defaults, unset attributes as null.
	bare := &eiam.User{ID: "user_x", Status: eiam.StatusDisabled, Attrs: map[eiam.Attribute]string{eiam.AttrUsername: "x"},
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	m = enc(bare, View{})
	if m["status"] != "Suspended" || m["gender"] != "U" || m["email"] != nil || m["phoneCountryCode"] != nil || m["passwordLastSetAt"] != nil {
		t.Errorf("bare user: status=%v gender=%v email=%v code=%v pwd=%v", m["status"], m["gender"], m["email"], m["phoneCountryCode"], m["passwordLastSetAt"])
	}
	if v, ok := m["nickname"]; !ok || v != nil {
		t.Errorf("unset nickname = %v, %v; want null", v, ok)
	}
}

// TestProfileRoundTrip writes each update-profile member through the
// decoder, applies it the way the directory stores it, and reads it back
// through the encoder under the same name (spec §2: a value written can be
// read back through the same door).
func TestProfileRoundTrip(t *testing.T) {
	values := map[string]string{
		"photo": "https://example.com/p.png", "profile": "https://example.com/me", "website": "https://example.com",
		"birthdate": "2001-02-03", "gender": "F", "zoneinfo": "Asia/Shanghai", "locale": "en-US",
	}
	for _, n := range profileNames {
		v := values[n.wire]
		if v == "" {
			v = "value of " + n.wire
		}
		body, _ := json.Marshal(map[string]string{n.wire: v})
		c, err := DecodeUpdateProfile(body)
		if err != nil {
			t.Fatalf("%s: %v", n.wire, err)
		}
		u := &eiam.User{Attrs: map[eiam.Attribute]string{}}
		for a, x := range c.Attrs {
			u.Attrs[a] = x
		}
		if got := EncodeUser(u, nil, View{})[n.wire]; got != v {
			t.Errorf("%s: wrote %q, read back %v", n.wire, v, got)
		}
	}
}

func TestRenamedErrors(t *testing.T) {
	e := eiam.Join([]*eiam.Error{
		eiam.Errorf(eiam.ErrInvalid, "address.locality", "too_long", "max", 128),
		eiam.Errorf(eiam.ErrMissing, "email_verified", "required_with", "attr", "address.locality"),
		eiam.Errorf(eiam.ErrCustomField, "custom_fields.age", "undeclared_field"),
		eiam.Errorf(eiam.ErrInvalid, "address.region", "too_long", "max", 128),
	})
	r := renamed(eiam.AsError(e))
	got := []string{r.Field}
	for _, v := range r.Errs {
		got = append(got, v.Field)
	}
	if want := "city city emailVerified customData.age province"; strings.Join(got, " ") != want {
		t.Errorf("fields = %v, want %s", got, want)
	}
	if r.Errs[1].Args["attr"] != "city" {
		t.Errorf("attr arg = %v", r.Errs[1].Args["attr"])
	}
	if eiam.AsError(e).Field != "address.locality" || eiam.AsError(e).Errs[1].Args["attr"] != "address.locality" {
		t.Error("renamed modified its argument")
	}
}

func FuzzDecodeUpdateProfile(f *testing.F) {
	f.Add([]byte(seedExample))
	f.Add([]byte(`{"nickname":"Bobby","gender":"M","customData":{"school":"PKU"}}`))
	f.Add([]byte(`{"customData":{"a":[1,"x",true],"b":null,"c":[]},"formatted":"a","address":"a"}`))
	f.Add([]byte(`{"email":"a@b.c","name":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeUpdateProfile(b)
		if err != nil {
			for _, v := range eiam.Violations(err) {
				if v.Code == eiam.ErrInternal || v.Key == "" {
					t.Fatalf("decoder error without a kind or message: %v", err)
				}
			}
			return
		}
		for a := range c.Attrs {
			switch a {
			case eiam.AttrEmail, eiam.AttrPhoneNumber, eiam.AttrPhoneRegion:
				t.Fatalf("self-service body decoded into %s", a)
			}
			found := false
			for _, n := range profileNames {
				found = found || n.attr == a
			}
			if !found {
				t.Fatalf("decoded attribute %s that update-profile does not define", a)
			}
		}
		if c.Password != nil || c.Flags != nil || c.Status != nil || c.PrimaryOUID != nil || c.OUIDs != nil {
			t.Fatal("a self-service body decoded into a password, flag, status or unit change")
		}
	})
}
