package bamboo

import (
	"net/http"

	"github.com/eiam/eiam"
)

// errorCodes maps every domain error kind to Bamboo's HTTP status and
// error_code (spec §3). Bamboo answers nearly everything with 400.
var errorCodes = map[eiam.Code]struct {
	status int
	code   string
}{
	eiam.ErrMissing:         {http.StatusBadRequest, "SDK.COMMON.1001"},
	eiam.ErrInvalid:         {http.StatusBadRequest, "SDK.COMMON.1002"},
	eiam.ErrUnknownField:    {http.StatusBadRequest, "SDK.COMMON.1006"},
	eiam.ErrCustomField:     {http.StatusBadRequest, "SDK.COMMON.1006"},
	eiam.ErrUnknownClient:   {http.StatusBadRequest, "SDK.COMMON.1012"},
	eiam.ErrUnauthenticated: {http.StatusBadRequest, "SDK.COMMON.1005"},
	eiam.ErrBadCredentials:  {http.StatusBadRequest, "SDK.LOGIN.1005"},
	eiam.ErrLocked:          {http.StatusBadRequest, "SDK.LOGIN.1003"},
	eiam.ErrSignature:       {http.StatusBadRequest, "SDK.COMMON.1004"},
	eiam.ErrForbidden:       {http.StatusBadRequest, "SDK.COMMON.1006"},
	eiam.ErrNotFound:        {http.StatusBadRequest, "SDK.COMMON.1013"},
	eiam.ErrConflict:        {http.StatusBadRequest, "SDK.COMMON.1006"},
	eiam.ErrPrecondition:    {http.StatusBadRequest, "SDK.COMMON.1002"},
	eiam.ErrRateLimited:     {http.StatusBadRequest, "SDK.COMMON.1008"},
	eiam.ErrInternal:        {http.StatusInternalServerError, "SDK.COMMON.1008"},
}

// codeDeviceIncomplete is Bamboo's own error for missing device headers; it
// has no domain kind because only this dialect requires those headers.
const codeDeviceIncomplete = "SDK.COMMON.1003"

var deviceMessages = map[bool]string{
	false: "Device information is incomplete: X-device-fingerprint, X-operating-sys-version and X-agent are required.",
	true:  "设备信息不完整：X-device-fingerprint、X-operating-sys-version 和 X-agent 为必填项。",
}
