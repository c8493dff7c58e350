import { useEffect } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { Route, Routes } from 'react-router-dom';
import Layout, { RequireRole } from './components/Layout.jsx';
import LoginPage from './features/auth/LoginPage.jsx';
import Dashboard from './features/dashboard/Dashboard.jsx';
import AgentPanel from './features/agents/AgentPanel.jsx';
import { fetchAgents } from './features/agents/agentsSlice.js';
import TasksPage from './features/tasks/TasksPage.jsx';
import TaskDetail from './features/tasks/TaskDetail.jsx';
import WorkflowVisualizer from './features/workflows/WorkflowVisualizer.jsx';
import UsersPage from './features/users/UsersPage.jsx';
import ApiKeysPage from './features/apiKeys/ApiKeysPage.jsx';
import { eventReceived, seeded, statusChanged } from './features/live/liveSlice.js';
import { api, loadSession } from './services/api.js';
import { connectLive } from './services/live.js';

// Signed in: load the agents, seed the charts, and follow the event stream.
function useLiveData(user) {
  const dispatch = useDispatch();
  useEffect(() => {
    if (!user) return undefined;
    dispatch(fetchAgents());
    api.get('/tasks', { params: { limit: 500 } }).then((r) => dispatch(seeded(r.data.items))).catch(() => {});
    // Agents' counters change with every finished task: refetch them, at most every 2 s.
    let refetch = null;
    const stop = connectLive({
      token: () => loadSession()?.access_token ?? '',
      topics: ['tasks.*', 'agents.*', 'workflows.*'],
      onEvent: (e) => {
        dispatch(eventReceived(e));
        if (/^tasks\.(created|completed|failed|cancelled)$/.test(e.topic))
          refetch ??= setTimeout(() => {
            refetch = null;
            dispatch(fetchAgents());
          }, 2000);
      },
      onStatus: (s) => dispatch(statusChanged(s)),
    });
    return () => {
      clearTimeout(refetch);
      stop();
    };
  }, [user?.id, dispatch]); // eslint-disable-line react-hooks/exhaustive-deps
}

export default function App() {
  const user = useSelector((s) => s.auth.user);
  useLiveData(user);
  if (!user) return <LoginPage />;
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Dashboard />} />
        <Route path="agents" element={<AgentPanel />} />
        <Route path="tasks" element={<TasksPage />} />
        <Route path="tasks/:id" element={<TaskDetail />} />
        <Route path="workflows" element={<WorkflowVisualizer />} />
        <Route path="users" element={<RequireRole action="admin"><UsersPage /></RequireRole>} />
        <Route path="api-keys" element={<RequireRole action="admin"><ApiKeysPage /></RequireRole>} />
        <Route path="*" element={<div className="state empty"><strong>Page not found.</strong></div>} />
      </Route>
    </Routes>
  );
}
