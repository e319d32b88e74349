// The "Deploy to AWS" page end to end: headless Chromium, `switchboard serve` with its AWS calls
// sent to moto (tests/deploy/moto_server.py, which gives moto CloudFormation's asynchronous
// events). moto cannot create secrets, RDS or Redis inside a stack, nor delete a new VPC's NAT
// gateway (deploy/README.md): the form uses RDS, Redis and HTTPS off, an existing VPC and a master
// key secret made beforehand. The successful deploy takes the default image path: the gateway
// builds its own image and pushes it to Debian's docker-registry on 127.0.0.1 (ECR's repository and
// login are deploy/tests/moto.rs's). Screenshots: target/e2e-screenshots/20-deploy-*.png.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { MASTER_KEY, repo, screenshotDir, startStack } from "./harness.mjs";

const venv = process.env.SWITCHBOARD_VENV ?? path.join(repo, ".venv");
const python = path.join(venv, "bin", "python");
const STACK = "sb-e2e";
const DEPLOYED_KEY = "sk-e2e-deployed-gateway-key";
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0";
// Seconds between two CloudFormation events: long enough to watch (and reload) a deploy.
const EVENT_DELAY = "0.12";

let moto;
let motoUrl;
let registry;
let registryHost;
let registryTmp;
let bare;
let bareTmp;
let seed;
let stack;
let context;
let page;

async function shot(name) {
  // Let the progress bar's width transition end.
  await page.waitForTimeout(450);
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

/** The whole form: the panel scrolls inside .main, so a taller window shows all of it. */
async function tallShot(name) {
  const size = page.viewportSize();
  const height = await page.evaluate(() => document.querySelector(".main").scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.min(4000, height + 40) });
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
  await page.setViewportSize(size);
}

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

async function waitPort(port, child, name, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on ${port} within ${ms} ms`);
}

/** In moto, with boto3: the master key secret and a VPC with two public and two private subnets. */
function seedMoto(url) {
  const script = `
import boto3, json, sys
kw = dict(region_name="us-east-1", endpoint_url=sys.argv[1], aws_access_key_id="testing", aws_secret_access_key="testing")
arn = boto3.client("secretsmanager", **kw).create_secret(Name="${STACK}/master-key", SecretString="${DEPLOYED_KEY}")["ARN"]
cfn = boto3.client("cloudformation", **kw)
cfn.create_stack(StackName="e2e-network", TemplateBody="""
Resources:
  V: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.9.0.0/16}}
  A: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.0.0/24, AvailabilityZone: us-east-1a}}
  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.1.0/24, AvailabilityZone: us-east-1b}}
  C: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.2.0/24, AvailabilityZone: us-east-1a}}
  D: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.3.0/24, AvailabilityZone: us-east-1b}}
Outputs:
  Vpc: {Value: !Ref V}
  Public: {Value: !Join [",", [!Ref A, !Ref B]]}
  Private: {Value: !Join [",", [!Ref C, !Ref D]]}
""")
out = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="e2e-network")["Stacks"][0]["Outputs"]}
print(json.dumps({"arn": arn, "vpc": out["Vpc"], "public": out["Public"], "private": out["Private"]}))
`;
  const r = spawnSync(python, ["-c", script, url], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`seeding moto failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

/** Debian's docker-registry (the reference OCI distribution server) on a free port. */
async function startRegistry() {
  const bin = "/usr/bin/docker-registry";
  if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install docker-registry (make test installs it)`);
  registryTmp = mkdtempSync(path.join(tmpdir(), "switchboard-e2e-registry-"));
  const port = await freePort();
  const config = path.join(registryTmp, "registry.yml");
  writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${registryTmp}/storage\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  registry = spawn(bin, ["serve", config], { stdio: "ignore" });
  await waitPort(port, registry, "docker-registry");
  registryHost = `127.0.0.1:${port}`;
}

before(async () => {
  await startRegistry();
  if (!existsSync(python)) throw new Error(`${python} is missing: python3 -m venv .venv && .venv/bin/pip install -r tests/deploy/requirements.txt`);
  const port = await freePort();
  moto = spawn(python, [path.join(repo, "tests/deploy/moto_server.py"), "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", process.env.E2E_SHOW_GATEWAY_LOG ? "inherit" : "ignore"],
    env: { ...process.env, SWITCHBOARD_MOTO_EVENT_DELAY: EVENT_DELAY },
  });
  motoUrl = `http://127.0.0.1:${port}`;
  await waitPort(port, moto, "moto_server");
  seed = seedMoto(motoUrl);
  stack = await startStack({
    gatewayEnv: {
      AWS_ENDPOINT_URL: motoUrl,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: "/nonexistent/aws-config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
      SWITCHBOARD_DEPLOY_POLL_SECONDS: "0.1",
      SWITCHBOARD_DEPLOY_HEALTH_ATTEMPTS: "1",
    },
  });
  context = await stack.browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(stack.panelUrl).origin });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
});

after(async () => {
  await context?.close().catch(() => {});
  if (stack) {
    if (process.env.E2E_SHOW_GATEWAY_LOG) console.log(stack.logs.gateway);
    await stack.stop();
  }
  if (bare && bare.exitCode === null) {
    bare.kill("SIGTERM");
    await new Promise((r) => {
      bare.once("exit", r);
      setTimeout(r, 3000);
    });
  }
  if (bareTmp) rmSync(bareTmp, { recursive: true, force: true });
  if (registry && registry.exitCode === null) registry.kill("SIGTERM");
  if (registryTmp) rmSync(registryTmp, { recursive: true, force: true });
  if (moto && moto.exitCode === null) {
    moto.kill("SIGTERM");
    await new Promise((r) => {
      moto.once("exit", r);
      setTimeout(r, 3000);
    });
    if (moto.exitCode === null) moto.kill("SIGKILL");
  }
});

/** The summary column has checked the form as it is now. */
async function settled() {
  await page.locator("[data-testid=deploy-summary] .spinner").waitFor({ state: "detached" });
}

test("deploy form: options, live validation of a bad name prefix, identity, cost and resources", async () => {
  await page.goto(stack.panelUrl);
  await page.getByTestId("signin-url").fill(stack.gatewayUrl);
  await page.getByTestId("signin-key").fill(MASTER_KEY);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("page-overview").waitFor();
  await page.getByTestId("nav-deploy").click();
  await page.getByTestId("page-deploy").waitFor();
  await page.getByTestId("deploy-form").waitFor();

  // The gateway's defaults: the seed's region, 0.5 vCPU / 1 GB, RDS on, a new VPC, no stack yet.
  assert.equal(await page.getByTestId("deploy-region").inputValue(), "us-east-1");
  assert.equal(await page.getByTestId("deploy-cpu").inputValue(), "512");
  assert.equal(await page.getByTestId("deploy-memory").inputValue(), "1024");
  assert.ok(await page.getByTestId("deploy-rds").isChecked());
  await page.getByTestId("deploy-stack-line").and(page.locator("[data-exists=false]")).waitFor();

  // Only valid Fargate pairs are offered: 256 CPU units take 512 MiB to 2 GB.
  await page.getByTestId("deploy-cpu").selectOption("256");
  assert.deepEqual(await page.getByTestId("deploy-memory").locator("option").evaluateAll((o) => o.map((x) => x.value)), ["512", "1024", "2048"]);
  assert.equal(await page.getByTestId("deploy-memory").inputValue(), "1024");
  await page.getByTestId("deploy-cpu").selectOption("512");

  // By default the gateway builds and pushes its own image (this gateway's version, no Docker).
  const source = page.getByTestId("deploy-image-source");
  assert.equal(await source.getAttribute("data-value"), "build");
  assert.match(await page.getByTestId("deploy-image-build-note").innerText(), /assembles Switchboard \d+\.\d+\.\d+.*no Docker/);
  assert.equal(await page.getByTestId("deploy-image").count(), 0);
  await page.getByTestId("deploy-image-repository").fill("Not A Repository");
  await page.locator(".field.has-error", { has: page.getByTestId("deploy-image-repository") }).getByText(/registry/).waitFor();
  await page.getByTestId("deploy-image-repository").fill("");

  // A bad name prefix and a bad image of one's own: the gateway's errors appear next to the fields.
  await source.locator("[data-value=own]").click();
  await page.getByTestId("deploy-name-prefix").fill("Bad_Prefix!");
  await page.getByTestId("deploy-image").fill("not an image");
  await page.locator(".field.has-error", { has: page.getByTestId("deploy-name-prefix") }).getByText(/lower-case letters, digits and hyphens/).waitFor();
  await page.locator(".field.has-error", { has: page.getByTestId("deploy-image") }).waitFor();
  await page.getByTestId("deploy-error-count").getByText(/2 fields to fix/).waitFor();
  // Deploy refuses before anything is sent.
  await page.getByTestId("deploy-submit").click();
  await page.getByTestId("deploy-blocked").waitFor();
  assert.equal(await page.getByTestId("deploy-run").count(), 0);
  await page.getByTestId("deploy-name-prefix").scrollIntoViewIfNeeded();
  await shot("20-deploy-form-invalid");

  // The seed's form, with what moto cannot model switched off (RDS, Redis, HTTPS).
  await page.getByTestId("deploy-name-prefix").fill(STACK);
  await page.getByTestId("deploy-image").fill(IMAGE);
  await page.getByTestId("deploy-rds").uncheck();
  assert.equal(await page.getByTestId("deploy-redis").isChecked(), false);
  assert.equal(await page.getByTestId("deploy-https").isChecked(), false);
  await page.getByTestId("deploy-network").locator("[data-value=existing]").click();
  await page.getByTestId("deploy-vpc-id").fill("vpc-0123456789abcdef0");
  // Well-formed ids of subnets that do not exist: the load balancer will fail (next test).
  await page.getByTestId("deploy-public-subnets").fill("subnet-00000000000000001, subnet-00000000000000002");
  await page.getByTestId("deploy-private-subnets").fill("subnet-00000000000000003, subnet-00000000000000004");
  await page.getByTestId("deploy-advanced").click();
  await page.getByTestId("deploy-master-key-secret").fill(seed.arn);
  await page.locator("[data-testid=deploy-validation][data-ok=true]").waitFor();
  await settled();
  // Warnings, a cost estimate without the NAT gateway and RDS, the resources it will create.
  const warnings = await page.getByTestId("deploy-warnings").innerText();
  assert.match(warnings, /plain HTTP/);
  assert.match(warnings, /SQLite/);
  await page.getByTestId("warn-enableRds").waitFor();
  const cost = await page.getByTestId("deploy-cost").innerText();
  assert.match(cost, /Fargate tasks/);
  assert.doesNotMatch(cost, /NAT gateway|RDS PostgreSQL/);
  assert.match(await page.getByTestId("deploy-cost-total").innerText(), /≈ \$\d+\.\d\d/);
  assert.ok(Number(await page.getByTestId("deploy-resource-count").innerText()) > 10);
  await page.getByTestId("deploy-resources").locator("summary").click();

  // Who the gateway deploys as (moto's account).
  await page.getByTestId("deploy-whoami").click();
  await page.getByTestId("deploy-identity").getByText(/account 123456789012/).waitFor();
  assert.equal(await page.getByTestId("deploy-submit").innerText(), `Deploy ${STACK}`);
  await page.getByTestId("deploy-name-prefix").scrollIntoViewIfNeeded();
  await shot("20b-deploy-form-valid");
  await tallShot("20c-deploy-form-valid-full");
});

test("a deploy that fails names the failing resource and its reason, and reports the rollback", async () => {
  await page.getByTestId("deploy-submit").click();
  await page.getByTestId("deploy-run").waitFor();
  const outcome = page.getByTestId("deploy-outcome");
  await outcome.waitFor({ timeout: 60_000 });
  assert.equal(await outcome.getAttribute("data-outcome"), "rolled_back");
  assert.equal(await page.getByTestId("deploy-stack-status").getAttribute("data-status"), "ROLLBACK_COMPLETE");
  const failure = page.getByTestId("deploy-failure");
  assert.match(await failure.innerText(), /LoadBalancer/);
  assert.match(await failure.innerText(), /CREATE_FAILED/);
  assert.match(await failure.innerText(), /subnet-0000000000000000/);
  // The live list has the failed event (red) and the rollback's.
  await page.locator("[data-testid=deploy-event][data-logical-id=LoadBalancer][data-status=CREATE_FAILED]").waitFor();
  await page.locator(`[data-testid=deploy-event][data-logical-id=${STACK}][data-status=ROLLBACK_IN_PROGRESS]`).waitFor();
  assert.equal(await page.getByTestId("deploy-manage").count(), 0);
  await shot("21-deploy-rolled-back");
});

test("deploy: live progress, a reload re-attaches, done with outputs and the seed's health check", async () => {
  await page.getByTestId("deploy-back-to-form").click();
  await page.getByTestId("deploy-public-subnets").fill(seed.public);
  await page.getByTestId("deploy-private-subnets").fill(seed.private);
  await page.getByTestId("deploy-vpc-id").fill(seed.vpc);
  // The default path: the gateway builds its image and pushes it to the registry on this machine.
  await page.getByTestId("deploy-image-source").locator("[data-value=build]").click();
  await page.getByTestId("deploy-image-repository").fill(`${registryHost}/${STACK}`);
  await page.locator("[data-testid=deploy-validation][data-ok=true]").waitFor();
  await settled();
  await page.getByTestId("deploy-image-source").scrollIntoViewIfNeeded();
  await shot("21b-deploy-form-build-image");
  // The rolled-back stack is still there: deploying deletes it first.
  await page.getByTestId("deploy-submit").getByText(`Deploy ${STACK} again`).waitFor();
  await page.getByTestId("deploy-submit").click();
  await page.getByTestId("deploy-message").getByText(/rolled back; deleting the empty stack/).waitFor({ timeout: 30_000 });
  // The image is built and pushed before the change set, each step in the same stream.
  await page.getByTestId("deploy-message").getByText(/Building the gateway's image .* pushing it to 127\.0\.0\.1/).waitFor({ timeout: 30_000 });
  const steps = page.getByTestId("deploy-image-steps");
  await steps.and(page.locator("[data-pushed=true]")).waitFor({ timeout: 120_000 });
  const stepNames = await steps.getByTestId("deploy-image-step").evaluateAll((l) => l.map((x) => x.getAttribute("data-step")));
  assert.deepEqual(stepNames, ["assembled", "uploaded", "uploaded", "pushed"], "a new repository gets the layer and the config");
  assert.match(await steps.getByTestId("deploy-image-step").first().innerText(), /Assembled the image: .*switchboard .* for amd64, layer \d+\.\d MiB/);
  const reference = (await page.getByTestId("deploy-image-reference").locator(".mono").innerText()).trim();
  assert.match(reference, new RegExp(`^${registryHost.replace(/[.]/g, "\\.")}/${STACK}@sha256:[0-9a-f]{64}$`));
  // The registry has it.
  const manifest = await fetch(`http://${registryHost}/v2/${STACK}/manifests/${reference.split("@")[1]}`, { headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
  assert.equal(manifest.status, 200);
  // Progress as events arrive.
  const bar = page.getByTestId("deploy-progress");
  await page.waitForFunction(() => Number(document.querySelector("[data-testid=deploy-progress]")?.getAttribute("aria-valuenow")) >= 25, null, { timeout: 60_000 });
  assert.equal(await page.getByTestId("deploy-run").getAttribute("data-state"), "running");
  assert.match(await page.getByTestId("deploy-run-title").innerText(), /Deploying sb-e2e/);
  assert.ok((await page.getByTestId("deploy-event").count()) > 3);
  await shot("22-deploy-progress");

  // A reload in the middle: the page follows the operation again (/deploy/follow).
  const before = Number(await bar.getAttribute("aria-valuenow"));
  assert.ok(before < 100, `still running (${before} %)`);
  await page.reload();
  await page.getByTestId("deploy-run").waitFor();
  await page.getByTestId("deploy-outcome").waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId("deploy-outcome").getAttribute("data-outcome"), "succeeded");
  assert.equal(await bar.getAttribute("aria-valuenow"), "100");
  await page.locator("[data-testid=deploy-event][data-logical-id=Service][data-status=CREATE_COMPLETE]").waitFor();
  const url = await page.getByTestId("output-ServiceUrl-value").innerText();
  assert.match(url, /^http:\/\//);
  assert.ok((await page.getByTestId("output-AlbDnsName-value").innerText()).length > 5);
  assert.equal(await page.getByTestId("output-MasterKeySecretArn-value").innerText(), seed.arn);
  // The health check ran (moto's load balancer has no address: it fails, and says so).
  const health = page.getByTestId("deploy-health");
  assert.match(await health.innerText(), new RegExp(`GET ${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/health/liveliness`));
  assert.equal(await health.getAttribute("data-ok"), "false");
  // The deployed URL is kept for the AgentCore wiring.
  assert.equal(await page.evaluate(() => sessionStorage.getItem("switchboard.deployedUrl")), url);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("switchboard.deploy.running")), null);
  await shot("23-deploy-done");
});

test("manage the deployed gateway: the key behind Reveal, this tab switched to it and back", async () => {
  const url = await page.getByTestId("output-ServiceUrl-value").innerText();
  await page.getByTestId("deploy-manage").click();
  const dialog = page.getByTestId("manage-dialog");
  await dialog.getByTestId("manage-connection").waitFor();
  assert.equal(await dialog.getByTestId("manage-url-value").innerText(), url);
  const masked = await dialog.getByTestId("manage-key-value").innerText();
  assert.ok(!masked.includes(DEPLOYED_KEY), "the master key is hidden until revealed");
  assert.ok(!(await dialog.innerText()).includes(DEPLOYED_KEY));
  await dialog.getByTestId("manage-key-copy").click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), DEPLOYED_KEY);
  await dialog.getByTestId("manage-key-reveal").click();
  assert.equal(await dialog.getByTestId("manage-key-value").innerText(), DEPLOYED_KEY);
  await dialog.getByTestId("manage-key-reveal").click();
  await shot("24-deploy-manage");

  await dialog.getByTestId("manage-switch").click();
  await page.getByTestId("page-overview").waitFor();
  const status = page.getByTestId("gateway-status");
  await status.getByText(url.replace(/^https?:\/\//, "")).waitFor();
  await status.getByText("Gateway unreachable").waitFor({ timeout: 20_000 });
  assert.deepEqual(JSON.parse(await page.evaluate(() => sessionStorage.getItem("switchboard.session"))), { url, masterKey: DEPLOYED_KEY });
  await shot("25-deploy-switched");

  await page.getByTestId("switch-back").click();
  await page.getByTestId("page-deploy").waitFor();
  await status.getByText(stack.gatewayUrl.replace(/^https?:\/\//, "")).waitFor();
  await status.getByText("Gateway up").waitFor();
  assert.equal(await page.getByTestId("switch-back").count(), 0);
  assert.equal(JSON.parse(await page.evaluate(() => sessionStorage.getItem("switchboard.session"))).masterKey, MASTER_KEY);

  // The desktop app injects its local gateway: "Manage it in this tab" replaces it for this
  // window only, and the sidebar leads back to the local gateway.
  const app = await stack.browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    await app.addInitScript(
      ([gatewayUrl, masterKey]) => {
        window.__SWITCHBOARD__ = { url: gatewayUrl, masterKey };
      },
      [stack.gatewayUrl, MASTER_KEY],
    );
    const p = await app.newPage();
    p.setDefaultTimeout(15_000);
    await p.goto(`${stack.panelUrl}#/deploy`);
    await p.getByTestId("signed-in-local").waitFor();
    await p.getByTestId("deploy-name-prefix").fill(STACK);
    await p.getByTestId("deploy-tab-status").click();
    await p.getByTestId("status-manage").click();
    await p.getByTestId("manage-switch").click();
    await p.getByTestId("page-overview").waitFor();
    await p.getByTestId("switch-back").getByText("Back to the local gateway").waitFor();
    assert.equal(await p.getByTestId("signed-in-local").count(), 0);
    await p.getByTestId("gateway-status").getByText(url.replace(/^https?:\/\//, "")).waitFor();
    await p.screenshot({ path: path.join(screenshotDir, "25b-deploy-switched-desktop.png") });
    await p.getByTestId("switch-back").click();
    await p.getByTestId("signed-in-local").waitFor();
    await p.getByTestId("gateway-status").getByText("Gateway up").waitFor();
  } finally {
    await app.close();
  }
});

test("status of the deployed stack, then an update", async () => {
  await page.getByTestId("deploy-tab-status").click();
  await page.getByTestId("status-stack-status").and(page.locator("[data-status=CREATE_COMPLETE]")).waitFor();
  await page.getByTestId("status-outputs").getByTestId("output-ServiceUrl").waitFor();
  const params = await page.getByTestId("status-parameters").innerText();
  assert.match(params, /EnableRds\s+false/);
  assert.match(params, new RegExp(`NamePrefix\\s+${STACK}`));
  await page.getByTestId("status-health").waitFor();
  // The task runs the pushed image by digest. (moto's load balancer has no address, so the
  // running version is unknown and the panel offers to update to its own.)
  const deployed = await page.getByTestId("status-image").innerText();
  assert.match(deployed, new RegExp(`^${registryHost.replace(/[.]/g, "\\.")}/${STACK}@sha256:`));
  assert.match(await page.getByTestId("status-running-version").innerText(), /unknown/);
  assert.match(await page.getByTestId("status-update").innerText(), /^Update to \d+\.\d+\.\d+$/);
  await shot("26-deploy-status");

  // Update: the same version builds the same image, which the registry has; every other
  // parameter stays as deployed.
  await page.getByTestId("status-update").click();
  await page.getByTestId("deploy-run").waitFor();
  await page.getByTestId("deploy-image-steps").and(page.locator("[data-pushed=true]")).waitFor({ timeout: 120_000 });
  const again = await page.getByTestId("deploy-image-step").evaluateAll((l) => l.map((x) => x.getAttribute("data-step")));
  assert.deepEqual(again, ["assembled", "present", "present", "pushed"], "nothing is uploaded twice");
  assert.equal((await page.getByTestId("deploy-image-reference").locator(".mono").innerText()).trim(), deployed.trim());
  await page.getByTestId("deploy-outcome").waitFor({ timeout: 60_000 });
  const updated = await page.getByTestId("deploy-outcome").getAttribute("data-outcome");
  // Reproducible: the same version is the same digest. (CloudFormation answers "no changes";
  // moto's diff counts the template's defaults as changed and runs an update of the same values.)
  assert.ok(["no_changes", "succeeded"].includes(updated), `${updated}: ${await page.getByTestId("deploy-outcome").innerText()}`);
  await shot("26a-deploy-update-image");
  await page.getByTestId("deploy-open-status").click();
  await page.getByTestId("status-stack-status").waitFor();
  assert.equal((await page.getByTestId("status-image").innerText()).trim(), deployed.trim());
  assert.match(await page.getByTestId("status-parameters").innerText(), new RegExp(`NamePrefix\\s+${STACK}`));

  // The stack exists: the button updates it; one task more.
  await page.getByTestId("deploy-tab-form").click();
  await page.getByTestId("deploy-submit").and(page.locator("[data-action=update]")).waitFor();
  await page.getByTestId("deploy-desired-count").fill("2");
  await page.locator("[data-testid=deploy-validation][data-ok=true]").waitFor();
  await settled();
  assert.match(await page.getByTestId("deploy-warnings").innerText(), /each task has its own keys/);
  await page.getByTestId("deploy-submit").click();
  await page.getByTestId("deploy-outcome").waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId("deploy-outcome").getAttribute("data-outcome"), "succeeded");
  assert.equal(await page.getByTestId("deploy-run-title").innerText(), "Updated");
  // (moto's update change sets list no changes: the plan card says so.)
  assert.match(await page.getByTestId("deploy-plan").innerText(), /Change set|Changes \d+ resource/);
  await page.locator(`[data-testid=deploy-event][data-logical-id=${STACK}][data-status=UPDATE_COMPLETE]`).waitFor();
  await shot("26b-deploy-updated");
});

test("destroy asks for the stack's name, then reports everything deleted", async () => {
  await page.getByTestId("deploy-open-status").click();
  await page.getByTestId("deploy-destroy").click();
  const dialog = page.getByTestId("destroy-dialog");
  await dialog.waitFor();
  const confirm = dialog.getByTestId("destroy-confirm");
  assert.ok(await confirm.isDisabled());
  await dialog.getByTestId("destroy-typed").fill("sb-e2");
  assert.ok(await confirm.isDisabled());
  await shot("27-deploy-destroy-confirm");
  await dialog.getByTestId("destroy-typed").fill(STACK);
  await confirm.click();
  await dialog.waitFor({ state: "detached" });
  await page.getByTestId("deploy-run").waitFor();
  await page.waitForFunction(() => /Destroying/.test(document.querySelector("[data-testid=deploy-run-title]")?.textContent ?? "") || !!document.querySelector("[data-testid=deploy-outcome]"));
  await page.getByTestId("deploy-outcome").waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId("deploy-outcome").getAttribute("data-outcome"), "deleted");
  assert.match(await page.getByTestId("deploy-outcome").innerText(), /Everything the stack created is deleted/);
  assert.match(await page.getByTestId("deploy-outcome").innerText(), /is yours and was kept/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("switchboard.deployedUrl")), null);
  await shot("28-deploy-deleted");

  await page.getByTestId("deploy-open-status").click();
  await page.getByTestId("deploy-status-empty").waitFor();
  await page.getByTestId("deploy-tab-form").click();
  await page.getByTestId("deploy-stack-line").and(page.locator("[data-exists=false]")).waitFor();
  assert.equal(await page.getByTestId("deploy-submit").innerText(), `Deploy ${STACK}`);
});

test("without AWS credentials the page says so, readably", async () => {
  // A second gateway with no AWS credentials at all (and no moto); the panel signs in to it.
  bareTmp = mkdtempSync(path.join(tmpdir(), "switchboard-e2e-noaws-"));
  const port = await freePort();
  const binDir = process.env.SWITCHBOARD_BIN_DIR ?? "/var/tmp/switchboard-target/debug";
  bare = spawn(path.join(binDir, "switchboard"), ["serve", "--host", "127.0.0.1", "--port", String(port), "--db", path.join(bareTmp, "sb.db")], {
    stdio: "ignore",
    env: {
      PATH: process.env.PATH,
      HOME: bareTmp,
      LITELLM_MASTER_KEY: "sk-e2e-noaws",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: path.join(bareTmp, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(bareTmp, "no-credentials"),
    },
  });
  await waitPort(port, bare, "switchboard serve (no AWS credentials)");
  const p = await context.newPage();
  p.setDefaultTimeout(15_000);
  try {
    await p.goto(stack.panelUrl);
    await p.evaluate(() => sessionStorage.clear());
    await p.reload();
    await p.getByTestId("signin-url").fill(`http://127.0.0.1:${port}`);
    await p.getByTestId("signin-key").fill("sk-e2e-noaws");
    await p.getByTestId("signin-submit").click();
    await p.getByTestId("page-overview").waitFor();
    await p.getByTestId("nav-deploy").click();
    await p.getByTestId("deploy-form").waitFor();
    // Looking for the stack fails: explained, the SDK's dump folded away.
    const stackError = p.getByTestId("deploy-stack-error");
    await stackError.getByText("No AWS credentials were found.").waitFor({ timeout: 20_000 });
    assert.doesNotMatch(await stackError.locator(".raw-message").innerText(), /DispatchFailure\(/);
    await p.getByTestId("deploy-whoami").click();
    await p.getByTestId("deploy-identity-error").getByText("No AWS credentials were found.").waitFor({ timeout: 20_000 });
    assert.match(await p.getByTestId("deploy-identity-error").innerText(), /aws sso login/);
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(screenshotDir, "29-deploy-no-credentials.png") });
    // The Status tab says the same.
    await p.getByTestId("deploy-tab-status").click();
    await p.getByTestId("deploy-status-error").getByText("No AWS credentials were found.").waitFor({ timeout: 20_000 });
  } finally {
    await p.close();
  }
});
