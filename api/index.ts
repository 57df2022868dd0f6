/** The HTTP API (and the web console's server side): routes over the Bosun client, bearer
 * JWT authentication, the generated OpenAPI document. See docs/http-api.md. */
export {
  apiBase,
  apiRoutes,
  createApiServer,
  startApiServer,
  type ApiServerOptions,
  type RunningApiServer,
} from './server.ts';
export { ApiError, type ApiErrorBody, type ApiIssue } from './errors.ts';
export { defaultApiLimits, createRateLimiter, type ApiLimits } from './rate-limit.ts';
export { openApiDocument } from './openapi.ts';
export * from './auth/index.ts';
