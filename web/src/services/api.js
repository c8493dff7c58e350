// The one HTTP client of the app: base URL, bearer token, invisible token refresh, and
// RFC 9457 problems turned into readable errors.
import axios from 'axios';

const storageKey = 'de.session';

export function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(storageKey)) ?? null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  if (session) sessionStorage.setItem(storageKey, JSON.stringify(session));
  else sessionStorage.removeItem(storageKey);
}

export const api = axios.create({ baseURL: '/api/v1', timeout: 35000 });

let onSessionChange = () => {};
// The store registers here, so that a refresh or an expiry updates the UI.
export function watchSession(listener) {
  onSessionChange = listener;
}

api.interceptors.request.use((config) => {
  const session = loadSession();
  if (session?.access_token) config.headers.Authorization = `Bearer ${session.access_token}`;
  return config;
});

// Concurrent 401s share one refresh.
let refreshing = null;
async function refresh() {
  const session = loadSession();
  if (!session?.refresh_token) throw new Error('no session');
  const { data } = await axios.post('/api/v1/auth/refresh', { refresh_token: session.refresh_token });
  const next = { access_token: data.access_token, refresh_token: data.refresh_token, user: data.user };
  saveSession(next);
  onSessionChange(next);
  return next;
}

api.interceptors.response.use(undefined, async (error) => {
  const original = error.config;
  const isAuthCall = original?.url?.startsWith('/auth/');
  if (error.response?.status === 401 && original && !original._retried && !isAuthCall) {
    original._retried = true;
    try {
      refreshing ??= refresh().finally(() => {
        refreshing = null;
      });
      await refreshing;
      return api(original);
    } catch {
      saveSession(null);
      onSessionChange(null);
    }
  }
  return Promise.reject(error);
});

// A readable message and per-field errors from an axios error.
export function problemOf(error) {
  const data = error?.response?.data;
  if (data && typeof data === 'object' && (data.detail || data.title)) {
    const fields = {};
    for (const e of data.errors ?? []) fields[e.field] = e.message;
    return { status: data.status ?? error.response.status, message: data.detail || data.title, fields };
  }
  if (error?.response) return { status: error.response.status, message: `Request failed (${error.response.status})`, fields: {} };
  return { status: 0, message: 'The server cannot be reached. Check that it is running.', fields: {} };
}
