// Package bamboo is the Bamboo Cloud IDaaS EIAM user API dialect (seed 000):
// POST /api/v2/sdk/login, POST /api/v2/sdk/sso/session-token/id-token,
// GET /api/v2/sdk/profile and POST /api/v2/sdk/profile/update, with the
// X-client-id and device headers, Bearer id_token authentication and
// {"error_code","error_msg"} errors in English or Chinese by X-L.
//
// It decodes, calls the directory's one update path, and encodes; it does
// not validate, store or audit on its own.
package bamboo
