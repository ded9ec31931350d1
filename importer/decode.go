package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
)

// decoder reads a JSON document token by token, so that every problem can
// be reported with its path in the file and decoding can go on after one:
// unknown keys, duplicated keys and wrong types are collected; only broken
// JSON syntax stops it.
//
// The users of an instance are not decoded with the rest: a first pass
// (decodeOutline) reads everything else and only counts them, and later
// passes (eachUser) hand each user's raw JSON to a function, which decodes
// it on its own with decodeUser. So a file of millions of users is read
// three times, never held.
//
// Tokens are read with jsontext (encoding/json/v2's tokenizer, here from
// its mirror module): encoding/json's Decoder.Token decodes every scalar as
// a top-level value and builds an error to find where it ends, which was a
// fifth of an import's checking time. They are handed on as encoding/json
// tokens (Delim, string, Number, bool, nil), which the code below reads.
type decoder struct {
	dec   *jsontext.Decoder
	probs []Problem
	// instance is the index of the instance being decoded.
	instance int
	// user, when set, receives each user of the file instead of the
	// users being counted; the rest is then decoded again and dropped
	// (access keys are skipped).
	user func(instance, k int, raw json.RawMessage) error
}

// syntaxError is broken JSON: decoding cannot continue past it.
type syntaxError struct {
	problem Problem
}

func (e *syntaxError) Error() string { return e.problem.String() }

// newDecoder reads r. Duplicated keys are let through to be reported as
// problems by object; invalid UTF-8 is broken JSON.
func newDecoder(r io.Reader) *decoder {
	return &decoder{dec: jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true))}
}

// knownAttrs holds the canonical user attributes the directory accepts.
var knownAttrs = sync.OnceValue(func() map[eiam.Attribute]bool {
	known := make(map[eiam.Attribute]bool)
	for _, a := range directory.Attributes() {
		known[a] = true
	}
	return known
})

// decodeOutline decodes a whole import file but its users, which it counts
// (and checks for broken JSON). Problems of content are returned in file
// order; the error is set only for broken JSON.
func decodeOutline(r io.Reader) (*File, []Problem, error) {
	d := newDecoder(r)
	var f File
	if err := d.into("", &f); err != nil {
		return nil, nil, err
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return nil, nil, &syntaxError{Problem{Path: "(file)", Message: fmt.Sprintf(
			"unexpected data after the top-level object at byte %d", d.dec.InputOffset())}}
	}
	return &f, d.probs, nil
}

// eachUser reads the file at r from its start and calls fn with each user's
// raw JSON, the index of its instance in the file and its index there. The
// file must have passed decodeOutline.
func eachUser(r io.ReadSeeker, fn func(instance, k int, raw json.RawMessage) error) error {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind the file: %w", err)
	}
	d := newDecoder(r)
	d.user = fn
	var f File
	return d.into("", &f)
}

// decodeUser decodes the raw JSON of the user at path.
func decodeUser(raw json.RawMessage, path string) (*User, []Problem, error) {
	d := newDecoder(bytes.NewReader(raw))
	var u User
	if err := u.decodeValue(d, path); err != nil {
		return nil, nil, err
	}
	return &u, d.probs, nil
}

// decodeValue reads the file's top level; it is written out, rather than
// left to the struct decoder, to number the instances for their users.
func (f *File) decodeValue(d *decoder, path string) error {
	t, err := d.token(path)
	if err != nil {
		return err
	}
	return d.object(path, t, func(key, p string) error {
		switch key {
		case "instances":
			t, err := d.token(p)
			if err != nil || t == nil {
				return err
			}
			return d.array(p, t, func(i int, ep string) error {
				d.instance = i
				var in Instance
				if err := d.value(ep, reflect.ValueOf(&in).Elem()); err != nil {
					return err
				}
				if d.user == nil {
					f.Instances = append(f.Instances, in)
				}
				return nil
			})
		case "access_keys":
			if d.user != nil {
				return d.skipValue(p)
			}
			return d.into(p, &f.AccessKeys)
		}
		return d.unknown(p)
	})
}

// userArray stands for the users of an instance: their number, as the
// first pass counts them.
type userArray struct {
	n int
}

func (ua *userArray) decodeValue(d *decoder, path string) error {
	t, err := d.token(path)
	if err != nil || t == nil {
		return err
	}
	return d.array(path, t, func(k int, p string) error {
		raw, err := d.dec.ReadValue()
		if err != nil {
			return d.syntax(p, err)
		}
		ua.n++
		if d.user != nil {
			// raw is only valid until the next read.
			return d.user(d.instance, k, json.RawMessage(bytes.Clone(raw)))
		}
		return nil
	})
}

func (d *decoder) problem(path, format string, args ...any) {
	d.probs = append(d.probs, Problem{Path: orFile(path), Message: fmt.Sprintf(format, args...)})
}

func orFile(path string) string {
	if path == "" {
		return "(file)"
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// token reads the next token as encoding/json would have returned it (with
// UseNumber): a Delim, string, Number, bool or nil.
func (d *decoder) token(path string) (json.Token, error) {
	t, err := d.dec.ReadToken()
	if err != nil {
		return nil, d.syntax(path, err)
	}
	switch k := t.Kind(); k {
	case '{', '}', '[', ']':
		return json.Delim(k), nil
	case '"':
		return t.String(), nil
	case '0':
		return json.Number(t.String()), nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	}
	return nil, nil // 'n': null
}

// more reports whether the array or object being read has another element.
// On broken JSON it is false, and reading the closing token reports it.
func (d *decoder) more() bool {
	k := d.dec.PeekKind()
	return k != ']' && k != '}' && k != 0
}

// syntax turns an error of the JSON decoder at path into a syntaxError.
func (d *decoder) syntax(path string, err error) error {
	msg := err.Error()
	offset := d.dec.InputOffset()
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		offset = se.ByteOffset
		if se.Err != nil {
			msg = se.Err.Error()
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of file"
	}
	return &syntaxError{Problem{Path: orFile(path), Message: fmt.Sprintf(
		"invalid JSON at byte %d: %s", offset, strings.TrimPrefix(msg, "jsontext: "))}}
}

// skipValue consumes the next value.
func (d *decoder) skipValue(path string) error {
	if err := d.dec.SkipValue(); err != nil {
		return d.syntax(path, err)
	}
	return nil
}

// skip consumes the rest of a value whose first token was t.
func (d *decoder) skip(path string, t json.Token) error {
	delim, ok := t.(json.Delim)
	if !ok || delim == '}' || delim == ']' {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := d.token(path)
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// mismatch records a value of the wrong type and skips it.
func (d *decoder) mismatch(path string, t json.Token, want string) error {
	d.problem(path, "must be %s", want)
	return d.skip(path, t)
}

// object reads an object whose first token is t, calling member for each
// key. A duplicated key is a problem and its second value is skipped.
func (d *decoder) object(path string, t json.Token, member func(key, path string) error) error {
	if t != json.Delim('{') {
		return d.mismatch(path, t, "an object")
	}
	seen := make(map[string]bool)
	for d.more() {
		kt, err := d.token(path)
		if err != nil {
			return err
		}
		key := kt.(string) // object keys are always strings
		p := join(path, key)
		if seen[key] {
			d.problem(p, "appears more than once")
			vt, err := d.token(p)
			if err != nil {
				return err
			}
			if err := d.skip(p, vt); err != nil {
				return err
			}
			continue
		}
		seen[key] = true
		if err := member(key, p); err != nil {
			return err
		}
	}
	_, err := d.token(path) // the closing brace
	return err
}

// array reads an array whose first token is t, calling elem for each element.
func (d *decoder) array(path string, t json.Token, elem func(i int, path string) error) error {
	if t != json.Delim('[') {
		return d.mismatch(path, t, "an array")
	}
	for i := 0; d.more(); i++ {
		if err := elem(i, index(path, i)); err != nil {
			return err
		}
	}
	_, err := d.token(path) // the closing bracket
	return err
}

// unknown records a key the file format does not define and skips its value.
func (d *decoder) unknown(path string) error {
	d.problem(path, "unknown field")
	t, err := d.token(path)
	if err != nil {
		return err
	}
	return d.skip(path, t)
}

// valueDecoder is implemented by types that read themselves.
type valueDecoder interface {
	decodeValue(d *decoder, path string) error
}

// into decodes the next value into the value ptr points to.
func (d *decoder) into(path string, ptr any) error {
	return d.value(path, reflect.ValueOf(ptr).Elem())
}

// value decodes the next value into v: structs by their json tags (other
// keys are unknown fields), slices, strings, booleans, integers. A JSON null
// leaves v as it is.
func (d *decoder) value(path string, v reflect.Value) error {
	if v.CanAddr() {
		if vd, ok := v.Addr().Interface().(valueDecoder); ok {
			return vd.decodeValue(d, path)
		}
	}
	t, err := d.token(path)
	if err != nil || t == nil {
		return err
	}
	return d.assign(path, t, v)
}

// assign decodes the value whose first token is t into v.
func (d *decoder) assign(path string, t json.Token, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		n := len(d.probs)
		if err := d.assign(path, t, e.Elem()); err != nil {
			return err
		}
		if len(d.probs) == n {
			v.Set(e)
		}
	case reflect.Struct:
		fields := structFields(v.Type())
		return d.object(path, t, func(key, p string) error {
			i, ok := fields[key]
			if !ok {
				d.problem(p, "unknown field")
				vt, err := d.token(p)
				if err != nil {
					return err
				}
				return d.skip(p, vt)
			}
			return d.value(p, v.Field(i))
		})
	case reflect.Slice:
		return d.array(path, t, func(i int, p string) error {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.value(p, e); err != nil {
				return err
			}
			v.Set(reflect.Append(v, e))
			return nil
		})
	case reflect.String:
		s, ok := t.(string)
		if !ok {
			return d.mismatch(path, t, "a string")
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := t.(bool)
		if !ok {
			return d.mismatch(path, t, "true or false")
		}
		v.SetBool(b)
	case reflect.Int:
		n, ok := t.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil {
			return d.mismatch(path, t, "an integer")
		}
		v.SetInt(i)
	default:
		panic(fmt.Sprintf("importer: cannot decode into %s", v.Type()))
	}
	return nil
}

// structFields maps the json names of a struct's fields to their index.
func structFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// decodeValue reads a user: the canonical attributes the directory accepts
// (address ones inside "address") plus the keys below; anything else is an
// unknown field. JSON null clears an attribute, as in every API.
func (u *User) decodeValue(d *decoder, path string) error {
	t, err := d.token(path)
	if err != nil {
		return err
	}
	u.Attrs = make(map[eiam.Attribute]string)
	return d.object(path, t, func(key, p string) error {
		switch key {
		case "id":
			return d.into(p, &u.ID)
		case "password":
			return d.into(p, &u.Password)
		case "email_verified":
			return d.into(p, &u.EmailVerified)
		case "phone_number_verified":
			return d.into(p, &u.PhoneNumberVerified)
		case "status":
			return d.into(p, &u.Status)
		case "primary_organizational_unit_id":
			return d.into(p, &u.PrimaryOUID)
		case "organizational_unit_ids":
			return d.into(p, &u.OUIDs)
		case "custom_fields":
			return d.customFields(p, u)
		case "address":
			t, err := d.token(p)
			if err != nil || t == nil {
				return err
			}
			return d.object(p, t, func(sub, sp string) error {
				a := eiam.Attribute("address." + sub)
				if !knownAttrs()[a] {
					return d.unknown(sp)
				}
				return d.attr(sp, u, a)
			})
		}
		a := eiam.Attribute(key)
		if !knownAttrs()[a] || strings.Contains(key, ".") {
			return d.unknown(p)
		}
		return d.attr(p, u, a)
	})
}

// attr reads a text attribute; null is "" (clear).
func (d *decoder) attr(path string, u *User, a eiam.Attribute) error {
	t, err := d.token(path)
	if err != nil {
		return err
	}
	switch v := t.(type) {
	case nil:
		u.Attrs[a] = ""
	case string:
		u.Attrs[a] = v
	default:
		return d.mismatch(path, t, "a string")
	}
	return nil
}

// customFields reads {"name": value, …}: a value is a string, number or
// boolean (written as text), an array of them for a checkbox field, or null
// to clear the field.
func (d *decoder) customFields(path string, u *User) error {
	t, err := d.token(path)
	if err != nil || t == nil {
		return err
	}
	return d.object(path, t, func(name, p string) error {
		t, err := d.token(p)
		if err != nil {
			return err
		}
		cv := CustomValue{Name: name}
		if t == json.Delim('[') {
			err = d.array(p, t, func(_ int, ep string) error {
				et, err := d.token(ep)
				if err != nil {
					return err
				}
				s, ok := scalarText(et)
				if !ok || et == nil {
					return d.mismatch(ep, et, "a string, number or boolean")
				}
				cv.Values = append(cv.Values, s)
				return nil
			})
		} else if s, ok := scalarText(t); !ok {
			return d.mismatch(p, t, "a string, number, boolean, array or null")
		} else if t != nil {
			cv.Values = []string{s}
		}
		u.CustomFields = append(u.CustomFields, cv)
		return err
	})
}

func scalarText(t json.Token) (string, bool) {
	switch v := t.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}
