// The one HTTP client of the app: base URL, bearer token, invisible token refresh, and
// RFC 9457 problems turned into readable errors. Every request to the server goes through `api`.
import axios from 'axios';

const storageKey = 'de.session';

// The session lives in memory and in sessionStorage (it survives a reload, not the tab):
// { access_token, expires_at (ms), user }. The refresh token is not here: the server keeps it
// in an HttpOnly cookie that scripts cannot read, and a new tab restores its session with it.
let current = readStored();
const listeners = new Set();

function readStored() {
  try {
    return JSON.parse(sessionStorage.getItem(storageKey)) ?? null;
  } catch {
    return null;
  }
}

export function getSession() {
  return current;
}

// `reason` tells listeners why a session ended ('expired' when a refresh was refused).
export function setSession(next, reason = null) {
  current = next ?? null;
  try {
    if (current) sessionStorage.setItem(storageKey, JSON.stringify(current));
    else sessionStorage.removeItem(storageKey);
  } catch {
    // Storage may be unavailable (private mode quotas): memory still works for this page.
  }
  for (const listener of listeners) listener(current, reason);
}

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// A session from a login or refresh answer; a refresh answer may omit the user.
export function sessionFrom(data, previousUser = null) {
  return {
    access_token: data.access_token,
    expires_at: Date.now() + (Number(data.expires_in) || 900) * 1000,
    user: data.user ?? previousUser,
  };
}

export const api = axios.create({ baseURL: '/api/v1', timeout: 35000, headers: { Accept: 'application/json' } });

api.interceptors.request.use((config) => {
  if (!config.skipAuth && current?.access_token) {
    config.headers.Authorization = `Bearer ${current.access_token}`;
    config.sentToken = current.access_token;
  }
  return config;
});

// One refresh at a time: every request that meets a 401 meanwhile waits for the same one.
let refreshing = null;
export function refreshSession() {
  refreshing ??= (async () => {
    const session = current;
    try {
      // The refresh token travels in its cookie, so the body is empty.
      const { data } = await api.post('/auth/refresh', undefined, { skipAuth: true, skipRefresh: true });
      const next = sessionFrom(data, session?.user);
      setSession(next);
      return next;
    } catch (error) {
      // The server refused the refresh token (expired, revoked, reused): the session is over.
      // A network failure is not a refusal: keep the session and let the caller retry later.
      // Without a session (a new tab that finds no cookie) nothing expired.
      const status = error.response?.status;
      if (status && status < 500) setSession(null, session ? 'expired' : null);
      throw error;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// A new tab or a reload without a stored session: the cookie, when there is one, signs it in.
export async function restoreSession() {
  if (current) return current;
  try {
    return await refreshSession();
  } catch {
    return null;
  }
}

// A token good for at least `margin` ms more, refreshing first if needed (for the WebSocket,
// which cannot be retried by the interceptor).
export async function freshAccessToken(margin = 30000) {
  if (current?.expires_at && current.expires_at - Date.now() < margin) {
    try {
      await refreshSession();
    } catch {
      // Either the session ended (listeners know) or the server is unreachable.
    }
  }
  return current?.access_token ?? null;
}

api.interceptors.response.use(undefined, async (error) => {
  const config = error.config;
  if (error.response?.status !== 401 || !config || config.skipRefresh || config.retried || !current) {
    return Promise.reject(error);
  }
  config.retried = true;
  // Sent with a token that has been replaced since: retry with the new one, no refresh needed.
  if (!(config.sentToken && current.access_token !== config.sentToken)) {
    try {
      await refreshSession();
    } catch {
      return Promise.reject(error);
    }
  }
  return api(config);
});

// A readable message and per-field errors from an axios error (RFC 9457 problem+json).
export function problemOf(error) {
  const response = error?.response;
  const data = response?.data;
  const retryAfter = Number(response?.headers?.['retry-after']) || null;
  if (data && typeof data === 'object' && (data.detail || data.title)) {
    const fields = {};
    for (const e of data.errors ?? []) if (e?.field) fields[e.field] = e.message;
    return { status: data.status ?? response.status, message: data.detail || data.title, title: data.title ?? null, type: data.type ?? null, fields, retryAfter };
  }
  if (response) return { status: response.status, message: `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`, title: null, fields: {}, retryAfter };
  if (error?.code === 'ECONNABORTED') return { status: 0, message: 'The server took too long to answer. Try again.', title: null, fields: {}, retryAfter: null };
  return { status: 0, message: 'The server cannot be reached. Check your connection and try again.', title: null, fields: {}, retryAfter: null };
}
