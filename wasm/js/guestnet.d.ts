// Types of guestnet-wasm's JavaScript API (js/guestnet.js). The Rust side is wasm/src/api.rs;
// wasm/test/api.test.mjs checks that results carry exactly these fields.

export type Severity = "error" | "warning" | "info";

/** A finding, in the shape `guestnet validate --format json` prints (positions 1-based). */
export interface Diagnostic {
  /** Always null in the browser (the CLI puts the file name here). */
  file: string | null;
  /** Stable code, e.g. "GN201". */
  code: string;
  severity: Severity;
  /** Field path in Kubernetes notation, e.g. "spec.network.interfaces[1].gateway4". */
  path: string;
  line: number | null;
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
  message: string;
  help: string | null;
}

export type Target = "netplan" | "cloud-init" | "status" | "vapp" | "custcfg" | "vmx" | "gosc";
export type ConvertFormat = "netplan" | "custcfg" | "vapp" | "vmx" | "gosc";

/** The CLI's flags, camelCased. Absent keys mean the CLI's defaults; unknown keys are refused. */
export interface Options {
  /** --provider: provider-dependent rules become the webhook's errors. */
  provider?: "vds" | "nsxt" | "vpc";
  /** --mac-policy (default "spec"). */
  macPolicy?: "spec" | "derive" | "pci-order";
  /** --info: keep informational findings. */
  info?: boolean;
  /** --netplan-gateway-style (default "routes"). */
  netplanGatewayStyle?: "routes" | "gateway4";
  /** --gosc-envelope (default "none": a bare CustomizationSpec). */
  goscEnvelope?: "none" | "customize-vm" | "customize-guest" | "create-spec";
  /** --api-version, e.g. "7.0.3" (default the newest known). */
  apiVersion?: string;
  /** --custcfg-marker-id. */
  custcfgMarkerId?: string;
  /** --custcfg-post-gc-status. */
  custcfgPostGcStatus?: boolean;
  /** `--feature-gates`: vm-operator gates, e.g. "WorkloadIPv6=false,VMVlanSubinterface=false". */
  featureGates?: string;
}

export interface ConvertOptions {
  /** Output syntax (default "yaml"). */
  to?: "yaml" | "json";
  /** metadata.name when the input carries none (default "converted"). */
  name?: string;
}

/** Why a call produced no result: bad arguments ("usage") or a bug ("internal"). */
export interface Failure {
  ok: false;
  /** `loading`: the input needs guestnet_wasm_lazy.wasm (v1alpha1-v1alpha4, `convert`, `explain`),
   * which is being fetched; call again once `loadLazy()` resolves. */
  error: { kind: "usage" | "internal" | "loading"; message: string };
}

export type Outcome<T> = ({ ok: true } & T) | Failure;

export interface Counts {
  errors: number;
  warnings: number;
  infos: number;
}

export interface Validated extends Counts {
  diagnostics: Diagnostic[];
  /** VirtualMachine documents in the text (catalog documents not counted). */
  virtualMachines: number;
}

export interface Artifact {
  /** File name, e.g. "netplan.yaml". */
  name: string;
  content: string;
}

export interface TargetOutput {
  target: Target;
  /** Empty when the renderer refuses; its diagnostics say why. */
  artifacts: Artifact[];
  /** This renderer's findings (also in the full list). */
  diagnostics: Diagnostic[];
}

export interface VmOutput {
  /** 1-based document number in the text. */
  document: number;
  name: string | null;
  namespace: string | null;
  /** Empty when the VM has errors: nothing is rendered from an invalid spec. */
  targets: TargetOutput[];
}

export interface Rendered extends Counts {
  /** Every finding, sorted by position. */
  diagnostics: Diagnostic[];
  vms: VmOutput[];
}

export interface ExplainedVm {
  document: number;
  name: string;
  namespace: string | null;
  /** `guestnet explain`'s text. */
  text: string;
  /** `guestnet explain --format json`'s `resolved` object. */
  resolved: Record<string, unknown>;
  /** Where each spec field named as a source ("spec.network.hostName") sits in the text. */
  locations: Location[];
}

/** Where a field path sits in the input text: 1-based, end exclusive, columns in characters. */
export interface Location {
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface Explained extends Counts {
  diagnostics: Diagnostic[];
  vms: ExplainedVm[];
}

export interface Converted extends Counts {
  /** Positions refer to the converted input. */
  diagnostics: Diagnostic[];
  /** The VirtualMachine(s); empty when there are errors. */
  output: string;
  /** How many VirtualMachines `output` holds. */
  documents: number;
}

export interface Rule {
  code: string;
  severity: Severity;
  title: string;
}

export interface Catalog {
  targets: Target[];
  formats: ConvertFormat[];
  version: string;
}

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** Instantiates the module once; every other function is synchronous afterwards. */
export function init(input?: InitInput | Promise<InitInput>, lazyInput?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;
export function initSync(bytesOrModule: BufferSource | WebAssembly.Module, lazyBytesOrModule?: BufferSource | WebAssembly.Module): void;
/** Fetches and compiles guestnet_wasm_lazy.wasm once (default: where init() was told). */
export function loadLazy(input?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;
export function lazyStatus(): { loaded: boolean; loads: number };

export function validate(text: string, options?: Options): Outcome<Validated>;
export function render(text: string, targets: "all" | Target | Target[], options?: Options): Outcome<Rendered>;
export function renderAll(text: string, options?: Options): Outcome<Rendered>;
export function explain(text: string, options?: Options): Outcome<Explained>;
export function convert(from: ConvertFormat, text: string, options?: ConvertOptions): Outcome<Converted>;
export function rules(): Rule[];
export function catalog(): Catalog;
export function example(): string;
/** Panics inside the module on purpose (tests of the panic path). */
export function _testPanic(message: string): Failure;
