package alibabarpc

import (
	"strconv"
	"unicode/utf8"

	"github.com/eiam/eiam"
)

// Version is the only API version served.
const Version = "2021-12-01"

// textParams maps parameters of text attributes to canonical attributes
// (spec §2). Which of them an action accepts is listed per action.
var textParams = map[string]eiam.Attribute{
	"Username":       eiam.AttrUsername,
	"DisplayName":    eiam.AttrDisplayName,
	"Description":    eiam.AttrDescription,
	"Email":          eiam.AttrEmail,
	"PhoneRegion":    eiam.AttrPhoneRegion,
	"PhoneNumber":    eiam.AttrPhoneNumber,
	"UserExternalId": eiam.AttrExternalID,
}

var flagParams = map[string]eiam.Flag{
	"EmailVerified":       eiam.FlagEmailVerified,
	"PhoneNumberVerified": eiam.FlagPhoneNumberVerified,
}

// The parameters UpdateUser and CreateUser read into the change (§A.8).
var (
	updateText  = []string{"Username", "DisplayName", "PhoneRegion", "PhoneNumber", "Email"}
	createText  = []string{"Username", "DisplayName", "PhoneRegion", "PhoneNumber", "Email", "UserExternalId", "Description"}
	changeFlags = []string{"EmailVerified", "PhoneNumberVerified"}
)

// UpdateUserRequest is a decoded UpdateUser call.
type UpdateUserRequest struct {
	InstanceID string
	UserID     string
	Change     *eiam.ProfileChange
}

// DecodeUpdateUser reads UpdateUser: only the parameters sent change; an
// empty value clears an optional attribute. CustomFields.N.Operation is
// add, replace (the default) or remove.
func DecodeUpdateUser(vals map[string]string) (*UpdateUserRequest, error) {
	p := NewParams(vals)
	req := &UpdateUserRequest{InstanceID: p.Required("InstanceId"), UserID: p.Required("UserId"), Change: &eiam.ProfileChange{}}
	readChange(p, req.Change, updateText, true)
	if err := p.Finish(); err != nil {
		return nil, err
	}
	return req, nil
}

// CreateUserRequest is a decoded CreateUser call.
type CreateUserRequest struct {
	InstanceID string
	Change     *eiam.ProfileChange
	// ClientToken makes retries idempotent: the same token from the same
	// access key creates at most one user.
	ClientToken string
}

// DecodeCreateUser reads CreateUser. Username and
// PrimaryOrganizationalUnitId are required, as the vendor requires them.
func DecodeCreateUser(vals map[string]string) (*CreateUserRequest, error) {
	p := NewParams(vals)
	req := &CreateUserRequest{InstanceID: p.Required("InstanceId"), Change: &eiam.ProfileChange{}}
	c := req.Change
	if v := p.Required("Username"); v != "" {
		c.SetAttr(eiam.AttrUsername, v)
	}
	readChange(p, c, createText, false)
	primary := p.Required("PrimaryOrganizationalUnitId")
	c.PrimaryOUID = &primary
	if units := p.List("OrganizationalUnitIds", 100); len(units) > 0 {
		c.OUIDs = &units
	}
	if pw, _ := p.String("Password"); pw != "" {
		c.Password = &pw
	}
	readPasswordInit(p)
	req.ClientToken, _ = p.String("ClientToken")
	if t := req.ClientToken; len(t) > 64 || !isASCIIPrintable(t) {
		p.fail(eiam.Errorf(eiam.ErrInvalid, "ClientToken", "invalid_format", "reason", "at most 64 printable ASCII characters"))
	}
	if err := p.Finish(); err != nil {
		return nil, err
	}
	return req, nil
}

func isASCIIPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// readChange reads the text attributes named by text, the verified flags
// and the custom fields into c.
func readChange(p *Params, c *eiam.ProfileChange, text []string, withOp bool) {
	for _, name := range text {
		if v, ok := p.String(name); ok {
			c.SetAttr(textParams[name], v)
		}
	}
	for _, name := range changeFlags {
		if v, ok := p.Bool(name); ok {
			c.SetFlag(flagParams[name], v)
		}
	}
	subs := []string{"FieldName", "FieldValue"}
	if withOp {
		subs = append(subs, "Operation")
	}
	for _, e := range p.Objects("CustomFields", subs, MaxListIndex) {
		if op, ok := customFieldOp(p, e); ok {
			c.CustomFields = append(c.CustomFields, op)
		}
	}
}

// customFieldOp turns one CustomFields.N entry into an operation. A missing
// value is not an empty one: add and replace need FieldValue (an explicit
// empty value clears the field), remove does not.
func customFieldOp(p *Params, e Entry) (eiam.CustomFieldOp, bool) {
	name := e.Subs["FieldName"]
	if name == "" {
		p.fail(eiam.Errorf(eiam.ErrMissing, e.Path+".FieldName", "required"))
		return eiam.CustomFieldOp{}, false
	}
	var op eiam.Operation
	switch s := e.Subs["Operation"]; eiam.Operation(s) {
	case "", eiam.OpReplace:
		op = eiam.OpReplace
	case eiam.OpAdd, eiam.OpRemove:
		op = eiam.Operation(s)
	default:
		p.fail(eiam.Errorf(eiam.ErrInvalid, e.Path+".Operation", "invalid_enum", "allowed", "add, replace, remove"))
		return eiam.CustomFieldOp{}, false
	}
	value, hasValue := e.Subs["FieldValue"]
	if !hasValue && op != eiam.OpRemove {
		p.fail(eiam.Errorf(eiam.ErrMissing, e.Path+".FieldValue", "required"))
		return eiam.CustomFieldOp{}, false
	}
	return eiam.CustomFieldOp{Name: name, Value: value, Op: op}, true
}

// readPasswordInit checks PasswordInitializationConfig. With the priority
// global the vendor ignores the request's own settings, and so does eiam,
// whose instance policy forces no change and notifies no one. With custom
// (or none), settings eiam cannot honour are refused, not dropped.
func readPasswordInit(p *Params) {
	const prefix = "PasswordInitializationConfig."
	priority := p.Enum(prefix+"PasswordInitializationPolicyPriority", "global", "custom")
	p.Enum(prefix+"PasswordInitializationType", "random")
	forced := p.Enum(prefix+"PasswordForcedUpdateStatus", "enabled", "disabled")
	channels := p.List(prefix+"UserNotificationChannels", 10)
	for i, ch := range channels {
		if ch != "email" && ch != "sms" {
			p.fail(eiam.Errorf(eiam.ErrInvalid, prefix+"UserNotificationChannels."+strconv.Itoa(i+1), "invalid_enum", "allowed", "email, sms"))
			return
		}
	}
	if priority == "global" {
		return
	}
	if forced == "enabled" {
		p.fail(eiam.Errorf(eiam.ErrInvalid, prefix+"PasswordForcedUpdateStatus", "invalid_enum", "allowed", "disabled"))
	}
	if len(channels) > 0 {
		p.fail(eiam.Errorf(eiam.ErrInvalid, prefix+"UserNotificationChannels", "invalid_format",
			"reason", "this server sends no notifications; leave it empty"))
	}
}

// UserRequest is a decoded call naming one user: GetUser, DeleteUser,
// EnableUser, DisableUser.
type UserRequest struct {
	InstanceID string
	UserID     string
}

// DecodeUserRequest reads InstanceId and UserId, refusing anything else.
func DecodeUserRequest(vals map[string]string) (*UserRequest, error) {
	p := NewParams(vals)
	req := &UserRequest{InstanceID: p.Required("InstanceId"), UserID: p.Required("UserId")}
	if err := p.Finish(); err != nil {
		return nil, err
	}
	return req, nil
}

// ListUsersRequest is a decoded ListUsers call. Filters on unique values
// (Email, phone, UserExternalId) are resolved to user ids by the handler,
// so that any number of them combine with each other and with UserIds.
type ListUsersRequest struct {
	InstanceID string
	Query      eiam.UserQuery
	// Cursor is true when the caller pages with MaxResults/NextToken
	// rather than PageNumber/PageSize.
	Cursor bool
	// Email, Phone ("region number" or a bare number) and ExternalID are
	// exact filters; empty when not given.
	Email, Phone, ExternalID string
	// None is true when a filter can match no user of this directory (a
	// source other than its own).
	None bool
}

// DecodeListUsers reads ListUsers' paging and filters.
func DecodeListUsers(vals map[string]string) (*ListUsersRequest, error) {
	p := NewParams(vals)
	req := &ListUsersRequest{InstanceID: p.Required("InstanceId")}
	q := &req.Query
	q.WithTotal = true
	next, _ := p.String("NextToken")
	if p.Has("MaxResults") || next != "" {
		req.Cursor = true
		q.Limit = p.Int("MaxResults", 20, 1, 100)
		q.After = next
		if p.Has("PageNumber") || p.Has("PageSize") {
			p.fail(eiam.Errorf(eiam.ErrInvalid, "PageNumber", "invalid_format",
				"reason", "page either with PageNumber/PageSize or with MaxResults/NextToken"))
		}
	} else {
		number := p.Int("PageNumber", 1, 1, 1<<31-1)
		q.Limit = p.Int("PageSize", 20, 1, 100)
		q.Offset = (number - 1) * q.Limit
	}
	q.UsernamePrefix, _ = p.String("UsernameStartsWith")
	q.DisplayNamePrefix, _ = p.String("DisplayNameStartsWith")
	q.OUID, _ = p.String("OrganizationalUnitId")
	q.Status = eiam.Status(p.Enum("Status", string(eiam.StatusEnabled), string(eiam.StatusDisabled)))
	q.IDs = p.List("UserIds", 100)
	req.Email, _ = p.String("Email")
	req.ExternalID, _ = p.String("UserExternalId")
	number, _ := p.String("PhoneNumber")
	region, _ := p.String("PhoneRegion")
	switch {
	case number != "" && region != "":
		req.Phone = region + " " + number
	case number != "":
		req.Phone = number
	case region != "":
		// A region alone selects nothing exact; refusing it is better than
		// silently listing everyone.
		p.fail(eiam.Errorf(eiam.ErrMissing, "PhoneNumber", "required"))
	}
	if t, _ := p.String("UserSourceType"); t != "" && t != SourceBuiltIn {
		req.None = true
	}
	if s, _ := p.String("UserSourceId"); s != "" && s != req.InstanceID {
		req.None = true
	}
	if err := p.Finish(); err != nil {
		return nil, err
	}
	return req, nil
}

// FieldRequest is a decoded call naming one custom field definition.
type FieldRequest struct {
	InstanceID string
	FieldID    string
}

// DecodeFieldRequest reads InstanceId and FieldId.
func DecodeFieldRequest(vals map[string]string) (*FieldRequest, error) {
	p := NewParams(vals)
	req := &FieldRequest{InstanceID: p.Required("InstanceId"), FieldID: p.Required("FieldId")}
	if err := p.Finish(); err != nil {
		return nil, err
	}
	return req, nil
}

// CreateFieldRequest is a decoded CreateCustomField call.
type CreateFieldRequest struct {
	InstanceID string
	Field      *eiam.FieldDefinition
}

// DecodeCreateCustomField reads CreateCustomField into a definition; the
// directory validates it.
func DecodeCreateCustomField(vals map[string]string) (*CreateFieldRequest, error) {
	p := NewParams(vals)
	req := &CreateFieldRequest{InstanceID: p.Required("InstanceId")}
	if t := p.Required("EntityType"); t != "" && t != "user" {
		p.fail(eiam.Errorf(eiam.ErrInvalid, "EntityType", "invalid_enum", "allowed", "user"))
	}
	f := &eiam.FieldDefinition{
		InstanceID:  req.InstanceID,
		Name:        p.Required("FieldName"),
		DisplayName: p.Required("FieldDisplayName"),
		DataType:    eiam.DataType(p.Required("FieldDataType")),
		DisplayType: eiam.DisplayType(p.Required("FieldDisplayType")),
	}
	f.DefaultValue, _ = p.String("DefaultValue")
	f.Description, _ = p.String("Description")
	f.Required, _ = p.Bool("Required")
	f.Unique, _ = p.Bool("Unique")
	f.Encrypted, _ = p.Bool("Encrypted")
	f.UserPermission = eiam.Permission(p.Enum("UserPermission",
		string(eiam.PermHide), string(eiam.PermReadOnly), string(eiam.PermReadWrite)))
	for _, e := range p.Objects("FieldDataConfig.Items", []string{"Value", "DisplayName", "Status"}, 100) {
		it := eiam.FieldItem{Value: e.Subs["Value"], DisplayName: e.Subs["DisplayName"]}
		if it.Value == "" {
			p.fail(eiam.Errorf(eiam.ErrMissing, e.Path+".Value", "required"))
			continue
		}
		switch e.Subs["Status"] {
		case "", "enabled":
		case "disabled":
			it.Disabled = true
		default:
			p.fail(eiam.Errorf(eiam.ErrInvalid, e.Path+".Status", "invalid_enum", "allowed", "enabled, disabled"))
		}
		f.Items = append(f.Items, it)
	}
	if f.DefaultValue != "" && len(f.Items) > 0 {
		ok := false
		for _, it := range f.Items {
			ok = ok || (it.Value == f.DefaultValue && !it.Disabled)
		}
		if !ok {
			p.fail(eiam.Errorf(eiam.ErrInvalid, "DefaultValue", "invalid_format", "reason", "not an enabled item"))
		}
	}
	if utf8.RuneCountInString(f.DefaultValue) > 1024 {
		p.fail(eiam.Errorf(eiam.ErrInvalid, "DefaultValue", "too_long", "max", 1024))
	}
	if err := p.Finish(); err != nil {
		return nil, err
	}
	req.Field = f
	return req, nil
}
