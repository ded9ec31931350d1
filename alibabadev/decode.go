package alibabadev

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// Scopes an application is granted for the user API group (the IDaaS
// console's "permission values").
const (
	// ScopeUserManage allows every user endpoint, reads included.
	ScopeUserManage = "urn:alibaba:idaas:scope:user:manager_all"
	// ScopeUserRead allows GetUser, ListUsers and the getUserIdBy* look-ups.
	ScopeUserRead = "urn:alibaba:idaas:scope:user:read_all"
)

// textNames maps the request keys of text attributes to canonical
// attributes (spec §2). The same names are used when a user is read back.
var textNames = map[string]eiam.Attribute{
	"username":       eiam.AttrUsername,
	"displayName":    eiam.AttrDisplayName,
	"description":    eiam.AttrDescription,
	"email":          eiam.AttrEmail,
	"phoneRegion":    eiam.AttrPhoneRegion,
	"phoneNumber":    eiam.AttrPhoneNumber,
	"userExternalId": eiam.AttrExternalID,
}

// flagNames maps the request keys of boolean attributes.
var flagNames = map[string]eiam.Flag{
	"emailVerified":       eiam.FlagEmailVerified,
	"phoneNumberVerified": eiam.FlagPhoneNumberVerified,
}

// patchKeys are the keys PatchUser defines (seed 002); anything else is
// refused, so a caller never believes a change was made when it was not.
var patchKeys = map[string]bool{
	"username": true, "displayName": true, "phoneRegion": true, "phoneNumber": true,
	"phoneNumberVerified": true, "email": true, "emailVerified": true, "customFields": true,
}

// createKeys are the keys CreateUser defines (generated SDK model).
var createKeys = map[string]bool{
	"username": true, "primaryOrganizationalUnitId": true, "displayName": true, "description": true,
	"email": true, "emailVerified": true, "phoneRegion": true, "phoneNumber": true,
	"phoneNumberVerified": true, "password": true, "passwordInitializationConfig": true,
	"userExternalId": true, "customFields": true,
}

// maxCustomFields bounds the custom-field operations of one request, so a
// body cannot make the update path loop over millions of entries.
const maxCustomFields = 1000

// DecodePatch turns a PatchUser body into a change. Only the keys present
// change; JSON null or "" clears an optional attribute. customFields
// entries carry fieldName, fieldValue and operation (or its deprecated alias
// operator); a missing operation means replace.
func DecodePatch(body []byte) (*eiam.ProfileChange, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	c := &eiam.ProfileChange{}
	var errs []*eiam.Error
	for _, m := range members {
		if !patchKeys[m.Key] {
			errs = append(errs, eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
			continue
		}
		errs = append(errs, decodeMember(m, c, true)...)
	}
	if len(errs) > 0 {
		return nil, eiam.Join(errs)
	}
	return c, nil
}

// DecodeCreate turns a CreateUser body into the change that creates the
// user. username and primaryOrganizationalUnitId are required, as the
// vendor requires them.
func DecodeCreate(body []byte) (*eiam.ProfileChange, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	c := &eiam.ProfileChange{}
	var errs []*eiam.Error
	for _, m := range members {
		switch {
		case !createKeys[m.Key]:
			errs = append(errs, eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
		case m.Key == "primaryOrganizationalUnitId":
			v, err := wire.String(m.Value, m.Key)
			if err != nil {
				errs = append(errs, eiam.AsError(err))
				continue
			}
			c.PrimaryOUID = &v
		case m.Key == "password":
			v, err := wire.String(m.Value, m.Key)
			if err != nil {
				errs = append(errs, eiam.AsError(err))
				continue
			}
			if v != "" {
				c.Password = &v
			}
		case m.Key == "passwordInitializationConfig":
			errs = append(errs, decodePasswordInit(m)...)
		default:
			errs = append(errs, decodeMember(m, c, false)...)
		}
	}
	if c.Attrs[eiam.AttrUsername] == "" && !hasField(errs, "username") {
		errs = append(errs, eiam.Errorf(eiam.ErrMissing, "username", "required"))
	}
	if c.PrimaryOUID == nil || *c.PrimaryOUID == "" {
		errs = append(errs, eiam.Errorf(eiam.ErrMissing, "primaryOrganizationalUnitId", "required"))
	}
	if len(errs) > 0 {
		return nil, eiam.Join(errs)
	}
	return c, nil
}

func hasField(errs []*eiam.Error, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// decodeMember decodes one attribute, flag or customFields member into c.
func decodeMember(m wire.Member, c *eiam.ProfileChange, patch bool) []*eiam.Error {
	if attr, ok := textNames[m.Key]; ok {
		v, err := wire.String(m.Value, m.Key)
		if err != nil {
			return eiam.Violations(err)
		}
		c.SetAttr(attr, v)
		return nil
	}
	if flag, ok := flagNames[m.Key]; ok {
		v, err := wire.Bool(m.Value, m.Key)
		if err != nil {
			return eiam.Violations(err)
		}
		c.SetFlag(flag, v)
		return nil
	}
	if m.Key == "customFields" {
		ops, errs := decodeCustomFields(m.Value, patch)
		c.CustomFields = append(c.CustomFields, ops...)
		return errs
	}
	return []*eiam.Error{eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field")}
}

// decodeCustomFields reads [{fieldName, fieldValue, operation}]. withOp
// allows operation/operator (PatchUser); CreateUser entries only set values.
func decodeCustomFields(raw json.RawMessage, withOp bool) ([]eiam.CustomFieldOp, []*eiam.Error) {
	if wire.IsNull(raw) {
		return nil, nil
	}
	elems, err := decodeArray(raw, "customFields", maxCustomFields)
	if err != nil {
		return nil, eiam.Violations(err)
	}
	var ops []eiam.CustomFieldOp
	var errs []*eiam.Error
	for i, el := range elems {
		path := fmt.Sprintf("customFields[%d]", i)
		op, es := decodeCustomField(el, path, withOp)
		if len(es) > 0 {
			errs = append(errs, es...)
			continue
		}
		ops = append(ops, op)
	}
	return ops, errs
}

func decodeCustomField(raw json.RawMessage, path string, withOp bool) (eiam.CustomFieldOp, []*eiam.Error) {
	members, err := wire.DecodeObject(raw, path)
	if err != nil {
		return eiam.CustomFieldOp{}, eiam.Violations(err)
	}
	var (
		name, value, operation, operator string
		hasValue, hasOperation, hasOp    bool
		errs                             []*eiam.Error
	)
	for _, m := range members {
		field := path + "." + m.Key
		var err error
		switch {
		case m.Key == "fieldName":
			name, err = wire.String(m.Value, field)
		case m.Key == "fieldValue":
			// Values are strings on the wire; numbers and booleans are
			// accepted as their text since the field's type decides anyway.
			value, err = wire.Scalar(m.Value, field)
			hasValue = true
		case m.Key == "operation" && withOp:
			operation, err = wire.String(m.Value, field)
			hasOperation = true
		case m.Key == "operator" && withOp:
			operator, err = wire.String(m.Value, field)
			hasOp = true
		default:
			err = eiam.Errorf(eiam.ErrUnknownField, field, "unknown_field")
		}
		if err != nil {
			errs = append(errs, eiam.Violations(err)...)
		}
	}
	if len(errs) > 0 {
		return eiam.CustomFieldOp{}, errs
	}
	if name == "" {
		return eiam.CustomFieldOp{}, []*eiam.Error{eiam.Errorf(eiam.ErrMissing, path+".fieldName", "required")}
	}
	// operator is the deprecated spelling of operation: either may be
	// sent, both only when they agree.
	if hasOperation && hasOp && operation != operator {
		return eiam.CustomFieldOp{}, []*eiam.Error{eiam.Errorf(eiam.ErrInvalid, path+".operator", "invalid_format",
			"reason", "operator is the deprecated alias of operation and differs from it")}
	}
	if !hasOperation {
		operation = operator
	}
	op, e := parseOperation(operation, path+".operation")
	if e != nil {
		return eiam.CustomFieldOp{}, []*eiam.Error{e}
	}
	if op != eiam.OpRemove && !hasValue {
		// An absent value is not an empty one: clearing takes an explicit
		// "" or null, so a forgotten key cannot erase data.
		return eiam.CustomFieldOp{}, []*eiam.Error{eiam.Errorf(eiam.ErrMissing, path+".fieldValue", "required")}
	}
	return eiam.CustomFieldOp{Name: name, Value: value, Op: op}, nil
}

// parseOperation reads add, replace or remove; empty means replace.
func parseOperation(s, field string) (eiam.Operation, *eiam.Error) {
	switch eiam.Operation(s) {
	case "", eiam.OpReplace:
		return eiam.OpReplace, nil
	case eiam.OpAdd, eiam.OpRemove:
		return eiam.Operation(s), nil
	}
	return "", eiam.Errorf(eiam.ErrInvalid, field, "invalid_enum", "allowed", "add, replace, remove")
}

// decodePasswordInit checks passwordInitializationConfig. With the priority
// "global" the vendor ignores the request's own settings, and so does eiam
// (its instance policy forces no change and sends no notification). With
// "custom" (or none), settings eiam cannot honour are refused rather than
// silently dropped.
func decodePasswordInit(m wire.Member) []*eiam.Error {
	if wire.IsNull(m.Value) {
		return nil
	}
	members, err := wire.DecodeObject(m.Value, m.Key)
	if err != nil {
		return eiam.Violations(err)
	}
	var errs []*eiam.Error
	var priority, forced string
	var channels []string
	for _, f := range members {
		field := m.Key + "." + f.Key
		switch f.Key {
		case "passwordInitializationPolicyPriority":
			priority, err = enum(f.Value, field, "global", "custom")
		case "passwordInitializationType":
			_, err = enum(f.Value, field, "random")
		case "passwordForcedUpdateStatus":
			forced, err = enum(f.Value, field, "enabled", "disabled")
		case "userNotificationChannels":
			channels, err = stringArray(f.Value, field, 10)
			for i, ch := range channels {
				if ch != "email" && ch != "sms" && err == nil {
					err = eiam.Errorf(eiam.ErrInvalid, fmt.Sprintf("%s[%d]", field, i), "invalid_enum", "allowed", "email, sms")
				}
			}
		default:
			err = eiam.Errorf(eiam.ErrUnknownField, field, "unknown_field")
		}
		if err != nil {
			errs = append(errs, eiam.Violations(err)...)
		}
	}
	if len(errs) > 0 || priority == "global" {
		return errs
	}
	if forced == "enabled" {
		errs = append(errs, eiam.Errorf(eiam.ErrInvalid, m.Key+".passwordForcedUpdateStatus", "invalid_enum", "allowed", "disabled"))
	}
	if len(channels) > 0 {
		errs = append(errs, eiam.Errorf(eiam.ErrInvalid, m.Key+".userNotificationChannels", "invalid_format",
			"reason", "this server sends no notifications; leave it empty"))
	}
	return errs
}

// enum decodes a string that must be one of allowed (or empty / null).
func enum(v json.RawMessage, field string, allowed ...string) (string, error) {
	s, err := wire.String(v, field)
	if err != nil || s == "" {
		return s, err
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", eiam.Errorf(eiam.ErrInvalid, field, "invalid_enum", "allowed", strings.Join(allowed, ", "))
}

// stringArray decodes a JSON array of at most max strings; null is empty.
func stringArray(v json.RawMessage, field string, max int) ([]string, error) {
	if wire.IsNull(v) {
		return nil, nil
	}
	elems, err := decodeArray(v, field, max)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(elems))
	for i, el := range elems {
		s, err := wire.String(el, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// decodeArray splits a JSON array into its elements, refusing anything
// else and more than max elements.
func decodeArray(raw json.RawMessage, field string, max int) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, eiam.Errorf(eiam.ErrInvalid, field, "invalid_type", "type", "a JSON array")
	}
	var out []json.RawMessage
	for dec.More() {
		if len(out) == max {
			return nil, eiam.Errorf(eiam.ErrInvalid, field, "too_long", "max", max)
		}
		var el json.RawMessage
		if err := dec.Decode(&el); err != nil {
			return nil, eiam.Errorf(eiam.ErrInvalid, field, "malformed_json", "reason", err.Error())
		}
		out = append(out, el)
	}
	if _, err := dec.Token(); err != nil {
		return nil, eiam.Errorf(eiam.ErrInvalid, field, "malformed_json", "reason", err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, eiam.Errorf(eiam.ErrInvalid, field, "malformed_json", "reason", "data after the array")
	}
	return out, nil
}

// decodeStrings decodes a body of string members, all of them among
// allowed, every one of required present and non-empty (the small bodies of
// the getUserIdBy* and action endpoints).
func decodeStrings(body []byte, allowed []string, required ...string) (map[string]string, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(members))
	var errs []*eiam.Error
	for _, m := range members {
		ok := false
		for _, a := range allowed {
			ok = ok || a == m.Key
		}
		if !ok {
			errs = append(errs, eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
			continue
		}
		v, err := wire.String(m.Value, m.Key)
		if err != nil {
			errs = append(errs, eiam.Violations(err)...)
			continue
		}
		out[m.Key] = v
	}
	for _, r := range required {
		if out[r] == "" && !hasField(errs, r) {
			errs = append(errs, eiam.Errorf(eiam.ErrMissing, r, "required"))
		}
	}
	if len(errs) > 0 {
		return nil, eiam.Join(errs)
	}
	return out, nil
}

// decodeUnitIDs decodes {"organizationalUnitIds": [...]} (1–100 ids).
func decodeUnitIDs(body []byte) ([]string, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	var ids []string
	found := false
	for _, m := range members {
		if m.Key != "organizationalUnitIds" {
			return nil, eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field")
		}
		found = true
		if ids, err = stringArray(m.Value, m.Key, 100); err != nil {
			return nil, err
		}
	}
	if !found || len(ids) == 0 {
		return nil, eiam.Errorf(eiam.ErrMissing, "organizationalUnitIds", "required")
	}
	for i, id := range ids {
		if id == "" {
			return nil, eiam.Errorf(eiam.ErrMissing, fmt.Sprintf("organizationalUnitIds[%d]", i), "required")
		}
	}
	return ids, nil
}
