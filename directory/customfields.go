package directory

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eiam/eiam"
)

var fieldNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,39}$`)

// ValidateFieldDefinition checks a custom field definition before it is
// stored, reporting every violation.
func ValidateFieldDefinition(f *eiam.FieldDefinition) error {
	var errs []*eiam.Error
	add := func(e *eiam.Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if f.Name == "" {
		add(eiam.Errorf(eiam.ErrMissing, "field_name", "required"))
	} else if !fieldNamePattern.MatchString(f.Name) {
		add(eiam.Errorf(eiam.ErrInvalid, "field_name", "invalid_format", "reason", "lowercase letters, digits and _, at most 40"))
	}
	add(checkText("display_name", f.DisplayName, 64))
	add(checkText("description", f.Description, 512))
	switch f.DataType {
	case eiam.TypeString, eiam.TypeNumber, eiam.TypeBoolean, eiam.TypeDate:
	default:
		add(eiam.Errorf(eiam.ErrInvalid, "data_type", "invalid_enum", "allowed", "string, number, boolean, date"))
	}
	switch f.DisplayType {
	case "", eiam.DisplayInput, eiam.DisplaySelect:
	case eiam.DisplayCheckbox:
		if f.DataType != eiam.TypeString {
			add(eiam.Errorf(eiam.ErrInvalid, "display_type", "invalid_format", "reason", "checkbox fields hold strings"))
		}
	default:
		add(eiam.Errorf(eiam.ErrInvalid, "display_type", "invalid_enum", "allowed", "input, select, checkbox"))
	}
	switch f.UserPermission {
	case "", eiam.PermHide, eiam.PermReadOnly, eiam.PermReadWrite:
	default:
		add(eiam.Errorf(eiam.ErrInvalid, "user_permission", "invalid_enum", "allowed", "hide, read_only, read_write"))
	}
	if len(f.Items) > 100 {
		add(eiam.Errorf(eiam.ErrInvalid, "items", "too_long", "max", 100))
	}
	for _, it := range f.Items {
		add(checkText("items.value", it.Value, 64))
		add(checkText("items.display_name", it.DisplayName, 128))
	}
	if f.MaxLength < 0 || f.MaxLength > 4096 {
		add(eiam.Errorf(eiam.ErrInvalid, "max_length", "invalid_format", "reason", "0 to 4096"))
	}
	if f.DefaultValue != "" && len(errs) == 0 {
		if e := checkCustomValue(f, "default_value", f.DefaultValue, time.Now()); e != nil {
			add(e)
		}
	}
	return eiam.Join(errs)
}

// normalizeDefinition fills the defaults of an accepted definition.
func normalizeDefinition(f *eiam.FieldDefinition) {
	if f.DisplayType == "" {
		f.DisplayType = eiam.DisplayInput
	}
	if f.UserPermission == "" {
		f.UserPermission = eiam.PermReadOnly
	}
}

// checkCustomValue checks one value against a field's type, items and length.
// It returns the canonical form of the value (booleans in lower case).
func checkCustomValue(f *eiam.FieldDefinition, field, v string, now time.Time) *eiam.Error {
	_, err := canonicalCustomValue(f, field, v, now)
	return err
}

func canonicalCustomValue(f *eiam.FieldDefinition, field, v string, now time.Time) (string, *eiam.Error) {
	max := f.MaxLength
	if max == 0 {
		max = defaultCustomMax
	}
	if e := checkText(field, v, max); e != nil {
		return "", e
	}
	switch f.DataType {
	case eiam.TypeNumber:
		if len(v) > maxNumberLen || !isDecimal(v) {
			return "", eiam.Errorf(eiam.ErrInvalid, field, "not_a_number")
		}
	case eiam.TypeBoolean:
		switch strings.ToLower(v) {
		case "true", "false":
			v = strings.ToLower(v)
		default:
			return "", eiam.Errorf(eiam.ErrInvalid, field, "not_a_boolean")
		}
	case eiam.TypeDate:
		d, err := time.Parse(time.DateOnly, v)
		if err != nil || d.Format(time.DateOnly) != v {
			return "", eiam.Errorf(eiam.ErrInvalid, field, "invalid_date")
		}
	}
	if len(f.Items) > 0 {
		var allowed []string
		ok := false
		for _, it := range f.Items {
			if it.Disabled {
				continue
			}
			allowed = append(allowed, it.Value)
			ok = ok || it.Value == v
		}
		if !ok {
			return "", eiam.Errorf(eiam.ErrInvalid, field, "not_an_item", "allowed", strings.Join(allowed, ", "))
		}
	}
	return v, nil
}

// isDecimal accepts an optionally signed integer or decimal number.
func isDecimal(s string) bool {
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) {
		return false
	}
	return !hasDot || allDigits(frac)
}

// applyCustomFields applies the operations of a change to next, checking
// each against its definition and the actor's permission. It returns every
// violation.
func applyCustomFields(next *eiam.User, c *eiam.ProfileChange, defs map[string]*eiam.FieldDefinition, actor eiam.Actor, now time.Time) []*eiam.Error {
	var errs []*eiam.Error
	named := make(map[string]bool, len(c.CustomFields))
	for _, op := range c.CustomFields {
		field := op.Path
		if field == "" {
			field = "custom_fields." + op.Name
		}
		def := defs[op.Name]
		switch {
		case def == nil:
			errs = append(errs, eiam.Errorf(eiam.ErrCustomField, field, "undeclared_field"))
			continue
		case def.Disabled:
			errs = append(errs, eiam.Errorf(eiam.ErrCustomField, field, "disabled_field"))
			continue
		case actor.SelfService() && def.UserPermission != eiam.PermReadWrite:
			errs = append(errs, eiam.Errorf(eiam.ErrCustomField, field, "field_not_writable"))
			continue
		}
		named[op.Name] = true
		operation := op.Op
		if operation == "" {
			operation = eiam.OpReplace
		}
		if operation != eiam.OpRemove && op.Value == "" {
			// An explicit empty value clears the field, like any attribute.
			operation = eiam.OpRemove
		}
		switch operation {
		case eiam.OpAdd, eiam.OpReplace:
			v, e := canonicalCustomValue(def, field, op.Value, now)
			if e != nil {
				errs = append(errs, e)
				continue
			}
			cur := next.CustomFields[op.Name]
			switch {
			case def.MultiValued() && operation == eiam.OpAdd:
				if !slices.Contains(cur, v) {
					next.CustomFields[op.Name] = append(cur, v)
				}
			default:
				next.CustomFields[op.Name] = []string{v}
			}
		case eiam.OpRemove:
			cur := next.CustomFields[op.Name]
			if def.MultiValued() && op.Value != "" {
				cur = slices.DeleteFunc(slices.Clone(cur), func(s string) bool { return s == op.Value })
			} else {
				cur = nil
			}
			if len(cur) == 0 {
				if def.Required {
					errs = append(errs, eiam.Errorf(eiam.ErrInvalid, field, "cannot_remove_required"))
					continue
				}
				delete(next.CustomFields, op.Name)
			} else {
				next.CustomFields[op.Name] = cur
			}
		default:
			errs = append(errs, eiam.Errorf(eiam.ErrInvalid, field, "invalid_operation"))
		}
	}
	if c.CustomFieldsReplace {
		for name := range next.CustomFields {
			if !named[name] {
				if d := defs[name]; d != nil && d.Required {
					errs = append(errs, eiam.Errorf(eiam.ErrInvalid, "custom_fields."+name, "cannot_remove_required"))
					continue
				}
				if d := defs[name]; actor.SelfService() && (d == nil || d.UserPermission != eiam.PermReadWrite) {
					continue // a self-service replace leaves fields the user cannot write alone
				}
				delete(next.CustomFields, name)
			}
		}
	}
	return errs
}

// requireCustomFields fills defaults of a new user and reports required
// fields left without a value.
func requireCustomFields(u *eiam.User, defs map[string]*eiam.FieldDefinition) []*eiam.Error {
	var errs []*eiam.Error
	for name, d := range defs {
		if d.Disabled || len(u.CustomFields[name]) > 0 {
			continue
		}
		if d.DefaultValue != "" {
			u.CustomFields[name] = []string{d.DefaultValue}
		} else if d.Required {
			errs = append(errs, eiam.Errorf(eiam.ErrMissing, "custom_fields."+name, "required"))
		}
	}
	return errs
}
