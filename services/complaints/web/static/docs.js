// Starts Swagger UI on /docs with what the page's container says (templates/swagger_ui.html):
// a file of its own, so the page's Content-Security-Policy needs no inline script.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.dataset.config || "{}");
  config.url = container.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
