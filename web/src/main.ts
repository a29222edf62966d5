// The previewer page: source editor on the left, every artifact on the right, findings as
// editor underlines, gutter markers and a clickable list. Everything runs in this tab:
// guestnet's core as WebAssembly, state in the URL fragment, no server beyond static files.
import * as gn from "../../wasm/js/guestnet.js";
import type { Diagnostic, Options, Rendered, Target, ConvertFormat, Location } from "../../wasm/js/guestnet.js";
import type { Diagnostic as LintDiagnostic } from "@codemirror/lint";
import { sourceEditor, viewer, languageFor, type SourceEditor, type Viewer } from "./editor.js";
import { rangeOf } from "./positions.js";
import { encode, decode, type State, type Tab, type Mode } from "./state.js";
import { zip } from "./zip.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const TARGET_LABELS: Record<Target, string> = {
  netplan: "netplan",
  "cloud-init": "cloud-init",
  status: "status",
  vapp: "vApp",
  custcfg: "cust.cfg",
  vmx: "VMX",
  gosc: "GOSC",
};
const FORMAT_FILES: Record<ConvertFormat, string> = {
  custcfg: "cust.cfg",
  gosc: "gosc.xml",
  netplan: "netplan.yaml",
  vapp: "ovf-env.xml",
  vmx: "snippet.vmx",
};
const OPTION_KEYS = ["provider", "macPolicy", "netplanGatewayStyle", "goscEnvelope", "apiVersion"] as const;
/** Option values that are the CLI's defaults; they are left out of the state (shorter links). */
const DEFAULTS: Record<string, string> = {
  provider: "",
  macPolicy: "spec",
  netplanGatewayStyle: "routes",
  goscEnvelope: "none",
  apiVersion: "9.1.0.0",
};

let targets: Target[] = [];
let state: State;
let editor: SourceEditor;
let out: Viewer;
let last: Rendered | null = null;
let lastConvert = "";
let vmIndex = 0;
let fileIndex = 0;
let renders = 0;
let timer: number | undefined;
let urlTimer: number | undefined;
let lastMs = 0;
let explainText = "";

function defaultState(): State {
  return { mode: "spec", spec: gn.example(), from: "custcfg", input: "", options: {}, tab: "netplan" };
}

/** Takes what a (possibly hand-made) link says, keeping only well-formed fields. */
function sanitize(s: Partial<State> | null): State {
  const d = defaultState();
  if (!s) return d;
  const str = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);
  const formats = gn.catalog().formats;
  const options: Options = {};
  if (s.options && typeof s.options === "object" && !Array.isArray(s.options)) {
    const o = s.options as Record<string, unknown>;
    for (const k of OPTION_KEYS) if (typeof o[k] === "string") (options as Record<string, unknown>)[k] = o[k];
    if (o.info === true) options.info = true;
  }
  return {
    mode: s.mode === "convert" ? "convert" : "spec",
    spec: str(s.spec, d.spec),
    from: formats.includes(s.from as ConvertFormat) ? (s.from as ConvertFormat) : d.from,
    input: str(s.input, ""),
    options,
    tab: s.tab === "explain" || targets.includes(s.tab as Target) ? (s.tab as Tab) : d.tab,
  };
}

// ---------------------------------------------------------------------------------------
// Rendering

function scheduleRender() {
  window.clearTimeout(timer);
  // Renders take ~1 ms; the pause only lets a burst of keystrokes land first. Huge inputs
  // (slow renders) wait longer so typing stays smooth.
  timer = window.setTimeout(render, lastMs > 30 ? 400 : 90);
}

function render() {
  window.clearTimeout(timer);
  const t0 = performance.now();
  const text = editor.view.state.doc.toString();
  let done: boolean;
  if (state.mode === "spec") {
    state.spec = text;
    done = renderSpec(text);
  } else {
    state.input = text;
    done = renderConvert(text);
  }
  if (!done) {
    loadRest();
    return;
  }
  lastMs = performance.now() - t0;
  // The first render also compiles the module and builds the editors: not a re-render time.
  const time = document.querySelector("#status .time");
  if (time) time.textContent = renders > 0 ? `${lastMs < 10 ? lastMs.toFixed(1) : Math.round(lastMs)} ms` : "";
  renders += 1;
  document.documentElement.dataset.renders = String(renders);
  document.documentElement.dataset.state = "ready";
  saveUrlSoon();
}

/** The API is asked for info findings always (tabs use them); the list shows them only when
 * the option is on. */
function visible(diags: Diagnostic[]): Diagnostic[] {
  return state.options.info ? diags : diags.filter((d) => d.severity !== "info");
}

/** The module's second part (v1alpha1-v1alpha4 input, explain, convert) is fetched on first use:
 * a call that needs it answers "loading", and the page renders again once it is here. */
function loadRest() {
  document.documentElement.dataset.state = "loading";
  setNotice("Loading the rest of guestnet (older API versions, explain, convert)…");
  gn.loadLazy().then(render, (e: unknown) => {
    document.documentElement.dataset.state = "failed";
    showFailure(`cannot load guestnet_wasm_lazy.wasm: ${e instanceof Error ? e.message : String(e)}`);
  });
}

function renderSpec(text: string): boolean {
  const r = gn.renderAll(text, { ...state.options, info: true });
  if (!r.ok && r.error.kind === "loading") return false;
  if (!r.ok) {
    last = null;
    showFailure(r.error.message);
    return true;
  }
  last = r;
  const diags = visible(r.diagnostics);
  // Which findings come from a renderer (and which one), so the list can say so and the
  // status can tell the spec's own findings from what a target cannot carry.
  const origin = new Map<string, string>();
  for (const vm of r.vms) {
    for (const t of vm.targets) for (const d of t.diagnostics) origin.set(key(d), TARGET_LABELS[t.target]);
  }
  showProblems(diags, origin);
  showStatus(diags, origin);
  if (vmIndex >= r.vms.length) vmIndex = 0;
  renderVmSelect();
  renderTabs();
  showOutput();
  return true;
}

function renderConvert(text: string): boolean {
  const name = ($("convert-name") as HTMLInputElement).value.trim();
  const r = gn.convert(state.from, text, { name });
  if (!r.ok && r.error.kind === "loading") return false;
  if (!r.ok) {
    showFailure(r.error.message);
    return true;
  }
  const diags = visible(r.diagnostics);
  showProblems(diags, new Map());
  showStatus(diags, new Map());
  lastConvert = r.output;
  renderTabs();
  $("viewer").hidden = false;
  $("notice").hidden = true;
  if (text.trim() === "") {
    setNotice(`Paste a ${FORMAT_FILES[state.from]} to read it back into a VirtualMachine.`);
  } else if (r.errors > 0) {
    setNotice(`No VirtualMachine: fix the ${plural(r.errors, "error")} in the input first.`);
  }
  $("files").replaceChildren(fileChip("vm.yaml", true, () => {}));
  out.show(r.output, "yaml");
  $("explain").hidden = true;
  $("target-notes").hidden = true;
  toolbar({ copy: r.output !== "", openSpec: r.output !== "", all: false });
  return true;
}

function key(d: Diagnostic): string {
  return `${d.code}|${d.path}|${d.line}|${d.column}|${d.message}`;
}

function showFailure(message: string) {
  showProblems([], new Map());
  const s = $("status");
  s.className = "status bad";
  s.textContent = "options refused";
  setNotice(message);
  out.show("", "text");
}

function plural(n: number, word: string) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function showStatus(all: Diagnostic[], origin: Map<string, string>) {
  const diags = all.filter((d) => !origin.has(key(d)));
  const targetWarnings = all.length - diags.length;
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.filter((d) => d.severity === "warning").length;
  const s = $("status");
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = renders > 0 ? `${lastMs < 10 ? lastMs.toFixed(1) : Math.round(lastMs)} ms` : "";
  time.title = "time of the previous render";
  const label = document.createElement("span");
  if (errors > 0) {
    s.className = "status bad";
    label.textContent = plural(errors, "error") + (warnings ? `, ${plural(warnings, "warning")}` : "");
  } else if (warnings > 0) {
    s.className = "status warn";
    label.textContent = plural(warnings, "warning");
  } else {
    s.className = "status good";
    label.textContent = state.mode === "spec" ? "valid" : "converted";
  }
  const parts: HTMLElement[] = [label];
  if (targetWarnings > 0 && errors === 0) {
    const t = document.createElement("span");
    t.className = "aside";
    t.textContent = `${targetWarnings} target ${targetWarnings === 1 ? "note" : "notes"}`;
    t.title = "findings about what a target format cannot carry; see the tabs";
    parts.push(t);
  }
  s.replaceChildren(...parts, time);
}

function lintSeverity(s: Diagnostic["severity"]): LintDiagnostic["severity"] {
  return s === "error" ? "error" : s === "warning" ? "warning" : "info";
}

const RANK = { error: 0, warning: 1, info: 2 } as const;

function showProblems(all: Diagnostic[], origin: Map<string, string>) {
  // Errors first, then warnings, then info; by position within each (as editors list them).
  const diags = [...all].sort((a, b) => RANK[a.severity] - RANK[b.severity] || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const doc = editor.view.state.doc;
  editor.showDiagnostics(
    diags.map((d) => {
      const { from, to } = rangeOf(doc, d);
      return {
        from,
        to,
        severity: lintSeverity(d.severity),
        source: d.code,
        message: (d.path ? `${d.path}: ` : "") + d.message + (d.help ? `\nhelp: ${d.help}` : ""),
      };
    }),
  );
  const list = $("problem-list");
  const items = diags.map((d) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = `problem ${d.severity}`;
    b.dataset.code = d.code;
    if (d.line !== null) b.dataset.line = String(d.line);
    const icon = document.createElement("span");
    icon.className = "sev";
    icon.setAttribute("aria-label", d.severity);
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = d.code;
    const msg = document.createElement("span");
    msg.className = "msg";
    msg.textContent = d.message;
    const path = document.createElement("span");
    path.className = "path";
    path.textContent = d.path;
    const pos = document.createElement("span");
    pos.className = "pos";
    pos.textContent = d.line !== null ? `${d.line}:${d.column}` : "";
    const target = origin.get(key(d));
    if (target) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = target;
      tag.title = `reported by the ${target} target`;
      msg.prepend(tag);
    }
    b.append(icon, code, msg, pos);
    if (d.path) b.append(path);
    if (d.help) {
      const help = document.createElement("span");
      help.className = "help";
      help.textContent = d.help;
      b.append(help);
    }
    b.addEventListener("click", () => {
      const { from, to } = rangeOf(editor.view.state.doc, d);
      editor.select(from, to);
    });
    li.append(b);
    return li;
  });
  list.replaceChildren(...items);
  const counts = $("problem-counts");
  const e = diags.filter((d) => d.severity === "error").length;
  const w = diags.filter((d) => d.severity === "warning").length;
  const i = diags.length - e - w;
  counts.textContent = diags.length === 0 ? "none" : [e && plural(e, "error"), w && plural(w, "warning"), i && `${i} info`].filter(Boolean).join(" · ");
  $("problems").classList.toggle("empty", diags.length === 0);
}

// ---------------------------------------------------------------------------------------
// Output pane

function renderVmSelect() {
  const sel = $("vm") as HTMLSelectElement;
  const vms = last?.vms ?? [];
  sel.hidden = vms.length < 2;
  sel.replaceChildren(
    ...vms.map((vm, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = `${vm.namespace ? vm.namespace + "/" : ""}${vm.name ?? "(unnamed)"} · doc ${vm.document}`;
      return o;
    }),
  );
  sel.value = String(vmIndex);
}

function tabButton(id: string, label: string, selected: boolean, extra?: HTMLElement): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.setAttribute("role", "tab");
  b.id = `tab-${id}`;
  b.dataset.tab = id;
  b.setAttribute("aria-selected", String(selected));
  b.textContent = label;
  if (extra) b.append(extra);
  return b;
}

function renderTabs() {
  const tabs = $("tabs");
  if (state.mode === "convert") {
    tabs.replaceChildren(tabButton("vm", "VirtualMachine", true));
    return;
  }
  const vm = last?.vms[vmIndex];
  const buttons = targets.map((t) => {
    const out = vm?.targets.find((o) => o.target === t);
    let badge: HTMLElement | undefined;
    const warnings = out?.diagnostics.filter((d) => d.severity !== "info").length ?? 0;
    if (warnings > 0) {
      badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = String(warnings);
      badge.title = plural(warnings, "finding") + " for this target";
    }
    const b = tabButton(t, TARGET_LABELS[t], state.tab === t, badge);
    if (out?.diagnostics.some((d) => d.code === "GN401")) {
      b.classList.add("preview");
      b.title = "a preview: this VM's bootstrap provider does not read this artifact";
    }
    if (out && out.artifacts.length === 0) b.classList.add("refused");
    b.addEventListener("click", () => selectTab(t));
    return b;
  });
  const ex = tabButton("explain", "Explain", state.tab === "explain");
  ex.classList.add("explain-tab");
  ex.addEventListener("click", () => selectTab("explain"));
  tabs.replaceChildren(...buttons, ex);
}

function selectTab(t: Tab) {
  if (state.tab !== t) fileIndex = 0;
  state.tab = t;
  renderTabs();
  showOutput();
  saveUrlSoon();
}

/** Says why there is no output; the (empty) viewer steps aside. */
function setNotice(text: string) {
  const n = $("notice");
  n.textContent = text;
  n.hidden = false;
  $("viewer").hidden = true;
}

function toolbar(show: { copy: boolean; openSpec: boolean; all: boolean }) {
  ($("copy") as HTMLButtonElement).disabled = !show.copy;
  ($("download") as HTMLButtonElement).disabled = !show.copy;
  $("open-spec").hidden = !show.openSpec;
  $("download-all").hidden = state.mode !== "spec";
  ($("download-all") as HTMLButtonElement).disabled = !show.all;
}

function fileChip(name: string, selected: boolean, onClick: () => void): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "file";
  b.setAttribute("role", "tab");
  b.setAttribute("aria-selected", String(selected));
  b.textContent = name;
  b.addEventListener("click", onClick);
  return b;
}

function anyArtifacts(): boolean {
  return (last?.vms ?? []).some((vm) => vm.targets.some((t) => t.artifacts.length > 0));
}

function showOutput() {
  if (state.mode !== "spec") return;
  $("notice").hidden = true;
  const notes = $("target-notes");
  notes.hidden = true;
  const vm = last?.vms[vmIndex];
  const isExplain = state.tab === "explain";
  $("explain").hidden = !isExplain;
  $("viewer").hidden = isExplain;
  if (isExplain) {
    $("files").replaceChildren(fileChip("explain.txt", true, () => {}));
    showExplain();
    toolbar({ copy: explainText !== "", openSpec: false, all: anyArtifacts() });
    return;
  }
  if (!last) return;
  if (!vm) {
    $("files").replaceChildren();
    setNotice("No VirtualMachine in the source yet.");
    out.show("", "text");
    toolbar({ copy: false, openSpec: false, all: false });
    return;
  }
  const t = vm.targets.find((o) => o.target === state.tab);
  if (!t) {
    $("files").replaceChildren();
    const errors = last.errors;
    const many = last.vms.length > 1;
    setNotice(
      errors === 0
        ? "No artifacts for this VirtualMachine."
        : many
          ? "No artifacts: this VirtualMachine has errors (see Problems). guestnet renders nothing from an invalid spec."
          : `No artifacts: fix the ${plural(errors, "error")} first. guestnet renders nothing from an invalid spec.`,
    );
    out.show("", "text");
    toolbar({ copy: false, openSpec: false, all: anyArtifacts() });
    return;
  }
  if (fileIndex >= t.artifacts.length) fileIndex = 0;
  $("files").replaceChildren(
    ...t.artifacts.map((a, i) =>
      fileChip(a.name, i === fileIndex, () => {
        fileIndex = i;
        showOutput();
      }),
    ),
  );
  const shown = state.options.info ? t.diagnostics : t.diagnostics.filter((d) => d.severity !== "info");
  const explainPreview = t.diagnostics.find((d) => d.code === "GN401");
  const lines = [...(explainPreview && !state.options.info ? [explainPreview] : []), ...shown];
  if (lines.length > 0) {
    notes.replaceChildren(
      ...lines.map((d) => {
        const row = document.createElement("button");
        row.type = "button";
        row.className = `note ${d.severity}`;
        const code = document.createElement("span");
        code.className = "code";
        code.textContent = d.code;
        const msg = document.createElement("span");
        msg.textContent = d.message;
        row.append(code, msg);
        row.addEventListener("click", () => {
          const { from, to } = rangeOf(editor.view.state.doc, d);
          editor.select(from, to);
        });
        return row;
      }),
    );
    notes.hidden = false;
  }
  const a = t.artifacts[fileIndex];
  if (!a) {
    setNotice("This target renders nothing for this VirtualMachine; the notes above say why.");
    out.show("", "text");
    toolbar({ copy: false, openSpec: false, all: anyArtifacts() });
    return;
  }
  out.show(a.content, languageFor(a.name));
  toolbar({ copy: true, openSpec: false, all: anyArtifacts() });
}

function showExplain() {
  const box = $("explain");
  const text = editor.view.state.doc.toString();
  const r = gn.explain(text, state.options);
  explainText = "";
  if (!r.ok && r.error.kind === "loading") {
    loadRest();
    return;
  }
  if (!r.ok) {
    box.replaceChildren();
    return;
  }
  explainText = r.vms.map((vm) => vm.text).join("\n");
  if (r.vms.length === 0) {
    const p = document.createElement("p");
    p.className = "empty-note";
    p.textContent = r.errors > 0 ? `Nothing resolved: fix the ${plural(r.errors, "error")} first.` : "No VirtualMachine in the source yet.";
    box.replaceChildren(p);
    return;
  }
  const blocks = r.vms.map((vm) => {
    const section = document.createElement("section");
    section.className = "explain-vm";
    const pre = document.createElement("pre");
    for (const line of vm.text.split("\n")) {
      if (line === "") continue;
      const row = document.createElement("div");
      row.className = line.startsWith(" ") ? "row" : "row head";
      const m = line.match(/^(.*?)\s*<- (.*)$/);
      if (m) {
        const left = document.createElement("span");
        left.textContent = m[1];
        const arrow = document.createElement("span");
        arrow.className = "arrow";
        arrow.textContent = "←";
        row.append(left, arrow);
        const src = m[2];
        const loc: Location | undefined = vm.locations.find((l) => l.path === src);
        const el = document.createElement(loc ? "button" : "span");
        el.className = loc ? "src link" : "src";
        el.textContent = src;
        if (loc) {
          (el as HTMLButtonElement).type = "button";
          el.title = `line ${loc.line}, column ${loc.column}`;
          el.addEventListener("click", () => {
            const { from, to } = rangeOf(editor.view.state.doc, loc);
            editor.select(from, to);
          });
        }
        row.append(el);
      } else {
        row.textContent = line;
      }
      pre.append(row);
    }
    section.append(pre);
    return section;
  });
  box.replaceChildren(...blocks);
}

// ---------------------------------------------------------------------------------------
// Copy, download, share

async function copyText(text: string, button: HTMLElement) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = document.createElement("textarea");
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand("copy");
    ta.remove();
  }
  flash(button, "Copied");
}

function flash(button: HTMLElement, text: string) {
  const before = button.dataset.label ?? button.textContent ?? "";
  button.dataset.label = before;
  button.textContent = text;
  button.classList.add("done");
  window.setTimeout(() => {
    button.textContent = before;
    button.classList.remove("done");
  }, 1200);
}

function save(name: string, data: BlobPart, type: string) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function currentArtifact(): { name: string; content: string } | null {
  if (state.mode === "convert") return lastConvert ? { name: "vm.yaml", content: lastConvert } : null;
  if (state.tab === "explain") return explainText ? { name: "explain.txt", content: explainText } : null;
  const t = last?.vms[vmIndex]?.targets.find((o) => o.target === state.tab);
  return t?.artifacts[fileIndex] ?? null;
}

function downloadAll() {
  const entries = (last?.vms ?? []).flatMap((vm) =>
    vm.targets.flatMap((t) =>
      t.artifacts.map((a) => ({
        name: `${vm.namespace ?? "default"}/${vm.name ?? `document-${vm.document}`}/${a.name}`,
        content: a.content,
      })),
    ),
  );
  if (entries.length === 0) return;
  const first = last?.vms[0];
  const base = (last?.vms.length ?? 0) === 1 && first?.name ? first.name : "guestnet";
  save(`${base}-artifacts.zip`, zip(entries) as BlobPart, "application/zip");
}

function saveUrlSoon() {
  window.clearTimeout(urlTimer);
  urlTimer = window.setTimeout(async () => {
    const fragment = await encode(state);
    history.replaceState(null, "", `#${fragment}`);
    document.documentElement.dataset.saved = String(renders);
  }, 250);
}

// ---------------------------------------------------------------------------------------
// Options and modes

function optionSelect(key: (typeof OPTION_KEYS)[number]): HTMLSelectElement {
  return $(`opt-${key}`) as HTMLSelectElement;
}

function showOptions() {
  for (const k of OPTION_KEYS) {
    const sel = optionSelect(k);
    const v = (state.options[k] as string | undefined) ?? DEFAULTS[k];
    if (![...sel.options].some((o) => o.value === v)) {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = v;
      sel.append(o);
    }
    sel.value = v;
  }
  ($("opt-info") as HTMLInputElement).checked = state.options.info === true;
}

function readOptions() {
  const o: Record<string, unknown> = {};
  for (const k of OPTION_KEYS) {
    const v = optionSelect(k).value;
    if (v !== DEFAULTS[k]) o[k] = v;
  }
  if (($("opt-info") as HTMLInputElement).checked) o.info = true;
  state.options = o as Options;
}

function showMode() {
  const spec = state.mode === "spec";
  for (const b of document.querySelectorAll<HTMLButtonElement>("[data-mode]")) {
    b.setAttribute("aria-selected", String(b.dataset.mode === state.mode));
  }
  const from = $("from") as HTMLSelectElement;
  from.hidden = spec;
  from.value = state.from;
  document.body.classList.toggle("convert-mode", !spec);
  for (const el of document.querySelectorAll<HTMLElement>(".convert-only")) el.hidden = spec;
  for (const el of document.querySelectorAll<HTMLElement>("#options > label:not(.convert-only)")) el.hidden = !spec;
  $("source-title").textContent = spec ? "VirtualMachine" : FORMAT_FILES[state.from];
  $("source-hint").textContent = spec
    ? "YAML or JSON; several documents and a Network catalog may share the text"
    : "paste a guest artifact; it is read back into a VirtualMachine";
  editor.setLanguage(spec ? "yaml" : languageFor(state.from));
}

function setMode(m: Mode) {
  if (m === state.mode) return;
  const text = editor.view.state.doc.toString();
  if (state.mode === "spec") state.spec = text;
  else state.input = text;
  state.mode = m;
  showMode();
  editor.setText(m === "spec" ? state.spec : state.input);
  render();
}

function applyState(s: State) {
  state = s;
  vmIndex = 0;
  fileIndex = 0;
  showOptions();
  showMode();
  editor.setText(state.mode === "spec" ? state.spec : state.input);
  render();
}

async function main() {
  await gn.init("guestnet_wasm_bg.wasm", "guestnet_wasm_lazy.wasm");
  targets = gn.catalog().targets;
  state = sanitize(await decode(location.hash));
  editor = sourceEditor($("editor"), state.mode === "spec" ? state.spec : state.input, scheduleRender);
  out = viewer($("viewer"));
  showOptions();
  showMode();

  for (const b of document.querySelectorAll<HTMLButtonElement>("[data-mode]")) {
    b.addEventListener("click", () => setMode(b.dataset.mode as Mode));
  }
  $("from").addEventListener("change", () => {
    state.from = ($("from") as HTMLSelectElement).value as ConvertFormat;
    showMode();
    render();
  });
  for (const k of OPTION_KEYS) optionSelect(k).addEventListener("change", () => (readOptions(), render()));
  $("opt-info").addEventListener("change", () => (readOptions(), render()));
  $("convert-name").addEventListener("input", scheduleRender);
  $("vm").addEventListener("change", () => {
    vmIndex = Number(($("vm") as HTMLSelectElement).value);
    fileIndex = 0;
    renderTabs();
    showOutput();
  });
  $("copy").addEventListener("click", () => {
    const a = currentArtifact();
    if (a) void copyText(a.content, $("copy"));
  });
  $("download").addEventListener("click", () => {
    const a = currentArtifact();
    if (a) save(a.name, a.content, "text/plain;charset=utf-8");
  });
  $("download-all").addEventListener("click", downloadAll);
  $("open-spec").addEventListener("click", () => {
    const vm = lastConvert;
    if (!vm) return;
    state.input = editor.view.state.doc.toString();
    state.spec = vm;
    state.mode = "spec";
    showMode();
    editor.setText(vm);
    render();
  });
  $("load-example").addEventListener("click", () => {
    const s = defaultState();
    s.options = state.options;
    applyState(s);
  });
  $("share").addEventListener("click", async () => {
    const url = `${location.origin}${location.pathname}#${await encode(state)}`;
    history.replaceState(null, "", url);
    await copyText(url, $("share"));
  });
  window.addEventListener("hashchange", async () => {
    const s = await decode(location.hash);
    if (s) applyState(sanitize(s));
  });
  // For the console and for tests: the same API the page uses.
  (window as unknown as { guestnet: typeof gn }).guestnet = gn;
  render();
}

main().catch((e: unknown) => {
  document.documentElement.dataset.state = "failed";
  const n = $("notice");
  n.hidden = false;
  n.textContent = `The previewer could not start: ${e instanceof Error ? e.message : String(e)}`;
});
