package alibabadev

import (
	"bytes"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/eiam/eiam"
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

// TestErrorEnvelopesGolden renders one error of every kind as the wire
// carries it — status, WWW-Authenticate and body — in English and Chinese
// (testdata/errors.golden; go test -update rewrites it).
func TestErrorEnvelopesGolden(t *testing.T) {
	samples := map[eiam.Code]error{
		eiam.ErrMissing:         eiam.Errorf(eiam.ErrMissing, "email_verified", "required_with", "attr", "email"),
		eiam.ErrInvalid:         eiam.Errorf(eiam.ErrInvalid, "display_name", "too_long", "max", 128),
		eiam.ErrUnknownField:    eiam.Errorf(eiam.ErrUnknownField, "nickname", "unknown_field"),
		eiam.ErrCustomField:     eiam.Errorf(eiam.ErrCustomField, "custom_fields.shoe_size", "undeclared_field"),
		eiam.ErrUnknownClient:   eiam.Errorf(eiam.ErrUnknownClient, "client_id", "unknown_client", "id", "app_1"),
		eiam.ErrUnauthenticated: eiam.Errorf(eiam.ErrUnauthenticated, "token", "token_invalid"),
		eiam.ErrBadCredentials:  eiam.Errorf(eiam.ErrBadCredentials, "password", "bad_credentials"),
		eiam.ErrLocked:          eiam.Errorf(eiam.ErrLocked, "username", "locked", "seconds", 300),
		eiam.ErrSignature:       eiam.Errorf(eiam.ErrSignature, "", "forbidden"),
		eiam.ErrForbidden:       eiam.Errorf(eiam.ErrForbidden, "", "forbidden", "scope", ScopeUserManage),
		eiam.ErrNotFound:        eiam.Errorf(eiam.ErrNotFound, "user_id", "user_not_found", "id", "user_1"),
		eiam.ErrConflict:        eiam.Errorf(eiam.ErrConflict, "username", "conflict"),
		eiam.ErrPrecondition:    eiam.Errorf(eiam.ErrPrecondition, "version", "version_mismatch", "expected", 1, "actual", 2),
		eiam.ErrRateLimited:     eiam.Errorf(eiam.ErrRateLimited, "", "rate_limited"),
		eiam.ErrInternal:        errString("database on fire: never on the wire"),
	}
	a := &API{}
	var out bytes.Buffer
	for _, code := range eiam.Codes {
		for _, lang := range []i18n.Lang{i18n.English, i18n.Chinese} {
			r := httptest.NewRequest("PATCH", "/v2/idaas_1/app_1/users/user_1", nil)
			r = r.WithContext(wire.WithRequestID(r.Context(), "req-golden"))
			w := httptest.NewRecorder()
			a.fail(w, r, lang, samples[code])
			fmt.Fprintf(&out, "%s %s: %d %q %s", code, lang, w.Code, w.Header().Get("WWW-Authenticate"), w.Body.Bytes())
		}
	}
	if bytes.Contains(out.Bytes(), []byte("never on the wire")) {
		t.Error("an internal detail reached the wire")
	}
	golden(t, "errors.golden", out.Bytes())
}
