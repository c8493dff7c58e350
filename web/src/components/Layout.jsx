import { useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { NavLink, Outlet } from 'react-router-dom';
import { allowed, logout } from '../features/auth/authSlice.js';

const links = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/agents', label: 'Agents' },
  { to: '/tasks', label: 'Tasks' },
  { to: '/workflows', label: 'Workflows' },
  { to: '/users', label: 'Users', admin: true },
  { to: '/api-keys', label: 'API keys', admin: true },
];

const liveLabels = { live: 'Live', connecting: 'Connecting', reconnecting: 'Reconnecting', offline: 'Offline' };

export default function Layout() {
  const user = useSelector((s) => s.auth.user);
  const live = useSelector((s) => s.live.status);
  const dispatch = useDispatch();
  const [open, setOpen] = useState(false);
  const visible = links.filter((l) => !l.admin || allowed(user, 'admin'));
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">D</span>
          <span>Digital Enterprise</span>
        </div>
        <button type="button" className="menu-toggle" aria-expanded={open} aria-controls="nav" onClick={() => setOpen(!open)}>
          Menu
        </button>
        <nav id="nav" aria-label="Main" className={open ? 'open' : ''}>
          {visible.map((l) => (
            <NavLink key={l.to} to={l.to} end={l.end} onClick={() => setOpen(false)}>
              {l.label}
            </NavLink>
          ))}
        </nav>
        <div className="session">
          <span className={`live live-${live}`} role="status" aria-live="polite" title="Live updates">
            <span className="dot" aria-hidden="true" /> {liveLabels[live] ?? live}
          </span>
          <span className="who" title={user?.email}>
            {user?.username} <small>{user?.roles.join(', ')}</small>
          </span>
          <button type="button" className="button secondary small" onClick={() => dispatch(logout())}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

export function RequireRole({ action, children }) {
  const user = useSelector((s) => s.auth.user);
  if (!allowed(user, action))
    return (
      <div className="state empty" role="alert">
        <strong>You do not have access to this page.</strong>
        <p>Ask an administrator if you need it.</p>
      </div>
    );
  return children;
}
