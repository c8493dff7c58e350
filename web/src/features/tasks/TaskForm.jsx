import { useId, useMemo, useState } from 'react';
import { useDispatch } from 'react-redux';
import { createTask, priorities } from './tasksSlice.js';
import { AgentOptions, ErrorBanner, FieldError } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';

const sampleInputs = {
  echo: { message: 'hello' },
  'sales.score_lead': { lead: { company: 'Acme Corp', title: 'VP Sales', employees: 250 } },
  'marketing.generate_content': { kind: 'launch_email', product: 'Digital Enterprise' },
  'product.analyze_requirements': { document: 'Users need to export reports as CSV.' },
};
export const sampleInput = (type) => JSON.stringify(sampleInputs[type] ?? {}, null, 2);

// Parses the input editor's text: { value } or { error } with a readable message.
export function parseInput(text) {
  if (!text.trim()) return { value: {} };
  try {
    const value = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'The input must be a JSON object, like {"message": "hello"}.' };
    return { value };
  } catch (e) {
    return { error: `Not valid JSON: ${e.message}` };
  }
}

// A task for an agent (types from its capabilities) or for any agent (free type, optional
// agent). Calls onCreated(task) once the server accepted it.
export default function TaskForm({ agent = null, agents = [], knownTypes = [], onCreated, onCancel, submitLabel = 'Run task' }) {
  const dispatch = useDispatch();
  const id = useId();
  const types = agent ? agent.capabilities : knownTypes;
  const [type, setType] = useState(types[0] ?? '');
  const [title, setTitle] = useState('');
  const [priority, setPriority] = useState('normal');
  const [assignee, setAssignee] = useState(agent?.id ?? '');
  const [input, setInput] = useState(sampleInput(types[0]));
  const [touchedInput, setTouchedInput] = useState(false);
  const [problem, setProblem] = useState(null);
  const [submitting, setSubmitting] = useState(false);
  const parsed = useMemo(() => parseInput(input), [input]);

  const changeType = (next) => {
    setType(next);
    if (!touchedInput) setInput(sampleInput(next));
  };
  const format = () => {
    if (parsed.value) setInput(JSON.stringify(parsed.value, null, 2));
  };
  const submit = async (e) => {
    e.preventDefault();
    if (parsed.error || !type || submitting) return;
    setSubmitting(true);
    const body = { type: type.trim(), title: title.trim() || (agent ? `${type} for ${agent.name}` : type.trim()), input_data: parsed.value, priority };
    if (assignee) body.assigned_agent = assignee;
    const result = await dispatch(createTask(body));
    setSubmitting(false);
    if (result.error) setProblem(result.payload ?? { message: 'The task was refused.', fields: {} });
    else {
      setProblem(null);
      onCreated?.(result.payload);
    }
  };
  const fields = problem?.fields ?? {};
  const inputError = parsed.error ?? fields.input_data;

  return (
    <form className="task-form" onSubmit={submit} aria-label={agent ? `Give ${agent.name} a task` : 'New task'} noValidate>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-type`}>Task type</label>
          {agent ? (
            <select id={`${id}-type`} value={type} onChange={(e) => changeType(e.target.value)} aria-invalid={!!fields.type}>
              {types.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          ) : (
            <>
              <input id={`${id}-type`} value={type} onChange={(e) => changeType(e.target.value)} list={`${id}-types`} required placeholder="e.g. echo" aria-invalid={!!fields.type} aria-describedby={fields.type ? `${id}-type-error` : undefined} />
              <datalist id={`${id}-types`}>
                {types.map((c) => (
                  <option key={c} value={c} />
                ))}
              </datalist>
            </>
          )}
          <FieldError id={`${id}-type-error`} message={fields.type} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-priority`}>Priority</label>
          <select id={`${id}-priority`} value={priority} onChange={(e) => setPriority(e.target.value)}>
            {priorities.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </div>
        <div className="field span-2">
          <label htmlFor={`${id}-title`}>
            Title <span className="optional">optional</span>
          </label>
          <input id={`${id}-title`} value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} placeholder={agent ? `${type} for ${agent.name}` : 'What should be done'} aria-invalid={!!fields.title} aria-describedby={fields.title ? `${id}-title-error` : undefined} />
          <FieldError id={`${id}-title-error`} message={fields.title} />
        </div>
        {!agent && (
          <div className="field span-2">
            <label htmlFor={`${id}-agent`}>Agent</label>
            <select id={`${id}-agent`} value={assignee} onChange={(e) => setAssignee(e.target.value)}>
              <option value="">Any agent that can do it</option>
              <AgentOptions agents={agents} />
            </select>
          </div>
        )}
        <div className="field span-2">
          <div className="label-row">
            <label htmlFor={`${id}-input`}>Input (JSON)</label>
            <button type="button" className="button link small" onClick={format} disabled={!!parsed.error}>
              Format
            </button>
          </div>
          <textarea
            id={`${id}-input`}
            className="code-input"
            rows={6}
            value={input}
            onChange={(e) => {
              setInput(e.target.value);
              setTouchedInput(true);
            }}
            aria-invalid={!!inputError}
            aria-describedby={`${id}-input-help`}
            spellCheck={false}
          />
          {inputError ? (
            <span className="field-error" id={`${id}-input-help`} role="alert">
              {inputError}
            </span>
          ) : (
            <span className="field-hint" id={`${id}-input-help`}>
              A JSON object: what the agent gets as input_data.
            </span>
          )}
        </div>
      </div>
      {problem && <ErrorBanner message={problem.message} />}
      <div className="row">
        <button className="button primary" type="submit" disabled={!!parsed.error || !type.trim() || submitting}>
          <Icon name="send" size={16} /> {submitting ? 'Sending…' : submitLabel}
        </button>
        {onCancel && (
          <button className="button secondary" type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
