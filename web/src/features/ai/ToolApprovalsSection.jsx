// The AI page's tool approvals: the waiting tool calls of assistants (GET
// /tool-approvals?status=waiting), kept current by the agents.tool_approval_* events, each
// with its decision (or who may decide).
import { useSelector } from 'react-redux';
import { Link } from 'react-router-dom';
import { useResource } from '../../services/useResource.js';
import { useEventStream } from '../../services/useEventStream.js';
import { Empty, ErrorBanner, JsonView, Loading, formatTime, shortId } from '../../components/ui.jsx';
import ApprovalDecision from './ApprovalDecision.jsx';
import { loadWaitingApprovals } from './toolApprovals.js';

const approvalTopics = ['agents.tool_approval_requested', 'agents.tool_approval_decided'];

// The waiting list after an event: a request joins it (once), a decision leaves it.
function withApprovalEvent(waiting, { topic, data }) {
  const others = waiting.filter((a) => a.id !== data.id);
  return topic === 'agents.tool_approval_requested' ? [...others, data] : others;
}

function WaitingApproval({ approval, agentName, onDecided }) {
  const headingId = `approval-${approval.id}`;
  return (
    <li className="card approval-card" aria-labelledby={headingId}>
      <div className="card-head">
        <h3 id={headingId}>
          <code>{approval.tool}</code> for {agentName}
        </h3>
        <Link to={`/tasks/${approval.task_id}`}>Task {shortId(approval.task_id)}</Link>
      </div>
      <dl className="facts compact">
        <div>
          <dt>Needs</dt>
          <dd>{approval.role} or above</dd>
        </div>
        <div>
          <dt>Requested</dt>
          <dd>{formatTime(approval.requested_at)}</dd>
        </div>
      </dl>
      <JsonView value={approval.arguments} label={`Arguments of ${approval.tool}`} />
      <ApprovalDecision approval={approval} onDecided={onDecided} />
    </li>
  );
}

export default function ToolApprovalsSection() {
  const { data: waiting, setData, error, loading, reload } = useResource(loadWaitingApprovals);
  const agents = useSelector((s) => s.agents.items);
  useEventStream({ topics: approvalTopics, onEvent: (event) => setData((list) => withApprovalEvent(list ?? [], event)) });
  const decided = (approval) => setData((list) => (list ?? []).filter((a) => a.id !== approval.id));
  const agentName = (id) => agents.find((a) => a.id === id)?.name ?? `agent ${shortId(id)}`;

  return (
    <section aria-labelledby="approvals-title">
      <div className="card-head">
        <h2 id="approvals-title">Waiting tool approvals</h2>
      </div>
      <ErrorBanner message={error} onRetry={reload} />
      {loading && !waiting && <Loading what="Loading the waiting approvals" />}
      {waiting && !waiting.length && (
        <Empty title="No tool call is waiting for a decision." icon="check">
          Assistants whose tools need approval wait here.
        </Empty>
      )}
      {!!waiting?.length && (
        <ul className="approval-list">
          {waiting.map((a) => (
            <WaitingApproval key={a.id} approval={a} agentName={agentName(a.agent_id)} onDecided={decided} />
          ))}
        </ul>
      )}
    </section>
  );
}
