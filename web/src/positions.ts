// Diagnostics count columns in characters (Unicode scalar values, as the CLI and editors
// do); CodeMirror addresses text in UTF-16 code units. These helpers convert between them
// so an underline sits under the right character even after an emoji or a CJK name.
import type { Text } from "@codemirror/state";

export interface Range {
  from: number;
  to: number;
}

/** Offset of the `column`-th character (1-based) of 1-based `line`, clamped to the line. */
export function offsetOf(doc: Text, line: number, column: number): number {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  let units = 0;
  let chars = 1;
  const text = l.text;
  while (chars < column && units < text.length) {
    const code = text.charCodeAt(units);
    units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1;
    chars += 1;
  }
  return l.from + units;
}

export interface Positioned {
  line: number | null;
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
}

/** The document range a finding or location covers; findings without a position mark the
 * first line. An empty range widens to one character so an underline is visible. */
export function rangeOf(doc: Text, p: Positioned): Range {
  if (p.line === null || p.column === null) {
    const first = doc.line(1);
    return { from: first.from, to: first.to };
  }
  const from = offsetOf(doc, p.line, p.column);
  let to = p.endLine !== null && p.endColumn !== null ? offsetOf(doc, p.endLine, p.endColumn) : from;
  if (to < from) to = from;
  if (to === from) {
    const line = doc.lineAt(from);
    to = Math.min(from + 1, line.to);
    if (to === from && from > line.from) return { from: from - 1, to: from };
  }
  return { from, to };
}
