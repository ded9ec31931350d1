// authing-node-sdk 4.0.1 (Authing V3 / GenAuth) against eiam.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { AuthenticationClient, ManagementClient } = require("authing-node-sdk");
const { start, qs } = require("./eiam");

function authClient(base, extra = {}) {
  return new AuthenticationClient(Object.assign({ appId: qs.app, appSecret: qs.appSecret, appHost: base }, extra));
}

test("AuthenticationClient: sign in, update and read the profile", async (t) => {
  const { base: EIAM_URL } = await start(t);
  // The migration guide's snippet: client_secret_post, the default.
  // docs:snippet authing-authentication-client
  const auth = new AuthenticationClient({
    appId: "app_example01", // the application's client id
    appSecret: "change-me",
    appHost: EIAM_URL, // was https://<your-app>.authing.cn
  });
  const login = await auth.signInByUsernamePassword({ username: "zhangsan", password: "S3cure-pass!" });
  auth.setAccessToken(login.data.access_token);
  const updated = await auth.updateProfile({ nickname: "Xiao Zhang", gender: "M", customData: { age: 31 } });
  const profile = await auth.getProfile({ withCustomData: true });
  // docs:end
  assert.equal(login.statusCode, 200, JSON.stringify(login));
  assert.ok(login.data.access_token, "access_token");
  assert.equal(login.data.token_type, "Bearer");

  assert.equal(updated.statusCode, 200, JSON.stringify(updated));
  assert.equal(updated.data.nickname, "Xiao Zhang");

  assert.equal(profile.statusCode, 200, JSON.stringify(profile));
  assert.equal(profile.data.userId, qs.userId);
  assert.equal(profile.data.username, qs.username);
  assert.equal(profile.data.nickname, "Xiao Zhang");
  assert.equal(profile.data.gender, "M");
  assert.equal(Number(profile.data.customData.age), 31, JSON.stringify(profile.data.customData));

  // The tokens verify against eiam's JWKS, as the SDK fetches it.
  // docs:snippet authing-parse-token
  const claims = await auth.parseAccessToken(login.data.access_token);
  // docs:end
  assert.equal(claims.sub, qs.userId, JSON.stringify(claims));
});

test("AuthenticationClient: client_secret_basic signs in too", async (t) => {
  const { base } = await start(t);
  const c = authClient(base, { tokenEndPointAuthMethod: "client_secret_basic" });
  const login = await c.signInByUsernamePassword({ username: qs.username, password: qs.password });
  assert.equal(login.statusCode, 200, JSON.stringify(login));
  c.setAccessToken(login.data.access_token);
  const prof = await c.getProfile({});
  assert.equal(prof.statusCode, 200, JSON.stringify(prof));
  assert.equal(prof.data.username, qs.username);
});

test("AuthenticationClient: a wrong password is a 400 envelope, not a throw", async (t) => {
  const { base } = await start(t);
  const c = authClient(base);
  const bad = await c.signInByUsernamePassword({ username: qs.username, password: "wrong-password" });
  assert.equal(bad.statusCode, 400, JSON.stringify(bad));
  assert.ok(bad.message, "message");
  assert.equal(bad.data && bad.data.access_token, undefined, "no tokens on failure: " + JSON.stringify(bad));
});

test("ManagementClient: updateUser, createUser, getUser, deleteUsersBatch with a key limited to one instance", async (t) => {
  // The SDK signs with the access key and sends no user pool header; a key
  // allowed on one instance only names its pool by itself.
  const { base: EIAM_URL } = await start(t, [{
    access_keys: [{ id: "LTAI5tUserPoolKey0001", secret: "userPoolKeySecret00000000000001", actions: ["eiam:*"], instances: ["idaas_example01"] }],
  }]);
  // docs:snippet authing-management-client
  const management = new ManagementClient({
    accessKeyId: "LTAI5tUserPoolKey0001", // an access key limited to one instance (user pool)
    accessKeySecret: "userPoolKeySecret00000000000001",
    host: EIAM_URL, // was https://api.authing.cn
  });
  const updated = await management.updateUser({ userId: "user_zhangsan", name: "Zhang San (managed)" });
  const created = await management.createUser({
    username: "lisi",
    password: "An0ther-pass!",
    email: "lisi@example.com",
    emailVerified: true,
    customData: { age: 28 },
  });
  const lisi = await management.getUser({ userId: "lisi", userIdType: "username", withCustomData: true });
  const deleted = await management.deleteUsersBatch({ userIds: [created.data.userId] });
  // docs:end
  assert.equal(updated.statusCode, 200, JSON.stringify(updated));
  assert.equal(updated.data.userId, qs.userId);
  assert.equal(updated.data.name, "Zhang San (managed)");

  assert.equal(created.statusCode, 200, JSON.stringify(created));
  assert.match(created.data.userId, /^user_/);
  assert.equal(created.data.username, "lisi");
  assert.equal(created.data.email, "lisi@example.com");
  assert.equal(created.data.emailVerified, true);
  assert.equal(Number(created.data.customData.age), 28, JSON.stringify(created.data.customData));

  assert.equal(lisi.statusCode, 200, JSON.stringify(lisi));
  assert.equal(lisi.data.userId, created.data.userId);
  assert.equal(Number(lisi.data.customData.age), 28);

  assert.equal(deleted.statusCode, 200, JSON.stringify(deleted));
  assert.equal(deleted.data.success, true, JSON.stringify(deleted));
  const gone = await management.getUser({ userId: created.data.userId });
  assert.equal(gone.statusCode, 404, JSON.stringify(gone));

  // The same username again is Authing's duplicate error, in the envelope.
  const again = await management.createUser({ username: "zhangsan" });
  assert.equal(again.statusCode, 400, JSON.stringify(again));
  assert.equal(again.apiCode, 2026, JSON.stringify(again));

  // A batch naming a user that does not exist deletes nobody.
  const partial = await management.deleteUsersBatch({ userIds: [qs.userId, "user_nobody"] });
  assert.equal(partial.statusCode, 404, JSON.stringify(partial));
  const still = await management.getUser({ userId: qs.userId });
  assert.equal(still.statusCode, 200, JSON.stringify(still));

  const wrong = new ManagementClient({ accessKeyId: "LTAI5tUserPoolKey0001", accessKeySecret: "not-the-secret", host: EIAM_URL });
  const w = await wrong.updateUser({ userId: qs.userId, name: "nope" });
  assert.notEqual(w.statusCode, 200, JSON.stringify(w));
});

test("ManagementClient: a key allowed on every instance names its pool by tenantId", async (t) => {
  // tenantId is sent as x-authing-app-id, which names the application and
  // so the pool.
  const { base: EIAM_URL } = await start(t);
  // docs:snippet authing-management-client-tenant
  const management = new ManagementClient({
    accessKeyId: "LTAI5tExample000001", // allowed on every instance ("*")
    accessKeySecret: "exampleSecret000000000000000001",
    host: EIAM_URL,
    tenantId: "app_example01", // sent as x-authing-app-id: the application names the user pool
  });
  // docs:end
  const u = await management.updateUser({ userId: qs.userId, name: "Via App Header" });
  assert.equal(u.statusCode, 200, JSON.stringify(u));
  assert.equal(u.data.name, "Via App Header");

  const noPool = new ManagementClient({ accessKeyId: qs.ak, accessKeySecret: qs.sk, host: EIAM_URL });
  const n = await noPool.updateUser({ userId: qs.userId, name: "nope" });
  assert.equal(n.statusCode, 400, JSON.stringify(n));
});

test("AuthenticationClient: refresh token, /oidc/me and revocation at the app host", async (t) => {
  const { base } = await start(t);
  const c = authClient(base);
  const login = await c.signInByUsernamePassword({
    username: qs.username, password: qs.password, options: { scope: "openid profile offline_access" },
  });
  assert.equal(login.statusCode, 200, JSON.stringify(login));
  assert.ok(login.data.refresh_token, "refresh_token with offline_access: " + JSON.stringify(login.data));

  // The sign-in's refresh token is redeemed at /oidc/token, rotating it.
  const refreshed = await c.getNewAccessTokenByRefreshToken(login.data.refresh_token);
  assert.ok(refreshed.access_token, JSON.stringify(refreshed));
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== login.data.refresh_token, "rotated refresh token");

  const me = await c.getUserInfoByAccessToken(refreshed.access_token);
  assert.equal(me.sub, qs.userId, JSON.stringify(me));

  // The new access token works at the Authing API too.
  c.setAccessToken(refreshed.access_token);
  const profile = await c.getProfile({});
  assert.equal(profile.statusCode, 200, JSON.stringify(profile));

  // Revoking the refresh token ends the session and every token of it.
  assert.equal(await c.revokeToken(refreshed.refresh_token), true);
  await assert.rejects(c.getUserInfoByAccessToken(refreshed.access_token));
  const after = await c.getProfile({});
  assert.notEqual(after.statusCode, 200, "get-profile after revocation: " + JSON.stringify(after));
  await assert.rejects(c.getNewAccessTokenByRefreshToken(refreshed.refresh_token));
});
