// A fake server for the axios client: routes like 'GET /agents' map to handlers that answer
// [status, body, headers]. Every call is recorded (method, url, params, body, auth header).
import { AxiosError } from 'axios';
import { api } from '../services/api.js';

export function mockApi(routes) {
  const calls = [];
  api.defaults.adapter = async (config) => {
    const method = config.method.toUpperCase();
    const call = {
      method,
      url: config.url,
      params: config.params ?? {},
      body: typeof config.data === 'string' ? JSON.parse(config.data) : config.data,
      auth: config.headers?.Authorization ?? config.headers?.get?.('Authorization') ?? null,
    };
    calls.push(call);
    const handler = routes[`${method} ${config.url}`];
    const answer = handler ? await handler(call, calls) : [404, { type: 'about:blank', title: 'Not Found', status: 404, detail: `no route ${method} ${config.url}` }];
    if (answer === 'network') throw new AxiosError('Network Error', AxiosError.ERR_NETWORK, config, {});
    const [status, data = null, headers = {}] = answer;
    const response = { data, status, statusText: '', headers, config, request: {} };
    if (status >= 200 && status < 300) return response;
    throw new AxiosError(`Request failed with status code ${status}`, AxiosError.ERR_BAD_REQUEST, config, {}, response);
  };
  return calls;
}

export const problem = (status, title, detail, extra = {}) => [status, { type: `https://digital-enterprise.dev/problems/${status}`, title, status, detail, ...extra }];

export const signedIn = (user, extra = {}) => ({ access_token: 'access-1', expires_at: Date.now() + 900000, user, ...extra });

export const admin = { id: 'u-admin', email: 'admin@example.com', username: 'admin', roles: ['admin'] };
export const viewer = { id: 'u-viewer', email: 'viewer@example.com', username: 'viewer', roles: ['viewer'] };
export const operator = { id: 'u-op', email: 'op@example.com', username: 'op', roles: ['operator'] };
