// The whole page state lives in the URL fragment, so a link reproduces a preview exactly and
// nothing is sent to any server (fragments never leave the browser). The JSON state is
// deflated (CompressionStream, built into every current browser) and base64url-encoded:
// `#v1.<data>`; browsers without CompressionStream write `#v1j.<data>` uncompressed.
import type { ConvertFormat, Options, Target } from "../../wasm/js/guestnet.js";

export type Mode = "spec" | "convert";
export type Tab = Target | "explain";

export interface State {
  mode: Mode;
  /** The VirtualMachine text (spec mode). */
  spec: string;
  /** Convert mode: the input format and text. */
  from: ConvertFormat;
  input: string;
  options: Options;
  tab: Tab;
}

function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const body = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

const canCompress = typeof CompressionStream === "function";

export async function encode(state: State): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  if (canCompress) return "v1." + toBase64Url(await pipe(json, new CompressionStream("deflate-raw")));
  return "v1j." + toBase64Url(json);
}

/** The state in a fragment, or null when there is none or it cannot be read. */
export async function decode(fragment: string): Promise<Partial<State> | null> {
  const f = fragment.replace(/^#/, "");
  try {
    let json: Uint8Array;
    if (f.startsWith("v1.")) {
      json = await pipe(fromBase64Url(f.slice(3)), new DecompressionStream("deflate-raw"));
    } else if (f.startsWith("v1j.")) {
      json = fromBase64Url(f.slice(4));
    } else {
      return null;
    }
    const v: unknown = JSON.parse(new TextDecoder().decode(json));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Partial<State>) : null;
  } catch {
    return null;
  }
}
