// The previewer in a real browser: Debian's Chromium driven by playwright-core, the page
// served from web/dist by a static server on 127.0.0.1. The oracle for every artifact is the
// `guestnet` binary itself (same input, same options). Screenshots go to .ci/artifacts/web/.
//
// Needs: web/dist (npm run build), /usr/bin/chromium (or GUESTNET_CHROMIUM), a built
// `guestnet` (target/debug or target/release, or GUESTNET_BIN). Missing tools skip loudly;
// GUESTNET_REQUIRE_ORACLES=1 (as in .ci/run) makes them fail.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./server.mjs";
import { CHROMIUM_PATH, launch } from "./flags.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const dist = join(here, "..", "dist");
const shots = join(root, ".ci", "artifacts", "web");
const require = process.env.GUESTNET_REQUIRE_ORACLES === "1";


function findBin() {
  const candidates = [
    process.env.GUESTNET_BIN,
    join(root, "target", "debug", "guestnet"),
    join(root, "target", "release", "guestnet"),
  ].filter(Boolean);
  return candidates.find((p) => existsSync(p));
}

const bin = findBin();
const missing = [
  !existsSync(join(dist, "index.html")) && "web/dist (run: wasm/build.sh && npm --prefix web run build)",
  !existsSync(CHROMIUM_PATH) && `${CHROMIUM_PATH} (apt-get install chromium)`,
  !bin && "a built guestnet binary (cargo build --bin guestnet, or GUESTNET_BIN)",
].filter(Boolean);
if (missing.length > 0) {
  const msg = `BROWSER TEST SKIPPED: missing ${missing.join("; ")}`;
  if (require) throw new Error(`${msg}; GUESTNET_REQUIRE_ORACLES=1 forbids skipping`);
  console.error(`\n!!! ${msg} !!!\n`);
}
const skip = missing.length > 0;

let browser;
let server;
let page;
let work;
const pageErrors = [];
/** Every URL the page requested. */
const requests = [];
const lazyRequests = () => requests.filter((u) => u.endsWith("/guestnet_wasm_lazy.wasm")).length;
const lazyStatus = () => page.evaluate(() => window.guestnet.lazyStatus());

function guestnet(args, input) {
  return execFileSync(bin, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

/** Every file under `dir`, as relative path -> content. */
function tree(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

async function shot(name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

async function renders() {
  return Number(await page.evaluate(() => document.documentElement.dataset.renders ?? "0"));
}

/** Waits until the page has rendered after `action` (the editor debounces keystrokes). */
async function afterRender(action) {
  const n = await renders();
  await action();
  await page.waitForFunction((n) => Number(document.documentElement.dataset.renders) > n, n);
}

async function replaceSource(text) {
  await afterRender(async () => {
    await page.click(".editor .cm-content");
    await page.keyboard.press("Control+a");
    await page.keyboard.insertText(text); // replaces the selection in one edit
  });
}

async function clipboardOf(button) {
  await page.click(button);
  return page.evaluate(() => navigator.clipboard.readText());
}

async function tab(name) {
  await page.click(`#tab-${name}`);
  await page.waitForSelector(`#tab-${name}[aria-selected="true"]`);
}

before(async () => {
  if (skip) return;
  server = await serve(dist);
  browser = await launch({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const context = browser.context;
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(m.text());
  });
  work = mkdtempSync(join(tmpdir(), "guestnet-web-"));
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

// A spec that is not the preloaded example: typed into the editor, rendered by the CLI too.
const SPEC = `apiVersion: vmoperator.vmware.com/v1alpha6
kind: VirtualMachine
metadata:
  name: app-07
  namespace: shop
spec:
  bootstrap:
    cloudInit:
      cloudConfig:
        timezone: Etc/UTC
  network:
    hostName: app-07
    domainName: shop.example
    nameservers: ["192.0.2.53"]
    interfaces:
    - name: eth0
      network: {apiVersion: crd.nsx.vmware.com/v1alpha1, kind: SubnetSet, name: front}
      guestDeviceName: ens192
      macAddr: "00:50:56:00:07:01"
      addresses: ["192.0.2.17/24"]
      gateway4: 192.0.2.1
    - name: eth1
      network: {apiVersion: crd.nsx.vmware.com/v1alpha1, kind: SubnetSet, name: back}
      guestDeviceName: ens224
      macAddr: "00:50:56:00:07:02"
      dhcp4: true
`;

test("the page loads the wasm module and preloads the CLI's example", { skip }, async () => {
  await page.goto(server.url);
  await page.waitForSelector("html[data-state=ready]");
  const example = guestnet(["example"]);
  const firstLine = await page.locator(".editor .cm-line").first().innerText();
  assert.equal(firstLine, example.split("\n")[0]);
  assert.match(await page.locator("#status").innerText(), /valid/);
  const netplan = await clipboardOf("#copy");
  assert.equal(netplan, guestnet(["render", "-", "--target", "netplan"], example));
  // Startup and rendering a v1alpha6 spec need only the module's first part.
  assert.ok(requests.some((u) => u.endsWith("/guestnet_wasm_bg.wasm")));
  assert.equal(lazyRequests(), 0);
  assert.deepEqual(await lazyStatus(), { loaded: false, loads: 0 });
  await shot("01-example-light");
  await page.emulateMedia({ colorScheme: "dark" });
  await shot("02-example-dark");
  await page.emulateMedia({ colorScheme: "light" });
});

test("typing a spec renders every target exactly as the CLI does", { skip }, async () => {
  await replaceSource(SPEC.replace("app-07\n  namespace", "app-0\n  namespace"));
  // Real keystrokes for the last character of the name.
  await afterRender(async () => {
    await page.locator(".editor .cm-line").nth(3).click();
    await page.keyboard.press("End");
    await page.keyboard.type("7");
  });
  const file = join(work, "spec.yaml");
  writeFileSync(file, SPEC);
  const outDir = join(work, "cli-out");
  guestnet(["render", file, "--target", "all", "--out-dir", outDir]);
  const want = tree(outDir);
  const got = {};
  for (const target of ["netplan", "cloud-init", "status", "vapp", "custcfg", "vmx", "gosc"]) {
    await tab(target);
    const chips = page.locator("#files .file");
    const n = await chips.count();
    for (let i = 0; i < n; i++) {
      await chips.nth(i).click();
      const name = await chips.nth(i).innerText();
      got[`shop/app-07/${name}`] = await clipboardOf("#copy");
      // What is on screen is the same text.
      const shown = await page.locator(".viewer .cm-line").first().innerText();
      assert.equal(shown, got[`shop/app-07/${name}`].split("\n")[0], `${target}/${name}`);
    }
  }
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const k of Object.keys(want)) assert.equal(got[k], want[k], k);

  // Download one artifact and all of them (a zip with the CLI's out-dir layout).
  await tab("netplan");
  const [one] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  assert.equal(one.suggestedFilename(), "netplan.yaml");
  assert.equal(readFileSync(await one.path(), "utf8"), want["shop/app-07/netplan.yaml"]);
  const [all] = await Promise.all([page.waitForEvent("download"), page.click("#download-all")]);
  assert.equal(all.suggestedFilename(), "app-07-artifacts.zip");
  const zipPath = join(work, "all.zip");
  await all.saveAs(zipPath);
  const unzipped = join(work, "unzipped");
  execFileSync("python3", ["-m", "zipfile", "-e", zipPath, unzipped]);
  assert.deepEqual(tree(unzipped), want);
  await tab("gosc");
  await shot("03-typed-spec-gosc");
});

test("an error is underlined, listed, and the list jumps to it", { skip }, async () => {
  await tab("netplan");
  const lines = SPEC.split("\n");
  const gwLine = lines.findIndex((l) => l.includes("gateway4: 192.0.2.1")) + 1;
  await afterRender(async () => {
    await page.locator(".editor .cm-line").nth(gwLine - 1).click();
    await page.keyboard.press("End");
    for (let i = 0; i < "2.1".length; i++) await page.keyboard.press("Backspace");
    await page.keyboard.type("9.1");
  });
  // Keystrokes may be rendered one by one on a slow machine: wait for the final finding.
  await page.waitForSelector('#problem-list .problem.error[data-code="GN201"]');
  const underline = page.locator(".editor .cm-lintRange-error");
  assert.equal(await underline.count(), 1);
  assert.equal(await underline.first().innerText(), "192.0.9.1");
  assert.equal(await page.locator(".editor .cm-lint-marker-error").count(), 1);
  const entry = page.locator("#problem-list .problem.error");
  assert.equal(await entry.count(), 1);
  assert.equal(await entry.locator(".code").innerText(), "GN201");
  assert.equal(await entry.locator(".pos").innerText(), `${gwLine}:17`);
  assert.match(await entry.locator(".msg").innerText(), /gateway 192\.0\.9\.1 is not inside 192\.0\.2\.17\/24/);
  assert.match(await page.locator("#status").innerText(), /1 error/);
  assert.match(await page.locator("#notice").innerText(), /fix the 1 error/);
  // The CLI agrees: same code, same line and column.
  const bad = SPEC.replace("gateway4: 192.0.2.1", "gateway4: 192.0.9.1");
  let cli;
  try {
    guestnet(["validate", "-", "--format", "json"], bad);
  } catch (e) {
    cli = JSON.parse(e.stdout);
  }
  assert.deepEqual(
    cli.map((d) => [d.code, d.line, d.column]),
    [["GN201", gwLine, 17]],
  );
  // Move the cursor away, then click the entry: the cursor lands on the finding.
  await page.locator(".editor .cm-line").first().click();
  assert.equal(await page.locator(".editor .cm-lineNumbers .cm-activeLineGutter").innerText(), "1");
  await entry.click();
  assert.equal(await page.locator(".editor .cm-lineNumbers .cm-activeLineGutter").innerText(), String(gwLine));
  assert.equal(await page.evaluate(() => window.getSelection()?.toString()), "192.0.9.1");
  await page.locator(".editor .cm-lintRange-error").hover();
  await page.locator(".cm-tooltip-lint").waitFor();
  assert.match(await page.locator(".cm-tooltip-lint").innerText(), /GN201/);
  await shot("04-error");
});

test("the URL fragment reproduces the preview after a reload", { skip }, async () => {
  // Fix the error, change an option and a tab, then reload from the URL alone.
  // The list entry selects the bad value; typing replaces it.
  await page.locator("#problem-list .problem.error").click();
  await afterRender(() => page.keyboard.type("192.0.2.1"));
  await page.waitForFunction(() => !document.querySelector("#problem-list .problem.error"));
  await afterRender(() => page.selectOption("#opt-netplanGatewayStyle", "gateway4"));
  await tab("netplan");
  await page.waitForFunction(() => document.documentElement.dataset.saved === document.documentElement.dataset.renders);
  const netplan = await clipboardOf("#copy");
  const url = page.url();
  assert.match(url, /#v1j?\./);
  await page.goto("about:blank");
  await page.goto(url);
  await page.waitForSelector("html[data-state=ready]");
  assert.equal(await page.locator("#opt-netplanGatewayStyle").inputValue(), "gateway4");
  assert.equal(await page.locator("#tab-netplan").getAttribute("aria-selected"), "true");
  const source = await page.locator(".editor .cm-content").innerText();
  assert.match(source, /name: app-07/);
  assert.match(source, /gateway4: 192\.0\.2\.1/);
  assert.equal(await clipboardOf("#copy"), netplan);
  const file = join(work, "spec.yaml");
  assert.equal(netplan, guestnet(["render", file, "--target", "netplan", "--netplan-gateway-style", "gateway4"]));
  // A hand-broken fragment falls back to the example instead of failing.
  await page.goto("about:blank");
  await page.goto(server.url + "#v1.not-base64-deflate!");
  await page.waitForSelector("html[data-state=ready]");
  assert.match(await page.locator(".editor .cm-line").first().innerText(), /embedded example/);
});

test("explain shows provenance and jumps to the source of a value", { skip }, async () => {
  await page.goto(server.url);
  await page.waitForSelector("html[data-state=ready]");
  assert.deepEqual(await lazyStatus(), { loaded: false, loads: 0 });
  const before = lazyRequests();
  // The Explain tab is the first use of the module's second part: fetched then, once.
  await tab("explain");
  await page.locator("#explain .explain-vm").first().waitFor();
  assert.deepEqual(await lazyStatus(), { loaded: true, loads: 1 });
  assert.equal(lazyRequests(), before + 1);
  const text = await page.locator("#explain").innerText();
  assert.match(text, /VirtualMachine demo\/web-01/);
  assert.match(text, /hostName\s+web-01/);
  const example = guestnet(["example"]);
  const hostLine = example.split("\n").findIndex((l) => l.trim() === "hostName: web-01") + 1;
  await page.locator("#explain .src.link", { hasText: /^spec\.network\.hostName$/ }).click();
  assert.equal(await page.locator(".editor .cm-lineNumbers .cm-activeLineGutter").innerText(), String(hostLine));
  assert.equal(await page.evaluate(() => window.getSelection()?.toString()), "web-01");
  // Same text as `guestnet explain` (which adds a header line per file).
  const norm = (l) => l.replace("<-", "←").replace(/\s*←\s*/, " ← ").replace(/\s+/g, " ").trim();
  const cli = guestnet(["explain", "-"], example).split("\n").slice(1).filter((l) => l.trim() !== "");
  const rows = await page.$$eval("#explain .row", (rs) => rs.map((r) => r.textContent));
  assert.deepEqual(rows.map(norm), cli.map(norm));
  await shot("05-explain");
});

test("convert mode reads a cust.cfg back into a VirtualMachine", { skip }, async () => {
  const example = guestnet(["example"]);
  const custcfg = guestnet(["render", "-", "--target", "custcfg"], example);
  await afterRender(() => page.click("#mode-convert"));
  await afterRender(() => page.selectOption("#from", "vmx"));
  await afterRender(() => page.selectOption("#from", "custcfg"));
  assert.equal(await page.locator("#source-title").innerText(), "cust.cfg");
  await replaceSource(custcfg);
  await afterRender(() => page.fill("#convert-name", "web-01"));
  assert.equal(await page.locator("#notice").isHidden(), true);
  const vm = await clipboardOf("#copy");
  const cfgFile = join(work, "cust.cfg");
  writeFileSync(cfgFile, custcfg);
  assert.equal(vm, guestnet(["convert", "--from", "custcfg", "--name", "web-01", cfgFile]));
  assert.match(vm, /kind: VirtualMachine/);
  await shot("06-convert-custcfg");
  // An invalid line is underlined in the input.
  await afterRender(async () => {
    await page.locator(".editor .cm-line").first().click();
    await page.keyboard.press("Home");
    await page.keyboard.type("garbage line\n");
  });
  await page.locator(".editor .cm-lintRange-error").first().waitFor();
  const problem = page.locator("#problem-list .problem.error").first();
  assert.equal(await problem.locator(".pos").innerText(), "1:1");
  assert.equal(await page.locator("#open-spec").isHidden(), true);
  await replaceSource(custcfg);
  // And the result opens as a spec that renders.
  await afterRender(() => page.click("#open-spec"));
  assert.equal(await page.locator("#mode-spec").getAttribute("aria-selected"), "true");
  await page.waitForFunction(() => /valid|warning/.test(document.querySelector("#status")?.textContent ?? ""));
  assert.doesNotMatch(await page.locator("#status").innerText(), /error/);
});

test("no errors in the browser console", { skip }, () => {
  assert.deepEqual(pageErrors, []);
});
