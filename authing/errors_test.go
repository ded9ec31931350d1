package authing

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/i18n"
	"github.com/eiam/eiam/wire"
)

// TestErrorEnvelopesGolden renders one error of every kind, and a signature
// failure, as the wire carries them (testdata/errors.golden; go test
// -update rewrites it). Every one is HTTP 200.
func TestErrorEnvelopesGolden(t *testing.T) {
	samples := map[eiam.Code]error{
		eiam.ErrMissing:         eiam.Errorf(eiam.ErrMissing, "userId", "required"),
		eiam.ErrInvalid:         eiam.Errorf(eiam.ErrInvalid, "address.locality", "too_long", "max", 128),
		eiam.ErrUnknownField:    eiam.Errorf(eiam.ErrUnknownField, "email", "unknown_field"),
		eiam.ErrCustomField:     eiam.Errorf(eiam.ErrCustomField, "customData.shoe_size", "undeclared_field"),
		eiam.ErrUnknownClient:   eiam.Errorf(eiam.ErrUnknownClient, "client_id", "unknown_client", "id", "app1"),
		eiam.ErrUnauthenticated: eiam.Errorf(eiam.ErrUnauthenticated, "access_token", "token_invalid"),
		eiam.ErrBadCredentials:  eiam.Errorf(eiam.ErrBadCredentials, "password", "bad_credentials", "remaining", 9),
		eiam.ErrLocked:          eiam.Errorf(eiam.ErrLocked, "username", "locked", "seconds", 300),
		eiam.ErrSignature:       &acssign.Error{Code: acssign.CodeSignatureDoesNotMatch, Detail: "never on the wire"},
		eiam.ErrForbidden:       eiam.Errorf(eiam.ErrForbidden, "", "forbidden"),
		eiam.ErrNotFound:        eiam.Errorf(eiam.ErrNotFound, "username", "user_not_found", "id", "bob"),
		eiam.ErrConflict:        eiam.Errorf(eiam.ErrConflict, "username", "conflict"),
		eiam.ErrPrecondition:    eiam.Errorf(eiam.ErrPrecondition, "version", "version_mismatch", "expected", 1, "actual", 2),
		eiam.ErrRateLimited:     eiam.Errorf(eiam.ErrRateLimited, "", "rate_limited"),
		eiam.ErrInternal:        errString("database on fire: never on the wire"),
	}
	a := &API{}
	var out bytes.Buffer
	for _, code := range eiam.Codes {
		for _, lang := range []i18n.Lang{i18n.English, i18n.Chinese} {
			r := httptest.NewRequest("POST", "/api/v3/update-profile", nil)
			r = r.WithContext(wire.WithRequestID(r.Context(), "req-golden"))
			w := httptest.NewRecorder()
			a.fail(w, r, &call{lang: lang, orig: eiam.Origin{RequestID: "req-golden"}}, samples[code])
			if w.Code != http.StatusOK {
				t.Errorf("%s: HTTP %d", code, w.Code)
			}
			out.WriteString(string(code) + " " + string(lang) + ": ")
			out.Write(w.Body.Bytes())
		}
	}
	if bytes.Contains(out.Bytes(), []byte("never on the wire")) {
		t.Error("an internal detail reached the wire")
	}
	golden(t, "errors.golden", bytes.TrimSuffix(out.Bytes(), []byte("\n")))
}

type errString string

func (e errString) Error() string { return string(e) }
