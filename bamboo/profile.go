package bamboo

import (
	"encoding/json"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// attrNames maps the seed's request parameters to canonical attributes.
// The same names are used when the profile is read back.
var attrNames = []struct {
	wire string
	attr eiam.Attribute
}{
	{"user_name", eiam.AttrUsername},
	{"name", eiam.AttrName},
	{"head_img", eiam.AttrPicture},
	{"attr_gender", eiam.AttrGender},
	{"attr_birthday", eiam.AttrBirthdate},
	{"attr_nick_name", eiam.AttrNickname},
	{"mailing_address", eiam.AttrAddress},
	{"zip_code", eiam.AttrPostalCode},
	{"first_name", eiam.AttrGivenName},
	{"middle_name", eiam.AttrMiddleName},
	{"last_name", eiam.AttrFamilyName},
	{"industry", eiam.AttrIndustry},
}

var attrByWire = func() map[string]eiam.Attribute {
	m := make(map[string]eiam.Attribute, len(attrNames))
	for _, n := range attrNames {
		m[n.wire] = n.attr
	}
	return m
}()

// Bamboo spells "unknown" as "unknow"; both are accepted, "unknow" is sent.
var genderIn = map[string]string{"female": eiam.GenderFemale, "male": eiam.GenderMale, "unknow": eiam.GenderUnknown, "unknown": eiam.GenderUnknown}

const extensionKey = "extension"

// DecodeUpdate turns a profile/update body into a change. Every key must be
// one of the seed's parameters; extension keys become custom-field replaces.
func DecodeUpdate(body []byte) (*eiam.ProfileChange, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	c := &eiam.ProfileChange{}
	var errs []*eiam.Error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, eiam.Violations(err)...)
		}
	}
	for _, m := range members {
		if m.Key == extensionKey {
			collect(decodeExtension(m, c))
			continue
		}
		attr, ok := attrByWire[m.Key]
		if !ok {
			collect(eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
			continue
		}
		v, err := wire.String(m.Value, m.Key)
		if err != nil {
			collect(err)
			continue
		}
		if attr == eiam.AttrGender && v != "" {
			g, ok := genderIn[v]
			if !ok {
				collect(eiam.Errorf(eiam.ErrInvalid, m.Key, "invalid_enum", "allowed", "female, male, unknow"))
				continue
			}
			v = g
		}
		c.SetAttr(attr, v)
	}
	if len(errs) > 0 {
		return nil, eiam.Join(errs)
	}
	return c, nil
}

func decodeExtension(m wire.Member, c *eiam.ProfileChange) error {
	if wire.IsNull(m.Value) {
		return nil
	}
	fields, err := wire.DecodeObject(m.Value, extensionKey)
	if err != nil {
		return err
	}
	var errs []*eiam.Error
	for _, f := range fields {
		v, err := wire.Scalar(f.Value, f.Path(extensionKey))
		if err != nil {
			errs = append(errs, eiam.AsError(err))
			continue
		}
		c.CustomFields = append(c.CustomFields, eiam.CustomFieldOp{Name: f.Key, Value: v, Op: eiam.OpReplace, Path: f.Path(extensionKey)})
	}
	return eiam.Join(errs)
}

// EncodeProfile renders a user as GET /api/v2/sdk/profile returns it: every
// attribute profile/update accepts under the same name, plus the read-only
// id, email and mobile. Custom fields hidden from the user are left out.
func EncodeProfile(u *eiam.User, defs []*eiam.FieldDefinition) map[string]any {
	out := make(map[string]any, len(attrNames)+4)
	out["id"] = u.ID
	for _, n := range attrNames {
		v := u.Attr(n.attr)
		if n.attr == eiam.AttrGender && v == eiam.GenderUnknown {
			v = "unknow"
		}
		out[n.wire] = v
	}
	out["email"] = u.Attr(eiam.AttrEmail)
	out["mobile"] = u.Attr(eiam.AttrPhoneNumber)
	ext := map[string]any{}
	for _, d := range defs {
		if d.Disabled || d.UserPermission == eiam.PermHide {
			continue
		}
		if vs := u.CustomFields[d.Name]; len(vs) > 0 {
			if d.MultiValued() {
				ext[d.Name] = vs
			} else {
				ext[d.Name] = vs[0]
			}
		}
	}
	out[extensionKey] = ext
	return out
}

// apiClaim is the login sample's "api" claim: the user as a JSON string.
func apiClaim(u *eiam.User) string {
	b, _ := json.Marshal(map[string]string{
		"id": u.ID, "userName": u.Username(), "name": u.Attr(eiam.AttrName),
		"mobile": u.Attr(eiam.AttrPhoneNumber), "email": u.Attr(eiam.AttrEmail),
	})
	return string(b)
}
