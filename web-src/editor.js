// The script editor: CodeMirror 6 over a <textarea data-editor>, which keeps the form's value.
// Without JavaScript the textarea itself is the editor; this file only enhances it.
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { javascript, javascriptLanguage } from "@codemirror/lang-javascript";
import { syntaxHighlighting, bracketMatching, indentOnInput } from "@codemirror/language";
import { autocompletion, completionKeymap, closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { classHighlighter } from "@lezer/highlight";
import { SDK_COMPLETIONS } from "./completions.js";

// Completes dotted paths of the script globals: `sdk.http.g` offers `get`.
function sdkCompletions(context) {
  const word = context.matchBefore(/[A-Za-z_$][\w$]*(?:\.[A-Za-z_$]?[\w$]*)*/);
  if (!word || (word.from === word.to && !context.explicit)) return null;
  const dot = word.text.lastIndexOf(".");
  const parent = dot < 0 ? "" : word.text.slice(0, dot);
  const options = SDK_COMPLETIONS[parent];
  if (!options) return null;
  return {
    from: dot < 0 ? word.from : word.from + dot + 1,
    options,
    validFor: /^[\w$]*$/,
  };
}

function enhance(textarea) {
  const host = document.createElement("div");
  host.className = "code-editor";
  textarea.after(host);
  textarea.hidden = true;
  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        javascript(),
        javascriptLanguage.data.of({ autocomplete: sdkCompletions }),
        autocompletion({ activateOnTyping: true }),
        syntaxHighlighting(classHighlighter),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
        EditorView.cspNonce.of(textarea.dataset.styleNonce || ""),
        EditorView.contentAttributes.of({ "aria-label": textarea.getAttribute("aria-label") || "Source" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) textarea.value = update.state.doc.toString();
        }),
      ],
    }),
  });
  host.editorView = view;
  document.documentElement.dataset.editorReady = "codemirror";
  document.documentElement.dataset.editorReadyAt = String(performance.now());
  textarea.closest("form")?.addEventListener("submit", () => {
    textarea.value = view.state.doc.toString();
  });
}

function start() {
  if (document.querySelector("[data-monaco-url]")) return; // the host chose Monaco
  document.querySelectorAll("textarea[data-editor]").forEach(enhance);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
