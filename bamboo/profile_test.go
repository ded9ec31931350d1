package bamboo

import (
	"net/http"
	"testing"

	"github.com/eiam/eiam"
)

// seedBody is the request body example of seed 000, verbatim.
const seedBody = `{
"user_name": "zhangsan",
"name": "张三",
"head_img": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTIQ8QOTSn3y4cYHLlMC3sv6RCBmeMkxtOog47Zr3v2Afbqc2bmP0WibUIUskX39eJlJAEbAibXs",
"attr_gender":"male",
"attr_birthday": "2022-02-17",
"attr_nick_name": "张三",
"mailing_address": "湖北省武汉市",
"zip_code": "430000",
"first_name": "zhangsan",
"middle_name": "zhangsan",
"last_name": "zhangsan",
"industry": "事业单位",
"extension": {
"age":"18"
}
}`

func TestDecodeSeedBody(t *testing.T) {
	c, err := DecodeUpdate([]byte(seedBody))
	if err != nil {
		t.Fatal(err)
	}
	want := map[eiam.Attribute]string{
		eiam.AttrUsername: "zhangsan", eiam.AttrName: "张三", eiam.AttrGender: "male", eiam.AttrBirthdate: "2022-02-17",
		eiam.AttrNickname: "张三", eiam.AttrAddress: "湖北省武汉市", eiam.AttrPostalCode: "430000", eiam.AttrGivenName: "zhangsan",
		eiam.AttrMiddleName: "zhangsan", eiam.AttrFamilyName: "zhangsan", eiam.AttrIndustry: "事业单位",
	}
	for a, v := range want {
		if c.Attrs[a] != v {
			t.Errorf("%s = %q, want %q", a, c.Attrs[a], v)
		}
	}
	if len(c.CustomFields) != 1 || c.CustomFields[0].Name != "age" || c.CustomFields[0].Value != "18" || c.CustomFields[0].Op != eiam.OpReplace {
		t.Errorf("custom fields = %+v", c.CustomFields)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct {
		body  string
		code  eiam.Code
		field string
	}{
		{`{"email":"a@b.c"}`, eiam.ErrUnknownField, "email"},
		{`{"mobile":"13800138000"}`, eiam.ErrUnknownField, "mobile"},
		{`{"password":"x"}`, eiam.ErrUnknownField, "password"},
		{`{"name":12}`, eiam.ErrInvalid, "name"},
		{`{"attr_gender":"robot"}`, eiam.ErrInvalid, "attr_gender"},
		{`{"extension":"age"}`, eiam.ErrInvalid, "extension"},
		{`{"extension":{"age":{"x":1}}}`, eiam.ErrInvalid, "extension.age"},
		{`{"name":"a"`, eiam.ErrInvalid, "body"},
		{`[1]`, eiam.ErrInvalid, "body"},
	} {
		_, err := DecodeUpdate([]byte(tc.body))
		if e := eiam.AsError(err); err == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.body, err, tc.code, tc.field)
		}
	}
}

func TestEveryErrorKindIsMapped(t *testing.T) {
	for _, code := range eiam.Codes {
		m, ok := errorCodes[code]
		if !ok || m.code == "" || m.status < 400 {
			t.Errorf("kind %s has no Bamboo mapping", code)
		}
		if code != eiam.ErrInternal && m.status != http.StatusBadRequest {
			t.Errorf("kind %s maps to %d; Bamboo answers client errors with 400", code, m.status)
		}
	}
}

func FuzzDecodeUpdate(f *testing.F) {
	f.Add([]byte(seedBody))
	f.Add([]byte(`{"extension":{"a":1,"b":true,"c":null}}`))
	f.Add([]byte(`{"attr_gender":"unknow"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeUpdate(b)
		if err != nil {
			if eiam.AsError(err).Code == eiam.ErrInternal {
				t.Fatalf("internal error from decoder: %v", err)
			}
			return
		}
		allowed := map[eiam.Attribute]bool{}
		for _, n := range attrNames {
			allowed[n.attr] = true
		}
		for a := range c.Attrs {
			if !allowed[a] {
				t.Fatalf("decoded attribute %s that the dialect does not define", a)
			}
		}
		if c.Password != nil || c.Flags != nil || c.Status != nil {
			t.Fatal("a self-service body decoded into a password, flag or status change")
		}
	})
}
