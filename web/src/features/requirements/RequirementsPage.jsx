// Paste a requirements document (plain text or Markdown) and see what the analyser makes of
// it (docs/product.md): each requirement's class and confidence, its ambiguities highlighted
// in the text with the reason and a rewrite, its user story and acceptance criteria, and its
// duplicates and conflicts. Nothing is stored.
import { useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { ErrorBanner, Field, PageHeader } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import { highlightPieces, kindLabel, percent, typeLabel } from './requirements.js';

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

function Requirement({ item }) {
  return (
    <article className="card req" aria-label={`Requirement ${item.id}`}>
      <div className="card-head">
        <h2 className="mono">{item.id}</h2>
        <span className="badge">
          {kindLabel(item)} · {percent(item.confidence)}
        </span>
      </div>
      <HighlightedText item={item} />
      {item.ambiguities.length > 0 && (
        <ul className="req-findings" aria-label={`Ambiguities of ${item.id}`}>
          {item.ambiguities.map((a, i) => (
            <li key={i}>
              <strong>“{a.text}”</strong> <span className="type-tag">{typeLabel(a.type)}</span> {a.reason}. <em>{a.suggestion}</em>
            </li>
          ))}
        </ul>
      )}
      <p className="req-story">{item.user_story}</p>
      <ul className="req-criteria" aria-label={`Acceptance criteria of ${item.id}`}>
        {item.acceptance_criteria.map((c, i) => (
          <li key={i}>{c}</li>
        ))}
      </ul>
      {item.duplicates.length > 0 && <p className="req-relation">Near-duplicate of {item.duplicates.join(', ')}.</p>}
      {item.conflicts.length > 0 && <p className="req-relation req-conflict">Conflicts with {item.conflicts.join(', ')}.</p>}
    </article>
  );
}

export default function RequirementsPage() {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [analysis, setAnalysis] = useState(null);

  const analyse = async (event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const { data } = await api.post('/requirements/analyze', { text });
      setAnalysis(data);
    } catch (error) {
      setProblem(problemOf(error));
      setAnalysis(null);
    } finally {
      setBusy(false);
    }
  };

  const summary = analysis?.summary;
  return (
    <>
      <PageHeader title="Requirements" subtitle="Classify requirements, find ambiguities, draft user stories. Offline; nothing is stored." />
      <form className="card" aria-label="Analyse requirements" onSubmit={analyse}>
        <Field id="req-document" label="Requirements document" error={problem?.fields?.text}
          hint="Plain text or Markdown: numbered lists, “shall” sentences, tables; up to 1 MiB.">
          {(props) => <textarea {...props} rows={10} value={text} onChange={(e) => setText(e.target.value)} />}
        </Field>
        <button type="submit" className="button" disabled={busy}>
          <Icon name="sparkle" size={16} /> {busy ? 'Analysing…' : 'Analyse'}
        </button>
      </form>
      {problem && !problem.fields?.text && <ErrorBanner message={problem.message} />}
      {summary && (
        <p className="req-summary" role="status">
          {summary.total} requirements: {summary.functional} functional, {summary.non_functional} non-functional;{' '}
          {summary.with_ambiguities} with ambiguities; {summary.duplicate_pairs} duplicate and {summary.conflict_pairs} conflicting pairs.
        </p>
      )}
      {analysis?.items.map((item) => (
        <Requirement key={item.id} item={item} />
      ))}
    </>
  );
}
