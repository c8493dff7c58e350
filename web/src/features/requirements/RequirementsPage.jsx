// Paste or upload a requirements document (plain text or Markdown) and see what the analyser makes of
// it (docs/product.md): each requirement's class and confidence, its ambiguities highlighted
// in the text with the reason and a rewrite, its user story and acceptance criteria, its
// duplicates and conflicts, and its priority (RICE and MoSCoW with the reasoning). Saved
// analyses keep every version of the document; a requirement of the latest version can be
// edited (re-analysed) and its priority set by a person.
import { useCallback, useEffect, useState } from 'react';
import { useSelector } from 'react-redux';
import { api, problemOf } from '../../services/api.js';
import { allowed } from '../auth/authSlice.js';
import { ErrorBanner, Field, PageHeader } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import {
  highlightPieces, impactSteps, kindLabel, moscowLabels, percent, priorityChanges, readDocumentFile, riceScore, typeLabel,
} from './requirements.js';

function HighlightedText({ item }) {
  return (
    <p className="req-text">
      {highlightPieces(item.text, item.ambiguities).map((piece, i) =>
        piece.ambiguity ? (
          <mark key={i} className="ambiguity" title={`${typeLabel(piece.ambiguity.type)}: ${piece.ambiguity.reason}`}>
            {piece.text}
          </mark>
        ) : (
          <span key={i}>{piece.text}</span>
        ),
      )}
    </p>
  );
}

function Priority({ item }) {
  const p = item.priority;
  return (
    <details className="req-priority">
      <summary>
        RICE {p.score} · {moscowLabels[p.moscow]} <span className="muted">({p.method}{p.overridden.length ? `; set by a person: ${p.overridden.join(', ')}` : ''})</span>
      </summary>
      <p className="muted">
        Reach {p.reach} · impact {p.impact} · confidence {percent(p.confidence)} · effort {p.effort} person-months
      </p>
      <ul aria-label={`Reasoning for ${item.id}`}>
        {p.reasoning.map((r, i) => (
          <li key={i}>
            <strong>{r.factor}</strong>: {r.why}
          </li>
        ))}
      </ul>
    </details>
  );
}

function EditRequirement({ item, onSave, onCancel }) {
  const p = item.priority;
  const [form, setForm] = useState({ text: item.text, reach: p.reach, impact: p.impact, confidence: p.confidence, effort: p.effort, moscow: p.moscow });
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = async (event) => {
    event.preventDefault();
    const { values, errors: found } = priorityChanges(form, p);
    setErrors(found);
    if (Object.keys(found).length) return;
    const body = {};
    if (form.text.trim() !== item.text) body.text = form.text.trim();
    if (Object.keys(values).length) body.priority = values;
    if (!Object.keys(body).length) return onCancel();
    try {
      await onSave(item.id, body);
    } catch (error) {
      setProblem(problemOf(error));
    }
  };
  const error = (key) => errors[key] ?? problem?.fields?.[key] ?? problem?.fields?.[`priority.${key}`];
  const preview = Object.keys(priorityChanges(form, p).errors).length
    ? null
    : riceScore({ reach: Number(form.reach), impact: Number(form.impact), confidence: Number(form.confidence), effort: Number(form.effort) });
  return (
    <form className="req-edit" aria-label={`Edit ${item.id}`} onSubmit={submit}>
      <Field id={`edit-${item.id}-text`} label="Text" error={error('text')} hint="A new text is analysed again, as a new version.">
        {(props) => <textarea {...props} rows={3} value={form.text} onChange={set('text')} />}
      </Field>
      <div className="req-edit-values">
        {['reach', 'confidence', 'effort'].map((key) => (
          <Field key={key} id={`edit-${item.id}-${key}`} label={key[0].toUpperCase() + key.slice(1)} error={error(key)}>
            {(props) => <input {...props} inputMode="decimal" value={form[key]} onChange={set(key)} />}
          </Field>
        ))}
        <Field id={`edit-${item.id}-impact`} label="Impact" error={error('impact')}>
          {(props) => (
            <select {...props} value={form.impact} onChange={set('impact')}>
              {impactSteps.map((step) => <option key={step} value={step}>{step}</option>)}
            </select>
          )}
        </Field>
        <Field id={`edit-${item.id}-moscow`} label="MoSCoW" error={error('moscow')}>
          {(props) => (
            <select {...props} value={form.moscow} onChange={set('moscow')}>
              {Object.entries(moscowLabels).map(([key, label]) => <option key={key} value={key}>{label}</option>)}
            </select>
          )}
        </Field>
      </div>
      {preview !== null && <p className="muted">RICE score with these values: {preview}</p>}
      {problem && !Object.keys(problem.fields ?? {}).length && <ErrorBanner message={problem.message} />}
      <button type="submit" className="button primary small">Save {item.id}</button>{' '}
      <button type="button" className="button ghost small" onClick={onCancel}>Cancel</button>
    </form>
  );
}

function Requirement({ item, onSave }) {
  const [editing, setEditing] = useState(false);
  return (
    <article className="card req" aria-label={`Requirement ${item.id}`}>
      <div className="card-head">
        <h2 className="mono">{item.id}</h2>
        <span className="badge">
          {kindLabel(item)} · {percent(item.confidence)}
        </span>
      </div>
      <HighlightedText item={item} />
      {item.classified_by?.method === 'model' && (
        <p className="req-model muted">
          Classified by {item.classified_by.model}: {item.classified_by.reason} (the built-in classifier gives this class{' '}
          {percent(item.confidence)})
        </p>
      )}
      {item.ambiguities.length > 0 && (
        <ul className="req-findings" aria-label={`Ambiguities of ${item.id}`}>
          {item.ambiguities.map((a, i) => (
            <li key={i}>
              <strong>“{a.text}”</strong> <span className="type-tag">{typeLabel(a.type)}</span> {a.reason}. <em>{a.suggestion}</em>
            </li>
          ))}
        </ul>
      )}
      {item.rewrite && <p className="req-rewrite">Rewritten by {item.classified_by.model}: <em>{item.rewrite}</em></p>}
      <p className="req-story">{item.user_story}</p>
      <ul className="req-criteria" aria-label={`Acceptance criteria of ${item.id}`}>
        {item.acceptance_criteria.map((c, i) => (
          <li key={i}>{c}</li>
        ))}
      </ul>
      {item.duplicates.length > 0 && <p className="req-relation">Near-duplicate of {item.duplicates.join(', ')}.</p>}
      {item.conflicts.length > 0 && <p className="req-relation req-conflict">Conflicts with {item.conflicts.join(', ')}.</p>}
      {item.priority && <Priority item={item} />}
      {onSave && item.priority && !editing && (
        <button type="button" className="button secondary small" onClick={() => setEditing(true)}>
          <Icon name="edit" size={14} /> Edit {item.id}
        </button>
      )}
      {editing && (
        <EditRequirement item={item} onCancel={() => setEditing(false)}
          onSave={async (id, body) => { await onSave(id, body); setEditing(false); }} />
      )}
    </article>
  );
}

function SavedAnalyses({ list, saved, onOpen }) {
  if (!list.length) return null;
  return (
    <section className="card" aria-label="Saved analyses">
      <div className="card-head"><h2>Saved analyses</h2></div>
      <ul className="req-saved">
        {list.map((a) => (
          <li key={a.id}>
            <button type="button" className="button link" aria-current={saved?.id === a.id ? 'true' : undefined} onClick={() => onOpen(a.id)}>
              {a.title}
            </button>{' '}
            <span className="muted">version {a.version}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function RequirementsPage() {
  const user = useSelector((s) => s.auth.user);
  const canSave = allowed(user, 'manageRequirements');
  const canPrioritise = allowed(user, 'runTasks');
  const [text, setText] = useState('');
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [analysis, setAnalysis] = useState(null);
  const [saved, setSaved] = useState(null);  // the saved analysis shown, with its version
  const [list, setList] = useState([]);

  const loadList = useCallback(async () => {
    try {
      const { data } = await api.get('/requirements', { params: { limit: 100 } });
      setList(data.items);
    } catch {
      setList([]);  // the page works without them
    }
  }, []);
  useEffect(() => { loadList(); }, [loadList]);

  const run = async (request) => {
    setBusy(true);
    setProblem(null);
    try {
      const { data } = await request();
      return data;
    } catch (error) {
      setProblem(problemOf(error));
      return null;
    } finally {
      setBusy(false);
    }
  };

  const show = (data) => {
    setSaved(data);
    setAnalysis(data);
    setText(data.document);
    setTitle(data.title);
  };

  const open = async (id, version) => {
    const data = await run(() => api.get(`/requirements/${id}`, { params: version ? { version } : {} }));
    if (data) show(data);
  };

  const analyse = async (event) => {
    event.preventDefault();
    const data = await run(() => api.post('/requirements/analyze', { text }));
    setAnalysis(data);
  };

  const upload = async (event) => {
    const file = event.target.files?.[0];
    event.target.value = '';  // the same file chosen again is read again
    if (!file) return;
    const read = await readDocumentFile(file);
    if (read.error) {
      setProblem({ message: read.error, fields: { text: read.error } });
      return;
    }
    setProblem(null);
    setText(read.text);
    if (!title) setTitle(file.name.replace(/\.[^.]*$/, ''));
  };

  const prioritise = async () => {
    const data = await run(() => api.post('/requirements/prioritize', { text }));
    setAnalysis(data);
  };

  const save = async () => {
    const data = await run(() => (saved
      ? api.post(`/requirements/${saved.id}/versions`, { text, title })
      : api.post('/requirements', { title, text })));
    if (data) {
      show(data);
      loadList();
    }
  };

  const startNew = () => {
    setSaved(null);
    setAnalysis(null);
    setText('');
    setTitle('');
  };

  const editItem = async (itemId, body) => {
    const { data } = await api.patch(`/requirements/${saved.id}/items/${encodeURIComponent(itemId)}`, body);
    show(data);
    loadList();
  };

  const latest = saved && saved.version === saved.latest_version;
  const summary = analysis?.summary;
  return (
    <>
      <PageHeader title="Requirements" subtitle="Classify requirements, find ambiguities, draft user stories, prioritise; save analyses with their versions." />
      <SavedAnalyses list={list} saved={saved} onOpen={open} />
      <form className="card" aria-label="Analyse requirements" onSubmit={analyse}>
        {saved && (
          <div className="req-version">
            <strong>{saved.title}</strong>{' '}
            <label htmlFor="req-version">Version</label>{' '}
            <select id="req-version" value={saved.version} onChange={(e) => open(saved.id, e.target.value)}>
              {saved.versions.map((v) => (
                <option key={v.version} value={v.version}>{v.version} ({v.requirements} requirements)</option>
              ))}
            </select>{' '}
            <button type="button" className="button ghost small" onClick={startNew}>New document</button>
          </div>
        )}
        {canSave && (
          <Field id="req-title" label="Title" error={problem?.fields?.title} optional={!!saved}>
            {(props) => <input {...props} value={title} onChange={(e) => setTitle(e.target.value)} />}
          </Field>
        )}
        <Field id="req-document" label="Requirements document" error={problem?.fields?.text}
          hint="Plain text or Markdown: numbered lists, “shall” sentences, tables; up to 1 MiB.">
          {(props) => <textarea {...props} rows={10} value={text} onChange={(e) => setText(e.target.value)} />}
        </Field>
        <p className="req-upload">
          <label htmlFor="req-file">Or upload a file (.txt, .md)</label>{' '}
          <input id="req-file" type="file" accept=".txt,.md,.markdown,text/plain,text/markdown" onChange={upload} />
        </p>
        <button type="submit" className="button" disabled={busy}>
          <Icon name="sparkle" size={16} /> {busy ? 'Analysing…' : 'Analyse'}
        </button>{' '}
        {canPrioritise && (
          <button type="button" className="button secondary" disabled={busy} onClick={prioritise}>Prioritise</button>
        )}{' '}
        {canSave && (
          <button type="button" className="button primary" disabled={busy} onClick={save}>
            {saved ? 'Save as a new version' : 'Save analysis'}
          </button>
        )}
      </form>
      {problem && !problem.fields?.text && !problem.fields?.title && <ErrorBanner message={problem.message} />}
      {summary && (
        <p className="req-summary" role="status">
          {summary.total} requirements: {summary.functional} functional, {summary.non_functional} non-functional;{' '}
          {summary.with_ambiguities} with ambiguities; {summary.duplicate_pairs} duplicate and {summary.conflict_pairs} conflicting pairs
          {summary.by_moscow && `; ${Object.entries(summary.by_moscow).map(([k, n]) => `${n} ${moscowLabels[k]}`).join(', ')}`}
          {summary.classified_by_model > 0 && `; ${summary.classified_by_model} classified by the configured model`}.
        </p>
      )}
      {analysis?.model_error && (
        <p className="muted" role="note">The model could not help ({analysis.model_error}); the built-in analysis is shown.</p>
      )}
      {analysis?.items.map((item) => (
        <Requirement key={`${saved?.id ?? ''}-${saved?.version ?? ''}-${item.id}`} item={item}
          onSave={latest && canSave ? editItem : null} />
      ))}
    </>
  );
}
