// What one step of an execution did, as the task page shows a task: status, attempts, timings,
// input, output, error, its task, and for an approval who decided, when and why (or the
// decision itself, for those who may make it).
import { Link } from 'react-router-dom';
import { Fact, JsonView, StatusBadge, durationOf, formatDuration, formatTime, shortId } from '../../components/ui.jsx';
import ApprovalDecision from '../ai/ApprovalDecision.jsx';
import { approvalDecision, approvalRole, decideStep } from './stepRuns.js';

// `message`: an approval step's question, from its definition.
export default function StepRun({ executionId, run, message = null, onChanged }) {
  if (!run) return <p className="muted small">This step has no run in the selected execution.</p>;
  const decision = approvalDecision(run);
  const waitingApproval = run.type === 'approval' && run.status === 'waiting';
  return (
    <div className="step-run" aria-label={`What step ${run.id} did`}>
      <dl className="facts compact">
        <Fact label="Status">
          <StatusBadge status={run.status} />
        </Fact>
        <Fact label="Attempts">{run.attempts ?? 0}</Fact>
        <Fact label="Started">{formatTime(run.started_at)}</Fact>
        <Fact label="Finished">{formatTime(run.completed_at)}</Fact>
        <Fact label="Run time">{formatDuration(durationOf(run))}</Fact>
        {run.wake_at && <Fact label="Wakes">{formatTime(run.wake_at)}</Fact>}
        {run.task_id && (
          <Fact label="Task">
            <Link to={`/tasks/${run.task_id}`}>{shortId(run.task_id)}</Link>
          </Fact>
        )}
      </dl>
      {waitingApproval && (
        <div className="approval">
          {message && <p className="wrap-anywhere">{message}</p>}
          <ApprovalDecision role={approvalRole(run)} subject={`step ${run.id}`} what="approval" send={(approved, comment) => decideStep(executionId, run.id, approved, comment)} onDecided={onChanged} />
        </div>
      )}
      {decision && (
        <p className="approval-outcome">
          <strong>{decision.approved ? 'Approved' : 'Rejected'}</strong> by {decision.by ?? 'someone'} on {formatTime(decision.decidedAt)}
          {decision.comment && (
            <>
              : <q className="wrap-anywhere">{decision.comment}</q>
            </>
          )}
        </p>
      )}
      {run.error && (
        <div className="alert" role="alert">
          <span className="wrap-anywhere">{run.error}</span>
        </div>
      )}
      <h3 className="mini-title">Input</h3>
      <JsonView value={run.input} label={`Input of step ${run.id}`} empty="No input." />
      <h3 className="mini-title">Output</h3>
      <JsonView value={run.output} label={`Output of step ${run.id}`} empty="No output." />
    </div>
  );
}
