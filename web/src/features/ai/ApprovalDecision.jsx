// Approve or reject one waiting approval, with an optional comment: shared by the AI page's
// list of waiting tool calls, the steps of a run's trace and workflow approval steps. Users
// whose role may not decide are told who can. A tool approval is given as `approval`; others
// give their `role`, `subject`, what it is (`what`) and `send(approved, comment)`.
import { useId, useState } from 'react';
import { useSelector } from 'react-redux';
import { problemOf } from '../../services/api.js';
import { ErrorBanner } from '../../components/ui.jsx';
import { decideApproval, decidersOf, mayDecide } from './toolApprovals.js';

function decisionProblem(error, what) {
  const problem = problemOf(error);
  if (problem.status === 403) return `Your role may not decide this ${what}: ${problem.message}`;
  if (problem.status === 409) return `Already decided, or the run has ended: ${problem.message}`;
  return problem.message;
}

export default function ApprovalDecision({
  approval,
  role = approval?.role,
  subject = approval?.tool,
  what = 'tool call',
  send = (approved, comment) => decideApproval(approval.id, approved, comment),
  onDecided = () => {},
}) {
  const user = useSelector((s) => s.auth.user);
  const commentId = useId();
  const [comment, setComment] = useState('');
  const [deciding, setDeciding] = useState(null);
  const [problem, setProblem] = useState(null);

  if (!mayDecide(user, role)) return <p className="muted approval-deciders">Waiting for {decidersOf(role)} to decide.</p>;

  const decide = async (approved) => {
    setDeciding(approved ? 'approve' : 'reject');
    setProblem(null);
    try {
      onDecided(await send(approved, comment));
    } catch (error) {
      setProblem(decisionProblem(error, what));
    } finally {
      setDeciding(null);
    }
  };
  return (
    <div className="approval-decision">
      <label htmlFor={commentId} className="sr-only">
        Comment on the decision about {subject}
      </label>
      <input id={commentId} type="text" placeholder="Comment (optional)" value={comment} onChange={(e) => setComment(e.target.value)} />
      <div className="approval-buttons">
        <button type="button" className="button primary small" disabled={!!deciding} onClick={() => decide(true)}>
          {deciding === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button type="button" className="button secondary small" disabled={!!deciding} onClick={() => decide(false)}>
          {deciding === 'reject' ? 'Rejecting…' : 'Reject'}
        </button>
      </div>
      <ErrorBanner message={problem} />
    </div>
  );
}
