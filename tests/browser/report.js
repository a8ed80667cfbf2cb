"use strict";
// Served at /report.js by tests/browser/server.rs, loaded first by every page
// of the browser tests: `post` sends a batch to /report as JSON, one after
// the other; `reportError` sends an error at once. Errors of the page itself
// are reported too.

let chain = Promise.resolve();

function post(body) {
  const text = JSON.stringify(body);
  chain = chain
    .then(() => fetch("/report", { method: "POST", body: text }))
    .then((response) => {
      if (!response.ok) throw new Error("POST /report: status " + response.status);
    })
    .catch((e) => reportError("post failed: " + e));
}

function reportError(message) {
  // Not through the chain: it must arrive even when the chain is stuck.
  fetch("/report", { method: "POST", body: JSON.stringify({ error: String(message) }) });
}

window.addEventListener("error", (e) => reportError("page error: " + e.message));
window.addEventListener("unhandledrejection", (e) => reportError("unhandled rejection: " + e.reason));
