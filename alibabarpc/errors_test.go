package alibabarpc

import (
	"bytes"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/i18n"
	"github.com/eiam/eiam/wire"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", name, got, want)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// TestErrorEnvelopesGolden renders one error of every kind, the gateway's
// own errors and a signature failure as the wire carries them, in English
// and Chinese (testdata/errors.golden; go test -update rewrites it).
func TestErrorEnvelopesGolden(t *testing.T) {
	samples := map[eiam.Code]error{
		eiam.ErrMissing:         eiam.Errorf(eiam.ErrMissing, "email_verified", "required_with", "attr", "email"),
		eiam.ErrInvalid:         eiam.Errorf(eiam.ErrInvalid, "phone_number", "invalid_phone", "region", "86"),
		eiam.ErrUnknownField:    eiam.Errorf(eiam.ErrUnknownField, "Nickname", "unknown_field"),
		eiam.ErrCustomField:     eiam.Errorf(eiam.ErrCustomField, "custom_fields.shoe_size", "undeclared_field"),
		eiam.ErrUnknownClient:   eiam.Errorf(eiam.ErrUnknownClient, "AccessKeyId", "unknown_client", "id", "LTAI1"),
		eiam.ErrUnauthenticated: eiam.Errorf(eiam.ErrUnauthenticated, "Signature", "token_invalid"),
		eiam.ErrBadCredentials:  eiam.Errorf(eiam.ErrBadCredentials, "password", "bad_credentials"),
		eiam.ErrLocked:          eiam.Errorf(eiam.ErrLocked, "username", "locked", "seconds", 300),
		eiam.ErrSignature: &acssign.Error{Code: acssign.CodeSignatureDoesNotMatch, Detail: "never on the wire",
			Message: "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&A%3D1"},
		eiam.ErrForbidden:    eiam.Errorf(eiam.ErrForbidden, "", "forbidden"),
		eiam.ErrNotFound:     eiam.Errorf(eiam.ErrNotFound, "user_id", "user_not_found", "id", "user_1"),
		eiam.ErrConflict:     eiam.Errorf(eiam.ErrConflict, "username", "conflict"),
		eiam.ErrPrecondition: eiam.Errorf(eiam.ErrPrecondition, "version", "version_mismatch", "expected", 1, "actual", 2),
		eiam.ErrRateLimited:  eiam.Errorf(eiam.ErrRateLimited, "", "rate_limited"),
		eiam.ErrInternal:     errString("database on fire: never on the wire"),
	}
	a := &API{}
	var out bytes.Buffer
	render := func(name string, lang i18n.Lang, err error) {
		r := httptest.NewRequest("POST", "/", nil)
		r = r.WithContext(wire.WithRequestID(r.Context(), "REQ-GOLDEN"))
		w := httptest.NewRecorder()
		a.fail(w, r, lang, userNames, err)
		fmt.Fprintf(&out, "%s %s: %d %s", name, lang, w.Code, w.Body.Bytes())
	}
	for _, lang := range []i18n.Lang{i18n.English, i18n.Chinese} {
		for _, code := range eiam.Codes {
			render(string(code), lang, samples[code])
		}
		render("missing parameter", lang, eiam.Errorf(eiam.ErrMissing, "UserId", "required"))
		for _, key := range []string{"action_not_found", "invalid_version", "missing_action", "missing_version",
			"key_inactive", "key_not_found", "sts_unsupported", "wrong_scheme", "method_not_allowed"} {
			render(key, lang, gateway(key, lang))
		}
	}
	if bytes.Contains(out.Bytes(), []byte("never on the wire")) {
		t.Error("an internal detail reached the wire")
	}
	golden(t, "errors.golden", out.Bytes())
}

func TestGatewayErrorsComplete(t *testing.T) {
	for key, g := range gatewayErrors {
		if g.status < 400 || g.code == "" || g.en == "" || g.zh == "" {
			t.Errorf("gateway error %s is incomplete: %+v", key, g)
		}
	}
}
