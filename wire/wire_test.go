package wire

import (
	"strings"
	"testing"

	"github.com/eiam/eiam"
)

func TestDecodeObject(t *testing.T) {
	for _, tc := range []struct {
		body    string
		keys    string
		wantKey string
		field   string
	}{
		{`{"a":"1","b":{"c":2}}`, "a,b", "", ""},
		{``, "", "", ""},
		{`   `, "", "", ""},
		{`{}`, "", "", ""},
		{`[]`, "", "invalid_type", "body"},
		{`"x"`, "", "invalid_type", "body"},
		{`{"a":1,"a":2}`, "", "duplicate_key", "a"},
		{`{"a":1} {"b":2}`, "", "malformed_json", "body"},
		{`{"a":1}x`, "", "malformed_json", "body"},
		{`{"a":`, "", "malformed_json", "body"},
		{`{"a" 1}`, "", "malformed_json", "body"},
		{"{\"a\":\"\xff\"}", "", "invalid_utf8", "body"},
	} {
		ms, err := DecodeObject([]byte(tc.body), "")
		if tc.wantKey != "" {
			e := eiam.AsError(err)
			if err == nil || e.Key != tc.wantKey || e.Field != tc.field {
				t.Errorf("%q: got %v, want %s on %s", tc.body, err, tc.wantKey, tc.field)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.body, err)
			continue
		}
		var keys []string
		for _, m := range ms {
			keys = append(keys, m.Key)
		}
		if strings.Join(keys, ",") != tc.keys {
			t.Errorf("%q: keys %v, want %s", tc.body, keys, tc.keys)
		}
	}
}

func TestScalarAndString(t *testing.T) {
	for in, want := range map[string]string{`"18"`: "18", `18`: "18", `1.5`: "1.5", `true`: "true", `null`: "", `"张三"`: "张三"} {
		got, err := Scalar([]byte(in), "f")
		if err != nil || got != want {
			t.Errorf("Scalar(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`{}`, `[1]`, `nan`} {
		if _, err := Scalar([]byte(in), "f"); err == nil || eiam.AsError(err).Field != "f" {
			t.Errorf("Scalar(%s) accepted or unnamed: %v", in, err)
		}
	}
	if _, err := String([]byte(`12`), "name"); err == nil || eiam.AsError(err).Key != "invalid_type" {
		t.Errorf("String(12) = %v, want invalid_type", err)
	}
}

func TestBearerToken(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer abc": "abc", "BEARER  abc ": "abc", "abc": "abc", "": ""} {
		if got := BearerToken(in); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"a":"1"}`, `{"extension":{"age":"18"}}`, `{"a":1,"a":2}`, `[`, "{\"\xff\":1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := DecodeObject(b, "")
		if err != nil {
			if eiam.ErrorCode(err) != eiam.ErrInvalid {
				t.Fatalf("decode error of kind %s: %v", eiam.ErrorCode(err), err)
			}
			return
		}
		seen := map[string]bool{}
		for _, m := range ms {
			if seen[m.Key] {
				t.Fatalf("duplicate key %q accepted", m.Key)
			}
			seen[m.Key] = true
			_, _ = Scalar(m.Value, m.Key)
		}
	})
}
