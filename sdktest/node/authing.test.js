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
  const { base } = await start(t);
  const c = authClient(base); // client_secret_post, the default
  const login = await c.signInByUsernamePassword({ username: qs.username, password: qs.password });
  assert.equal(login.statusCode, 200, JSON.stringify(login));
  assert.ok(login.data.access_token, "access_token");
  assert.equal(login.data.token_type, "Bearer");
  c.setAccessToken(login.data.access_token);

  const upd = await c.updateProfile({ nickname: "Xiao Zhang", gender: "M", customData: { age: 31 } });
  assert.equal(upd.statusCode, 200, JSON.stringify(upd));
  assert.equal(upd.data.nickname, "Xiao Zhang");

  const prof = await c.getProfile({ withCustomData: true });
  assert.equal(prof.statusCode, 200, JSON.stringify(prof));
  assert.equal(prof.data.userId, qs.userId);
  assert.equal(prof.data.username, qs.username);
  assert.equal(prof.data.nickname, "Xiao Zhang");
  assert.equal(prof.data.gender, "M");
  assert.equal(Number(prof.data.customData.age), 31, JSON.stringify(prof.data.customData));
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

test("ManagementClient: updateUser with a key limited to one instance", async (t) => {
  // The SDK signs with the access key and sends no user pool header; a key
  // allowed on every instance ("*") cannot name its pool, so this one is
  // limited to the example instance.
  const ak = "LTAI5tSdkTestNode0001", sk = "sdkTestSecret0000000000000000001";
  const { base } = await start(t, [{
    access_keys: [{ id: ak, secret: sk, actions: ["eiam:*"], instances: [qs.instance] }],
  }]);
  const m = new ManagementClient({ accessKeyId: ak, accessKeySecret: sk, host: base });
  const u = await m.updateUser({ userId: qs.userId, name: "Zhang San (managed)" });
  assert.equal(u.statusCode, 200, JSON.stringify(u));
  assert.equal(u.data.userId, qs.userId);
  assert.equal(u.data.name, "Zhang San (managed)");

  const g = await m.getUser({ userId: qs.username, userIdType: "username", withCustomData: true });
  assert.equal(g.statusCode, 200, JSON.stringify(g));
  assert.equal(g.data.name, "Zhang San (managed)");

  const wrong = new ManagementClient({ accessKeyId: ak, accessKeySecret: "not-the-secret", host: base });
  const w = await wrong.updateUser({ userId: qs.userId, name: "nope" });
  assert.notEqual(w.statusCode, 200, JSON.stringify(w));
});

test("ManagementClient: the quick-start key (all instances) names its pool by x-authing-app-id", async (t) => {
  // tenantId is sent as x-authing-app-id, which names the application and
  // so the pool.
  const { base } = await start(t);
  const m = new ManagementClient({ accessKeyId: qs.ak, accessKeySecret: qs.sk, host: base, tenantId: qs.app });
  const u = await m.updateUser({ userId: qs.userId, name: "Via App Header" });
  assert.equal(u.statusCode, 200, JSON.stringify(u));
  assert.equal(u.data.name, "Via App Header");
});
