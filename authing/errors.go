package authing

import (
	"net/http"

	"github.com/eiam/eiam"
)

// wireError is how one domain error kind appears in the envelope: the
// business statusCode and, where Authing has a known one, the apiCode (0
// leaves apiCode out).
type wireError struct {
	status  int
	apiCode int
}

// errorCodes maps every domain error kind to the envelope's statusCode and
// apiCode (spec §3). The HTTP status of the response is always 200: the
// SDKs throw on a non-2xx status and read statusCode instead. apiCodes are
// the ones Authing's documentation and its Guard UI switch on; a kind with
// no known apiCode has none.
var errorCodes = map[eiam.Code]wireError{
	eiam.ErrMissing:       {http.StatusBadRequest, 1002},
	eiam.ErrInvalid:       {http.StatusBadRequest, 1003},
	eiam.ErrUnknownField:  {http.StatusBadRequest, 1003},
	eiam.ErrCustomField:   {http.StatusBadRequest, 1003},
	eiam.ErrUnknownClient: {http.StatusBadRequest, 1004},
	// 2020 is Authing's "not logged in".
	eiam.ErrUnauthenticated: {http.StatusUnauthorized, 2020},
	// 2333 is what Guard reads as "wrong password" (with data.remainCount),
	// 2057 as "locked after repeated failures".
	eiam.ErrBadCredentials: {http.StatusBadRequest, 2333},
	eiam.ErrLocked:         {http.StatusBadRequest, 2057},
	eiam.ErrSignature:      {http.StatusUnauthorized, 0},
	eiam.ErrForbidden:      {http.StatusForbidden, 1001},
	eiam.ErrNotFound:       {http.StatusNotFound, 2004},
	eiam.ErrConflict:       {http.StatusBadRequest, 2026},
	// No Authing request carries a version, so this cannot occur today; it
	// is mapped so that the table stays complete if one ever does.
	eiam.ErrPrecondition: {http.StatusPreconditionFailed, 0},
	eiam.ErrRateLimited:  {http.StatusTooManyRequests, 0},
	eiam.ErrInternal:     {http.StatusInternalServerError, 0},
}

// signatureMessages are the messages of signature failures, by acssign
// code. Package i18n has no keys for them yet (no dialect rendered them
// before this one); the English text is the Alibaba gateway's, which
// acssign also uses.
var signatureMessages = map[string][2]string{
	"IncompleteSignature":         {"The request signature is incomplete or malformed.", "请求签名不完整或格式错误。"},
	"SignatureDoesNotMatch":       {"The request signature does not match.", "请求签名不匹配。"},
	"InvalidTimeStamp.Expired":    {"The request date is too far from the server time.", "请求时间与服务器时间相差过大。"},
	"InvalidTimeStamp.Format":     {"The request date is not well formatted.", "请求时间格式错误。"},
	"SignatureNonceUsed":          {"The signature nonce was used already.", "签名随机数已被使用。"},
	"InvalidSignatureMethod":      {"The signature method is not supported; use HMAC-SHA1 version 1.0.", "不支持该签名方法，请使用 HMAC-SHA1 1.0。"},
	"MissingParameter":            {"The request is not signed: a signature header is missing.", "请求缺少签名头。"},
	"InvalidAccessKeyId.NotFound": {"The access key does not exist.", "访问密钥不存在。"},
}
