// Node tests of the built module (wasm/pkg, from wasm/build.sh) through its JS API
// (js/guestnet.js): every exported function, result shapes against js/guestnet.d.ts, usage
// errors, hostile input, and the panic path. Run: node --test wasm/test/*.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as g from "../js/guestnet.js";

const here = new URL(".", import.meta.url);
const wasmBytes = readFileSync(new URL("../pkg/guestnet_wasm_bg.wasm", here));
const lazyBytes = readFileSync(new URL("../pkg/guestnet_wasm_lazy.wasm", here));
const tenNics = readFileSync(new URL("data/ten-nics.yaml", here), "utf8");

g.initSync(wasmBytes, lazyBytes);

const DIAGNOSTIC_KEYS = [
  "code", "column", "endColumn", "endLine", "file", "help", "line", "message", "path", "severity",
];
const COUNT_KEYS = ["errors", "infos", "warnings"];

function keys(o) {
  return Object.keys(o).sort();
}

function checkDiagnostic(d) {
  assert.deepEqual(keys(d), DIAGNOSTIC_KEYS);
  assert.match(d.code, /^GN\d{3}$/);
  assert.ok(["error", "warning", "info"].includes(d.severity));
  assert.equal(d.file, null);
  for (const k of ["line", "column", "endLine", "endColumn"]) {
    assert.ok(d[k] === null || (Number.isInteger(d[k]) && d[k] >= 1), `${k}=${d[k]}`);
  }
}

function checkCounts(r) {
  const n = (s) => r.diagnostics.filter((d) => d.severity === s).length;
  assert.equal(r.errors, n("error"));
  assert.equal(r.warnings, n("warning"));
  assert.equal(r.infos, n("info"));
  r.diagnostics.forEach(checkDiagnostic);
}

test("example: the CLI's embedded example", () => {
  const ex = g.example();
  assert.match(ex, /^# guestnet's embedded example/);
  assert.match(ex, /kind: VirtualMachine/);
});

test("validate: clean example, shape of the result", () => {
  const r = g.validate(g.example());
  assert.deepEqual(keys(r), ["diagnostics", ...COUNT_KEYS, "ok", "virtualMachines"].sort());
  assert.equal(r.ok, true);
  assert.equal(r.errors, 0);
  assert.equal(r.virtualMachines, 1);
  checkCounts(r);
});

test("validate: an error has the CLI's position and text", () => {
  const text = g.example().replace("gateway4: 10.20.0.1", "gateway4: 10.99.0.1");
  const r = g.validate(text);
  assert.equal(r.errors, 1);
  const [d] = r.diagnostics;
  checkDiagnostic(d);
  assert.equal(d.code, "GN201");
  assert.equal(d.path, "spec.network.interfaces[0].gateway4");
  const line = text.split("\n").findIndex((l) => l.includes("10.99.0.1")) + 1;
  assert.equal(d.line, line);
  assert.equal(d.column, 17);
  assert.equal(d.endColumn, 17 + "10.99.0.1".length);
  assert.match(d.message, /gateway 10\.99\.0\.1 is not inside 10\.20\.0\.10\/24/);
  assert.match(d.help, /fix the gateway or the prefix length/);
});

test("validate: the provider option turns provider rules into the webhook's errors", () => {
  const text = g.example(); // NSX SubnetSets with macAddr: fine for VPC, not for VDS
  assert.equal(g.validate(text).errors, 0);
  assert.equal(g.validate(text, { provider: "vpc" }).errors, 0);
  const vds = g.validate(text, { provider: "vds" });
  assert.ok(vds.errors > 0);
  assert.ok(vds.diagnostics.every((d) => d.code === "GN142"));
  checkCounts(vds);
});

test("validate: info findings only with info: true", () => {
  const text = g.example().replace("      dhcp4: true\n", "");
  assert.equal(g.validate(text).infos, 0);
  const loud = g.validate(text, { info: true });
  assert.ok(loud.diagnostics.some((d) => d.code === "GN214" && d.severity === "info"));
  checkCounts(loud);
});

test("renderAll: every target, artifacts and per-target findings", () => {
  const r = g.renderAll(g.example());
  assert.deepEqual(keys(r), ["diagnostics", ...COUNT_KEYS, "ok", "vms"].sort());
  assert.equal(r.errors, 0);
  checkCounts(r);
  assert.equal(r.vms.length, 1);
  const vm = r.vms[0];
  assert.deepEqual(keys(vm), ["document", "name", "namespace", "targets"]);
  assert.equal(vm.document, 1);
  assert.equal(vm.name, "web-01");
  assert.equal(vm.namespace, "demo");
  assert.deepEqual(
    vm.targets.map((t) => t.target),
    ["netplan", "cloud-init", "status", "vapp", "custcfg", "vmx", "gosc"],
  );
  const files = vm.targets.flatMap((t) => t.artifacts.map((a) => a.name));
  assert.deepEqual(files, [
    "netplan.yaml", "metadata.yaml", "userdata.yaml", "status.yaml", "ovf-env.xml",
    "vapp-config.xml", "cust.cfg", "snippet.vmx", "gosc.xml",
  ]);
  for (const t of vm.targets) {
    assert.deepEqual(keys(t), ["artifacts", "diagnostics", "target"]);
    t.diagnostics.forEach(checkDiagnostic);
    for (const a of t.artifacts) {
      assert.deepEqual(keys(a), ["content", "name"]);
      assert.ok(a.content.length > 0);
    }
  }
  const netplan = vm.targets[0].artifacts[0].content;
  assert.match(netplan, /^network:\n/);
  assert.match(netplan, /macaddress: "00:50:56:00:10:01"/);
});

test("render: one target, a list, and options like the CLI flags", () => {
  const text = g.example();
  const one = g.render(text, "netplan");
  assert.deepEqual(one.vms[0].targets.map((t) => t.target), ["netplan"]);
  assert.match(one.vms[0].targets[0].artifacts[0].content, /to: "0\.0\.0\.0\/0"/);
  const gw4 = g.render(text, ["netplan"], { netplanGatewayStyle: "gateway4" });
  assert.match(gw4.vms[0].targets[0].artifacts[0].content, /gateway4: "10\.20\.0\.1"/);
  const two = g.render(text, ["vmx", "gosc"], { goscEnvelope: "customize-vm", apiVersion: "8.0.3" });
  assert.deepEqual(two.vms[0].targets.map((t) => t.target), ["vmx", "gosc"]);
  assert.match(two.vms[0].targets[1].artifacts[0].content, /CustomizeVM_Task/);
  const derived = g.render(text.replace(/\s+macAddr: .*\n/g, "\n"), "vmx", { macPolicy: "derive" });
  assert.match(derived.vms[0].targets[0].artifacts[0].content, /ethernet0\.address = "00:50:56:/);
});

test("render: errors mean no artifacts; findings carry positions", () => {
  const text = g.example().replace("dhcp4: true", "dhcp4: true\n      gateway4: 10.0.0.1");
  const r = g.renderAll(text);
  assert.ok(r.errors > 0);
  assert.deepEqual(r.vms[0].targets, []);
  assert.ok(r.diagnostics.some((d) => d.code === "GN108" && d.line > 0));
});

test("explain: text and provenance per VM", () => {
  const r = g.explain(g.example());
  assert.deepEqual(keys(r), ["diagnostics", ...COUNT_KEYS, "ok", "vms"].sort());
  assert.equal(r.vms.length, 1);
  const vm = r.vms[0];
  assert.deepEqual(keys(vm), ["document", "locations", "name", "namespace", "resolved", "text"]);
  assert.match(vm.text, /^VirtualMachine demo\/web-01/);
  assert.match(vm.text, /hostName\s+web-01\s+<- spec\.network\.hostName/);
  assert.equal(vm.resolved.hostName.value, "web-01");
  const lines = g.example().split("\n");
  const at = (path) => vm.locations.find((l) => l.path === path);
  assert.equal(new Set(vm.locations.map((l) => l.path)).size, vm.locations.length);
  const host = at("spec.network.hostName");
  assert.deepEqual(keys(host), ["column", "endColumn", "endLine", "line", "path"]);
  assert.equal(lines[host.line - 1].slice(host.column - 1, host.endColumn - 1), "web-01");
  const mac = at("spec.network.interfaces[1].macAddr");
  assert.equal(lines[mac.line - 1].slice(mac.column - 1, mac.endColumn - 1), '"00:50:56:00:10:02"');
});

test("convert: each format reads back what render wrote", () => {
  const out = g.renderAll(g.example()).vms[0].targets;
  const artifact = (target, name) =>
    out.find((t) => t.target === target).artifacts.find((a) => a.name === name).content;
  const cases = [
    ["custcfg", artifact("custcfg", "cust.cfg")],
    ["netplan", artifact("netplan", "netplan.yaml")],
    ["vmx", artifact("vmx", "snippet.vmx")],
    ["vapp", artifact("vapp", "ovf-env.xml")],
    ["gosc", g.render(g.example(), "gosc", {}).vms[0].targets[0].artifacts[0].content],
  ];
  for (const [from, text] of cases) {
    const r = g.convert(from, text, { name: "web-01" });
    assert.deepEqual(keys(r), ["diagnostics", "documents", ...COUNT_KEYS, "ok", "output"].sort());
    assert.equal(r.ok, true, from);
    checkCounts(r);
    assert.equal(r.errors, 0, `${from}: ${JSON.stringify(r.diagnostics)}`);
    assert.equal(r.documents, 1, from);
    assert.match(r.output, /kind: VirtualMachine/, from);
    // What comes back is a spec the module accepts.
    assert.equal(g.validate(r.output).errors, 0, from);
  }
  const json = g.convert("custcfg", cases[0][1], { to: "json" });
  assert.equal(JSON.parse(json.output).kind, "VirtualMachine");
});

test("convert: errors point into the input and give no output", () => {
  const r = g.convert("vmx", 'ethernet0.present = "TRUE"\nthis is not vmx\n');
  assert.ok(r.errors > 0);
  assert.equal(r.output, "");
  assert.equal(r.documents, 0);
  assert.ok(r.diagnostics.some((d) => d.line === 2));
});

test("rules and catalog", () => {
  const rules = g.rules();
  assert.ok(rules.length > 50);
  for (const r of rules) {
    assert.deepEqual(keys(r), ["code", "severity", "title"]);
    assert.match(r.code, /^GN\d{3}$/);
  }
  assert.equal(new Set(rules.map((r) => r.code)).size, rules.length);
  const c = g.catalog();
  assert.deepEqual(c.targets, ["netplan", "cloud-init", "status", "vapp", "custcfg", "vmx", "gosc"]);
  assert.deepEqual(c.formats, ["netplan", "custcfg", "vapp", "vmx", "gosc"]);
  assert.match(c.version, /^\d+\.\d+\.\d+/);
});

test("usage errors: bad targets, options, formats and argument types", () => {
  const ex = g.example();
  const bad = [
    g.render(ex, "ifupdown"),
    g.render(ex, []),
    g.render(ex, "netplan,vmx"),
    g.render(ex, 7),
    g.validate(ex, { macPolicy: "derived" }),
    g.validate(ex, { mac_policy: "derive" }),
    g.validate(ex, { apiVersion: 7 }),
    g.validate(ex, "provider=vds"),
    g.validate(ex, { provider: 1n }),
    g.validate(42),
    g.validate(null),
    g.explain(undefined),
    g.convert("ifcfg", "x"),
    g.convert("vmx", "x", { to: "toml" }),
    g.convert("vmx", "x", { format: "json" }),
    g.convert("vmx", {}),
  ];
  for (const r of bad) {
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.deepEqual(keys(r), ["error", "ok"]);
    assert.equal(r.error.kind, "usage", JSON.stringify(r));
    assert.ok(r.error.message.length > 0);
  }
  assert.equal(
    g.render(ex, "ifupdown").error.message,
    'unknown target "ifupdown": one of netplan, cloud-init, status, vapp, custcfg, vmx, gosc, or all',
  );
  assert.match(g.validate(ex, { macPolicy: "derived" }).error.message, /spec, derive, pci-order/);
});

test("hostile input: limits end in diagnostics", () => {
  const huge = "# " + "x".repeat(65 << 20) + "\n";
  const r1 = g.validate(huge);
  assert.deepEqual(r1.diagnostics.map((d) => d.code), ["GN002"]);

  let bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 10; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
  const r2 = g.renderAll(bomb);
  assert.deepEqual(r2.diagnostics.map((d) => d.code), ["GN002"]);

  const deep = "[".repeat(100000) + "]".repeat(100000);
  const r3 = g.explain(deep);
  assert.equal(r3.errors, 1);
  assert.ok(["GN001", "GN002"].includes(r3.diagnostics[0].code));

  let block = "";
  for (let i = 0; i < 5000; i++) block += " ".repeat(i) + "k:\n";
  assert.deepEqual(g.validate(block).diagnostics.map((d) => d.code), ["GN002"]);

  const lone = g.validate("a: \ud800\n");
  assert.equal(lone.ok, true);
});

test("hostile input to every reverse parser: results, not crashes", () => {
  const inputs = [
    "",
    "\u0000\u0001\ufffdgarbage\n".repeat(1000),
    "<a>".repeat(200000) + "</a>".repeat(200000),
    "=".repeat(1 << 20) + "\n",
    "[".repeat(100000),
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
  ];
  for (const from of ["netplan", "custcfg", "vapp", "vmx", "gosc"]) {
    for (const text of inputs) {
      const r = g.convert(from, text);
      assert.equal(r.ok, true, `${from}: ${JSON.stringify(r.error)}`);
      checkCounts(r);
      if (r.errors > 0) assert.equal(r.output, "");
    }
  }
});

test("a panic becomes an internal error result and the module keeps working", () => {
  const before = g.renderAll(tenNics);
  const p = g._testPanic("deliberate test panic");
  assert.deepEqual(p, {
    ok: false,
    error: { kind: "internal", message: p.error.message },
  });
  assert.match(p.error.message, /^guestnet panicked: .*deliberate test panic/s);
  // A fresh instance answers exactly as before, repeatedly.
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(g.renderAll(tenNics), before);
    assert.equal(g._testPanic(`again ${i}`).error.kind, "internal");
  }
  assert.equal(g.validate(g.example()).errors, 0);
});
