// Outbound webhook subscriptions (admins only, as the API): subscribe, the signing secret shown
// once, pause/resume, rotate, delete, and each subscription's delivery log.
import { useRef, useState } from 'react';
import { useSelector } from 'react-redux';
import { api, problemOf } from '../../services/api.js';
import { allowed } from '../auth/authSlice.js';
import { useResource } from '../../services/useResource.js';
import { CopyButton, Empty, ErrorBanner, Field, Loading, Notice, StatusBadge, closeOnEscape, formatTime } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import { parseTopics } from './integrations.js';
import DeliveryLog from './DeliveryLog.jsx';

const loadSubscriptions = async () => (await api.get('/webhook-subscriptions', { params: { limit: 500 } })).data.items ?? [];
// The secret is shown in its own card, once; the list never holds it.
const withoutSecret = ({ secret, ...subscription }) => subscription; // eslint-disable-line no-unused-vars

function NewSubscription({ onCreated }) {
  const [form, setForm] = useState({ url: '', topics: '', description: '' });
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const fields = problem?.fields ?? {};
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  const create = async (e) => {
    e.preventDefault();
    const topics = parseTopics(form.topics);
    if (!topics.length) return setProblem({ message: 'Give at least one topic.', fields: { topics: 'Give at least one topic pattern, such as deals.* or *.' } });
    setBusy(true);
    try {
      const body = { url: form.url.trim(), topics };
      if (form.description.trim()) body.description = form.description.trim();
      const { data } = await api.post('/webhook-subscriptions', body);
      setForm({ url: '', topics: '', description: '' });
      setProblem(null);
      onCreated(data);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={create} aria-labelledby="new-subscription-title" noValidate>
      <h2 id="new-subscription-title">New subscription</h2>
      {problem && <ErrorBanner message={problem.message} />}
      <div className="form-grid three">
        <Field id="subscription-url" label="URL" error={fields.url} hint="Where the events are POSTed, signed." className="span-2">
          {(p) => <input {...p} type="url" maxLength={2000} value={form.url} onChange={set('url')} placeholder="https://example.com/hooks/de" />}
        </Field>
        <Field id="subscription-topics" label="Topics" error={fields.topics} hint="Patterns as on live updates, e.g. deals.* leads.scored or *.">
          {(p) => <input {...p} value={form.topics} onChange={set('topics')} placeholder="deals.*, leads.scored" />}
        </Field>
        <Field id="subscription-description" label="Description" optional error={fields.description} className="span-3">
          {(p) => <input {...p} maxLength={500} value={form.description} onChange={set('description')} placeholder="e.g. CRM mirror" />}
        </Field>
      </div>
      <div className="row">
        <button className="button primary" type="submit" disabled={busy}>
          <Icon name="send" size={16} /> {busy ? 'Subscribing…' : 'Subscribe'}
        </button>
      </div>
    </form>
  );
}

// The secret of a new or rotated subscription: the one time the server sends it.
function SecretOnce({ subscription, rotated, onDone, focusRef }) {
  return (
    <section className="card key-once" aria-labelledby="secret-once-title" ref={focusRef} tabIndex={-1}>
      <h2 id="secret-once-title">
        <Icon name="lock" size={16} /> Copy the {rotated ? 'new ' : ''}signing secret of {subscription.url} now
      </h2>
      <p>It is shown only once. The receiver verifies the webhook-signature header with it; if it is lost, rotate the secret.</p>
      <div className="secret-row">
        <code className="secret" aria-label="The signing secret">
          {subscription.secret}
        </code>
        <CopyButton text={subscription.secret} label="Copy secret" className="button primary small" />
      </div>
      <button className="button ghost small" type="button" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}

function SubscriptionActions({ subscription: s, busy, confirming, setConfirming, onStatus, onRotate, onDelete, logOpen, onToggleLog }) {
  if (confirming?.id === s.id) {
    const rotate = confirming.what === 'rotate';
    return (
      <span className="confirm" role="group" aria-label={`${rotate ? 'Rotate the secret of' : 'Delete'} ${s.url}?`} onKeyDown={closeOnEscape(() => setConfirming(null))}>
        <span className="small">{rotate ? 'The old secret stops signing. Rotate?' : 'Delete it and its delivery log?'}</span>
        <button className="button danger small" type="button" disabled={busy} onClick={rotate ? onRotate : onDelete}>
          {rotate ? 'Rotate' : 'Delete'}
        </button>
        <button className="button secondary small" type="button" onClick={() => setConfirming(null)}>
          Keep
        </button>
      </span>
    );
  }
  const paused = s.status === 'paused';
  return (
    <>
      <button className="button secondary small" type="button" aria-expanded={logOpen} onClick={onToggleLog} aria-label={`Deliveries of ${s.url}`}>
        Deliveries
      </button>
      <button className="button ghost small" type="button" disabled={busy} onClick={() => onStatus(paused ? 'active' : 'paused')} aria-label={`${paused ? 'Resume' : 'Pause'} ${s.url}`}>
        <Icon name={paused ? 'play' : 'pause'} size={14} /> {paused ? 'Resume' : 'Pause'}
      </button>
      <button className="button ghost small" type="button" onClick={() => setConfirming({ id: s.id, what: 'rotate' })} aria-label={`Rotate the secret of ${s.url}`}>
        <Icon name="key" size={14} /> Rotate secret
      </button>
      <button className="button ghost small" type="button" onClick={() => setConfirming({ id: s.id, what: 'delete' })} aria-label={`Delete ${s.url}`}>
        <Icon name="trash" size={14} /> Delete
      </button>
    </>
  );
}

function Subscriptions() {
  const { data: subscriptions, setData, problem, loading, reload } = useResource(loadSubscriptions);
  const [secret, setSecret] = useState(null);
  const [confirming, setConfirming] = useState(null);
  const [busy, setBusy] = useState(null);
  const [openLog, setOpenLog] = useState(null);
  const [actionError, setActionError] = useState(null);
  const secretRef = useRef(null);

  const showSecret = (subscription, rotated) => {
    setSecret({ subscription, rotated });
    setTimeout(() => secretRef.current?.focus(), 0);
  };
  const replace = (next) => setData((list) => list.map((s) => (s.id === next.id ? { ...s, ...next } : s)));
  const act = async (s, request, done) => {
    setBusy(s.id);
    try {
      const { data } = await request();
      done(data);
      setConfirming(null);
      setActionError(null);
    } catch (err) {
      setActionError(problemOf(err).message);
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <NewSubscription
        onCreated={(created) => {
          setData((list) => [withoutSecret(created), ...(list ?? [])]);
          showSecret(created, false);
        }}
      />
      {secret && <SecretOnce subscription={secret.subscription} rotated={secret.rotated} focusRef={secretRef} onDone={() => setSecret(null)} />}
      <ErrorBanner message={actionError} />
      <ErrorBanner message={problem?.message} onRetry={reload} />
      {loading && !subscriptions && <Loading what="Loading subscriptions" />}
      {subscriptions?.length === 0 && (
        <Empty title="No webhook subscriptions yet" icon="send">
          Subscribe a URL above: every event of its topics is POSTed to it, signed with its secret.
        </Empty>
      )}
      {subscriptions?.length > 0 && (
        <div className="card table-card">
          <table className="responsive-table">
            <caption className="sr-only">Webhook subscriptions</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Topics</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {subscriptions.map((s) => (
                <SubscriptionRows
                  key={s.id}
                  subscription={s}
                  logOpen={openLog === s.id}
                  actions={
                    <SubscriptionActions
                      subscription={s}
                      busy={busy === s.id}
                      confirming={confirming}
                      setConfirming={setConfirming}
                      logOpen={openLog === s.id}
                      onToggleLog={() => setOpenLog(openLog === s.id ? null : s.id)}
                      onStatus={(status) => act(s, () => api.patch(`/webhook-subscriptions/${s.id}`, { status }), replace)}
                      onRotate={() =>
                        act(s, () => api.post(`/webhook-subscriptions/${s.id}/rotate-secret`), (data) => {
                          replace(withoutSecret(data));
                          showSecret(data, true);
                        })
                      }
                      onDelete={() =>
                        act(s, () => api.delete(`/webhook-subscriptions/${s.id}`), () => {
                          setData((list) => list.filter((x) => x.id !== s.id));
                          if (openLog === s.id) setOpenLog(null);
                        })
                      }
                    />
                  }
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function SubscriptionRows({ subscription: s, actions, logOpen }) {
  return (
    <>
      <tr className={s.status === 'paused' ? 'inactive-row' : ''}>
        <td data-label="URL">
          <div className="stacked-cell">
            <strong className="truncate cell-text" title={s.url}>
              {s.url}
            </strong>
            {s.description && (
              <span className="muted small truncate cell-text" title={s.description}>
                {s.description}
              </span>
            )}
          </div>
        </td>
        <td data-label="Topics">
          <span className="role-tags">
            {s.topics.map((t) => (
              <code key={t} className="topic-tag truncate cell-text" title={t}>
                {t}
              </code>
            ))}
          </span>
        </td>
        <td data-label="Status">
          <StatusBadge status={s.status} />
        </td>
        <td data-label="Created">{formatTime(s.created_at)}</td>
        <td className="actions wrap-actions">{actions}</td>
      </tr>
      {logOpen && (
        <tr className="detail-row">
          <td colSpan={5}>
            <DeliveryLog subscription={s} />
          </td>
        </tr>
      )}
    </>
  );
}

export default function WebhooksSection() {
  const user = useSelector((s) => s.auth.user);
  if (!allowed(user, 'admin'))
    return (
      <Notice>
        <strong>Webhook subscriptions are managed by administrators.</strong> A subscription sends the platform&apos;s events, whatever their domain, to another system, so the server
        shows and changes them only for the admin role (yours: {(user?.roles ?? []).join(', ') || 'none'}). Ask an administrator to add one.
      </Notice>
    );
  return <Subscriptions />;
}
