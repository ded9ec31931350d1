// Package acssign verifies the access-key signatures that management clients
// put on their requests, so that eiam can accept calls from unmodified
// Alibaba Cloud and Authing SDKs.
//
// Three schemes are understood (see the dialect specs under shared/spec):
//
//   - SchemeV1: Alibaba RPC "signature version 1.0", HMAC-SHA1 over the sorted,
//     percent-encoded query and form parameters (dialects-alibaba §A.4).
//   - SchemeV3: Alibaba "ACS3-HMAC-SHA256" with an Authorization header over a
//     canonical request that covers the query, the signed headers and a
//     SHA-256 of the raw body (dialects-alibaba §A.5).
//   - SchemeAuthing: the authing-node-sdk 4.x management signature,
//     "authorization: authing AKID:base64(HMAC-SHA1)" over the method, the
//     x-authing-* and date headers and the path with its sorted parameters
//     (dialects-authing-bamboo §A.4).
//
// The package knows nothing about storage or HTTP serving. A caller turns an
// incoming request into a Request (NewRequest), calls Parse to learn the
// claimed access key, looks the secret up itself, and then calls
// Parsed.Verify, Parsed.CheckTime and a NonceStore — or lets
// Verifier.Authenticate run those steps in the safe order. Failures are
// *Error values whose Code is the Alibaba gateway's error code; a dialect
// maps them to its own envelope.
//
// A verified request guarantees only what the scheme signs. Handlers must
// read business parameters from Parsed.Params (V1, V3) or from the body whose
// hash or keys were signed, never from anything else in the request.
//
// The Sign* helpers produce the same signatures as the real SDKs; they exist
// for tests and small Go clients. Their byte-for-byte agreement with the real
// SDKs is checked against captured requests in testdata (see
// testdata/README.md).
package acssign
