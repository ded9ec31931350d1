package authing

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// User id types of the management API (options.userIdType, get-user's
// userIdType) that eiam can resolve, and the claim kind each looks up.
// Authing's identity, sync_relation and custom_field need external
// identities or a field name eiam does not take here, and are refused.
var userIDTypes = map[string]string{
	"user_id":     "",
	"external_id": eiam.ClaimExternalID,
	"phone":       eiam.ClaimPhone,
	"email":       eiam.ClaimEmail,
	"username":    eiam.ClaimUsername,
}

const userIDTypesAllowed = "user_id, external_id, phone, email, username"

// UserRef names a user the way the management API does: an id and what
// kind of id it is.
type UserRef struct {
	ID string
	// Type is one of the keys of userIDTypes; "" means user_id.
	Type string
}

// UpdateUserRequest is a decoded POST /api/v3/update-user body.
type UpdateUserRequest struct {
	User   UserRef
	Change *eiam.ProfileChange
}

// CreateUserRequest is a decoded POST /api/v3/create-user body.
type CreateUserRequest struct {
	Change *eiam.ProfileChange
}

// DeleteUsersRequest is a decoded POST /api/v3/delete-users-batch body.
type DeleteUsersRequest struct {
	Users []UserRef
}

// maxBatch bounds delete-users-batch; each user is its own transaction.
const maxBatch = 100

// adminMember decodes one member shared by update-user and create-user.
// It reports false for a member it does not know.
func (d *decoder) adminMember(c *eiam.ProfileChange, m wire.Member, seen map[eiam.Attribute]string) bool {
	switch m.Key {
	case keyCustomData:
		d.customData(c, m)
	case keyEmailVerified, keyPhoneVerified:
		b, err := wire.Bool(m.Value, m.Key)
		if err != nil {
			d.fail(err)
			break
		}
		f := eiam.FlagEmailVerified
		if m.Key == keyPhoneVerified {
			f = eiam.FlagPhoneNumberVerified
		}
		c.SetFlag(f, b)
	case keyStatus:
		s, err := wire.String(m.Value, m.Key)
		st, ok := statusIn[s]
		if err != nil || !ok {
			d.fail(eiam.Errorf(eiam.ErrInvalid, m.Key, "invalid_enum", "allowed", "Activated, Suspended, Deactivated, Resigned, Archived"))
			break
		}
		c.Status = &st
	case keyPassword:
		if wire.IsNull(m.Value) {
			break
		}
		p, err := wire.String(m.Value, m.Key)
		if err != nil {
			d.fail(err)
			break
		}
		c.Password = &p
	default:
		if unsupported[m.Key] {
			d.fail(eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
			break
		}
		a, ok := adminAttrs[m.Key]
		if !ok {
			return false
		}
		d.attr(c, m, a, seen)
	}
	return true
}

// defaultPhoneRegion gives a phone number sent without phoneCountryCode
// Authing's default, mainland China.
func defaultPhoneRegion(c *eiam.ProfileChange, seen map[eiam.Attribute]string) {
	if _, code := seen[eiam.AttrPhoneRegion]; !code && c.Attrs[eiam.AttrPhoneNumber] != "" {
		c.SetAttr(eiam.AttrPhoneRegion, defaultPhoneCountryCode)
	}
}

// DecodeUpdateUser turns a POST /api/v3/update-user body (UpdateUserReqDto)
// into a change of the user it names. Unlike update-profile it may change
// email, phone (with phoneCountryCode, "+86" by default), password, the
// verified flags and status.
func DecodeUpdateUser(body []byte) (*UpdateUserRequest, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	req := &UpdateUserRequest{Change: &eiam.ProfileChange{}}
	d := &decoder{}
	seen := map[eiam.Attribute]string{}
	badID := false // a userId of the wrong type is reported once, not also as missing
	for _, m := range members {
		switch m.Key {
		case keyUserID:
			req.User.ID, err = wire.String(m.Value, m.Key)
			badID = err != nil
			d.fail(err)
		case keyOptions:
			d.options(m, map[string]func(wire.Member){
				"userIdType":                      func(o wire.Member) { req.User.Type = d.userIDType(o) },
				"resetPasswordOnFirstLogin":       d.mustBeFalse,
				"resetPasswordOnNextLogin":        d.mustBeFalse,
				"autoGeneratePassword":            d.mustBeFalse,
				"passwordEncryptType":             d.plainPassword,
				"sendPasswordResetedNotification": d.mustBeAbsent,
			})
		default:
			if !d.adminMember(req.Change, m, seen) {
				d.fail(eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
			}
		}
	}
	if req.User.ID == "" && !badID {
		d.fail(eiam.Errorf(eiam.ErrMissing, keyUserID, "required"))
	}
	defaultPhoneRegion(req.Change, seen)
	if err := d.err(); err != nil {
		return nil, err
	}
	return req, nil
}

// DecodeCreateUser turns a POST /api/v3/create-user body (CreateUserReqDto)
// into a new user's change. Authing needs one of username, email and phone;
// eiam needs a username, so a user created with only an email or a phone
// number gets that as their username.
func DecodeCreateUser(body []byte) (*CreateUserRequest, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	c := &eiam.ProfileChange{}
	d := &decoder{}
	seen := map[eiam.Attribute]string{}
	for _, m := range members {
		switch m.Key {
		case "departmentIds":
			d.departments(c, m)
		case keyOptions:
			d.options(m, map[string]func(wire.Member){
				"keepPassword":              d.mustBeFalse,
				"autoGeneratePassword":      d.mustBeFalse,
				"resetPasswordOnFirstLogin": d.mustBeFalse,
				"departmentIdType":          d.departmentIDType,
				"sendNotification":          d.mustBeAbsent,
				"passwordEncryptType":       d.plainPassword,
			})
		default:
			if !d.adminMember(c, m, seen) {
				d.fail(eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
			}
		}
	}
	defaultPhoneRegion(c, seen)
	if c.Attrs[eiam.AttrUsername] == "" {
		switch {
		case c.Attrs[eiam.AttrEmail] != "":
			c.SetAttr(eiam.AttrUsername, c.Attrs[eiam.AttrEmail])
		case c.Attrs[eiam.AttrPhoneNumber] != "":
			c.SetAttr(eiam.AttrUsername, c.Attrs[eiam.AttrPhoneNumber])
		default:
			d.fail(eiam.Errorf(eiam.ErrMissing, "username", "required"))
		}
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return &CreateUserRequest{Change: c}, nil
}

// DecodeDeleteUsers turns a POST /api/v3/delete-users-batch body
// (DeleteUsersBatchDto) into the users to delete.
func DecodeDeleteUsers(body []byte) (*DeleteUsersRequest, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	d := &decoder{}
	var ids []string
	typ := ""
	given := false
	for _, m := range members {
		switch m.Key {
		case "userIds":
			given = true
			ids = d.stringArray(m)
		case keyOptions:
			d.options(m, map[string]func(wire.Member){
				"userIdType": func(o wire.Member) { typ = d.userIDType(o) },
			})
		default:
			d.fail(eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
		}
	}
	switch {
	case !given || (len(ids) == 0 && len(d.errs) == 0):
		d.fail(eiam.Errorf(eiam.ErrMissing, "userIds", "required"))
	case len(ids) > maxBatch:
		d.fail(eiam.Errorf(eiam.ErrInvalid, "userIds", "too_long", "max", maxBatch))
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	req := &DeleteUsersRequest{Users: make([]UserRef, len(ids))}
	for i, id := range ids {
		req.Users[i] = UserRef{ID: id, Type: typ}
	}
	return req, nil
}

// options decodes an options object whose members are handled by known;
// any other member is refused.
func (d *decoder) options(m wire.Member, known map[string]func(wire.Member)) {
	if wire.IsNull(m.Value) {
		return
	}
	members, err := wire.DecodeObject(m.Value, keyOptions)
	if err != nil {
		d.fail(err)
		return
	}
	for _, o := range members {
		o.Key = o.Path(keyOptions)
		h, ok := known[strings.TrimPrefix(o.Key, keyOptions+".")]
		if !ok {
			d.fail(eiam.Errorf(eiam.ErrUnknownField, o.Key, "unknown_field"))
			continue
		}
		h(o)
	}
}

func (d *decoder) userIDType(m wire.Member) string {
	s, err := wire.String(m.Value, m.Key)
	if err != nil {
		d.fail(err)
		return ""
	}
	return d.userIDTypeValue(m.Key, s)
}

func (d *decoder) userIDTypeValue(field, s string) string {
	if _, ok := userIDTypes[s]; !ok && s != "" {
		d.fail(eiam.Errorf(eiam.ErrInvalid, field, "invalid_enum", "allowed", userIDTypesAllowed))
		return ""
	}
	return s
}

// mustBeFalse accepts an option eiam cannot honour only when it asks for
// nothing; true is refused rather than ignored, so that a caller does not
// believe, say, a password reset was scheduled.
func (d *decoder) mustBeFalse(m wire.Member) {
	if wire.IsNull(m.Value) {
		return
	}
	b, err := wire.Bool(m.Value, m.Key)
	if err != nil {
		d.fail(err)
		return
	}
	if b {
		d.fail(eiam.Errorf(eiam.ErrInvalid, m.Key, "invalid_enum", "allowed", "false"))
	}
}

// mustBeAbsent refuses a notification option: eiam sends no notifications.
func (d *decoder) mustBeAbsent(m wire.Member) {
	if !wire.IsNull(m.Value) {
		d.fail(eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
	}
}

// plainPassword accepts passwordEncryptType "none" only: eiam publishes no
// RSA or SM2 key to encrypt passwords with.
func (d *decoder) plainPassword(m wire.Member) { d.onlyValue(m, "none") }

// departmentIDType accepts "department_id" only: units are named by id.
func (d *decoder) departmentIDType(m wire.Member) { d.onlyValue(m, "department_id") }

// onlyValue accepts a string member that is empty or exactly allowed.
func (d *decoder) onlyValue(m wire.Member, allowed string) {
	s, err := wire.String(m.Value, m.Key)
	if err != nil {
		d.fail(err)
		return
	}
	if s != "" && s != allowed {
		d.fail(eiam.Errorf(eiam.ErrInvalid, m.Key, "invalid_enum", "allowed", allowed))
	}
}

// departments makes the first unit the user's primary one and the rest
// their other units.
func (d *decoder) departments(c *eiam.ProfileChange, m wire.Member) {
	ids := d.stringArray(m)
	if len(ids) == 0 {
		return
	}
	primary, rest := ids[0], append([]string{}, ids[1:]...)
	c.PrimaryOUID, c.OUIDs = &primary, &rest
}

// stringArray decodes an array of non-empty strings (null is empty).
func (d *decoder) stringArray(m wire.Member) []string {
	if wire.IsNull(m.Value) {
		return nil
	}
	var raw []*string
	if err := json.Unmarshal(m.Value, &raw); err != nil {
		d.fail(eiam.Errorf(eiam.ErrInvalid, m.Key, "invalid_type", "type", "an array of strings"))
		return nil
	}
	out := make([]string, 0, len(raw))
	for _, s := range raw {
		if s == nil || *s == "" {
			d.fail(eiam.Errorf(eiam.ErrInvalid, m.Key, "invalid_type", "type", "an array of non-empty strings"))
			return nil
		}
		out = append(out, *s)
	}
	return out
}

// DecodeGetUser reads GET /api/v3/get-user's query. Unknown parameters are
// refused, as unknown body members are.
func DecodeGetUser(q url.Values) (UserRef, View, error) {
	d := &decoder{}
	var ref UserRef
	v := View{Admin: true}
	params, err := singleParams(q)
	if err != nil {
		return ref, v, err
	}
	// Sorted, so that the first error reported does not vary.
	for _, k := range slices.Sorted(maps.Keys(params)) {
		s := params[k]
		switch k {
		case keyUserID:
			ref.ID = s
		case "userIdType":
			ref.Type = d.userIDTypeValue(k, s)
		case "withCustomData":
			v.CustomData = d.flag(k, s)
		case "flatCustomData":
			v.FlatCustomData = d.flag(k, s)
		case "withIdentities":
			v.Identities = d.flag(k, s)
		case "withDepartmentIds":
			v.DepartmentIDs = d.flag(k, s)
		case "withPost":
			v.Posts = d.flag(k, s)
		default:
			d.fail(eiam.Errorf(eiam.ErrUnknownField, k, "unknown_field"))
		}
	}
	if ref.ID == "" {
		d.fail(eiam.Errorf(eiam.ErrMissing, keyUserID, "required"))
	}
	return ref, v, d.err()
}

// DecodeGetProfile reads GET /api/v3/get-profile's query flags.
func DecodeGetProfile(q url.Values) (View, error) {
	d := &decoder{}
	var v View
	params, err := singleParams(q)
	if err != nil {
		return v, err
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		s := params[k]
		switch k {
		case "withCustomData":
			v.CustomData = d.flag(k, s)
		case "withIdentities":
			v.Identities = d.flag(k, s)
		case "withDepartmentIds":
			v.DepartmentIDs = d.flag(k, s)
		default:
			d.fail(eiam.Errorf(eiam.ErrUnknownField, k, "unknown_field"))
		}
	}
	return v, d.err()
}

// flag reads a query boolean as axios writes it ("true"/"false"); empty is
// false.
func (d *decoder) flag(name, s string) bool {
	switch s {
	case "true":
		return true
	case "false", "":
		return false
	}
	d.fail(eiam.Errorf(eiam.ErrInvalid, name, "invalid_type", "type", "true or false"))
	return false
}

func singleParams(q url.Values) (map[string]string, error) {
	out := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, eiam.Errorf(eiam.ErrInvalid, k, "duplicate_key")
		}
		out[k] = vs[0]
	}
	return out, nil
}
