// The interactive API reference at /api/docs: Swagger UI on /api/v1/openapi.json, offline.
// "Authorize" takes an access token (POST /api/v1/auth/login) or an API key.
import SwaggerUI from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';

SwaggerUI({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  displayOperationId: true,
  tryItOutEnabled: false,
  validatorUrl: null, // no calls to swagger.io
});
