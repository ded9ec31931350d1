package directory

import (
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam"
)

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestValidateAttr(t *testing.T) {
	for _, tc := range []struct {
		attr    eiam.Attribute
		value   string
		wantKey string // "" = valid
	}{
		{eiam.AttrUsername, "zhangsan", ""},
		{eiam.AttrUsername, "alice.w@x-1_2", ""},
		{eiam.AttrUsername, "张三", "invalid_username"},
		{eiam.AttrUsername, "a b", "invalid_username"},
		{eiam.AttrUsername, strings.Repeat("a", 256), ""},
		{eiam.AttrUsername, strings.Repeat("a", 257), "too_long"},
		{eiam.AttrDisplayName, strings.Repeat("张", 128), ""},
		{eiam.AttrDisplayName, strings.Repeat("张", 129), "too_long"},
		{eiam.AttrDisplayName, "tab\there", "control_chars"},
		{eiam.AttrDisplayName, "nul\x00", "control_chars"},
		{eiam.AttrDisplayName, "bad\xffutf8", "invalid_utf8"},
		{eiam.AttrDisplayName, "line\u2028sep", "control_chars"},
		{eiam.AttrEmail, "zhangsan@example.com", ""},
		{eiam.AttrEmail, "first.last+tag@mail.example.cn", ""},
		{eiam.AttrEmail, "no-at-sign", "invalid_email"},
		{eiam.AttrEmail, "a@b", "invalid_email"},
		{eiam.AttrEmail, "a..b@example.com", "invalid_email"},
		{eiam.AttrEmail, "\"quoted\"@example.com", "invalid_email"},
		{eiam.AttrEmail, "a@-example.com", "invalid_email"},
		{eiam.AttrEmail, strings.Repeat("a", 61) + "@" + strings.Repeat("b", 63) + ".com", "too_long"},
		{eiam.AttrPicture, "https://thirdwx.qlogo.cn/mmopen/x.png", ""},
		{eiam.AttrPicture, "javascript:alert(1)", "invalid_url"},
		{eiam.AttrPicture, "ftp://example.com/x", "invalid_url"},
		{eiam.AttrPicture, "https://user:pw@example.com/", "invalid_url"},
		{eiam.AttrGender, "male", ""},
		{eiam.AttrGender, "unknow", "invalid_enum"},
		{eiam.AttrBirthdate, "2022-02-17", ""},
		{eiam.AttrBirthdate, "2022-02-30", "invalid_date"},
		{eiam.AttrBirthdate, "2022-2-17", "invalid_date"},
		{eiam.AttrBirthdate, "2030-01-01", "date_not_past"},
		{eiam.AttrBirthdate, "1800-01-01", "date_not_past"},
		{eiam.AttrPhoneRegion, "86", ""},
		{eiam.AttrPhoneRegion, "+86", "invalid_phone_region"},
		{eiam.AttrPhoneRegion, "999", "invalid_phone_region"},
		{eiam.AttrPhoneNumber, "13800138000", ""},
		{eiam.AttrPhoneNumber, "12345", "invalid_format"},
		{eiam.AttrPhoneNumber, "138-0013", "invalid_format"},
		{eiam.AttrPhoneNumber, strings.Repeat("1", 16), "too_long"},
		{eiam.AttrLocale, "zh-CN", ""},
		{eiam.AttrLocale, "not a locale!", "invalid_locale"},
		{eiam.AttrZoneinfo, "Asia/Shanghai", ""},
		{eiam.AttrZoneinfo, "Mars/Olympus", "invalid_zoneinfo"},
		{eiam.AttrDescription, strings.Repeat("d", 257), "too_long"},
		{eiam.Attribute("favourite_colour"), "blue", "unknown_field"},
	} {
		e := validateAttr(tc.attr, tc.value, testNow)
		switch {
		case tc.wantKey == "" && e != nil:
			t.Errorf("%s=%q: unexpected %v", tc.attr, tc.value, e)
		case tc.wantKey != "" && (e == nil || e.Key != tc.wantKey):
			t.Errorf("%s=%q: got %v, want %s", tc.attr, tc.value, e, tc.wantKey)
		case e != nil && e.Field != string(tc.attr):
			t.Errorf("%s=%q: error names field %q", tc.attr, tc.value, e.Field)
		}
	}
}

var phoneCases = []struct {
	region, number string
	ok             bool
}{
	{"86", "13800138000", true},
	{"86", "10000000000", false}, // no Chinese mobile range starts with 10
	{"1", "2025550123", true},
	{"1", "0005550123", false},
	{"44", "7911123456", true},
	{"86", "1380013800", false},  // one digit short
	{"86", "013800138000", true}, // with the national prefix, which parsing strips
}

func TestValidPhoneUsesNumberingPlan(t *testing.T) {
	for _, tc := range phoneCases {
		if got := validPhone(tc.region, tc.number); got != tc.ok {
			t.Errorf("validPhone(+%s %s) = %v, want %v", tc.region, tc.number, got, tc.ok)
		}
	}
}

func TestPhoneMemoAnswersAsTheRule(t *testing.T) {
	memo := NewPhoneMemo(len(phoneCases) - 1)
	for round := range 2 {
		for _, tc := range phoneCases {
			if got := memo.validPhone(tc.region, tc.number); got != tc.ok {
				t.Errorf("round %d: memo says +%s %s valid=%v, want %v", round, tc.region, tc.number, got, tc.ok)
			}
		}
	}
	if len(memo.valid) != len(phoneCases)-1 {
		t.Errorf("memo holds %d numbers, want its limit %d", len(memo.valid), len(phoneCases)-1)
	}
	// A leading zero is part of the number: the two must not share a key.
	a, _ := keyOf("86", "13800138000")
	b, _ := keyOf("86", "013800138000")
	if a == b {
		t.Error("keyOf drops leading zeros")
	}
	if _, ok := keyOf("086", "13800138000"); ok {
		t.Error("a region with a leading zero got a key; it would share that of 86")
	}
	if memo.validPhone("086", "13800138000") || !memo.validPhone("86", "13800138000") {
		t.Error("+086 must stay invalid and +86 valid, whatever the memo saw first")
	}
	if _, ok := keyOf("86", "138-0013-8000"); ok {
		t.Error("a number with punctuation got a key; it must be validated every time")
	}
	var none *PhoneMemo
	if !none.validPhone("86", "13800138000") || none.validPhone("86", "10000000000") {
		t.Error("a nil memo must validate every number")
	}
}

func defsFor(fs ...*eiam.FieldDefinition) map[string]*eiam.FieldDefinition {
	m := map[string]*eiam.FieldDefinition{}
	for _, f := range fs {
		normalizeDefinition(f)
		m[f.Name] = f
	}
	return m
}

var (
	fieldAge    = &eiam.FieldDefinition{Name: "age", DataType: eiam.TypeNumber, UserPermission: eiam.PermReadWrite}
	fieldEmpNo  = &eiam.FieldDefinition{Name: "employee_no", DataType: eiam.TypeString, Unique: true, UserPermission: eiam.PermReadOnly}
	fieldSkills = &eiam.FieldDefinition{Name: "skills", DataType: eiam.TypeString, DisplayType: eiam.DisplayCheckbox,
		UserPermission: eiam.PermReadWrite, Items: []eiam.FieldItem{{Value: "go"}, {Value: "sql"}, {Value: "cobol", Disabled: true}}}
	fieldBadge  = &eiam.FieldDefinition{Name: "badge", DataType: eiam.TypeString, Required: true, UserPermission: eiam.PermReadWrite}
	fieldOld    = &eiam.FieldDefinition{Name: "old", DataType: eiam.TypeString, Disabled: true, UserPermission: eiam.PermReadWrite}
	fieldHide   = &eiam.FieldDefinition{Name: "secret_level", DataType: eiam.TypeString, UserPermission: eiam.PermHide}
	fieldOnsite = &eiam.FieldDefinition{Name: "onsite", DataType: eiam.TypeBoolean, UserPermission: eiam.PermReadWrite}
)

func baseUser() *eiam.User {
	return &eiam.User{InstanceID: "idaas_t", ID: "user_t", Version: 3, Status: eiam.StatusEnabled,
		Attrs:        map[eiam.Attribute]string{eiam.AttrUsername: "zhangsan", eiam.AttrEmail: "z@example.com"},
		CustomFields: map[string][]string{"badge": {"B1"}, "skills": {"go"}}}
}

var (
	selfActor  = eiam.Actor{Kind: eiam.ActorSelf, ID: "user_t"}
	adminActor = eiam.Actor{Kind: eiam.ActorAccessKey, ID: "LTAI"}
)

func TestPlanRules(t *testing.T) {
	s := New(nil, Options{Clock: func() time.Time { return testNow }})
	defs := defsFor(fieldAge, fieldEmpNo, fieldSkills, fieldBadge, fieldOld, fieldHide, fieldOnsite)
	str := func(s string) *string { return &s }
	ver := func(v int64) *int64 { return &v }
	type want struct {
		code  eiam.Code
		field string
	}
	for _, tc := range []struct {
		name   string
		actor  eiam.Actor
		change eiam.ProfileChange
		want   []want // empty = success
		check  func(t *testing.T, u *eiam.User)
	}{
		{name: "self sets nickname and read_write field", actor: selfActor,
			change: eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "张三"},
				CustomFields: []eiam.CustomFieldOp{{Name: "age", Value: "18"}}},
			check: func(t *testing.T, u *eiam.User) {
				if u.Attrs[eiam.AttrNickname] != "张三" || u.CustomValue("age") != "18" || u.Version != 4 {
					t.Errorf("got %+v", u)
				}
			}},
		{name: "self may not change email", actor: selfActor,
			change: eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrEmail: "new@example.com"}},
			want:   []want{{eiam.ErrForbidden, "email"}}},
		{name: "self may not change password or phone", actor: selfActor,
			change: eiam.ProfileChange{Password: str("N3w-password"), Attrs: map[eiam.Attribute]string{eiam.AttrPhoneNumber: "13800138000"}},
			want:   []want{{eiam.ErrForbidden, "phone_number"}, {eiam.ErrForbidden, "password"}}},
		{name: "self may not write read_only or hidden field", actor: selfActor,
			change: eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "employee_no", Value: "E1"}, {Name: "secret_level", Value: "x"}}},
			want:   []want{{eiam.ErrCustomField, "custom_fields.employee_no"}, {eiam.ErrCustomField, "custom_fields.secret_level"}}},
		{name: "admin may write read_only field", actor: adminActor,
			change: eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "employee_no", Value: "E1", Op: eiam.OpAdd}}},
			check: func(t *testing.T, u *eiam.User) {
				if u.CustomValue("employee_no") != "E1" {
					t.Errorf("employee_no = %q", u.CustomValue("employee_no"))
				}
			}},
		{name: "undeclared and disabled fields refused", actor: adminActor,
			change: eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "nope", Value: "1", Path: "CustomFields.1"}, {Name: "old", Value: "x"}}},
			want:   []want{{eiam.ErrCustomField, "CustomFields.1"}, {eiam.ErrCustomField, "custom_fields.old"}}},
		{name: "type checks", actor: adminActor,
			change: eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "age", Value: "eighteen"}, {Name: "onsite", Value: "yes"}, {Name: "skills", Value: "cobol", Op: eiam.OpAdd}}},
			want:   []want{{eiam.ErrInvalid, "custom_fields.age"}, {eiam.ErrInvalid, "custom_fields.onsite"}, {eiam.ErrInvalid, "custom_fields.skills"}}},
		{name: "multi-value add and remove per element", actor: adminActor,
			change: eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "skills", Value: "sql", Op: eiam.OpAdd}, {Name: "skills", Value: "sql", Op: eiam.OpAdd}, {Name: "skills", Value: "go", Op: eiam.OpRemove}}},
			check: func(t *testing.T, u *eiam.User) {
				if got := u.CustomFields["skills"]; len(got) != 1 || got[0] != "sql" {
					t.Errorf("skills = %q, want [sql]", got)
				}
			}},
		{name: "required field cannot be removed", actor: adminActor,
			change: eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "badge", Op: eiam.OpRemove}}},
			want:   []want{{eiam.ErrInvalid, "custom_fields.badge"}}},
		{name: "empty value clears (replace with empty = remove)", actor: adminActor,
			change: eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "skills", Value: ""}}},
			check: func(t *testing.T, u *eiam.User) {
				if _, ok := u.CustomFields["skills"]; ok {
					t.Error("skills still set")
				}
			}},
		{name: "invalid operation", actor: adminActor,
			change: eiam.ProfileChange{CustomFields: []eiam.CustomFieldOp{{Name: "age", Value: "1", Op: "upsert"}}},
			want:   []want{{eiam.ErrInvalid, "custom_fields.age"}}},
		{name: "admin email needs verified flag", actor: adminActor,
			change: eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrEmail: "new@example.com"}},
			want:   []want{{eiam.ErrMissing, "email_verified"}}},
		{name: "admin phone needs region, flag, valid number", actor: adminActor,
			change: eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrPhoneNumber: "13800138000"}},
			want:   []want{{eiam.ErrMissing, "phone_region"}, {eiam.ErrMissing, "phone_number_verified"}}},
		{name: "phone invalid in its region", actor: adminActor,
			change: eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrPhoneRegion: "86", eiam.AttrPhoneNumber: "10000000000"},
				Flags: map[eiam.Flag]bool{eiam.FlagPhoneNumberVerified: true}},
			want: []want{{eiam.ErrInvalid, "phone_number"}}},
		{name: "clear optional attribute with empty string", actor: selfActor,
			change: eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrNickname: ""}},
			check: func(t *testing.T, u *eiam.User) {
				if _, ok := u.Attrs[eiam.AttrNickname]; ok {
					t.Error("nickname not cleared")
				}
			}},
		{name: "username cannot be cleared", actor: selfActor,
			change: eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrUsername: ""}},
			want:   []want{{eiam.ErrMissing, "username"}}},
		{name: "stale expected version", actor: adminActor,
			change: eiam.ProfileChange{ExpectedVersion: ver(2), Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "x"}},
			want:   []want{{eiam.ErrPrecondition, "version"}}},
		{name: "matching expected version", actor: adminActor,
			change: eiam.ProfileChange{ExpectedVersion: ver(3), Attrs: map[eiam.Attribute]string{eiam.AttrNickname: "x"}}},
		{name: "all violations reported at once", actor: selfActor,
			change: eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrBirthdate: "2022-13-01", eiam.AttrGender: "robot", eiam.AttrPicture: "nope"}},
			want:   []want{{eiam.ErrInvalid, "birthdate"}, {eiam.ErrInvalid, "gender"}, {eiam.ErrInvalid, "picture"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := baseUser()
			before := cur.Clone()
			commit, err := s.plan(cur, &tc.change, defs, tc.actor, eiam.Origin{Dialect: "test"}, "hash", testNow, false)
			if cur.Version != before.Version || cur.Attrs[eiam.AttrNickname] != before.Attrs[eiam.AttrNickname] || len(cur.CustomFields["skills"]) != 1 {
				t.Fatal("plan mutated the current user")
			}
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if commit.Audit.Version != commit.User.Version || commit.Event.Version != commit.User.Version {
					t.Error("audit/event version differs from the user's")
				}
				if tc.check != nil {
					tc.check(t, commit.User)
				}
				return
			}
			if err == nil {
				t.Fatalf("succeeded; want %v", tc.want)
			}
			got := eiam.Violations(err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d violations %v, want %v", len(got), err, tc.want)
			}
			for i, w := range tc.want {
				if got[i].Code != w.code || got[i].Field != w.field {
					t.Errorf("violation %d = %s %s, want %s %s", i, got[i].Code, got[i].Field, w.code, w.field)
				}
			}
		})
	}
}

func TestPlanAuditMasksSensitiveValues(t *testing.T) {
	s := New(nil, Options{Clock: func() time.Time { return testNow }})
	secretField := &eiam.FieldDefinition{Name: "passport", DataType: eiam.TypeString, Encrypted: true, UserPermission: eiam.PermReadWrite}
	defs := defsFor(secretField)
	c := &eiam.ProfileChange{Attrs: map[eiam.Attribute]string{eiam.AttrIdentityNumber: "110101199001011234"},
		CustomFields: []eiam.CustomFieldOp{{Name: "passport", Value: "E12345678"}}}
	commit, err := s.plan(baseUser(), c, defs, adminActor, eiam.Origin{}, "", testNow, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range commit.Audit.Changes {
		if strings.Contains(ch.New, "110101199001011234") || strings.Contains(ch.New, "E12345678") {
			t.Errorf("audit change %+v carries a sensitive value in clear", ch)
		}
	}
	if len(commit.SealedFields) != 1 || commit.SealedFields[0] != "passport" {
		t.Errorf("SealedFields = %v", commit.SealedFields)
	}
}

func TestValidateFieldDefinition(t *testing.T) {
	for _, tc := range []struct {
		def   eiam.FieldDefinition
		field string
	}{
		{eiam.FieldDefinition{Name: "age", DataType: eiam.TypeNumber}, ""},
		{eiam.FieldDefinition{Name: "Age", DataType: eiam.TypeNumber}, "field_name"},
		{eiam.FieldDefinition{Name: strings.Repeat("a", 41), DataType: eiam.TypeString}, "field_name"},
		{eiam.FieldDefinition{Name: "x", DataType: "blob"}, "data_type"},
		{eiam.FieldDefinition{Name: "x", DataType: eiam.TypeNumber, DisplayType: eiam.DisplayCheckbox}, "display_type"},
		{eiam.FieldDefinition{Name: "x", DataType: eiam.TypeString, UserPermission: "admin"}, "user_permission"},
		{eiam.FieldDefinition{Name: "x", DataType: eiam.TypeNumber, DefaultValue: "abc"}, "default_value"},
	} {
		err := ValidateFieldDefinition(&tc.def)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%+v: unexpected %v", tc.def, err)
			}
			continue
		}
		if err == nil || eiam.AsError(err).Field != tc.field {
			t.Errorf("%+v: got %v, want error on %s", tc.def, err, tc.field)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{"S3cure-pass!": true, "short1A": false, "alllowercase": false, "lower123": true, strings.Repeat("aA", 65): false} {
		if got := DefaultPolicy.Check(pw) == nil; got != ok {
			t.Errorf("Check(%q) ok=%v, want %v", pw, got, ok)
		}
	}
}
