// capture.js drives the real Authing and Alibaba Cloud Node SDKs against a
// loopback HTTP server and writes every request they send, byte for byte,
// to authing_captures.json and alibaba_captures.json in the directory given
// as the first argument (default: ..). The acssign Go tests verify each one.
//
// Run: npm ci && node capture.js ..
//
// Besides the wire request, each capture records the string the SDK itself
// signed (and, for V3, its canonical request), taken by wrapping the SDK's
// own signing helpers, so a Go mismatch can be diagnosed line by line.
"use strict";

const http = require("http");
const fs = require("fs");
const path = require("path");

const outDir = path.resolve(process.argv[2] || "..");

// --- hooks into the SDKs' signing code -------------------------------------

let lastSigned = {};

// Authing: ManagementHttpClient calls buildSignature_1.buildStringToSign at
// call time, so replacing the export is seen by the SDK.
const authingSig = require("authing-node-sdk/dist/utils/buildSignature");
const origBuildSTS = authingSig.buildStringToSign;
authingSig.buildStringToSign = function (...args) {
  const sts = origBuildSTS.apply(this, args);
  lastSigned = { sdkStringToSign: sts };
  return sts;
};

// pop-core and openapi-util both sign V1 with kitx.sha1(stringToSign, key,
// 'base64'); pop-core has its own copy of kitx.
function hookKitx(mod) {
  const orig = mod.sha1;
  mod.sha1 = function (data, key, enc) {
    lastSigned = { sdkStringToSign: String(data) };
    return orig.call(this, data, key, enc);
  };
}
const popDir = path.dirname(require.resolve("@alicloud/pop-core"));
hookKitx(require(require.resolve("kitx", { paths: [popDir] })));
hookKitx(require("kitx"));

// openapi-util V3: getAuthorization hashes the canonical request with
// Client.hash and HMACs the string to sign with Client.signatureMethod.
const OpenApiUtil = require("@alicloud/openapi-util").default;
const origGetAuth = OpenApiUtil.getAuthorization;
OpenApiUtil.getAuthorization = function (...args) {
  const origHash = OpenApiUtil.hash;
  const origSign = OpenApiUtil.signatureMethod;
  const rec = {};
  OpenApiUtil.hash = function (raw, alg) {
    rec.sdkCanonicalRequest = Buffer.from(raw).toString("utf8");
    return origHash.call(this, raw, alg);
  };
  OpenApiUtil.signatureMethod = function (secret, source, alg) {
    rec.sdkStringToSign = String(source);
    return origSign.call(this, secret, source, alg);
  };
  try {
    return origGetAuth.apply(this, args);
  } finally {
    OpenApiUtil.hash = origHash;
    OpenApiUtil.signatureMethod = origSign;
    lastSigned = rec;
  }
};

const PopCore = require("@alicloud/pop-core");
const OpenApi = require("@alicloud/openapi-client");
const TeaUtil = require("@alicloud/tea-util");
const { ManagementClient } = require("authing-node-sdk");

function version(pkg) {
  return require(path.join(path.dirname(require.resolve(pkg + "/package.json")), "package.json")).version;
}

// --- capture server ---------------------------------------------------------

const captured = [];
let current = null;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    }
    captured.push(Object.assign({}, current, {
      method: req.method,
      target: req.url,
      headers,
      body: body.toString("utf8"),
      bodyBase64: body.toString("base64"),
    }, lastSigned));
    lastSigned = {};
    res.setHeader("Content-Type", "application/json;charset=utf-8");
    if (req.url.startsWith("/api/v3/")) {
      res.end(JSON.stringify({ statusCode: 200, message: "", apiCode: 0, data: {} }));
    } else {
      res.end(JSON.stringify({ RequestId: "capture" }));
    }
  });
});

async function run(meta, fn) {
  current = meta;
  const before = captured.length;
  await fn();
  if (captured.length !== before + 1) {
    throw new Error(`${meta.name}: expected exactly one request, got ${captured.length - before}`);
  }
}

// Values that exercise the percent-encoding and JSON rules.
const tricky = "a b+c*~!'()&=?%/中文😀";

async function authing(port) {
  const ak = "authingAK";
  const sk = "authingSecret";
  const client = new ManagementClient({ accessKeyId: ak, accessKeySecret: sk, host: `http://127.0.0.1:${port}` });
  const tenant = new ManagementClient({ accessKeyId: ak, accessKeySecret: sk, host: `http://127.0.0.1:${port}`, tenantId: "tenant1", lang: "en-US" });
  const meta = (name) => ({ name, client: `authing-node-sdk@${version("authing-node-sdk")}`, scheme: "authing", accessKeyId: ak, secret: sk });

  await run(meta("updateUser spec example"), () =>
    client.updateUser({ userId: "u1", nickname: "Bobby", customData: { school: "PKU" } }));
  await run(meta("updateUser unicode, nested order, numbers, booleans, null"), () =>
    client.updateUser({
      userId: "u 2",
      nickname: tricky,
      phoneVerified: true,
      emailVerified: false,
      gender: null,
      customData: { zeta: 1, alpha: { y: [1, "x", true, null, 1.5], b: "中文 \"q\" \\ <>&\u2028\n" }, num: -0.000001, big: 1e21 },
      metadata: [],
      options: { resetPasswordOnNextLogin: true, userIdType: "user_id" },
    }));
  await run(meta("makeRequest POST top-level scalars"), () =>
    client.makeRequest({
      method: "POST",
      url: "/api/v3/update-user",
      data: { Zed: 1, _u: "x", a: 1.25, b: -7, c: 1e-7, d: 12345678901234567890, e: "", f: "\u00e9\u0301", g: "x\ud800y", h: { "\ud800": "\udc00" } },
    }));
  await run(meta("makeRequest POST all-undefined data (trailing ?)"), () =>
    client.makeRequest({ method: "POST", url: "/api/v3/update-user", data: { userId: undefined } }));
  await run(meta("makeRequest POST no data"), () =>
    client.makeRequest({ method: "POST", url: "/api/v3/update-user" }));
  await run(meta("getUser GET"), () =>
    client.getUser({ userId: tricky, withCustomData: true }));
  await run(meta("getUserBatch GET array"), () =>
    client.getUserBatch({ userIds: ["u1", "u 2", "中"] }));
  await run(meta("listExtIdp GET all-undefined params (trailing ?)"), () =>
    client.listExtIdp({}));
  await run(meta("listUsers POST (a list call is a POST in 4.0.1)"), () =>
    client.listUsers({ page: 2, limit: 10 }));
  await run(meta("tenant client (x-authing-app-id, lang)"), () =>
    tenant.updateUser({ userId: "u3", name: "Zoë" }));
}

async function alibaba(port) {
  const ak = "testAK";
  const sk = "testSecret";
  const meta = (name, client, scheme) => ({ name, client, scheme, accessKeyId: ak, secret: sk });
  const popVer = `@alicloud/pop-core@${version("@alicloud/pop-core")}`;
  const oaVer = `@alicloud/openapi-client@${version("@alicloud/openapi-client")}`;

  const pop = new PopCore.RPCClient({ accessKeyId: ak, accessKeySecret: sk, endpoint: `http://127.0.0.1:${port}`, apiVersion: "2021-12-01" });
  const popParams = {
    InstanceId: "idaas_abc",
    UserId: "user_123",
    Username: "alice.w@x",
    DisplayName: "Alice W 中文😀",
    PhoneNumberVerified: true,
    CustomFields: [
      { FieldName: "age", FieldValue: 10, Operation: "replace" },
      { FieldName: "nick_name", FieldValue: tricky, Operation: "add" },
      { FieldName: "empty", FieldValue: "", Operation: "replace" },
    ],
  };
  await run(meta("pop-core GET UpdateUser", popVer, "v1"), () => pop.request("UpdateUser", popParams));
  await run(meta("pop-core POST form UpdateUser", popVer, "v1"), () => pop.request("UpdateUser", popParams, { method: "POST" }));

  const query = OpenApiUtil.query({
    InstanceId: "idaas_abc",
    UserId: "user_123",
    Username: "alice.w@x",
    DisplayName: "Alice W 中文😀",
    PhoneNumberVerified: true,
    CustomFields: [
      { FieldName: "age", FieldValue: "10", Operation: "replace" },
      { FieldName: "nick_name", FieldValue: tricky, Operation: "add" },
    ],
    Empty: "",
  });
  const rpcParams = (method, reqBodyType) => new OpenApi.Params({
    action: "UpdateUser", version: "2021-12-01", protocol: "HTTPS", pathname: "/", method,
    authType: "AK", style: "RPC", reqBodyType, bodyType: "json",
  });
  const runtime = new TeaUtil.RuntimeOptions({});
  const mk = (extra) => new OpenApi.default(new OpenApi.Config(Object.assign(
    { accessKeyId: ak, accessKeySecret: sk, endpoint: `127.0.0.1:${port}`, protocol: "http" }, extra)));

  const v3 = mk({});
  await run(meta("openapi-client V3 POST query", oaVer, "v3"), () =>
    v3.callApi(rpcParams("POST", "formData"), new OpenApi.OpenApiRequest({ query }), runtime));
  await run(meta("openapi-client V3 GET query", oaVer, "v3"), () =>
    v3.callApi(rpcParams("GET", "formData"), new OpenApi.OpenApiRequest({ query }), runtime));
  await run(meta("openapi-client V3 POST form body", oaVer, "v3"), () =>
    v3.callApi(rpcParams("POST", "formData"), new OpenApi.OpenApiRequest({
      query: OpenApiUtil.query({ InstanceId: "idaas_abc" }),
      body: { InstanceId: "idaas_abc", UserId: "user_123", DisplayName: tricky, CustomFields: [{ FieldName: "age", FieldValue: "10" }] },
    }), runtime));
  await run(meta("openapi-client V3 POST json body", oaVer, "v3"), () =>
    v3.callApi(rpcParams("POST", "json"), new OpenApi.OpenApiRequest({
      query: OpenApiUtil.query({ InstanceId: "idaas_abc" }),
      body: { userId: "user_123", displayName: tricky },
    }), runtime));
  const sts = mk({ securityToken: "sts-token/+=", type: "sts" });
  await run(meta("openapi-client V3 STS token", oaVer, "v3"), () =>
    sts.callApi(rpcParams("POST", "formData"), new OpenApi.OpenApiRequest({ query: OpenApiUtil.query({ InstanceId: "idaas_abc" }) }), runtime));

  const v1 = mk({ signatureAlgorithm: "v2" });
  await run(meta("openapi-client V1 POST query", oaVer, "v1"), () =>
    v1.callApi(rpcParams("POST", "formData"), new OpenApi.OpenApiRequest({ query }), runtime));
  await run(meta("openapi-client V1 POST form body", oaVer, "v1"), () =>
    v1.callApi(rpcParams("POST", "formData"), new OpenApi.OpenApiRequest({
      query: OpenApiUtil.query({ InstanceId: "idaas_abc" }),
      body: { UserId: "user_123", DisplayName: tricky, CustomFields: [{ FieldName: "age", FieldValue: "10" }] },
    }), runtime));
}

function write(file, sdk, captures) {
  const doc = { generatedBy: "acssign/testdata/capture/capture.js", node: process.version, sdk, captures };
  fs.writeFileSync(path.join(outDir, file), JSON.stringify(doc, null, 2) + "\n");
  console.log(`${file}: ${captures.length} captures`);
}

server.listen(0, "127.0.0.1", async () => {
  const port = server.address().port;
  try {
    await authing(port);
    const a = captured.splice(0);
    await alibaba(port);
    const b = captured.splice(0);
    write("authing_captures.json", { "authing-node-sdk": version("authing-node-sdk"), axios: version("axios") }, a);
    write("alibaba_captures.json", {
      "@alicloud/pop-core": version("@alicloud/pop-core"),
      "@alicloud/openapi-client": version("@alicloud/openapi-client"),
      "@alicloud/openapi-util": version("@alicloud/openapi-util"),
    }, b);
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  } finally {
    server.close();
    process.exit();
  }
});
