// Package alibabadev is the Alibaba Cloud IDaaS EIAM developer API dialect,
// version 2022-02-25 (seed 002): the OAuth 2.0 client_credentials token
// endpoint POST /v2/{instanceId}/{applicationId}/oauth2/token and the user
// endpoints under /v2/{instanceId}/{applicationId}/users (create, get, list,
// patch, delete, enable, disable, password, organizational units and the
// getUserIdBy* look-ups), with camelCase JSON bodies, Bearer access tokens
// whose scopes (urn:alibaba:idaas:scope:user:manager_all / read_all) gate
// writes and reads, and {"requestId","code","message","error",
// "error_description"} errors in English or Chinese by Accept-Language.
//
// It decodes, calls the directory's one update path, and encodes; it does
// not validate, store or audit on its own. DecodePatch and DecodeCreate are
// pure functions, tested with tables and fuzzed.
package alibabadev
