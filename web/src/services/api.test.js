import { describe, expect, it } from 'vitest';
import { api, freshAccessToken, getSession, onSessionChange, problemOf, restoreSession, setSession } from './api.js';
import { admin, mockApi, problem, signedIn } from '../test/mockApi.js';

describe('the API client', () => {
  it('sends the bearer token', async () => {
    setSession(signedIn(admin));
    const calls = mockApi({ 'GET /agents': () => [200, { items: [], next_cursor: null }] });
    await api.get('/agents');
    expect(calls[0].auth).toBe('Bearer access-1');
  });

  it('refreshes once for concurrent 401s, retries each request and keeps the rotated pair', async () => {
    setSession(signedIn(admin));
    const calls = mockApi({
      'GET /agents': (c) => (c.auth === 'Bearer access-2' ? [200, { items: ['ok'] }] : problem(401, 'Unauthorized', 'token expired')),
      'GET /tasks': (c) => (c.auth === 'Bearer access-2' ? [200, { items: ['ok'] }] : problem(401, 'Unauthorized', 'token expired')),
      'POST /auth/refresh': async (c) => {
        expect(c.body ?? null).toBeNull(); // the refresh token travels in its HttpOnly cookie
        expect(c.auth).toBeNull(); // the refresh call carries no stale bearer
        await new Promise((r) => setTimeout(r, 10));
        return [200, { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 900, token_type: 'Bearer' }];
      },
    });
    const [a, b] = await Promise.all([api.get('/agents'), api.get('/tasks')]);
    expect(a.data.items).toEqual(['ok']);
    expect(b.data.items).toEqual(['ok']);
    expect(calls.filter((c) => c.url === '/auth/refresh')).toHaveLength(1);
    expect(getSession()).toMatchObject({ access_token: 'access-2', user: admin });
    expect(JSON.parse(sessionStorage.getItem('de.session')).access_token).toBe('access-2');
  });

  it('ends the session when the refresh is refused, and says why', async () => {
    setSession(signedIn(admin));
    const seen = [];
    const stop = onSessionChange((session, reason) => seen.push([session, reason]));
    mockApi({
      'GET /agents': () => problem(401, 'Unauthorized', 'token expired'),
      'POST /auth/refresh': () => problem(401, 'Unauthorized', 'the refresh token is invalid or has expired'),
    });
    await expect(api.get('/agents')).rejects.toMatchObject({ response: { status: 401 } });
    expect(getSession()).toBeNull();
    expect(seen).toEqual([[null, 'expired']]);
    stop();
  });

  it('keeps the session when the server cannot be reached during a refresh', async () => {
    setSession(signedIn(admin));
    mockApi({ 'GET /agents': () => problem(401, 'Unauthorized', 'expired'), 'POST /auth/refresh': () => 'network' });
    await expect(api.get('/agents')).rejects.toBeTruthy();
    expect(getSession()?.access_token).toBe('access-1');
  });

  it('never keeps a refresh token where scripts can read it', async () => {
    mockApi({ 'POST /auth/refresh': () => [200, { access_token: 'access-2', refresh_token: 'leaked', expires_in: 900, user: admin }] });
    setSession(null);
    await restoreSession();
    expect(JSON.stringify(getSession())).not.toContain('leaked');
    expect(sessionStorage.getItem('de.session')).not.toContain('leaked');
  });

  it('restores the session of a new tab from the cookie, and stays signed out quietly without one', async () => {
    setSession(null);
    mockApi({ 'POST /auth/refresh': () => [200, { access_token: 'access-9', expires_in: 900, user: admin }] });
    expect(await restoreSession()).toMatchObject({ access_token: 'access-9', user: admin });
    setSession(null);
    const seen = [];
    const stop = onSessionChange((session, reason) => seen.push([session, reason]));
    mockApi({ 'POST /auth/refresh': () => problem(401, 'Unauthorized', 'no cookie') });
    expect(await restoreSession()).toBeNull();
    expect(seen).toEqual([[null, null]]);
    stop();
  });

  it('does not refresh for a login that fails', async () => {
    const calls = mockApi({ 'POST /auth/login': () => problem(401, 'Unauthorized', 'invalid email or password') });
    await expect(api.post('/auth/login', {}, { skipAuth: true, skipRefresh: true })).rejects.toBeTruthy();
    expect(calls.map((c) => c.url)).toEqual(['/auth/login']);
  });

  it('refreshes ahead of expiry for the WebSocket', async () => {
    setSession(signedIn(admin, { expires_at: Date.now() + 5000 }));
    mockApi({ 'POST /auth/refresh': () => [200, { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 900 }] });
    expect(await freshAccessToken()).toBe('access-2');
    expect(await freshAccessToken()).toBe('access-2'); // fresh now: no second refresh
  });

  it('turns problems into messages and per-field errors', () => {
    const p = problemOf({
      response: {
        status: 422,
        headers: {},
        data: { title: 'Validation failed', status: 422, detail: 'the body has errors', errors: [{ field: 'email', message: 'is not an email address' }] },
      },
    });
    expect(p).toMatchObject({ status: 422, message: 'the body has errors', fields: { email: 'is not an email address' } });
    expect(problemOf({ response: { status: 429, headers: { 'retry-after': '17' }, data: { title: 'Too Many Requests', status: 429 } } })).toMatchObject({ message: 'Too Many Requests', retryAfter: 17 });
    expect(problemOf({ response: { status: 502, headers: {}, data: '<html>' } }).message).toMatch(/502/);
    expect(problemOf(new Error('Network Error')).message).toMatch(/cannot be reached/);
  });
});
