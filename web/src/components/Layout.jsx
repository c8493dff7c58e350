import { Suspense, useEffect, useRef, useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { NavLink, Outlet, useLocation } from 'react-router-dom';
import { allowed, logout } from '../features/auth/authSlice.js';
import { Icon } from './icons.jsx';
import { Loading } from './ui.jsx';

export const links = [
  { to: '/', label: 'Dashboard', icon: 'dashboard', end: true },
  { to: '/agents', label: 'Agents', icon: 'agents' },
  { to: '/tasks', label: 'Tasks', icon: 'tasks' },
  { to: '/workflows', label: 'Workflows', icon: 'workflows' },
  { to: '/leads', label: 'Leads', icon: 'users' },
  { to: '/companies', label: 'Companies', icon: 'users' },
  { to: '/lead-models', label: 'Lead models', icon: 'sparkle' },
  { to: '/pipeline', label: 'Pipeline', icon: 'pipeline' },
  { to: '/campaigns', label: 'Campaigns', icon: 'send' },
  { to: '/content', label: 'Content', icon: 'edit' },
  { to: '/ai', label: 'AI', icon: 'sparkle' },
  { to: '/requirements', label: 'Requirements', icon: 'edit', action: 'read' },
  { to: '/stakeholders', label: 'Stakeholders', icon: 'users', action: 'read' },
  { to: '/integrations', label: 'Integrations', icon: 'link' },
  { to: '/users', label: 'Users', icon: 'users', action: 'admin' },
  { to: '/api-keys', label: 'API keys', icon: 'key', action: 'admin' },
  { to: '/audit', label: 'Audit log', icon: 'lock', action: 'admin' },
];

const liveText = {
  live: { label: 'Live', title: 'Live updates are on' },
  connecting: { label: 'Connecting', title: 'Connecting to live updates' },
  reconnecting: { label: 'Reconnecting', title: 'Live updates are interrupted: refreshing every 5 seconds while reconnecting' },
};

export function LiveIndicator() {
  const status = useSelector((s) => s.live.status);
  const text = liveText[status] ?? { label: status, title: status };
  return (
    <span className={`live live-${status}`} role="status" aria-live="polite" title={text.title}>
      <span className="dot" aria-hidden="true" />
      <span>{text.label}</span>
      {status === 'reconnecting' && <span className="sr-only">: refreshing every 5 seconds</span>}
    </span>
  );
}

function initials(user) {
  const name = user?.username || user?.email || '?';
  return name.slice(0, 2).toUpperCase();
}

export default function Layout() {
  const user = useSelector((s) => s.auth.user);
  const dispatch = useDispatch();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  const main = useRef(null);
  const visible = links.filter((l) => !l.action || allowed(user, l.action));

  // A new page: close the phone menu and move focus to the content, for screen readers.
  const first = useRef(true);
  useEffect(() => {
    setOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <div className={`shell${open ? ' menu-open' : ''}`}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="sidebar-top">
          <div className="brand">
            <span className="logo" aria-hidden="true">
              DE
            </span>
            <span className="brand-name">Digital Enterprise</span>
          </div>
          <button type="button" className="menu-toggle" aria-expanded={open} aria-controls="main-nav" onClick={() => setOpen(!open)}>
            <Icon name={open ? 'close' : 'menu'} />
            <span className="sr-only">{open ? 'Close menu' : 'Menu'}</span>
          </button>
        </div>
        <nav id="main-nav" aria-label="Main">
          <ul>
            {visible.map((l) => (
              <li key={l.to}>
                <NavLink to={l.to} end={l.end}>
                  <Icon name={l.icon} />
                  <span>{l.label}</span>
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-foot">
          <a href="/api/docs" target="_blank" rel="noreferrer">
            API reference
          </a>
        </div>
      </aside>
      <div className="content">
        <header className="topbar">
          <div className="topbar-live">
            <LiveIndicator />
          </div>
          <div className="account">
            <span className="avatar" aria-hidden="true">
              {initials(user)}
            </span>
            <span className="who">
              <span className="who-name">{user?.username ?? user?.email}</span>
              <span className="who-role">{(user?.roles ?? []).join(', ')}</span>
            </span>
            <button type="button" className="button ghost small" onClick={() => dispatch(logout())}>
              <Icon name="logout" size={16} /> Log out
            </button>
          </div>
        </header>
        <main id="main" ref={main} tabIndex={-1}>
          <Suspense fallback={<Loading what="Loading the page" />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}

export function RequireRole({ action, children }) {
  const user = useSelector((s) => s.auth.user);
  if (!allowed(user, action))
    return (
      <div className="state empty no-access" role="alert">
        <span className="state-icon">
          <Icon name="lock" size={22} />
        </span>
        <strong>You do not have access to this page.</strong>
        <p>Your role ({(user?.roles ?? []).join(', ') || 'none'}) does not include it. Ask an administrator if you need it.</p>
      </div>
    );
  return children;
}
