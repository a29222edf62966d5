// CodeMirror 6 set-up: the editable source editor (with the lint extension's underlines and
// gutter markers fed from guestnet's diagnostics) and read-only viewers for artifacts.
// Colours come from CSS variables (style.css), so light and dark schemes share one theme.
import { EditorState, Compartment, type Extension } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
  highlightSpecialChars,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  HighlightStyle,
  StreamLanguage,
  syntaxHighlighting,
  indentUnit,
  bracketMatching,
  foldGutter,
} from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic as LintDiagnostic } from "@codemirror/lint";
import { tags as t } from "@lezer/highlight";
import { yaml } from "@codemirror/lang-yaml";
import { xml } from "@codemirror/lang-xml";
import { json } from "@codemirror/lang-json";

const highlight = HighlightStyle.define([
  { tag: [t.propertyName, t.definition(t.propertyName), t.tagName], color: "var(--syn-key)" },
  { tag: [t.string, t.special(t.string), t.attributeValue], color: "var(--syn-string)" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "var(--syn-number)" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "var(--syn-comment)", fontStyle: "italic" },
  { tag: [t.keyword, t.processingInstruction, t.meta, t.documentMeta], color: "var(--syn-keyword)" },
  { tag: [t.attributeName, t.labelName], color: "var(--syn-attr)" },
  { tag: [t.punctuation, t.separator, t.bracket, t.angleBracket], color: "var(--syn-punct)" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "13px", backgroundColor: "var(--code-bg)", color: "var(--fg)" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.55" },
  ".cm-content": { caretColor: "var(--accent)", padding: "8px 0" },
  ".cm-gutters": {
    backgroundColor: "var(--code-bg)",
    color: "var(--fg-faint)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLine": { backgroundColor: "var(--active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--active-line)", color: "var(--fg-muted)" },
  "&.cm-focused": { outline: "none" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--accent)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--selection) !important",
  },
  ".cm-tooltip": {
    backgroundColor: "var(--panel)",
    color: "var(--fg)",
    border: "1px solid var(--border)",
    borderRadius: "6px",
    boxShadow: "var(--shadow)",
  },
  ".cm-tooltip-lint": { fontFamily: "var(--sans)", fontSize: "12.5px", maxWidth: "520px" },
  ".cm-diagnostic": { padding: "6px 10px" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--error)" },
  ".cm-diagnostic-warning": { borderLeftColor: "var(--warning)" },
  ".cm-diagnostic-info": { borderLeftColor: "var(--info)" },
  ".cm-lintRange-active": { backgroundColor: "var(--selection)" },
  ".cm-foldGutter span": { color: "var(--fg-faint)" },
});

export type Language = "yaml" | "xml" | "json" | "keyvalue" | "text";

/** cust.cfg (`[SECTION]`, `KEY = value`) and VMX (`key = "value"`) lines. */
const keyValue = StreamLanguage.define<{ value: boolean }>({
  name: "keyvalue",
  startState: () => ({ value: false }),
  token(stream, state) {
    if (stream.sol()) {
      state.value = false;
      stream.eatSpace();
      if (stream.peek() === "#" || stream.peek() === ";") {
        stream.skipToEnd();
        return "comment";
      }
      if (stream.match(/^\[[^\]]*\]/)) return "keyword";
    }
    if (stream.eatSpace()) return null;
    if (!state.value) {
      if (stream.eat("=")) {
        state.value = true;
        return "punctuation";
      }
      stream.eatWhile((c) => c !== "=" && c !== " " && c !== "\t");
      return "propertyName";
    }
    if (stream.match(/^-?\d+\s*$/)) return "number";
    stream.skipToEnd();
    return "string";
  },
});

function language(l: Language): Extension {
  switch (l) {
    case "yaml":
      return yaml();
    case "xml":
      return xml();
    case "json":
      return json();
    case "keyvalue":
      return keyValue;
    default:
      return [];
  }
}

/** A language for an artifact or input, from its file name or format. */
export function languageFor(name: string): Language {
  if (/\.(ya?ml)$/.test(name) || name === "netplan" || name === "yaml") return "yaml";
  if (/\.xml$/.test(name) || name === "gosc" || name === "vapp") return "xml";
  if (/\.json$/.test(name) || name === "json") return "json";
  if (/\.(cfg|vmx)$/.test(name) || name === "custcfg" || name === "vmx") return "keyvalue";
  return "text";
}

const common: Extension = [
  lineNumbers(),
  highlightSpecialChars(),
  drawSelection(),
  syntaxHighlighting(highlight),
  theme,
  EditorState.tabSize.of(2),
  indentUnit.of("  "),
];

export interface SourceEditor {
  view: EditorView;
  setText(text: string): void;
  setLanguage(l: Language): void;
  showDiagnostics(diags: LintDiagnostic[]): void;
  select(from: number, to: number): void;
}

/** The editable source: YAML by default, the chosen format in convert mode. */
export function sourceEditor(parent: HTMLElement, text: string, onChange: () => void): SourceEditor {
  const lang = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        common,
        history(),
        foldGutter(),
        highlightActiveLine(),
        highlightActiveLineGutter(),
        bracketMatching(),
        EditorView.lineWrapping,
        lintGutter(),
        lang.of(language("yaml")),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ "aria-label": "source", spellcheck: "false" }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange();
        }),
      ],
    }),
  });
  return {
    view,
    setText(next) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } });
    },
    setLanguage(l) {
      view.dispatch({ effects: lang.reconfigure(language(l)) });
    },
    showDiagnostics(diags) {
      view.dispatch(setDiagnostics(view.state, diags));
    },
    select(from, to) {
      view.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true });
      view.focus();
    },
  };
}

export interface Viewer {
  view: EditorView;
  show(text: string, l: Language): void;
}

/** A read-only, highlighted view of an artifact. Keeps its scroll position when the same
 * file is re-rendered with small changes. */
export function viewer(parent: HTMLElement): Viewer {
  const lang = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: "",
      extensions: [
        common,
        lang.of([]),
        EditorState.readOnly.of(true),
        EditorView.editable.of(false),
        EditorView.contentAttributes.of({ "aria-label": "output", tabindex: "0" }),
      ],
    }),
  });
  let current: Language | null = null;
  return {
    view,
    show(text, l) {
      const relang = l !== current;
      current = l;
      const same = view.state.doc.toString() === text;
      if (same && !relang) return;
      view.dispatch({
        changes: same ? undefined : { from: 0, to: view.state.doc.length, insert: text },
        effects: relang ? lang.reconfigure(language(l)) : undefined,
      });
    },
  };
}
