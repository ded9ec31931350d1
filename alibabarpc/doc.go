// Package alibabarpc is the Alibaba Cloud EIAM OpenAPI dialect, version
// 2021-12-01 (seed 003): the signed RPC API served at "/" for requests that
// carry an Action parameter or an x-acs-action header, GET or POST, with
// parameters in the query and a form body merged. Requests are signed with
// an access key, V1 (HMAC-SHA1) or V3 (ACS3-HMAC-SHA256), verified by
// package acssign within a ±15 minute window and against nonce replay; the
// key must allow "eiam:"+Action in the request's InstanceId.
//
// Actions: CreateUser, UpdateUser, GetUser, ListUsers, DeleteUser,
// EnableUser, DisableUser, CreateCustomField, GetCustomField,
// DeleteCustomField, EnableCustomField and DisableCustomField. Lists and
// objects use the flat encoding (CustomFields.N.FieldName …), read by
// Params, which also refuses by name every parameter an action does not
// define. Responses are PascalCase JSON with a RequestId and never a
// top-level Code; errors are {"RequestId","HostId","Code","Message",
// "Recommend"} with a non-2xx status, in English or Chinese by
// Accept-Language.
//
// It decodes, calls the directory's one update path, and encodes; it does
// not validate, store or audit on its own.
package alibabarpc
