// eiam.js starts a real eiam server for the SDK tests: it builds the binary
// from this checkout (once per test process), serves a fresh SQLite
// database on a free loopback port with examples/quickstart.json imported,
// and stops it when the test is done.
"use strict";

const { execFileSync, spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const quickstart = path.join(root, "examples", "quickstart.json");

// The quick-start data every server starts with.
const qs = {
  instance: "idaas_example01",
  app: "app_example01",
  appSecret: "change-me",
  userId: "user_zhangsan",
  username: "zhangsan",
  password: "S3cure-pass!",
  ou: "ou_example_rd",
  ak: "LTAI5tExample000001",
  sk: "exampleSecret000000000000000001",
};

let binary;
function build() {
  if (binary) return binary;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eiam-sdktest-bin-"));
  binary = path.join(dir, "eiam");
  execFileSync("go", ["build", "-o", binary, "./cmd/eiam"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return binary;
}

// start serves a fresh database. extraImports are objects (the import
// file shape) applied with `eiam import` after the quick start, before
// serving. It returns {base, port, stop()}; t.after stops it when given.
async function start(t, extraImports = []) {
  const bin = build();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eiam-sdktest-"));
  const db = "sqlite://" + path.join(dir, "e.db");
  if (extraImports.length > 0) {
    execFileSync(bin, ["import", "--database", db, quickstart], { stdio: "pipe" });
    extraImports.forEach((doc, i) => {
      const file = path.join(dir, `extra${i}.json`);
      fs.writeFileSync(file, JSON.stringify(doc));
      execFileSync(bin, ["import", "--database", db, file], { stdio: "pipe" });
    });
  }
  const proc = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--database", db, "--import", quickstart],
    { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  proc.stdout.on("data", (b) => { out += b; });
  proc.stderr.on("data", (b) => { err += b; });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`eiam did not start in 30s\nstdout:\n${out}\nstderr:\n${err}`)), 30000);
    const check = () => {
      const m = /eiam listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    proc.stdout.on("data", check);
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`eiam exited (${code}) before listening\nstderr:\n${err}`)); });
  });
  const stop = () => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once("exit", resolve);
    proc.kill("SIGTERM");
  }).then(() => fs.rmSync(dir, { recursive: true, force: true }));
  if (t) t.after(stop);
  const port = Number(new URL(base).port);
  return { base, port, stop, logs: () => err };
}

module.exports = { start, qs };
