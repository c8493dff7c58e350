// The Content page (docs/marketing.md): a brief, the variants written from it side by side with
// their check reports, their A/B results entry and the analysis.
import { useCallback, useState } from 'react';
import { useSelector } from 'react-redux';
import { problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { allowed } from '../auth/authSlice.js';
import { Empty, ErrorBanner, Field, Loading, Notice, PageHeader, formatTime } from '../../components/ui.jsx';
import {
  analysisCaption, checkSummary, counts, generateContent, kinds, listContent, loadAnalysis, networks, probabilityText, rateText, recordResults,
  loadVoice, resultsRequest, saveVoice, variantFields, voiceForm,
} from './content.js';

const emptyForm = {
  kind: 'email', network: 'x', product: '', audience: '', goal: '', callToAction: '', facts: '', variants: '2',
  recipientKind: 'lead', recipientId: '',
};
const fieldOf = { 'brief.product': 'product', 'brief.audience': 'audience', 'brief.goal': 'goal', 'brief.call_to_action': 'callToAction' };

function BriefForm({ onGenerated }) {
  const [form, setForm] = useState(emptyForm);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.target.value }));
  const errors = {};
  for (const [field, message] of Object.entries(problem?.fields ?? {})) errors[fieldOf[field] ?? field] = message;
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      onGenerated(await generateContent(form));
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  const text = (key, label, hint) => (
    <Field id={`brief-${key}`} label={label} hint={hint} error={errors[key]}>
      {(props) => <input {...props} value={form[key]} onChange={set(key)} required />}
    </Field>
  );
  return (
    <section className="card" aria-labelledby="brief-title">
      <h2 id="brief-title">Brief</h2>
      <form onSubmit={submit} className="form-grid">
        <Field id="brief-kind" label="Kind" error={errors.kind}>
          {(props) => (
            <select {...props} value={form.kind} onChange={set('kind')}>
              {kinds.map((k) => <option key={k.value} value={k.value}>{k.label}</option>)}
            </select>
          )}
        </Field>
        {form.kind === 'social_post' ? (
          <Field id="brief-network" label="Network" error={errors.network}>
            {(props) => (
              <select {...props} value={form.network} onChange={set('network')}>
                {networks.map((n) => <option key={n.value} value={n.value}>{n.label}</option>)}
              </select>
            )}
          </Field>
        ) : (
          <div />
        )}
        {text('product', 'Product')}
        {text('audience', 'Audience', 'Who reads it, plural: "finance teams at small companies"')}
        {text('goal', 'Goal', 'What the reader gets done: "close the books faster"')}
        {text('callToAction', 'Call to action', 'Its exact words appear in every piece')}
        <Field id="brief-facts" label="Facts" optional className="span-2" hint="One a line: the only claims the copy may make" error={errors['brief.facts']}>
          {(props) => <textarea {...props} rows={4} value={form.facts} onChange={set('facts')} />}
        </Field>
        <Field id="brief-recipient-kind" label="Personalise from">
          {(props) => (
            <select {...props} value={form.recipientKind} onChange={set('recipientKind')}>
              <option value="lead">a lead</option>
              <option value="deal">a deal</option>
            </select>
          )}
        </Field>
        <Field id="brief-recipient" label="Its id" optional error={errors.lead_id ?? errors.deal_id}>
          {(props) => <input {...props} value={form.recipientId} onChange={set('recipientId')} />}
        </Field>
        <Field id="brief-variants" label="Variants" error={errors.variants}>
          {(props) => <input {...props} type="number" min={1} max={5} value={form.variants} onChange={set('variants')} />}
        </Field>
        <div>
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Writing…' : 'Generate'}
          </button>
        </div>
      </form>
      {problem && <ErrorBanner title="Nothing was written" message={problem.message} />}
    </section>
  );
}

function BrandVoice({ canEdit }) {
  const voice = useResource(loadVoice);
  const [form, setForm] = useState(null);
  const [problem, setProblem] = useState(null);
  const [saved, setSaved] = useState(false);
  if (!voice.data) return voice.problem ? <ErrorBanner message={voice.problem.message} onRetry={voice.reload} /> : null;
  const shown = form ?? voiceForm(voice.data);
  const set = (key) => (e) => {
    setSaved(false);
    setForm({ ...shown, [key]: e.target.value });
  };
  const submit = async (e) => {
    e.preventDefault();
    setProblem(null);
    try {
      voice.setData(await saveVoice(shown));
      setForm(null);
      setSaved(true);
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  const errors = problem?.fields ?? {};
  const input = (key, label, field, hint) => (
    <Field id={`voice-${key}`} label={label} hint={hint} error={errors[field]}>
      {(props) => <input {...props} value={shown[key]} onChange={set(key)} readOnly={!canEdit} />}
    </Field>
  );
  return (
    <details className="card">
      <summary>
        <strong>Brand voice</strong> <span className="muted small">{voice.data.tone}, reading grade {voice.data.reading_level} or below</span>
      </summary>
      <form onSubmit={submit} className="form-grid">
        {input('tone', 'Tone', 'tone', 'friendly, formal, professional, playful, bold…')}
        {input('readingLevel', 'Reading level', 'reading_level', 'The Flesch–Kincaid grade not to exceed (1 to 18)')}
        {input('wordsToUse', 'Words to use', 'words_to_use', 'Separated by commas')}
        {input('wordsToAvoid', 'Words to avoid', 'words_to_avoid', 'Separated by commas: a piece using one fails')}
        <Field id="voice-examples" label="Examples" optional className="span-2" hint="One a line: the style a model follows">
          {(props) => <textarea {...props} rows={3} value={shown.examples} onChange={set('examples')} readOnly={!canEdit} />}
        </Field>
        {canEdit && (
          <div>
            <button type="submit" className="button secondary">Save brand voice</button>
          </div>
        )}
      </form>
      {saved && <Notice tone="ok">Saved: every new piece is written in it.</Notice>}
      {problem && <ErrorBanner title="Not saved" message={problem.message} />}
    </details>
  );
}

function CheckList({ checks }) {
  return (
    <ul className="check-list">
      {checks.map((c) => (
        <li key={c.name}>
          <span className={`badge ${c.passed ? 'tone-ok' : c.severity === 'hard' ? 'tone-bad' : 'tone-warn'}`}>
            {c.passed ? 'pass' : c.severity === 'hard' ? 'fail' : 'warn'}
          </span>{' '}
          <strong>{c.name.replaceAll('_', ' ')}</strong>: <span className="muted small">{c.detail}</span>
        </li>
      ))}
    </ul>
  );
}

function Variant({ variant }) {
  return (
    <article className="card variant" aria-labelledby={`variant-${variant.variant}`}>
      <div className="card-head">
        <h3 id={`variant-${variant.variant}`}>Variant {variant.variant + 1}</h3>
        <span className={`badge ${variant.passed ? 'tone-ok' : 'tone-bad'}`}>{variant.passed ? 'passed' : 'failing'}</span>
      </div>
      <p className="muted small">
        {variant.provider} · {variant.model} · prompt {variant.prompt.name} v{variant.prompt.version}
        {variant.attempts > 1 ? ' · rewritten once' : ''}
      </p>
      {variantFields(variant).map((f) => (
        <p key={f.key}>
          <strong>{f.label}:</strong> {f.value}
        </p>
      ))}
      <pre className="variant-body">{variant.body}</pre>
      <p className="small">{checkSummary(variant.checks)}</p>
      <CheckList checks={variant.checks} />
    </article>
  );
}

function Analysis({ analysis }) {
  return (
    <div className="card table-card">
      <table>
        <caption>{analysisCaption(analysis)}</caption>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col">Sends</th>
            <th scope="col">Open rate</th>
            <th scope="col">Click rate</th>
            <th scope="col">Conversion rate (95 % interval)</th>
            <th scope="col">P(best)</th>
          </tr>
        </thead>
        <tbody>
          {analysis.variants.map((v) => (
            <tr key={v.variant}>
              <td>{v.variant + 1}</td>
              <td>{v.sends}</td>
              <td>{rateText(v.open_rate)}</td>
              <td>{rateText(v.click_rate)}</td>
              <td>{rateText(v.conversion_rate)}</td>
              <td>{probabilityText(v.probability_best)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Results({ content, onRecorded, canRecord }) {
  const [entries, setEntries] = useState(() => content.variants.map(() => ({})));
  const [message, setMessage] = useState(null);
  const load = useCallback(() => loadAnalysis(content.id), [content.id]);
  const analysis = useResource(load);
  const submit = async (e) => {
    e.preventDefault();
    const request = resultsRequest(entries);
    if (request.error) return setMessage({ tone: 'bad', text: request.error });
    try {
      onRecorded(await recordResults(content.id, request.body));
      setEntries(content.variants.map(() => ({})));
      setMessage({ tone: 'ok', text: 'Added to the totals.' });
      analysis.reload();
    } catch (err) {
      setMessage({ tone: 'bad', text: problemOf(err).message });
    }
  };
  return (
    <section className="card" aria-labelledby="ab-title">
      <h2 id="ab-title">A/B results</h2>
      {canRecord && (
        <form onSubmit={submit} className="results-form">
          {content.variants.map((v, i) => (
            <fieldset key={v.variant}>
              <legend>Variant {v.variant + 1} (totals: {counts.map((k) => `${v.results[k]} ${k}`).join(', ')})</legend>
              {counts.map((key) => (
                <label key={key}>
                  {key}{' '}
                  <input inputMode="numeric" size={7} value={entries[i]?.[key] ?? ''}
                    onChange={(e) => setEntries((all) => all.map((entry, j) => (j === i ? { ...entry, [key]: e.target.value } : entry)))} />
                </label>
              ))}
            </fieldset>
          ))}
          <button type="submit" className="button">Add results</button>
        </form>
      )}
      {message && (message.tone === 'ok' ? <Notice tone="ok">{message.text}</Notice> : <ErrorBanner message={message.text} />)}
      {analysis.loading && !analysis.data && <Loading what="Analysing" />}
      {analysis.problem && <ErrorBanner message={analysis.problem.message} onRetry={analysis.reload} />}
      {analysis.data && <Analysis analysis={analysis.data} />}
    </section>
  );
}

export default function ContentPage() {
  const user = useSelector((s) => s.auth.user);
  const canWrite = allowed(user, 'manageContent');
  const [current, setCurrent] = useState(null);
  const recent = useResource(listContent);
  const shown = current ?? recent.data?.items?.[0] ?? null;
  const generated = (content) => {
    setCurrent(content);
    recent.reload();
  };
  return (
    <>
      <PageHeader title="Content" subtitle="Marketing copy from a brief, checked, in variants to A/B test" />
      <BrandVoice canEdit={allowed(user, 'manageBrandVoice')} />
      {canWrite && <BriefForm onGenerated={generated} />}
      {recent.problem && <ErrorBanner message={recent.problem.message} onRetry={recent.reload} />}
      {recent.data?.items?.length > 0 && (
        <Field id="content-pick" label="Piece">
          {(props) => (
            <select {...props} value={shown?.id ?? ''} onChange={(e) => setCurrent(recent.data.items.find((c) => c.id === e.target.value))}>
              {recent.data.items.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.kind.replace('_', ' ')}{c.network ? ` (${c.network})` : ''}: {c.brief.product}, {formatTime(c.created_at)}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {!shown && !recent.loading ? (
        <Empty title="No content yet" icon="edit">
          Write a brief and generate: each variant comes with its check report.
        </Empty>
      ) : (
        shown && (
          <>
            <Notice tone={shown.passed ? 'ok' : 'info'}>
              {shown.passed ? 'Every variant passed its hard checks.' : 'Some variants still fail a hard check after one rewrite: see the reasons below.'}
            </Notice>
            <div className="variant-grid">
              {shown.variants.map((v) => <Variant key={v.variant} variant={v} />)}
            </div>
            <Results key={shown.id} content={shown} onRecorded={setCurrent} canRecord={canWrite} />
          </>
        )
      )}
    </>
  );
}
