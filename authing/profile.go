package authing

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// attrName is one Authing name of a canonical text attribute.
type attrName struct {
	wire string
	attr eiam.Attribute
	// alias marks a second Authing name of an attribute that already has
	// one (formatted = address, region = province): both are accepted and
	// both are returned, but errors name the first.
	alias bool
}

// profileNames are the names update-profile accepts (UpdateUserProfileDto
// plus the OpenID Connect names spec §2 gives Authing), in UserDto order.
// get-profile returns every one of them.
var profileNames = []attrName{
	{"username", eiam.AttrUsername, false},
	{"name", eiam.AttrName, false},
	{"nickname", eiam.AttrNickname, false},
	{"photo", eiam.AttrPicture, false},
	{"externalId", eiam.AttrExternalID, false},
	{"gender", eiam.AttrGender, false},
	{"birthdate", eiam.AttrBirthdate, false},
	{"country", eiam.AttrCountry, false},
	{"province", eiam.AttrRegion, false},
	{"city", eiam.AttrLocality, false},
	{"address", eiam.AttrAddress, false},
	{"streetAddress", eiam.AttrStreetAddress, false},
	{"postalCode", eiam.AttrPostalCode, false},
	{"company", eiam.AttrCompany, false},
	{"givenName", eiam.AttrGivenName, false},
	{"familyName", eiam.AttrFamilyName, false},
	{"middleName", eiam.AttrMiddleName, false},
	{"profile", eiam.AttrProfile, false},
	{"preferredUsername", eiam.AttrPreferredName, false},
	{"website", eiam.AttrWebsite, false},
	{"zoneinfo", eiam.AttrZoneinfo, false},
	{"locale", eiam.AttrLocale, false},
	{"formatted", eiam.AttrAddress, true},
	{"region", eiam.AttrRegion, true},
	{"identityNumber", eiam.AttrIdentityNumber, false},
}

// adminNames are the text attributes only the management API may write;
// a user changes them through verification flows of their own.
var adminNames = []attrName{
	{"email", eiam.AttrEmail, false},
	{"phone", eiam.AttrPhoneNumber, false},
	{"phoneCountryCode", eiam.AttrPhoneRegion, false},
}

// Names of the members that are not text attributes.
const (
	keyCustomData    = "customData"
	keyGender        = "gender"
	keyPhone         = "phone"
	keyPhoneCode     = "phoneCountryCode"
	keyEmailVerified = "emailVerified"
	keyPhoneVerified = "phoneVerified"
	keyStatus        = "status"
	keyPassword      = "password"
	keyOptions       = "options"
	keyUserID        = "userId"
)

// defaultPhoneCountryCode is what a phone number without phoneCountryCode
// means: Authing documents the code as optional for mainland China numbers.
const defaultPhoneCountryCode = "86"

func nameTable(tables ...[]attrName) map[string]eiam.Attribute {
	m := map[string]eiam.Attribute{}
	for _, t := range tables {
		for _, n := range t {
			m[n.wire] = n.attr
		}
	}
	return m
}

var (
	profileAttrs = nameTable(profileNames)
	adminAttrs   = nameTable(profileNames, adminNames)
)

// wireNames maps canonical attribute and flag names back to Authing's, so
// that an error the directory reports about "address.locality" names "city",
// the member the caller sent.
var wireNames = func() map[string]string {
	m := map[string]string{
		string(eiam.FlagEmailVerified):       keyEmailVerified,
		string(eiam.FlagPhoneNumberVerified): keyPhoneVerified,
		"organizational_unit_id":             "departmentIds",
		"organizational_units":               "departmentIds",
		"id":                                 keyUserID,
	}
	for _, t := range [][]attrName{profileNames, adminNames} {
		for _, n := range t {
			if !n.alias {
				m[string(n.attr)] = n.wire
			}
		}
	}
	return m
}()

// Authing's gender letters and the canonical values.
var (
	genderIn  = map[string]string{"M": eiam.GenderMale, "F": eiam.GenderFemale, "U": eiam.GenderUnknown}
	genderOut = map[string]string{eiam.GenderMale: "M", eiam.GenderFemale: "F", eiam.GenderUnknown: "U"}
)

// Authing's account statuses. Activated is the only one that may sign in;
// the others all mean disabled, and are read back as Suspended.
var statusIn = map[string]eiam.Status{
	"Activated":   eiam.StatusEnabled,
	"Suspended":   eiam.StatusDisabled,
	"Deactivated": eiam.StatusDisabled,
	"Resigned":    eiam.StatusDisabled,
	"Archived":    eiam.StatusDisabled,
}

// unsupported are members the Authing DTOs define but eiam does not keep.
// They are refused by name, never dropped: a caller must not believe a
// change was made when it was not.
var unsupported = map[string]bool{
	"browser": true, "device": true, "metadata": true, "metadataSource": true,
	"salt": true, "tenantIds": true, "otp": true, "identities": true,
}

// decoder collects every violation of a request, so that a caller can fix
// it in one round trip.
type decoder struct {
	errs []*eiam.Error
}

func (d *decoder) fail(err error) {
	if err != nil {
		d.errs = append(d.errs, eiam.Violations(err)...)
	}
}

func (d *decoder) err() error { return eiam.Join(d.errs) }

// attr decodes one text attribute member into c. seen remembers which
// member set an attribute, so that an alias that disagrees with its
// attribute's first name is reported rather than silently winning.
func (d *decoder) attr(c *eiam.ProfileChange, m wire.Member, a eiam.Attribute, seen map[eiam.Attribute]string) {
	v, err := wire.String(m.Value, m.Key)
	if err != nil {
		d.fail(err)
		return
	}
	switch m.Key {
	case keyGender:
		if v != "" {
			g, ok := genderIn[v]
			if !ok {
				d.fail(eiam.Errorf(eiam.ErrInvalid, m.Key, "invalid_enum", "allowed", "M, F, U"))
				return
			}
			v = g
		}
	case keyPhoneCode:
		// Authing writes the code with "+", eiam stores the digits.
		v = strings.TrimPrefix(v, "+")
	}
	if other, ok := seen[a]; ok {
		if c.Attrs[a] != v {
			d.fail(eiam.Errorf(eiam.ErrInvalid, m.Key, "invalid_format", "reason", "it must equal "+other+" when both are given"))
		}
		return
	}
	seen[a] = m.Key
	c.SetAttr(a, v)
}

// customData decodes the customData object into custom-field operations.
// A scalar sets the field (replace); null or "" clears it; an array sets a
// multi-value field to exactly its elements (replace with the first, add
// the rest), and an empty array clears it. An add therefore only ever comes
// from an array, which checkCustomData uses to refuse arrays for
// single-valued fields.
func (d *decoder) customData(c *eiam.ProfileChange, m wire.Member) {
	if wire.IsNull(m.Value) {
		return
	}
	fields, err := wire.DecodeObject(m.Value, keyCustomData)
	if err != nil {
		d.fail(err)
		return
	}
	for _, f := range fields {
		path := f.Path(keyCustomData)
		raw := bytes.TrimSpace(f.Value)
		if len(raw) == 0 || raw[0] != '[' {
			v, err := wire.Scalar(f.Value, path)
			if err != nil {
				d.fail(err)
				continue
			}
			c.CustomFields = append(c.CustomFields, eiam.CustomFieldOp{Name: f.Key, Value: v, Op: eiam.OpReplace, Path: path})
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			d.fail(eiam.Errorf(eiam.ErrInvalid, path, "invalid_type", "type", "an array of values"))
			continue
		}
		if len(elems) == 0 {
			c.CustomFields = append(c.CustomFields, eiam.CustomFieldOp{Name: f.Key, Op: eiam.OpReplace, Path: path})
			continue
		}
		for i, e := range elems {
			ep := path + "[" + wire.Itoa(int64(i)) + "]"
			v, err := wire.Scalar(e, ep)
			if err == nil && v == "" {
				err = eiam.Errorf(eiam.ErrInvalid, ep, "invalid_type", "type", "a string, number or boolean")
			}
			if err != nil {
				d.fail(err)
				continue
			}
			op := eiam.OpAdd
			if i == 0 {
				op = eiam.OpReplace
			}
			c.CustomFields = append(c.CustomFields, eiam.CustomFieldOp{Name: f.Key, Value: v, Op: op, Path: ep})
		}
	}
}

// DecodeUpdateProfile turns a POST /api/v3/update-profile body into a
// self-service change. Every member must be one the endpoint defines: email,
// phone and password (which have their own verified endpoints), status and
// userId are refused by name, so a user can only ever change their own
// profile attributes.
func DecodeUpdateProfile(body []byte) (*eiam.ProfileChange, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	c := &eiam.ProfileChange{}
	d := &decoder{}
	seen := map[eiam.Attribute]string{}
	for _, m := range members {
		if m.Key == keyCustomData {
			d.customData(c, m)
			continue
		}
		a, ok := profileAttrs[m.Key]
		if !ok {
			d.fail(eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
			continue
		}
		d.attr(c, m, a, seen)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkCustomData refuses an array for a custom field that holds one value:
// applied in order, its elements would silently leave only the last one.
// Fields the instance does not declare are left to the directory, which
// reports them.
func checkCustomData(c *eiam.ProfileChange, defs []*eiam.FieldDefinition) error {
	byName := make(map[string]*eiam.FieldDefinition, len(defs))
	for _, f := range defs {
		byName[f.Name] = f
	}
	var errs []*eiam.Error
	for _, op := range c.CustomFields {
		if f := byName[op.Name]; op.Op == eiam.OpAdd && f != nil && !f.MultiValued() {
			errs = append(errs, eiam.Errorf(eiam.ErrInvalid, keyCustomData+"."+op.Name, "invalid_type", "type", "a single value"))
		}
	}
	return eiam.Join(errs)
}

// View selects the optional parts of a UserDto.
type View struct {
	// CustomData adds customData with the fields the reader may see.
	CustomData bool
	// FlatCustomData puts the custom fields at the top level instead
	// (get-user's flatCustomData); names that collide with UserDto members
	// are left out.
	FlatCustomData bool
	// Identities adds identities: eiam keeps no external identities, so it
	// is always empty.
	Identities bool
	// DepartmentIDs adds departmentIds (the primary unit first) and
	// mainDepartmentId.
	DepartmentIDs bool
	// Posts adds postIdList (always empty: eiam has no posts).
	Posts bool
	// Admin shows custom fields hidden from the user themselves.
	Admin bool
}

// userSourceType is how every eiam user came to be, in Authing's words:
// users are created by administrators, imports and provisioning, never by
// self-registration.
const userSourceType = "adminCreated"

// EncodeUser renders a user as Authing's UserDto: every member update-profile
// and update-user accept, under the same names, unset ones as null (as
// Authing does), plus the read-only members the model requires. Times are
// ISO-8601 in UTC with milliseconds.
func EncodeUser(u *eiam.User, defs []*eiam.FieldDefinition, v View) map[string]any {
	out := make(map[string]any, 48)
	out["userId"] = u.ID
	out["createdAt"] = isoTime(u.CreatedAt)
	out["updatedAt"] = isoTime(u.UpdatedAt)
	out["status"] = "Activated"
	if u.Status != eiam.StatusEnabled {
		out["status"] = "Suspended"
	}
	out["workStatus"] = "Active"
	out["userSourceType"] = userSourceType
	for _, t := range [][]attrName{profileNames, adminNames} {
		for _, n := range t {
			out[n.wire] = nullable(u.Attr(n.attr))
		}
	}
	out[keyGender] = "U"
	if g, ok := genderOut[u.Attr(eiam.AttrGender)]; ok {
		out[keyGender] = g
	}
	out[keyPhoneCode] = nil
	if r := u.Attr(eiam.AttrPhoneRegion); r != "" {
		out[keyPhoneCode] = "+" + r
	}
	out[keyEmailVerified] = u.EmailVerified
	out[keyPhoneVerified] = u.PhoneVerified
	out["passwordLastSetAt"] = nil
	if !u.PasswordChangedAt.IsZero() {
		out["passwordLastSetAt"] = isoTime(u.PasswordChangedAt)
	}
	if v.DepartmentIDs {
		ids := []string{}
		if u.PrimaryOUID != "" {
			ids = append(ids, u.PrimaryOUID)
		}
		out["departmentIds"] = append(ids, u.OUIDs...)
		out["mainDepartmentId"] = nullable(u.PrimaryOUID)
	}
	if v.Identities {
		out["identities"] = []any{}
	}
	if v.Posts {
		out["postIdList"] = []string{}
	}
	switch {
	case v.FlatCustomData:
		for name, val := range customValues(u, defs, v.Admin) {
			if _, taken := out[name]; !taken {
				out[name] = val
			}
		}
	case v.CustomData:
		out[keyCustomData] = customValues(u, defs, v.Admin)
	}
	return out
}

// customValues returns the custom fields a reader may see, typed by their
// definition: numbers as JSON numbers, booleans as JSON booleans, checkbox
// fields as arrays, everything else as strings. Values of undeclared or
// disabled fields are not shown.
func customValues(u *eiam.User, defs []*eiam.FieldDefinition, admin bool) map[string]any {
	out := map[string]any{}
	for _, f := range defs {
		if f.Disabled || (!admin && f.UserPermission == eiam.PermHide) {
			continue
		}
		vs := u.CustomFields[f.Name]
		if len(vs) == 0 {
			continue
		}
		if f.MultiValued() {
			items := make([]any, len(vs))
			for i, s := range vs {
				items[i] = typedValue(f.DataType, s)
			}
			out[f.Name] = items
			continue
		}
		out[f.Name] = typedValue(f.DataType, vs[0])
	}
	return out
}

func typedValue(t eiam.DataType, s string) any {
	switch t {
	case eiam.TypeNumber:
		// The directory accepts "+5" and "007", which are not JSON
		// numbers; those are returned as the text they were stored as
		// rather than as invalid JSON.
		if validJSONNumber(s) {
			return json.Number(s)
		}
	case eiam.TypeBoolean:
		switch s {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return s
}

func validJSONNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// isoTime formats t as Authing does: "2022-07-03T03:20:30.000Z".
func isoTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
