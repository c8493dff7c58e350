// Stakeholders on the power/interest grid (docs/product.md, "Stakeholders"): each stakeholder a
// button in their quadrant (Tab reaches every one, Enter opens it), with a table as the text
// alternative; people who may manage stakeholders add and change them, draft updates from the
// recent events, read them and send them by the stakeholder's channel (email or Slack).
import { useCallback, useEffect, useState } from 'react';
import { useSelector } from 'react-redux';
import { api, problemOf } from '../../services/api.js';
import { recordActions } from '../../services/recordActions.js';
import { allowed } from '../auth/authSlice.js';
import { Empty, ErrorBanner, Field, PageHeader, formatTime } from '../../components/ui.jsx';
import { channels, gridOf, quadrantLabel, quadrants, topicsOf } from './stakeholders.js';

const blank = { name: '', role: '', influence: '3', interest: '3', channel: 'email', contact: '', topics: '' };

function StakeholderForm({ initial, onSubmit, onCancel, label }) {
  const [form, setForm] = useState(initial);
  const [problem, setProblem] = useState(null);
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const idOf = (key) => `${label.toLowerCase().replaceAll(' ', '-')}-${key}`;
  const submit = async (event) => {
    event.preventDefault();
    setProblem(null);
    try {
      await onSubmit({ name: form.name, role: form.role, influence: Number(form.influence), interest: Number(form.interest),
        channel: form.channel, contact: form.contact.trim() || null, topics: topicsOf(form.topics) });
      setForm(blank);
    } catch (error) {
      setProblem(problemOf(error));
    }
  };
  const rating = (key, text) => (
    <Field id={idOf(key)} label={text} error={problem?.fields?.[key]} hint="1 (none) to 5 (decisive)">
      {(props) => (
        <select {...props} value={form[key]} onChange={set(key)}>
          {[1, 2, 3, 4, 5].map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      )}
    </Field>
  );
  return (
    <form className="card stakeholder-form" aria-label={label} onSubmit={submit}>
      <Field id={idOf('name')} label="Name" error={problem?.fields?.name}>
        {(props) => <input {...props} value={form.name} onChange={set('name')} />}
      </Field>
      <Field id={idOf('role')} label="Role" optional error={problem?.fields?.role}>
        {(props) => <input {...props} value={form.role} onChange={set('role')} />}
      </Field>
      {rating('influence', 'Influence')}
      {rating('interest', 'Interest')}
      <Field id={idOf('channel')} label="Preferred channel" error={problem?.fields?.channel}>
        {(props) => (
          <select {...props} value={form.channel} onChange={set('channel')}>
            {channels.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        )}
      </Field>
      <Field id={idOf('contact')} label="Contact" optional error={problem?.fields?.contact}
        hint="Where updates go: an email address (email), a Slack channel or member id (slack).">
        {(props) => <input {...props} value={form.contact} onChange={set('contact')} />}
      </Field>
      <Field id={idOf('topics')} label="Topics" optional hint="Comma-separated; updates report only changes that name one."
        error={problem?.fields?.topics ?? problem?.fields?.['topics[0]']}>
        {(props) => <input {...props} value={form.topics} onChange={set('topics')} />}
      </Field>
      {problem && !Object.keys(problem.fields ?? {}).length && <ErrorBanner message={problem.message} />}
      <button type="submit" className="button primary">{label}</button>{' '}
      {onCancel && <button type="button" className="button ghost" onClick={onCancel}>Cancel</button>}
    </form>
  );
}

function Grid({ stakeholders, selected, onSelect }) {
  const grid = gridOf(stakeholders);
  return (
    <section className="card" aria-labelledby="grid-title">
      <div className="card-head"><h2 id="grid-title">Power/interest grid</h2></div>
      <div className="pi-grid" role="group" aria-label="Power/interest grid: influence upwards, interest to the right">
        {quadrants.map((q) => (
          <div key={q.key} className={`pi-cell pi-${q.key}`} role="region" aria-label={`${q.label} (${q.hint})`}>
            <h3>{q.label}</h3>
            <p className="muted">{q.hint}</p>
            <ul>
              {grid[q.key].map((s) => (
                <li key={s.id}>
                  <button type="button" className="button link" aria-pressed={selected === s.id} onClick={() => onSelect(s.id)}>
                    {s.name}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
      <div className="table-card"><table aria-label="Stakeholders as a table">
        <caption className="sr-only">The grid as text: each stakeholder's influence, interest and quadrant</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Influence</th><th scope="col">Interest</th><th scope="col">Quadrant</th><th scope="col">Channel</th><th scope="col">Contact</th><th scope="col">Topics</th></tr></thead>
        <tbody>
          {stakeholders.map((s) => (
            <tr key={s.id}>
              <td>{s.name}</td><td>{s.role}</td><td>{s.influence}</td><td>{s.interest}</td>
              <td>{quadrantLabel(s.quadrant)}</td><td>{s.channel}</td><td>{s.contact ?? ''}</td><td>{s.topics.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table></div>
    </section>
  );
}

// `onSend`: given to people who may send, for the updates still drafts.
function Drafts({ drafts, onSend }) {
  if (!drafts.length) return <p className="muted">No update drafts yet.</p>;
  return (
    <ul className="drafts">
      {drafts.map((d) => (
        <li key={d.id} className="card" aria-label={`${d.status === 'sent' ? 'Sent' : 'Draft'}: ${d.subject}`}>
          <div className="card-head">
            <h3>{d.subject}</h3>
            <span className="badge">{quadrantLabel(d.quadrant)} · {d.method} · {formatTime(d.created_at)}</span>
            <span className={`badge ${d.status === 'sent' ? 'ok' : ''}`}>
              {d.status === 'sent' ? `sent ${formatTime(d.sent_at)}` : 'draft'}
            </span>
          </div>
          <pre className="draft-body">{d.body}</pre>
          {onSend && d.status === 'draft' && (
            <button type="button" className="button primary small" onClick={() => onSend(d)}>Send</button>
          )}
        </li>
      ))}
    </ul>
  );
}

export default function StakeholdersPage() {
  const user = useSelector((s) => s.auth.user);
  const canManage = allowed(user, 'manageStakeholders');
  const [stakeholders, setStakeholders] = useState(null);
  const [drafts, setDrafts] = useState([]);
  const [selected, setSelected] = useState(null);
  const [editing, setEditing] = useState(false);
  const [problem, setProblem] = useState(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(async () => {
    try {
      const [list, updates] = await Promise.all([
        api.get('/stakeholders', { params: { limit: 500 } }),
        api.get('/stakeholders/updates', { params: { limit: 50 } }),
      ]);
      setStakeholders(list.data.items);
      setDrafts(updates.data.items);
      setProblem(null);
    } catch (error) {
      setProblem(problemOf(error));
    }
  }, []);
  useEffect(() => { load(); }, [load]);

  const { create, change, remove } = recordActions({
    path: '/stakeholders', selected, load, onChanged: () => setEditing(false), onRemoved: () => setSelected(null),
    onProblem: setProblem,
  });
  const draft = async (ids) => {
    try {
      const { data } = await api.post('/stakeholders/updates', ids ? { stakeholder_ids: ids } : {});
      setNotice(`${data.drafts.length} drafted, ${data.skipped.length} skipped${data.skipped.length ? `: ${data.skipped.map((s) => s.reason).join('; ')}` : ''}.`);
      await load();
    } catch (error) {
      setProblem(problemOf(error));
    }
  };

  const send = async (update) => {
    try {
      const { data } = await api.post(`/stakeholders/updates/${update.id}/send`, {});
      const to = stakeholders?.find((s) => s.id === update.stakeholder_id);
      setNotice(`Sent "${update.subject}"${to ? ` to ${to.name} by ${to.channel}` : ''}${data.delivery?.message_id ? ` (${data.delivery.message_id})` : ''}.`);
      setProblem(null);
      await load();
    } catch (error) {
      setProblem(problemOf(error));
    }
  };
  const sendable = canManage ? send : undefined;

  const current = stakeholders?.find((s) => s.id === selected);
  return (
    <>
      <PageHeader title="Stakeholders" subtitle="The power/interest grid, and updates drafted from the recent events in the tone each quadrant needs.">
        {canManage && <button type="button" className="button secondary" onClick={() => draft(null)}>Draft updates for everyone</button>}
      </PageHeader>
      {problem && <ErrorBanner message={problem.message} onRetry={load} />}
      {notice && <p className="notice notice-info" role="status">{notice}</p>}
      {stakeholders && !stakeholders.length && <Empty title="No stakeholders yet">Add the people who should hear about the product.</Empty>}
      {stakeholders && stakeholders.length > 0 && <Grid stakeholders={stakeholders} selected={selected} onSelect={(id) => { setSelected(id); setEditing(false); }} />}
      {current && (
        <section className="card" aria-label={`Stakeholder ${current.name}`}>
          <div className="card-head">
            <h2>{current.name}</h2>
            <span className="badge">{quadrantLabel(current.quadrant)}</span>
          </div>
          <p>{current.role || 'No role given'} · influence {current.influence} · interest {current.interest} · by {current.channel}{current.contact ? ` (${current.contact})` : ''}</p>
          {canManage && !editing && (
            <p>
              <button type="button" className="button secondary small" onClick={() => draft([current.id])}>Draft an update</button>{' '}
              <button type="button" className="button secondary small" onClick={() => setEditing(true)}>Edit</button>{' '}
              <button type="button" className="button danger small" onClick={remove}>Delete</button>
            </p>
          )}
          {editing && (
            <StakeholderForm label="Save stakeholder" onSubmit={change} onCancel={() => setEditing(false)}
              initial={{ ...current, influence: String(current.influence), interest: String(current.interest), contact: current.contact ?? '', topics: current.topics.join(', ') }} />
          )}
          <h3>Drafts for {current.name}</h3>
          <Drafts drafts={drafts.filter((d) => d.stakeholder_id === current.id)} onSend={sendable} />
        </section>
      )}
      {canManage && <StakeholderForm label="Add stakeholder" initial={blank} onSubmit={create} />}
      <section aria-label="Updates">
        <h2>Updates</h2>
        <Drafts drafts={drafts} onSend={sendable} />
      </section>
    </>
  );
}
