// The GraphQL console: POSTs {query, variables} to the API on the gateway through the portal's
// same-origin try-it relay, which adds the credential chosen for try-it calls.
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("graphql-console");
    if (!form) { return; }
    var status = document.getElementById("graphql-status");
    var result = document.getElementById("graphql-result");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var variables = {};
      var raw = document.getElementById("graphql-variables").value.trim();
      if (raw) {
        try { variables = JSON.parse(raw); } catch (err) {
          status.textContent = "The variables are not JSON: " + err.message;
          return;
        }
      }
      var body = JSON.stringify({ query: document.getElementById("graphql-query").value, variables: variables });
      var url = form.dataset.relay + "?scalar_url=" + encodeURIComponent(form.dataset.endpoint);
      status.textContent = "Running…";
      fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: body, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (text) {
            status.textContent = "HTTP " + response.status;
            try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (err) { /* shown as sent */ }
            result.textContent = text;
          });
        })
        .catch(function (err) { status.textContent = "The call failed: " + err.message; });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
