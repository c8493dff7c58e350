// The AI providers: one card each with its state (configured, circuit, last error), the
// fallback order, and for admins the provider's key (write-only: set or remove, never shown).
import { useCallback, useRef, useState } from 'react';
import { useSelector } from 'react-redux';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { allowed } from '../auth/authSlice.js';
import { Empty, ErrorBanner, FieldError, Loading, formatTime, timeAgo } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import { Badge, Truncated } from './parts.jsx';
import { circuitText, circuitTone, providerLabels } from './prompts.js';

export const loadProviders = async () => (await api.get('/ai/providers')).data;

const keyText = { environment: 'from the environment', stored: 'stored (encrypted)', none: 'none' };

// Set or remove a provider's key. The key lives only in the password field while it is typed:
// it is cleared when saved and never read back.
function KeyControls({ provider, label, onChanged, onStart, notice }) {
  const { name, key_source: source } = provider;
  const [mode, setMode] = useState(null); // null | 'set' | 'remove'
  const [value, setValue] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const id = `key-${name}`;
  const opener = useRef(null);
  const noticeRef = useRef(null);
  const later = (ref) => setTimeout(() => ref.current?.focus(), 0);
  const start = (next) => {
    onStart(name); // an earlier "key stored" is no longer news
    setMode(next);
  };

  const close = () => {
    setMode(null);
    setValue('');
    setError(null);
  };
  const cancel = () => {
    close();
    later(opener);
  };
  const save = async (e) => {
    e.preventDefault();
    if (!value.trim()) return setError({ field: 'Paste the key first.' });
    setBusy(true);
    try {
      await api.put(`/ai/providers/${encodeURIComponent(name)}/key`, { api_key: value.trim() });
      close();
      onChanged(name, 'key stored');
      later(noticeRef);
    } catch (err) {
      const problem = problemOf(err);
      setError({ field: problem.fields.api_key ?? null, message: problem.fields.api_key ? null : problem.message });
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    try {
      await api.delete(`/ai/providers/${encodeURIComponent(name)}/key`);
      close();
      onChanged(name, 'key removed');
      later(noticeRef);
    } catch (err) {
      setError({ message: problemOf(err).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="key-controls">
      <p className="key-notice" role="status" ref={noticeRef} tabIndex={-1}>
        {notice && (
          <>
            <Icon name="check" size={14} /> {notice}
          </>
        )}
      </p>
      {source === 'environment' && <p className="muted small">The key is set in the server's environment, which wins: change it there.</p>}
      {source !== 'environment' && mode === null && (
        <div className="row">
          <button ref={opener} type="button" className="button secondary small" onClick={() => start('set')} aria-label={`${source === 'stored' ? 'Replace' : 'Set'} the API key of ${label}`}>
            <Icon name="key" size={14} /> {source === 'stored' ? 'Replace key' : 'Set key'}
          </button>
          {source === 'stored' && (
            <button type="button" className="button ghost small" onClick={() => start('remove')} aria-label={`Remove the API key of ${label}`}>
              <Icon name="trash" size={14} /> Remove key
            </button>
          )}
        </div>
      )}
      {mode === 'set' && (
        <form className="key-form" onSubmit={save} aria-label={`API key of ${label}`} noValidate>
          <div className="field">
            <label htmlFor={id}>API key</label>
            <input
              id={id}
              type="password"
              autoComplete="new-password"
              spellCheck={false}
              autoCapitalize="off"
              maxLength={1000}
              value={value}
              onChange={(e) => {
                setValue(e.target.value);
                setError(null);
              }}
              aria-invalid={!!error?.field}
              aria-describedby={error?.field ? `${id}-error` : `${id}-hint`}
              autoFocus
            />
            {error?.field ? <FieldError id={`${id}-error`} message={error.field} /> : <span className="field-hint" id={`${id}-hint`}>Stored encrypted on the server and never shown again.</span>}
          </div>
          <ErrorBanner message={error?.message} />
          <div className="row">
            <button type="submit" className="button primary small" disabled={busy}>
              {busy ? 'Saving…' : 'Save key'}
            </button>
            <button type="button" className="button secondary small" onClick={cancel}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {mode === 'remove' && (
        <>
          <span className="confirm" role="group" aria-label={`Remove the API key of ${label}?`}>
            <span className="small">Remove the stored key?</span>
            <button className="button danger small" type="button" onClick={remove} disabled={busy}>
              Remove
            </button>
            <button className="button secondary small" type="button" onClick={cancel} autoFocus>
              Keep
            </button>
          </span>
          <ErrorBanner message={error?.message} />
        </>
      )}
    </div>
  );
}

function ProviderCard({ provider, position, canSetKeys, notice, onChanged, onStart }) {
  const label = providerLabels[provider.name] ?? provider.name;
  const titleId = `provider-${provider.name}-title`;
  const offline = provider.name === 'offline';
  const circuit = provider.circuit ?? 'closed';
  return (
    <article className={`card provider${provider.circuit === 'open' ? ' provider-open' : ''}`} aria-labelledby={titleId}>
      <div className="provider-head">
        <div className="provider-title">
          <h3 id={titleId}>{label}</h3>
          <code className="muted small">{provider.name}</code>
        </div>
        <span className="provider-order muted small">{position ? `#${position} in the fallback order` : 'not in the fallback order'}</span>
      </div>
      <div className="provider-badges">
        <Badge tone={provider.configured ? 'ok' : 'neutral'}>{provider.configured ? 'configured' : 'not configured'}</Badge>
        <Badge tone={circuitTone[circuit] ?? 'neutral'}>{circuitText[circuit] ?? `circuit ${circuit}`}</Badge>
      </div>
      <dl className="facts compact provider-facts">
        <div>
          <dt>Default model</dt>
          <dd>
            <Truncated text={provider.default_model} className="mono" />
          </dd>
        </div>
        <div>
          <dt>Base URL</dt>
          <dd>{offline && !provider.base_url ? <span className="muted">none: no network</span> : <Truncated text={provider.base_url} className="mono" />}</dd>
        </div>
        <div>
          <dt>Key</dt>
          <dd>{offline ? <span className="muted">not needed</span> : keyText[provider.key_source] ?? provider.key_source ?? '—'}</dd>
        </div>
        <div>
          <dt>Failures in a row</dt>
          <dd>{provider.consecutive_failures ?? 0}</dd>
        </div>
        {provider.open_until && (
          <div>
            <dt>Open until</dt>
            <dd>
              <time dateTime={provider.open_until}>{formatTime(provider.open_until)}</time>
            </dd>
          </div>
        )}
      </dl>
      <div className={`provider-error${provider.last_error ? ' has-error' : ''}`}>
        <span className="mini-label">Last error</span>
        {provider.last_error ? (
          <>
            {provider.last_error_at && (
              <time dateTime={provider.last_error_at} title={formatTime(provider.last_error_at)} className="muted small">
                {timeAgo(provider.last_error_at)}
              </time>
            )}
            <p className="provider-error-text">{provider.last_error}</p>
          </>
        ) : (
          <span className="muted small">none</span>
        )}
      </div>
      {canSetKeys && !offline && <KeyControls provider={provider} label={label} notice={notice} onChanged={onChanged} onStart={onStart} />}
    </article>
  );
}

export default function ProvidersSection() {
  const user = useSelector((s) => s.auth.user);
  const canSetKeys = allowed(user, 'admin');
  const { data, problem, loading, reload } = useResource(loadProviders);
  const [notices, setNotices] = useState({});
  const changed = useCallback(
    (name, text) => {
      setNotices((n) => ({ ...n, [name]: text }));
      reload();
    },
    [reload],
  );
  const started = useCallback((name) => setNotices((n) => ({ ...n, [name]: null })), []);

  if (problem?.status === 404 || problem?.status === 501)
    return (
      <Empty title="Provider status is not available on this server yet" icon="sparkle">
        This server does not report its AI providers. Prompt templates and usage work without it.
      </Empty>
    );
  const order = data?.fallback_order ?? [];
  const items = [...(data?.items ?? [])].sort((x, y) => rank(order, x.name) - rank(order, y.name));
  return (
    <section aria-labelledby="providers-title">
      <h2 id="providers-title" className="sr-only">
        Providers
      </h2>
      <ErrorBanner message={problem?.message} onRetry={reload} />
      {loading && !data && <Loading what="Loading the providers" />}
      {data && (
        <>
          <div className="card fallback">
            <span className="mini-label" id="fallback-title">
              Fallback order
            </span>
            {order.length ? (
              <ol className="fallback-order" aria-labelledby="fallback-title">
                {order.map((name, index) => (
                  <li key={name}>
                    <span className="fallback-step">{index + 1}</span> {providerLabels[name] ?? name}
                    {index < order.length - 1 && (
                      <span className="fallback-arrow" aria-hidden="true">
                        →
                      </span>
                    )}
                  </li>
                ))}
              </ol>
            ) : (
              <span className="muted">none</span>
            )}
            <p className="muted small fallback-hint">A call goes to the first configured provider whose circuit is not open; when it fails for good, the next one is asked.</p>
          </div>
          <div className="providers">
            {items.map((p) => (
              <ProviderCard key={p.name} provider={p} position={order.indexOf(p.name) + 1} canSetKeys={canSetKeys} notice={notices[p.name]} onChanged={changed} onStart={started} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

const rank = (order, name) => (order.includes(name) ? order.indexOf(name) : order.length);
