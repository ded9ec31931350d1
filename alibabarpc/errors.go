package alibabarpc

import (
	"errors"
	"net/http"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/i18n"
)

// wireError is how one error kind looks on the wire.
type wireError struct {
	status int
	code   string
}

// errorCodes maps every domain error kind (spec §3, RPC column, and §A.9).
// Codes that name a parameter or entity are refined by mapError.
var errorCodes = map[eiam.Code]wireError{
	eiam.ErrMissing:       {http.StatusBadRequest, "MissingParameter"},
	eiam.ErrInvalid:       {http.StatusBadRequest, "InvalidParameter"},
	eiam.ErrUnknownField:  {http.StatusBadRequest, "InvalidParameter"},
	eiam.ErrCustomField:   {http.StatusBadRequest, "InvalidParameter.CustomFields"},
	eiam.ErrUnknownClient: {http.StatusNotFound, acssign.CodeInvalidAccessKeyNotFound},
	// No token travels on this API; an unauthenticated request is one
	// whose signature is incomplete.
	eiam.ErrUnauthenticated: {http.StatusBadRequest, acssign.CodeIncompleteSignature},
	// Sign-in kinds cannot arise here; they map as the gateway's nearest.
	eiam.ErrBadCredentials: {http.StatusBadRequest, "InvalidParameter.Password"},
	eiam.ErrLocked:         {http.StatusForbidden, "Forbidden.UserLocked"},
	eiam.ErrSignature:      {http.StatusBadRequest, acssign.CodeSignatureDoesNotMatch},
	eiam.ErrForbidden:      {http.StatusForbidden, "Forbidden.RAM"},
	eiam.ErrNotFound:       {http.StatusNotFound, "ResourceNotFound.User"},
	// The seed documents 403 for a duplicate username (not 409).
	eiam.ErrConflict:     {http.StatusForbidden, "ResourceDuplicated.Username"},
	eiam.ErrPrecondition: {http.StatusConflict, "OperationConflict"},
	eiam.ErrRateLimited:  {http.StatusBadRequest, "Throttling.User"},
	eiam.ErrInternal:     {http.StatusInternalServerError, "InternalError"},
}

// entityNames name the resource of a not-found error by its field.
var entityNames = map[string]string{
	"instance_id":            "Instance",
	"field_id":               "CustomField",
	"organizational_unit_id": "OrganizationalUnit",
	"application_id":         "Application",
}

// duplicateNames name the value of a conflict error by its field.
var duplicateNames = map[string]string{
	"username":     "Username",
	"email":        "Email",
	"phone_number": "PhoneNumber",
	"external_id":  "UserExternalId",
	"id":           "UserId",
	"name":         "FieldName",
}

// userNames renames canonical names to this dialect's parameters in the
// errors of user actions.
var userNames = map[string]string{
	"username":                       "Username",
	"display_name":                   "DisplayName",
	"description":                    "Description",
	"email":                          "Email",
	"email_verified":                 "EmailVerified",
	"phone_region":                   "PhoneRegion",
	"phone_number":                   "PhoneNumber",
	"phone_number_verified":          "PhoneNumberVerified",
	"external_id":                    "UserExternalId",
	"locale":                         "PreferredLanguage",
	"user_id":                        "UserId",
	"id":                             "UserId",
	"instance_id":                    "InstanceId",
	"password":                       "Password",
	"status":                         "Status",
	"organizational_unit_id":         "OrganizationalUnitId",
	"primary_organizational_unit_id": "PrimaryOrganizationalUnitId",
	"organizational_units":           "OrganizationalUnitIds",
	"after":                          "NextToken",
}

// fieldDefNames renames the names of package directory's definition checks
// to CreateCustomField's parameters.
var fieldDefNames = map[string]string{
	"field_name":         "FieldName",
	"name":               "FieldName",
	"display_name":       "FieldDisplayName",
	"description":        "Description",
	"data_type":          "FieldDataType",
	"display_type":       "FieldDisplayType",
	"user_permission":    "UserPermission",
	"items":              "FieldDataConfig.Items",
	"items.value":        "FieldDataConfig.Items.Value",
	"items.display_name": "FieldDataConfig.Items.DisplayName",
	"default_value":      "DefaultValue",
	"max_length":         "FieldDataConfig",
	"field_id":           "FieldId",
	"instance_id":        "InstanceId",
}

// wireField spells a field as the caller sent it: custom fields by their
// own name, canonical names through names, wire names unchanged.
func wireField(f string, names map[string]string) string {
	if n, ok := strings.CutPrefix(f, "custom_fields."); ok {
		return n
	}
	if n, ok := names[f]; ok {
		return n
	}
	return f
}

// paramName is the parameter a field belongs to, as used in codes such as
// MissingParameter.UserId: the top-level name, so the set of codes stays
// bounded whatever list index or sub-key a request used.
func paramName(f string, names map[string]string) string {
	if strings.HasPrefix(f, "custom_fields.") {
		return "CustomFields"
	}
	f = wireField(f, names)
	name, _, _ := strings.Cut(f, ".")
	return name
}

// mapError returns the wire form of a domain error.
func mapError(e *eiam.Error, names map[string]string) wireError {
	m, ok := errorCodes[e.Code]
	if !ok {
		m = errorCodes[eiam.ErrInternal]
	}
	switch e.Code {
	case eiam.ErrMissing, eiam.ErrInvalid:
		if n := paramName(e.Field, names); n != "" && n != "body" {
			m.code += "." + n
		}
	case eiam.ErrCustomField:
		if e.Key == "undeclared_field" {
			m.code = "EntityNotExist.CustomField"
		}
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
	case eiam.ErrSignature:
		if e.Detail != "" {
			m.code = e.Detail
		}
	}
	return m
}

// renamed returns a copy of e whose field names (and the names some
// messages carry as arguments) are spelled as on the wire.
func renamed(e *eiam.Error, names map[string]string) *eiam.Error {
	c := *e
	c.Field = wireField(e.Field, names)
	if len(e.Args) > 0 {
		c.Args = make(map[string]any, len(e.Args))
		for k, v := range e.Args {
			if s, ok := v.(string); ok && k == "attr" {
				v = wireField(s, names)
			}
			c.Args[k] = v
		}
	}
	if len(e.Errs) > 0 {
		c.Errs = make([]*eiam.Error, len(e.Errs))
		for i, v := range e.Errs {
			c.Errs[i] = renamed(v, names)
		}
	}
	return &c
}

// rpcError is an error already in wire form: a gateway error (signature,
// access key, action, version) rather than a domain one.
type rpcError struct {
	status  int
	code    string
	message string
}

func (e *rpcError) Error() string { return e.code + ": " + e.message }

// gatewayErrors are the gateway errors eiam raises itself, by message
// key: the status and code sent and the message in English and Chinese.
var gatewayErrors = map[string]struct {
	status       int
	code, en, zh string
}{
	"action_not_found": {http.StatusNotFound, "InvalidAction.NotFound",
		"Specified api is not found, please check your url and method.",
		"指定的接口不存在，请检查接口名称和请求方法。"},
	"invalid_version": {http.StatusBadRequest, "InvalidVersion",
		"Specified parameter Version is not valid.",
		"指定的 Version 参数无效。"},
	"missing_action": {http.StatusBadRequest, "MissingParameter.Action",
		"Action is mandatory for this action.",
		"缺少参数 Action。"},
	"missing_version": {http.StatusBadRequest, "MissingParameter.Version",
		"Version is mandatory for this action.",
		"缺少参数 Version。"},
	"key_inactive": {http.StatusBadRequest, "InvalidAccessKeyId.Inactive",
		"Specified access key is disabled.",
		"指定的 AccessKey 已被禁用。"},
	"key_not_found": {http.StatusNotFound, acssign.CodeInvalidAccessKeyNotFound,
		"Specified access key is not found.",
		"指定的 AccessKey 不存在。"},
	"sts_unsupported": {http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey",
		"Security tokens (STS) are not supported by this server; sign with an access key.",
		"本服务不支持 STS 安全令牌，请使用 AccessKey 签名。"},
	"wrong_scheme": {http.StatusBadRequest, acssign.CodeIncompleteSignature,
		"The request signature does not conform to Aliyun standards: use HMAC-SHA1 (V1) or ACS3-HMAC-SHA256 (V3).",
		"请求签名不符合阿里云规范：请使用 HMAC-SHA1（V1）或 ACS3-HMAC-SHA256（V3）。"},
	"method_not_allowed": {http.StatusMethodNotAllowed, "UnsupportedHTTPMethod",
		"Specified HTTP method is not supported; use GET or POST.",
		"不支持该 HTTP 方法，请使用 GET 或 POST。"},
}

// gateway returns the gateway error of key with its message in lang.
func gateway(key string, lang i18n.Lang) *rpcError {
	g := gatewayErrors[key]
	msg := g.en
	if lang == i18n.Chinese {
		msg = g.zh
	}
	return &rpcError{status: g.status, code: g.code, message: msg}
}

// fromSignature turns an acssign failure into its wire form. Its message is
// kept in English whatever the caller's language: the legacy SDKs compare
// the text after "server string to sign is:" with their own.
func fromSignature(err error) (*rpcError, bool) {
	var se *acssign.Error
	if !errors.As(err, &se) {
		return nil, false
	}
	status := http.StatusBadRequest
	if se.Code == acssign.CodeInvalidAccessKeyNotFound {
		status = http.StatusNotFound
	}
	return &rpcError{status: status, code: se.Code, message: se.Message}, true
}

// errorBody is the error envelope (§A.9). pop-core throws on Code alone,
// the darabonba SDKs on the status, so both are always set.
type errorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}
