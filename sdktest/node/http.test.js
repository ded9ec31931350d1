// Plain HTTP clients (Node's fetch) against eiam, for the two APIs whose
// callers use no vendor SDK: Bamboo Cloud's EIAM user API (seed 000) and
// the Alibaba IDaaS developer API 2022-02-25 (seed 002). These are the
// requests the migration guides show.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { start } = require("./eiam");

test("Bamboo: login, profile update, profile, session-token refresh", async (t) => {
  const { base: EIAM_URL } = await start(t);
  // docs:snippet bamboo-login
  const headers = {
    "Content-Type": "application/json",
    "X-client-id": "app_example01", // the application's client id
    "X-device-fingerprint": "156aysdna213sc50",
    "X-operating-sys-version": "windows10.1.1",
    "X-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "X-L": "en", // or "zh" for Chinese messages
  };
  const login = await fetch(`${EIAM_URL}/api/v2/sdk/login`, {
    method: "POST",
    headers,
    body: JSON.stringify({ user_name: "zhangsan", password: "S3cure-pass!" }),
  }).then((r) => r.json());
  // login is {session_token, expire, status: "SUCCESS", id_token}
  // docs:end
  assert.equal(login.status, "SUCCESS", JSON.stringify(login));
  assert.ok(login.id_token && login.session_token, JSON.stringify(login));
  assert.ok(login.expire > 604000 && login.expire <= 604800, String(login.expire));

  // docs:snippet bamboo-profile-update
  const update = await fetch(`${EIAM_URL}/api/v2/sdk/profile/update`, {
    method: "POST",
    headers: { ...headers, Authorization: `Bearer ${login.id_token}` },
    body: JSON.stringify({ attr_nick_name: "小张", attr_gender: "male", extension: { age: "31" } }),
  });
  const profile = await fetch(`${EIAM_URL}/api/v2/sdk/profile`, {
    headers: { ...headers, Authorization: `Bearer ${login.id_token}` },
  }).then((r) => r.json());
  // docs:end
  assert.equal(update.status, 200);
  assert.deepEqual(await update.json(), {});
  assert.equal(profile.user_name, "zhangsan");
  assert.equal(profile.attr_nick_name, "小张");
  assert.equal(profile.attr_gender, "male");
  assert.equal(profile.extension.age, "31", JSON.stringify(profile.extension));

  // docs:snippet bamboo-refresh
  const refreshed = await fetch(`${EIAM_URL}/api/v2/sdk/sso/session-token/id-token`, {
    method: "POST",
    headers: { ...headers, "X-session-token": login.session_token },
  }).then((r) => r.json());
  // docs:end
  assert.equal(refreshed.status, "SUCCESS", JSON.stringify(refreshed));
  assert.ok(refreshed.id_token && refreshed.id_token !== login.id_token);

  // docs:snippet bamboo-errors
  const failed = await fetch(`${EIAM_URL}/api/v2/sdk/profile/update`, {
    method: "POST",
    headers: { ...headers, Authorization: `Bearer ${login.id_token}` },
    body: JSON.stringify({ extension: { shoe_size: "42" } }),
  });
  // failed.status is 400; the body is {"error_code":"SDK.COMMON.1006","error_msg":"…"}
  // docs:end
  assert.equal(failed.status, 400);
  const body = await failed.json();
  assert.equal(body.error_code, "SDK.COMMON.1006", JSON.stringify(body));
  assert.match(body.error_msg, /shoe_size/);
});

test("Alibaba developer API: token, patch, get, create, look-up, delete", async (t) => {
  const { base: EIAM_URL } = await start(t);
  // docs:snippet devapi-token
  const api = `${EIAM_URL}/v2/idaas_example01/app_example01`; // was https://eiam-developerapi.cn-hangzhou.aliyuncs.com/v2/…
  const token = await fetch(`${api}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: "app_example01",
      client_secret: "change-me",
      scope: "urn:alibaba:idaas:scope:user:manager_all urn:alibaba:idaas:scope:user:read_all",
    }),
  }).then((r) => r.json());
  const auth = { Authorization: `Bearer ${token.access_token}`, "Content-Type": "application/json" };
  // docs:end
  assert.equal(token.token_type, "Bearer", JSON.stringify(token));
  assert.ok(token.expires_in > 0 && token.expires_at > Date.now() / 1000, JSON.stringify(token));

  // docs:snippet devapi-patch
  const patched = await fetch(`${api}/users/user_zhangsan`, {
    method: "PATCH",
    headers: auth,
    body: JSON.stringify({
      displayName: "Zhang San",
      customFields: [{ fieldName: "age", fieldValue: "32", operation: "replace" }],
    }),
  });
  const user = await fetch(`${api}/users/user_zhangsan`, { headers: auth }).then((r) => r.json());
  // docs:end
  assert.equal(patched.status, 200);
  assert.deepEqual(await patched.json(), {});
  assert.equal(user.displayName, "Zhang San");
  assert.deepEqual(user.customFields.find((f) => f.fieldName === "age"), { fieldName: "age", fieldValue: "32" });

  // docs:snippet devapi-create
  const created = await fetch(`${api}/users`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      username: "lisi",
      primaryOrganizationalUnitId: "ou_example_rd",
      displayName: "Li Si",
      email: "lisi@example.com",
      emailVerified: true,
      customFields: [{ fieldName: "age", fieldValue: "28" }],
    }),
  }).then((r) => r.json());
  const found = await fetch(`${api}/users/_/actions/getUserIdByUsername`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ username: "lisi" }),
  }).then((r) => r.json());
  const page = await fetch(`${api}/users?pageNumber=1&pageSize=20`, { headers: auth }).then((r) => r.json());
  await fetch(`${api}/users/${created.userId}`, { method: "DELETE", headers: auth });
  // docs:end
  assert.match(created.userId, /^user_/, JSON.stringify(created));
  assert.equal(found.userId, created.userId);
  assert.equal(page.totalCount, 2, JSON.stringify(page));
  const gone = await fetch(`${api}/users/${created.userId}`, { headers: auth });
  assert.equal(gone.status, 404);

  // docs:snippet devapi-errors
  const dup = await fetch(`${api}/users`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ username: "zhangsan", primaryOrganizationalUnitId: "ou_example_rd" }),
  });
  // dup.status is 409; the body is {"requestId","code":"ResourceDuplicated.Username","message",
  // "error":"conflict","error_description"}
  // docs:end
  assert.equal(dup.status, 409);
  const err = await dup.json();
  assert.equal(err.code, "ResourceDuplicated.Username", JSON.stringify(err));
  assert.ok(err.requestId && err.message, JSON.stringify(err));
});
