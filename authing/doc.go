// Package authing is the Authing / GenAuth V3 dialect (seed 001), as the
// unmodified authing-node-sdk 4.x and the other Authing V3 SDKs speak it:
//
//   - POST /api/v3/signin: password sign-in (connection PASSWORD) of a
//     client authenticated by client_secret_post, client_secret_basic or
//     nothing (a public application); returns access, id and (with
//     offline_access) refresh tokens, with Authing's "expire_in".
//   - GET /api/v3/get-profile and POST /api/v3/update-profile: the
//     signed-in user reads and changes their own profile, authenticated by
//     the access token sent bare or as Bearer.
//   - The management API: POST /api/v3/update-user, GET /api/v3/get-user,
//     POST /api/v3/create-user and POST /api/v3/delete-users-batch, signed
//     with an access key as authing-node-sdk 4.x signs them, or called with
//     a token from POST /api/v3/get-management-token as older SDKs do.
//
// Every response is HTTP 200 with the envelope {statusCode, message,
// apiCode, requestId, data}: Authing's SDKs throw on any other HTTP status
// and read the outcome from statusCode. Messages follow x-authing-lang, then
// Accept-Language, English by default.
//
// The package decodes, calls the directory's one update path, and encodes;
// it does not validate attributes, store or audit on its own.
package authing
