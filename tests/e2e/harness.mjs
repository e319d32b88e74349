// Starts what the panel's end-to-end tests need: the fake upstreams, `switchboard serve` with a
// config routing claude-haiku/claude-sonnet to the fake Bedrock, and headless Chromium.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
export const uiDir = path.join(repo, "ui");
export const MASTER_KEY = "sk-e2e-master";
export const screenshotDir = process.env.SWITCHBOARD_SCREENSHOTS ?? path.join(repo, "target", "e2e-screenshots");

// playwright-core is a dev dependency of the panel (ui/package.json).
const require = createRequire(path.join(uiDir, "package.json"));
const { chromium } = require("playwright-core");

const binDir = process.env.SWITCHBOARD_BIN_DIR ?? "/var/tmp/switchboard-target/debug";
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(url, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer in ${ms} ms: ${last}`);
}

/** Serves ui/dist under /ui/ for a gateway that was compiled without it. */
async function serveDist() {
  const dist = path.join(uiDir, "dist");
  if (!existsSync(path.join(dist, "index.html"))) throw new Error("ui/dist is missing: run `npm run build` in ui/ first");
  const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let rel = url.pathname.replace(/^\/ui\/?/, "") || "index.html";
    let file = path.join(dist, path.normalize(rel));
    if (!file.startsWith(dist) || !existsSync(file)) file = path.join(dist, "index.html");
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${server.address().port}/ui/` };
}

/**
 * Options (all optional): `gatewayEnv`, more environment for `switchboard serve` (e.g.
 * AWS_ENDPOINT_URL for moto); `serveDist`, serve ui/dist from here even when the gateway embeds a
 * panel (SWITCHBOARD_E2E_SERVE_DIST=1 does the same: test a fresh `npm run build` without
 * rebuilding the gateway); `agentcore`, point `general_settings.agentcore` at the fake AgentCore
 * of fake-upstreams (static credentials) and set `public_url` to the gateway's own URL, so a
 * harness of the fake calls this gateway (as tests/src/agentcore.rs does); `openaiModels`, also
 * route gpt-4o-mini (chat) and embed-small (`model_info.mode: embedding`) to the fake OpenAI;
 * `secretsManager`, run moto_server (the venv's) as Secrets Manager for the gateway and the fake
 * AgentCore (`stack.secretsManagerUrl`).
 */
/** moto_server from the venv on a free port: Secrets Manager for the AgentCore page. */
async function startMoto() {
  const venv = process.env.SWITCHBOARD_VENV ?? path.join(repo, ".venv");
  const bin = path.join(venv, "bin", "moto_server");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: make test installs moto[server] (tests/deploy/requirements.txt)`);
  const port = await freePort();
  const child = spawn(bin, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    const up = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) return { child, url: `http://127.0.0.1:${port}` };
    if (Date.now() > deadline) throw new Error("moto_server did not listen within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startStack({ gatewayEnv = {}, serveDist: forceDist = !!process.env.SWITCHBOARD_E2E_SERVE_DIST, agentcore = false, openaiModels = false, secretsManager = false } = {}) {
  for (const bin of ["fake-upstreams", "switchboard"]) {
    if (!existsSync(path.join(binDir, bin))) {
      throw new Error(`${path.join(binDir, bin)} is missing: cargo build -p switchboard -p switchboard-fakes --bins (SWITCHBOARD_BIN_DIR=${binDir})`);
    }
  }
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install chromium`);
  mkdirSync(screenshotDir, { recursive: true });
  const tmp = mkdtempSync(path.join(tmpdir(), "switchboard-e2e-"));
  const children = [];
  const logs = { gateway: "" };

  const moto = secretsManager ? await startMoto() : null;
  if (moto) children.push(moto.child);
  const fakes = spawn(path.join(binDir, "fake-upstreams"), moto ? ["--secrets-manager", moto.url] : [], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(fakes);
  const [line] = await Promise.race([
    once(readline.createInterface({ input: fakes.stdout }), "line"),
    once(fakes, "exit").then(() => {
      throw new Error("fake-upstreams exited");
    }),
  ]);
  const upstreams = JSON.parse(line);

  const port = await freePort();
  const agentcoreSettings = agentcore
    ? `  public_url: http://127.0.0.1:${port}
  agentcore:
    aws_region_name: us-east-1
    aws_access_key_id: AKIDAGENTCOREE2E
    aws_secret_access_key: agentcore-e2e-secret-0123456789abcdef
    control_endpoint_url: ${upstreams.agentcore_control}
    runtime_endpoint_url: ${upstreams.agentcore_runtime}
${moto ? `    secrets_manager_endpoint_url: ${moto.url}\n` : ""}`
    : "";
  const openaiList = openaiModels
    ? `  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${upstreams.openai}
      api_key: sk-upstream-test
  - model_name: embed-small
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: ${upstreams.openai}
      api_key: sk-upstream-test
    model_info:
      mode: embedding
`
    : "";
  const config = `model_list:
  - model_name: claude-sonnet
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0
      aws_region_name: us-east-1
      aws_bedrock_runtime_endpoint: ${upstreams.bedrock}
  - model_name: claude-haiku
    litellm_params:
      model: bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0
      aws_region_name: us-east-1
      aws_bedrock_runtime_endpoint: ${upstreams.bedrock}
${openaiList}general_settings:
  master_key: ${MASTER_KEY}
${agentcoreSettings}`;
  writeFileSync(path.join(tmp, "config.yaml"), config);
  const gateway = spawn(
    path.join(binDir, "switchboard"),
    ["serve", "--config", path.join(tmp, "config.yaml"), "--host", "127.0.0.1", "--port", String(port), "--db", path.join(tmp, "sb.db")],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: tmp,
        AWS_ACCESS_KEY_ID: "AKIDTEST",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_REGION: "us-east-1",
        AWS_EC2_METADATA_DISABLED: "true",
        ...gatewayEnv,
      },
    },
  );
  children.push(gateway);
  gateway.stdout.on("data", (d) => (logs.gateway += d));
  gateway.stderr.on("data", (d) => (logs.gateway += d));
  const gatewayUrl = `http://127.0.0.1:${port}`;
  await waitFor(`${gatewayUrl}/health/liveliness`);

  // The panel: from the gateway at /ui/ when it was compiled with ui/dist, else served here.
  let panelUrl = `${gatewayUrl}/ui/`;
  let distServer = null;
  const index = await fetch(panelUrl).then((r) => r.text()).catch(() => "");
  if (forceDist || !index.includes('id="root"')) {
    const d = await serveDist();
    distServer = d.server;
    panelUrl = d.url;
    console.log(`# ${forceDist ? "serving ui/dist as asked" : "the gateway does not serve the panel at /ui/: serving ui/dist"} at ${panelUrl}`);
  }

  // Playwright gives launch() a fresh temporary profile (--user-data-dir) of its own and
  // refuses one passed in args.
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

  const stop = async () => {
    await browser.close().catch(() => {});
    distServer?.close();
    for (const c of children.reverse()) {
      if (c.exitCode === null) {
        if (c === fakes) c.stdin.end();
        c.kill("SIGTERM");
        await Promise.race([once(c, "exit"), new Promise((r) => setTimeout(r, 3000))]);
        if (c.exitCode === null) c.kill("SIGKILL");
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  };

  return { gatewayUrl, panelUrl, upstreams, browser, stop, logs, secretsManagerUrl: moto?.url ?? null };
}

/** A call to the gateway from the test itself (not the browser). */
export async function api(gatewayUrl, method, p, body, key = MASTER_KEY) {
  const r = await fetch(gatewayUrl + p, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, json };
}

/** A browser page of `stack`'s panel, signed in with the master key, on the overview. */
export async function signedInPage(stack, { viewport = { width: 1440, height: 900 }, timeout = 10_000, permissions = [] } = {}) {
  const context = await stack.browser.newContext({ viewport, deviceScaleFactor: 1 });
  if (permissions.length) await context.grantPermissions(permissions, { origin: new URL(stack.panelUrl).origin });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
  await page.goto(stack.panelUrl);
  await page.getByTestId("signin-url").fill(stack.gatewayUrl);
  await page.getByTestId("signin-key").fill(MASTER_KEY);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("page-overview").waitFor();
  return { context, page };
}
