// Swagger UI on the served description; validatorUrl null: nothing is sent to any outside host.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
});
