// Alibaba Cloud EIAM OpenAPI 2021-12-01 (RPC) through @alicloud/pop-core
// (V1) and @alicloud/openapi-client (V3, and V1 with signatureAlgorithm v2)
// against eiam.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const PopCore = require("@alicloud/pop-core");
const OpenApi = require("@alicloud/openapi-client");
const OpenApiUtil = require("@alicloud/openapi-util").default;
const TeaUtil = require("@alicloud/tea-util");
const { start, qs } = require("./eiam");

function age(user) {
  const f = (user.CustomFields || []).find((x) => x.FieldName === "age");
  return f && String(f.FieldValue);
}

// ---- pop-core -------------------------------------------------------------

for (const method of ["GET", "POST"]) {
  test(`pop-core RPCClient ${method}: UpdateUser, GetUser, CreateUser, duplicate username`, async (t) => {
    const { base } = await start(t);
    const pop = new PopCore.RPCClient({ accessKeyId: qs.ak, accessKeySecret: qs.sk, endpoint: base, apiVersion: "2021-12-01" });
    const opts = { method };
    const call = (action, params) => pop.request(action, params, opts);

    const upd = await call("UpdateUser", {
      InstanceId: qs.instance,
      UserId: qs.userId,
      DisplayName: "Zhang San 张三",
      CustomFields: [{ FieldName: "age", FieldValue: "40", Operation: "replace" }],
    });
    assert.ok(upd.RequestId, JSON.stringify(upd));

    const got = await call("GetUser", { InstanceId: qs.instance, UserId: qs.userId });
    assert.equal(got.User.UserId, qs.userId);
    assert.equal(got.User.Username, qs.username);
    assert.equal(got.User.DisplayName, "Zhang San 张三");
    assert.equal(age(got.User), "40", JSON.stringify(got.User.CustomFields));
    const ou = got.User.PrimaryOrganizationalUnitId;
    assert.ok(ou, "PrimaryOrganizationalUnitId");

    const name = `lisi_${method.toLowerCase()}`;
    const created = await call("CreateUser", {
      InstanceId: qs.instance, Username: name, DisplayName: "Li Si", PrimaryOrganizationalUnitId: ou,
      Password: "An0ther-pass!",
      CustomFields: [{ FieldName: "age", FieldValue: "25" }],
    });
    assert.ok(created.UserId, JSON.stringify(created));
    const back = await call("GetUser", { InstanceId: qs.instance, UserId: created.UserId });
    assert.equal(back.User.Username, name);
    assert.equal(back.User.PrimaryOrganizationalUnitId, ou);
    assert.equal(age(back.User), "25", JSON.stringify(back.User.CustomFields));

    await assert.rejects(
      call("CreateUser", { InstanceId: qs.instance, Username: name, DisplayName: "Li Si 2", PrimaryOrganizationalUnitId: ou }),
      (err) => {
        assert.equal(err.code, "ResourceDuplicated.Username", `${err.code}: ${err.message}`);
        return true;
      });
  });
}

test("pop-core RPCClient: the migration guide's calls", async (t) => {
  const { base: EIAM_URL } = await start(t);
  const { RPCClient } = PopCore;
  // docs:snippet rpc-pop-core
  const client = new RPCClient({
    accessKeyId: "LTAI5tExample000001",
    accessKeySecret: "exampleSecret000000000000000001",
    endpoint: EIAM_URL, // was https://eiam.cn-hangzhou.aliyuncs.com
    apiVersion: "2021-12-01",
  });
  await client.request("UpdateUser", {
    InstanceId: "idaas_example01",
    UserId: "user_zhangsan",
    DisplayName: "Zhang San",
    CustomFields: [{ FieldName: "age", FieldValue: "40", Operation: "replace" }],
  }, { method: "POST" });
  const { User } = await client.request("GetUser", { InstanceId: "idaas_example01", UserId: "user_zhangsan" });
  // docs:end
  assert.equal(User.DisplayName, "Zhang San");
  assert.equal(age(User), "40", JSON.stringify(User.CustomFields));
  // docs:snippet rpc-pop-core-errors
  const err = await client.request("CreateUser", {
    InstanceId: "idaas_example01",
    Username: "zhangsan",
    PrimaryOrganizationalUnitId: "ou_example_rd",
  }, { method: "POST" }).catch((e) => e);
  // err.code is "ResourceDuplicated.Username"; err.data holds the whole answer
  // docs:end
  assert.ok(err instanceof Error, "a duplicate username must throw");
  assert.equal(err.code, "ResourceDuplicated.Username", `${err.code}: ${err.message}`);
  assert.ok(err.data && err.data.RequestId, JSON.stringify(err.data));
});

test("pop-core RPCClient: a wrong secret is refused", async (t) => {
  const { base } = await start(t);
  const pop = new PopCore.RPCClient({ accessKeyId: qs.ak, accessKeySecret: "wrong", endpoint: base, apiVersion: "2021-12-01" });
  await assert.rejects(pop.request("GetUser", { InstanceId: qs.instance, UserId: qs.userId }), (err) => {
    assert.match(err.code, /Signature/, `${err.code}: ${err.message}`);
    return true;
  });
});

// ---- @alicloud/openapi-client ----------------------------------------------

// params are the Params the generated @alicloud/eiam20211201 client passes.
function params(action) {
  return new OpenApi.Params({
    action, version: "2021-12-01", protocol: "HTTP", pathname: "/", method: "POST",
    authType: "AK", style: "RPC", reqBodyType: "formData", bodyType: "json",
  });
}

for (const [scheme, extra] of [["V3", {}], ["V1", { signatureAlgorithm: "v2" }]]) {
  test(`openapi-client callApi ${scheme}: UpdateUser, GetUser, CreateUser, duplicate username`, async (t) => {
    const { port } = await start(t);
    const client = new OpenApi.default(new OpenApi.Config(Object.assign(
      { accessKeyId: qs.ak, accessKeySecret: qs.sk, endpoint: `127.0.0.1:${port}`, protocol: "http" }, extra)));
    const runtime = new TeaUtil.RuntimeOptions({});
    const call = async (action, query) => {
      const res = await client.callApi(params(action), new OpenApi.OpenApiRequest({ query: OpenApiUtil.query(query) }), runtime);
      assert.equal(res.statusCode, 200);
      return res.body;
    };

    const upd = await call("UpdateUser", {
      InstanceId: qs.instance, UserId: qs.userId, DisplayName: "Zhang San 张三",
      CustomFields: [{ FieldName: "age", FieldValue: "41", Operation: "replace" }],
    });
    assert.ok(upd.RequestId, JSON.stringify(upd));

    const got = await call("GetUser", { InstanceId: qs.instance, UserId: qs.userId });
    assert.equal(got.User.DisplayName, "Zhang San 张三");
    assert.equal(age(got.User), "41", JSON.stringify(got.User.CustomFields));
    const ou = got.User.PrimaryOrganizationalUnitId;

    const name = `wangwu_${scheme.toLowerCase()}`;
    const created = await call("CreateUser", {
      InstanceId: qs.instance, Username: name, DisplayName: "Wang Wu", PrimaryOrganizationalUnitId: ou,
      CustomFields: [{ FieldName: "age", FieldValue: "33" }],
    });
    assert.ok(created.UserId, JSON.stringify(created));
    const back = await call("GetUser", { InstanceId: qs.instance, UserId: created.UserId });
    assert.equal(back.User.Username, name);
    assert.equal(age(back.User), "33");

    await assert.rejects(
      call("CreateUser", { InstanceId: qs.instance, Username: name, PrimaryOrganizationalUnitId: ou }),
      (err) => {
        assert.equal(err.code, "ResourceDuplicated.Username", `${err.code}: ${err.message}`);
        return true;
      });
  });
}

test("openapi-client: the migration guide's calls", async (t) => {
  const { port } = await start(t);
  const EIAM_HOST = `127.0.0.1:${port}`;
  const $OpenApi = OpenApi;
  // docs:snippet rpc-openapi-client
  const config = new $OpenApi.Config({
    accessKeyId: "LTAI5tExample000001",
    accessKeySecret: "exampleSecret000000000000000001",
    endpoint: EIAM_HOST, // host[:port] only; was eiam.cn-hangzhou.aliyuncs.com
    protocol: "http", // "https" when eiam is served over TLS
  });
  const client = new $OpenApi.default(config);
  const params = new $OpenApi.Params({
    action: "UpdateUser", version: "2021-12-01", protocol: "HTTPS", pathname: "/", method: "POST",
    authType: "AK", style: "RPC", reqBodyType: "formData", bodyType: "json",
  });
  const query = OpenApiUtil.query({
    InstanceId: "idaas_example01",
    UserId: "user_zhangsan",
    CustomFields: [{ FieldName: "age", FieldValue: "41", Operation: "replace" }],
  });
  const res = await client.callApi(params, new $OpenApi.OpenApiRequest({ query }), new TeaUtil.RuntimeOptions({}));
  // docs:end
  assert.equal(res.statusCode, 200);
  assert.ok(res.body.RequestId, JSON.stringify(res.body));
  const got = await client.callApi(new $OpenApi.Params({
    action: "GetUser", version: "2021-12-01", protocol: "HTTPS", pathname: "/", method: "POST",
    authType: "AK", style: "RPC", reqBodyType: "formData", bodyType: "json",
  }), new $OpenApi.OpenApiRequest({ query: OpenApiUtil.query({ InstanceId: "idaas_example01", UserId: "user_zhangsan" }) }),
  new TeaUtil.RuntimeOptions({}));
  assert.equal(age(got.body.User), "41", JSON.stringify(got.body.User));
});
