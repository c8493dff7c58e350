import { useEffect, useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { fetchProviders, login, ssoMessage } from './authSlice.js';
import { FieldError } from '../../components/ui.jsx';

export default function LoginPage() {
  const dispatch = useDispatch();
  const { status, error, fields, notice } = useSelector((s) => s.auth);
  const [who, setWho] = useState('');
  const [password, setPassword] = useState('');
  const [ssoUrl, setSsoUrl] = useState(null);
  // A refused single sign-on comes back as /?sso_error=CODE: shown once, then taken off the address.
  const [ssoError] = useState(() => new URLSearchParams(window.location.search).get('sso_error'));
  useEffect(() => {
    if (ssoError) {
      const url = new URL(window.location.href);
      url.searchParams.delete('sso_error');
      window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    }
    let live = true;
    fetchProviders().then((providers) => {
      const url = providers?.oidc ? providers.oidc_login_url : null;
      if (live && typeof url === 'string' && url.startsWith('/api/')) setSsoUrl(url);
    });
    return () => {
      live = false;
    };
  }, [ssoError]);
  const busy = status === 'loading';
  const submit = (e) => {
    e.preventDefault();
    if (!busy) dispatch(login({ login: who, password }));
  };
  const loginField = fields?.email ?? fields?.username;
  return (
    <div className="login">
      <main className="login-main" id="main">
        <section className="login-intro" aria-hidden="true">
          <div className="brand big">
            <span className="logo">DE</span>
            <span>Digital Enterprise</span>
          </div>
          <p className="login-tagline">Your AI business agents, their tasks and workflows — live, in one place.</p>
          <ul className="login-points">
            <li>Product, sales and marketing agents at work</li>
            <li>Live task results and KPIs</li>
            <li>Workflows across agents, step by step</li>
          </ul>
        </section>
        <form className="card login-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
          <h1 id="login-title">Sign in</h1>
          <p className="subtitle">Use your work email (or user name) and password.</p>
          {notice && !error && (
            <div className="notice notice-info" role="status">
              {notice}
            </div>
          )}
          {(error || ssoError) && (
            <div className="alert" role="alert">
              {error ?? ssoMessage(ssoError)}
            </div>
          )}
          <div className="field">
            <label htmlFor="login-email">Email</label>
            <input
              id="login-email"
              name="email"
              type="text"
              inputMode="email"
              autoComplete="username"
              required
              value={who}
              onChange={(e) => setWho(e.target.value)}
              autoFocus
              aria-invalid={!!loginField}
              aria-describedby={loginField ? 'login-email-error' : undefined}
            />
            <FieldError id="login-email-error" message={loginField} />
          </div>
          <div className="field">
            <label htmlFor="login-password">Password</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={!!fields?.password}
              aria-describedby={fields?.password ? 'login-password-error' : undefined}
            />
            <FieldError id="login-password-error" message={fields?.password} />
          </div>
          <button className="button primary block" type="submit" disabled={busy || !who || !password}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          {ssoUrl && (
            <>
              <div className="login-or" aria-hidden="true">
                <span>or</span>
              </div>
              {/* A full navigation: the server sends the browser on to the identity provider. */}
              <a className="button block" href={ssoUrl}>
                Sign in with SSO
              </a>
            </>
          )}
        </form>
      </main>
    </div>
  );
}
