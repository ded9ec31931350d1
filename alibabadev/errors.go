package alibabadev

import (
	"net/http"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/i18n"
)

// wireError is how one error kind looks on the wire: the HTTP status, the
// Alibaba-style code the SDK surfaces, and the OAuth 2.0 error code that
// OAuth-minded callers read.
type wireError struct {
	status int
	code   string
	oauth  string
}

// errorCodes maps every domain error kind (spec §3, developer API column).
// No error sample of this API was ever published (dialects-alibaba §B.3),
// so the body carries both the SDK's keys and RFC 6749/6750 keys.
var errorCodes = map[eiam.Code]wireError{
	eiam.ErrMissing:         {http.StatusBadRequest, "MissingParameter", "invalid_request"},
	eiam.ErrInvalid:         {http.StatusBadRequest, "InvalidParameter", "invalid_request"},
	eiam.ErrUnknownField:    {http.StatusBadRequest, "InvalidParameter", "invalid_request"},
	eiam.ErrCustomField:     {http.StatusBadRequest, "InvalidParameter", "invalid_request"},
	eiam.ErrUnknownClient:   {http.StatusUnauthorized, "invalid_client", "invalid_client"},
	eiam.ErrUnauthenticated: {http.StatusUnauthorized, "invalid_token", "invalid_token"},
	// Password grants are not offered here; the kinds of a failed sign-in
	// map as RFC 6749 §5.2 would for one.
	eiam.ErrBadCredentials: {http.StatusBadRequest, "invalid_grant", "invalid_grant"},
	eiam.ErrLocked:         {http.StatusBadRequest, "invalid_grant", "invalid_grant"},
	eiam.ErrSignature:      {http.StatusUnauthorized, "invalid_client", "invalid_client"},
	eiam.ErrForbidden:      {http.StatusForbidden, "insufficient_scope", "insufficient_scope"},
	eiam.ErrNotFound:       {http.StatusNotFound, "ResourceNotFound.User", "not_found"},
	eiam.ErrConflict:       {http.StatusConflict, "ResourceDuplicated.Username", "conflict"},
	eiam.ErrPrecondition:   {http.StatusPreconditionFailed, "PreconditionFailed", "precondition_failed"},
	eiam.ErrRateLimited:    {http.StatusTooManyRequests, "Throttling.User", "rate_limited"},
	eiam.ErrInternal:       {http.StatusInternalServerError, "InternalError", "server_error"},
}

// OAuth error codes of the token endpoint that have no domain kind of their
// own: they travel as the Detail of an ErrInvalid.
const (
	oauthUnsupportedGrant = "unsupported_grant_type"
	oauthInvalidScope     = "invalid_scope"
)

// entityNames name the resource of a not-found error by the field it
// concerns; users are the default.
var entityNames = map[string]string{
	"instance_id":            "Instance",
	"application_id":         "Application",
	"field_id":               "CustomField",
	"organizational_unit_id": "OrganizationalUnit",
	"action":                 "Action",
}

// duplicateNames name the value of a conflict error.
var duplicateNames = map[string]string{
	"username":     "Username",
	"email":        "Email",
	"phone_number": "PhoneNumber",
	"external_id":  "UserExternalId",
	"id":           "UserId",
}

// mapError returns the wire form of e, refining the code by the field the
// error concerns where the vendor does (ResourceDuplicated.Email …).
func mapError(e *eiam.Error) wireError {
	m, ok := errorCodes[e.Code]
	if !ok {
		m = errorCodes[eiam.ErrInternal]
	}
	switch e.Code {
	case eiam.ErrNotFound:
		if n, ok := entityNames[e.Field]; ok {
			m.code = "ResourceNotFound." + n
		}
	case eiam.ErrConflict:
		if n, ok := duplicateNames[e.Field]; ok {
			m.code = "ResourceDuplicated." + n
		} else if strings.HasPrefix(e.Field, "custom_fields.") {
			m.code = "ResourceDuplicated.CustomField"
		}
	case eiam.ErrInvalid, eiam.ErrMissing:
		if e.Detail == oauthUnsupportedGrant || e.Detail == oauthInvalidScope {
			m.oauth = e.Detail
			m.code = e.Detail
		}
	}
	return m
}

// fieldNames renames canonical attribute and parameter names to this
// dialect's, so messages name what the caller sent.
var fieldNames = map[string]string{
	"username":                       "username",
	"display_name":                   "displayName",
	"description":                    "description",
	"email":                          "email",
	"email_verified":                 "emailVerified",
	"phone_region":                   "phoneRegion",
	"phone_number":                   "phoneNumber",
	"phone_number_verified":          "phoneNumberVerified",
	"external_id":                    "userExternalId",
	"user_id":                        "userId",
	"id":                             "userId",
	"organizational_unit_id":         "organizationalUnitId",
	"primary_organizational_unit_id": "primaryOrganizationalUnitId",
	"organizational_units":           "organizationalUnitIds",
	"token":                          "access_token",
}

// wireField is the name of a field as this dialect spells it: custom fields
// by their own name, canonical names through fieldNames, anything else (the
// decoder's own paths, already in wire spelling) unchanged.
func wireField(f string) string {
	if n, ok := strings.CutPrefix(f, "custom_fields."); ok {
		return n
	}
	if n, ok := fieldNames[f]; ok {
		return n
	}
	return f
}

// localize renders every violation of e in lang with this dialect's names.
func localize(lang i18n.Lang, e *eiam.Error) string {
	return i18n.MessageAll(lang, renamed(e))
}

// renamed returns a copy of e whose field names (and the field names some
// messages carry as arguments) are spelled as on the wire.
func renamed(e *eiam.Error) *eiam.Error {
	c := *e
	c.Field = wireField(e.Field)
	if len(e.Args) > 0 {
		c.Args = make(map[string]any, len(e.Args))
		for k, v := range e.Args {
			if s, ok := v.(string); ok && k == "attr" {
				v = wireField(s)
			}
			c.Args[k] = v
		}
	}
	if len(e.Errs) > 0 {
		c.Errs = make([]*eiam.Error, len(e.Errs))
		for i, v := range e.Errs {
			c.Errs[i] = renamed(v)
		}
	}
	return &c
}

// errorBody is the error envelope: the SDK reads code, message and
// requestId; OAuth clients read error and error_description.
type errorBody struct {
	RequestID        string `json:"requestId"`
	Code             string `json:"code"`
	Message          string `json:"message"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}
