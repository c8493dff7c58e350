// Shared pieces of the design system: badges, states (loading, empty, error), JSON view,
// page header, copy button, formatting helpers.
import { useEffect, useRef, useState } from 'react';
import { Icon } from './icons.jsx';

const tone = {
  idle: 'ok', completed: 'ok', active: 'ok', live: 'ok', delivered: 'ok', passed: 'ok', success: 'ok',
  retrying: 'warn',
  busy: 'info', running: 'info',
  paused: 'warn', queued: 'warn', pending: 'warn', waiting: 'warn', draft: 'warn',
  stopped: 'neutral', offline: 'neutral', cancelled: 'neutral', inactive: 'neutral', skipped: 'neutral', archived: 'neutral',
  error: 'bad', failed: 'bad', dead: 'bad', failure: 'bad',
};

// Status as text and colour (never colour alone).
export function StatusBadge({ status, className = '' }) {
  if (!status) return null;
  return (
    <span className={`badge tone-${tone[status] ?? 'neutral'} badge-${status} ${className}`}>
      <span className="badge-dot" aria-hidden="true" />
      {status}
    </span>
  );
}

// A key figure: its label, value, and an optional hint under it.
export function Kpi({ label, value, hint, accent }) {
  return (
    <div className={`card kpi${accent ? ` kpi-${accent}` : ''}`}>
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{value}</span>
      {hint && <span className="kpi-hint">{hint}</span>}
    </div>
  );
}

// Escape closes the form or panel it is pressed in (a key handler for its container).
export const closeOnEscape = (close) => (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented) return;
  e.stopPropagation();
  close();
};

export function Loading({ what = 'Loading' }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function Empty({ title, children, icon = 'sparkle', action = null }) {
  return (
    <div className="state empty">
      <span className="state-icon">
        <Icon name={icon} size={22} />
      </span>
      <strong>{title}</strong>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

export function ErrorBanner({ message, onRetry, title = null }) {
  if (!message) return null;
  return (
    <div className="alert" role="alert">
      <div>
        {title && <strong>{title} </strong>}
        <span>{message}</span>
      </div>
      {onRetry && (
        <button type="button" className="button secondary small" onClick={onRetry}>
          <Icon name="refresh" size={14} /> Try again
        </button>
      )}
    </div>
  );
}

export function Notice({ children, tone: t = 'info' }) {
  return <div className={`notice notice-${t}`}>{children}</div>;
}

export function FieldError({ id, message }) {
  if (!message) return null;
  return (
    <span className="field-error" id={id}>
      {message}
    </span>
  );
}

// The <option>s of an agent picker, one per agent, by name.
export function AgentOptions({ agents }) {
  return agents.map((a) => (
    <option key={a.id} value={a.id}>
      {a.name}
    </option>
  ));
}

// One fact of a <dl>: its label and value.
export function Fact({ label, children }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function JsonView({ value, label, empty = '—' }) {
  const text = value === null || value === undefined ? empty : JSON.stringify(value, null, 2);
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {text}
    </pre>
  );
}

export function PageHeader({ title, subtitle, children, back = null }) {
  return (
    <header className="page-header">
      <div className="page-title">
        {back}
        <h1>{title}</h1>
        {subtitle && <p className="subtitle">{subtitle}</p>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}

export function CopyButton({ text, label = 'Copy', className = 'button secondary small' }) {
  const [copied, setCopied] = useState(false);
  const timer = useRef(null);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      if (navigator.clipboard?.writeText) await navigator.clipboard.writeText(text);
      else fallbackCopy(text);
      setCopied(true);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setCopied(false), 2000);
    } catch {
      fallbackCopy(text);
      setCopied(true);
    }
  };
  return (
    <button type="button" className={className} onClick={copy} aria-live="polite">
      <Icon name={copied ? 'check' : 'copy'} size={14} /> {copied ? 'Copied' : label}
    </button>
  );
}

function fallbackCopy(text) {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    document.execCommand('copy');
  } finally {
    area.remove();
  }
}

export function formatTime(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60000);
  return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function durationOf(task) {
  const start = Date.parse(task?.started_at);
  const end = Date.parse(task?.completed_at);
  return Number.isFinite(start) && Number.isFinite(end) ? end - start : null;
}

export function timeAgo(ts, now = Date.now()) {
  const t = Date.parse(ts);
  if (!Number.isFinite(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

export const shortId = (id) => (id ? String(id).slice(0, 8) : '—');

// A label, a control and its message: the control gets the id, aria-invalid and
// aria-describedby (the error when there is one, else the hint).
export function Field({ id, label, error, hint, optional = false, className = '', children }) {
  const described = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={`field ${className}`}>
      <label htmlFor={id}>
        {label}
        {optional && <span className="optional">optional</span>}
      </label>
      {children({ id, 'aria-invalid': !!error, 'aria-describedby': described })}
      {error ? (
        <FieldError id={`${id}-error`} message={error} />
      ) : (
        hint && (
          <span className="field-hint" id={`${id}-hint`}>
            {hint}
          </span>
        )
      )}
    </div>
  );
}
