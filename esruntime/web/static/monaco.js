// Monaco over the <textarea data-editor>, loaded from the URL the host configured
// (data-monaco-url: a folder holding Monaco's vs/). The textarea keeps the form's value.
(function () {
  "use strict";
  function start() {
    var textarea = document.querySelector("textarea[data-editor][data-monaco-url]");
    if (!textarea) return;
    var base = textarea.getAttribute("data-monaco-url");
    var loader = document.createElement("script");
    loader.src = base + "/vs/loader.js";
    loader.onload = function () {
      window.require.config({ paths: { vs: base + "/vs" } });
      window.require(["vs/editor/editor.main"], function () {
        var host = document.createElement("div");
        host.className = "code-editor monaco";
        host.style.height = "26rem";
        textarea.after(host);
        textarea.hidden = true;
        var dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
        var editor = window.monaco.editor.create(host, {
          value: textarea.value,
          language: "javascript",
          theme: dark ? "vs-dark" : "vs",
          minimap: { enabled: false },
          automaticLayout: true,
        });
        editor.onDidChangeModelContent(function () { textarea.value = editor.getValue(); });
        host.editorView = editor;
        document.documentElement.dataset.editorReady = "monaco";
        document.documentElement.dataset.editorReadyAt = String(performance.now());
      });
    };
    document.head.appendChild(loader);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
