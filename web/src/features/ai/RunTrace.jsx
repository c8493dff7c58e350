// The trace of an assistant.run task: its steps as a timeline (model calls, approvals, tool
// calls) with the run's totals and its end. While the task runs, steps arrive as agents.steps
// events (replayed from the start of the log, so a page opened mid-run has the earlier ones).
import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { useEventStream } from '../../services/useEventStream.js';
import { JsonView, StatusBadge, formatDuration, formatTime } from '../../components/ui.jsx';
import ApprovalDecision from './ApprovalDecision.jsx';
import { Badge } from './parts.jsx';
import { formatCount, formatUsd } from './prompts.js';
import { isWaiting, traceSteps, traceTotals, withStepEvent } from './runTrace.js';

const stepTopics = ['agents.steps'];
const resultTone = { completed: 'ok', rejected: 'bad', refused: 'bad', invalid_arguments: 'bad', failed: 'bad', timed_out: 'bad' };

function StepHead({ number, title, at, children }) {
  return (
    <div className="trace-step-head">
      <h3>
        <span className="trace-number">{number}.</span> {title}
      </h3>
      {children}
      <time className="muted small" dateTime={at}>
        {formatTime(at)}
      </time>
    </div>
  );
}

// JSON under a caption that says what it is (a tool's arguments, its output).
function CaptionedJson({ caption, value, label }) {
  return (
    <div className="trace-json">
      <span className="small">{caption}</span>
      <JsonView value={value} label={label} />
    </div>
  );
}

function ModelStep({ step, number }) {
  return (
    <>
      <StepHead number={number} title="Model" at={step.at}>
        <span className="muted small">
          {step.provider} · {step.model}
        </span>
      </StepHead>
      {step.content && <p className="trace-text">{step.content}</p>}
      {step.tool_calls?.map((call) => (
        <CaptionedJson
          key={call.id}
          caption={
            <>
              Asks for <code>{call.tool}</code> with
            </>
          }
          value={call.arguments}
          label={`Arguments of ${call.tool}`}
        />
      ))}
      <p className="trace-figures muted small">
        {formatCount(step.input_tokens)} tokens in · {formatCount(step.output_tokens)} out · {formatUsd(step.cost_usd)} · {formatDuration(step.latency_ms)}
      </p>
    </>
  );
}

function ApprovalStep({ step, number, waiting, taskId }) {
  const [decided, setDecided] = useState(null);
  const approval = { id: step.approval_id, role: step.role, tool: step.tool, task_id: taskId };
  return (
    <>
      <StepHead number={number} title={<>Approval of <code>{step.tool}</code></>} at={step.at}>
        {waiting ? <StatusBadge status="waiting" /> : <Badge>decided</Badge>}
      </StepHead>
      <p className="muted small">
        Needs {step.role} or above. <Link to="/ai?tab=approvals">All waiting approvals</Link>
      </p>
      {waiting && decided && (
        <p className="small" role="status">
          You {decided.status} it; the run goes on.
        </p>
      )}
      {waiting && !decided && <ApprovalDecision approval={approval} onDecided={setDecided} />}
    </>
  );
}

function ToolStep({ step, number }) {
  const { result = {}, approval } = step;
  return (
    <>
      <StepHead number={number} title={<>Tool <code>{step.tool}</code></>} at={step.at}>
        <Badge tone={resultTone[result.status] ?? 'neutral'}>{result.status}</Badge>
      </StepHead>
      {approval && (
        <p className="small">
          {approval.status === 'approved' ? 'Approved' : 'Rejected'} by {approval.by ?? 'someone'}
          {approval.comment ? `: “${approval.comment}”` : ''}
        </p>
      )}
      <CaptionedJson caption="Arguments" value={step.arguments} label={`Arguments of ${step.tool}`} />
      {result.error && <p className="trace-text trace-error">{result.error}</p>}
      {result.output !== undefined && <CaptionedJson caption="Output" value={result.output} label={`Output of ${step.tool}`} />}
    </>
  );
}

function RunEnd({ output }) {
  return (
    <li className="trace-step trace-end">
      <div className="trace-step-head">
        <h3>{output.stopped === 'answered' ? 'Answered' : 'Stopped'}</h3>
        <Badge tone={output.stopped === 'answered' ? 'ok' : 'warn'}>{output.stopped}</Badge>
      </div>
      {output.reason && <p className="muted small">{output.reason}</p>}
      {output.answer && <p className="trace-text">{output.answer}</p>}
    </li>
  );
}

export default function RunTrace({ task, open }) {
  const [stepsByIndex, setStepsByIndex] = useState({});
  const onEvent = useCallback(({ data }) => setStepsByIndex((known) => withStepEvent(known, task.id, data)), [task.id]);
  useEventStream({ topics: stepTopics, since: 0, enabled: open, onEvent });
  const steps = traceSteps(task, stepsByIndex);
  const totals = traceTotals(steps);
  const output = task.output_data;

  return (
    <section className="card trace-card" aria-labelledby="trace-title">
      <div className="card-head">
        <h2 id="trace-title">Run trace</h2>
        <span className="muted small" aria-live="polite">
          {totals.model_calls} model {totals.model_calls === 1 ? 'call' : 'calls'} · {formatCount(totals.input_tokens)} tokens in ·{' '}
          {formatCount(totals.output_tokens)} out · {formatUsd(totals.cost_usd)}
        </span>
      </div>
      {!steps.length && <p className="muted">{open ? 'Waiting for the first step…' : 'The run kept no steps.'}</p>}
      <ol className="trace" aria-label="Steps of the run">
        {steps.map((step, index) => (
          <li key={index} className={`trace-step trace-${step.type}`}>
            {step.type === 'model' && <ModelStep step={step} number={index + 1} />}
            {step.type === 'approval' && <ApprovalStep step={step} number={index + 1} waiting={open && isWaiting(step, steps)} taskId={task.id} />}
            {step.type === 'tool' && <ToolStep step={step} number={index + 1} />}
          </li>
        ))}
        {output?.stopped && <RunEnd output={output} />}
      </ol>
    </section>
  );
}
