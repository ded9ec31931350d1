package alibabarpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// protocolParams are the common parameters of the signature and the
// gateway (§A.2). They are never business fields; a handler does not see
// them and they are never reported as unknown.
var protocolParams = map[string]bool{
	"Action": true, "Version": true, "Format": true, "AccessKeyId": true,
	"SignatureMethod": true, "SignatureVersion": true, "SignatureNonce": true,
	"Timestamp": true, "Signature": true, "SignatureType": true, "SecurityToken": true,
	"RegionId": true, "ResourceOwnerAccount": true, "OwnerId": true,
}

// MaxListIndex bounds the index N of a flat list parameter (X.N, X.N.Sub),
// and so the number of entries of one list: a request cannot make the
// server allocate or loop over more than this many.
const MaxListIndex = 1000

// Params reads the business parameters of one request, one value per name,
// and remembers which names an action read, so that every other name can
// be refused (a caller must not believe an unread parameter took effect).
// Errors are collected rather than returned one by one, so a caller learns
// every problem of a request at once.
type Params struct {
	vals map[string]string
	used map[string]bool
	errs []*eiam.Error
}

// NewParams returns a reader over vals (protocol parameters included; they
// are ignored).
func NewParams(vals map[string]string) *Params {
	p := &Params{vals: vals, used: make(map[string]bool, len(vals))}
	for k := range vals {
		if protocolParams[k] {
			p.used[k] = true
		}
	}
	return p
}

// fail records a violation.
func (p *Params) fail(e *eiam.Error) { p.errs = append(p.errs, e) }

// Has reports whether name was sent (possibly empty).
func (p *Params) Has(name string) bool {
	_, ok := p.vals[name]
	return ok
}

// String returns the value of name and whether it was sent.
func (p *Params) String(name string) (string, bool) {
	v, ok := p.vals[name]
	p.used[name] = true
	return v, ok
}

// Required returns the value of name, recording MissingParameter when it is
// absent or empty.
func (p *Params) Required(name string) string {
	v, _ := p.String(name)
	if v == "" {
		p.fail(eiam.Errorf(eiam.ErrMissing, name, "required"))
	}
	return v
}

// Bool reads a boolean sent as true or false (any case: some SDKs write
// their language's spelling).
func (p *Params) Bool(name string) (v, ok bool) {
	s, ok := p.String(name)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	p.fail(eiam.Errorf(eiam.ErrInvalid, name, "invalid_type", "type", "true or false"))
	return false, false
}

// Int reads a decimal integer in [lo, hi]; absent or empty gives def.
func (p *Params) Int(name string, def, lo, hi int) int {
	s, _ := p.String(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		p.fail(eiam.Errorf(eiam.ErrInvalid, name, "invalid_format",
			"reason", "an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)))
		return def
	}
	return n
}

// Enum reads a value that must be one of allowed (or absent / empty).
func (p *Params) Enum(name string, allowed ...string) string {
	s, _ := p.String(name)
	if s == "" || slices.Contains(allowed, s) {
		return s
	}
	p.fail(eiam.Errorf(eiam.ErrInvalid, name, "invalid_enum", "allowed", strings.Join(allowed, ", ")))
	return ""
}

// Entry is one element of a flat list: X.N (Value) or X.N.Sub (Subs).
type Entry struct {
	// Index is N as sent (1-based; gaps are tolerated).
	Index int
	// Path names the element in errors ("CustomFields.2").
	Path string
	// Value is the element of a list of scalars.
	Value string
	// Subs holds the sub-keys sent for an element of a list of objects; a
	// sub-key that was not sent is absent, not empty.
	Subs map[string]string
}

// List reads a list of scalars sent as name.1, name.2, … in index order,
// or, as a fallback, as one JSON array in name itself; nil when none was
// sent, so "no filter" and "an empty filter" stay apart.
func (p *Params) List(name string, max int) []string {
	entries := p.entries(name, nil, max)
	if len(entries) == 0 {
		return nil
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Value
	}
	return out
}

// Objects reads a list of objects sent as name.N.Sub (subs lists the
// sub-keys defined) in index order, or as one JSON array of objects in name
// itself (the "style=json" form some Alibaba clients use for other
// products).
func (p *Params) Objects(name string, subs []string, max int) []Entry {
	return p.entries(name, subs, max)
}

func (p *Params) entries(name string, subs []string, max int) []Entry {
	if max <= 0 || max > MaxListIndex {
		max = MaxListIndex
	}
	prefix := name + "."
	byIndex := map[int]*Entry{}
	flat := false
	// Keys are visited in order so the errors reported are stable.
	for _, k := range slices.Sorted(maps.Keys(p.vals)) {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		p.used[k] = true
		flat = true
		idxText, sub, hasSub := strings.Cut(rest, ".")
		idx, ok := parseIndex(idxText, max)
		if !ok {
			p.fail(eiam.Errorf(eiam.ErrInvalid, k, "invalid_format",
				"reason", "the list index must be a number from 1 to "+strconv.Itoa(max)))
			continue
		}
		if hasSub != (subs != nil) || (hasSub && !slices.Contains(subs, sub)) {
			p.fail(eiam.Errorf(eiam.ErrUnknownField, k, "unknown_field"))
			continue
		}
		e := byIndex[idx]
		if e == nil {
			e = &Entry{Index: idx, Path: name + "." + strconv.Itoa(idx)}
			byIndex[idx] = e
		}
		if hasSub {
			if e.Subs == nil {
				e.Subs = map[string]string{}
			}
			e.Subs[sub] = p.vals[k]
		} else {
			e.Value = p.vals[k]
		}
	}
	if raw, ok := p.vals[name]; ok {
		p.used[name] = true
		if flat {
			p.fail(eiam.Errorf(eiam.ErrInvalid, name, "invalid_format",
				"reason", "send the list either as "+name+".N or as one JSON array, not both"))
			return nil
		}
		out, err := jsonEntries(name, raw, subs, max)
		if err != nil {
			p.fail(err)
			return nil
		}
		return out
	}
	out := make([]Entry, 0, len(byIndex))
	for _, idx := range slices.Sorted(maps.Keys(byIndex)) {
		out = append(out, *byIndex[idx])
	}
	return out
}

// parseIndex reads N of X.N: decimal digits without a leading zero, 1 to max.
// Anything longer than the bound's digits is refused before conversion, so
// a huge index cannot overflow.
func parseIndex(s string, max int) (int, bool) {
	if s == "" || len(s) > len(strconv.Itoa(max)) || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= 1 && n <= max
}

// jsonEntries decodes the JSON-array fallback of a list parameter. Object
// members are the sub-keys (a null member is absent); scalars are taken as
// their text.
func jsonEntries(name, raw string, subs []string, max int) ([]Entry, *eiam.Error) {
	elems, err := splitArray([]byte(raw), max)
	if err != nil {
		return nil, eiam.Errorf(eiam.ErrInvalid, name, "invalid_format", "reason", err.Error())
	}
	out := make([]Entry, 0, len(elems))
	for i, el := range elems {
		e := Entry{Index: i + 1, Path: name + "." + strconv.Itoa(i+1)}
		if subs == nil {
			v, err := wire.Scalar(el, e.Path)
			if err != nil {
				return nil, eiam.AsError(err)
			}
			e.Value = v
			out = append(out, e)
			continue
		}
		members, err := wire.DecodeObject(el, e.Path)
		if err != nil {
			return nil, eiam.AsError(err)
		}
		e.Subs = map[string]string{}
		for _, m := range members {
			path := e.Path + "." + m.Key
			if !slices.Contains(subs, m.Key) {
				return nil, eiam.Errorf(eiam.ErrUnknownField, path, "unknown_field")
			}
			if wire.IsNull(m.Value) {
				continue
			}
			v, err := wire.Scalar(m.Value, path)
			if err != nil {
				return nil, eiam.AsError(err)
			}
			e.Subs[m.Key] = v
		}
		out = append(out, e)
	}
	return out, nil
}

// splitArray splits a JSON array into at most max elements.
func splitArray(b []byte, max int) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, errors.New("not a JSON array")
	}
	var out []json.RawMessage
	for dec.More() {
		if len(out) == max {
			return nil, errors.New("more than " + strconv.Itoa(max) + " elements")
		}
		var el json.RawMessage
		if err := dec.Decode(&el); err != nil {
			return nil, errors.New("malformed JSON")
		}
		out = append(out, el)
	}
	if _, err := dec.Token(); err != nil {
		return nil, errors.New("malformed JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON array")
	}
	return out, nil
}

// Finish reports every violation recorded and every parameter sent that
// was not read, each named.
func (p *Params) Finish() error {
	errs := p.errs
	for _, k := range slices.Sorted(maps.Keys(p.vals)) {
		if !p.used[k] {
			errs = append(errs, eiam.Errorf(eiam.ErrUnknownField, k, "unknown_field"))
		}
	}
	return eiam.Join(errs)
}
