// The API reference and try-it panel: Scalar's standalone renderer, fed the API's OpenAPI definition.
// Calls go through the portal's same-origin relay to the gateway; nothing is loaded from elsewhere.
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("api-reference");
    if (!el) { return; }
    if (!window.Scalar || !window.Scalar.createApiReference) {
      var note = document.getElementById("reference-loading");
      if (note) { note.textContent = "The API reference renderer is not installed: run `make portals-assets`."; }
      return;
    }
    var loading = document.getElementById("reference-loading");
    if (loading) { loading.remove(); }
    window.Scalar.createApiReference(el, {
      url: el.dataset.specUrl,
      proxyUrl: el.dataset.proxyUrl,
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: false,
      hideDarkModeToggle: true,
      showDeveloperTools: "never",
      persistAuth: false,
      agent: { disabled: true },
      mcp: { disabled: true },
      documentDownloadType: "json",
      layout: "modern"
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
