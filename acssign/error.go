package acssign

import "errors"

// Error codes, spelled exactly as the Alibaba Cloud API gateway spells them so
// that dialects can pass them through unchanged. InvalidAccessKeyId.NotFound is
// listed for callers: this package never produces it because it cannot know
// which access keys exist.
const (
	CodeIncompleteSignature      = "IncompleteSignature"
	CodeSignatureDoesNotMatch    = "SignatureDoesNotMatch"
	CodeInvalidTimeStampExpired  = "InvalidTimeStamp.Expired"
	CodeInvalidTimeStampFormat   = "InvalidTimeStamp.Format"
	CodeSignatureNonceUsed       = "SignatureNonceUsed"
	CodeInvalidSignatureMethod   = "InvalidSignatureMethod"
	CodeMissingParameter         = "MissingParameter"
	CodeInvalidAccessKeyNotFound = "InvalidAccessKeyId.NotFound"
)

// Gateway messages. Legacy Alibaba SDKs compare the text after
// "server string to sign is:" with their own string to sign to tell a wrong
// secret from an encoding bug, so the suffix must stay last.
const (
	msgSignatureDoesNotMatch = "Specified signature is not matched with our calculation. server string to sign is:"
	msgIncompleteSignature   = "The request signature does not conform to Aliyun standards. server string to sign is:"
	msgExpired               = "Specified time stamp or date value is expired."
	msgFormat                = "Specified time stamp or date value is not well formatted."
	msgNonceUsed             = "Specified signature nonce was used already."
	msgInvalidMethod         = "Specified signature method is not supported."
)

// Error is a signature verification failure.
//
// Code is one of the Code* constants. Message is the text the Alibaba gateway
// would send for that code (for SignatureDoesNotMatch and IncompleteSignature
// it ends with the server's string to sign). Detail says precisely what was
// wrong; it is meant for logs and tests, not for the wire, because it can
// help an attacker probe the verifier.
type Error struct {
	Code         string
	Message      string
	Detail       string
	StringToSign string
	// CanonicalRequest is the server's V3 canonical request, for logs; empty
	// for other schemes.
	CanonicalRequest string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Detail != "" {
		return "acssign: " + e.Code + ": " + e.Detail
	}
	return "acssign: " + e.Code + ": " + e.Message
}

// ErrorCode returns the Code of the *Error in err's chain, or "" if there is
// none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func incomplete(detail, sts string) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: msgIncompleteSignature + sts, Detail: detail, StringToSign: sts}
}

func mismatch(detail, sts, canonical string) *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Message: msgSignatureDoesNotMatch + sts, Detail: detail, StringToSign: sts, CanonicalRequest: canonical}
}

// missing follows the gateway's "{Name} is mandatory for this action." wording.
func missing(name string) *Error {
	return &Error{Code: CodeMissingParameter, Message: name + " is mandatory for this action.", Detail: "missing " + name}
}

func badMethod(detail string) *Error {
	return &Error{Code: CodeInvalidSignatureMethod, Message: msgInvalidMethod, Detail: detail}
}
