import { lazy, useEffect } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { Link, Route, Routes } from 'react-router-dom';
import Layout, { RequireRole } from './components/Layout.jsx';
import { Empty, Loading } from './components/ui.jsx';
import LoginPage from './features/auth/LoginPage.jsx';
import { restore } from './features/auth/authSlice.js';
import AgentPanel from './features/agents/AgentPanel.jsx';
import TasksPage from './features/tasks/TasksPage.jsx';
import TaskDetail from './features/tasks/TaskDetail.jsx';
import UsersPage from './features/users/UsersPage.jsx';
import ApiKeysPage from './features/apiKeys/ApiKeysPage.jsx';
import { useLive } from './features/live/useLive.js';

// The chart and graph libraries are large: loaded with the pages that use them.
const Dashboard = lazy(() => import('./features/dashboard/Dashboard.jsx'));
const WorkflowVisualizer = lazy(() => import('./features/workflows/WorkflowVisualizer.jsx'));
const AiPage = lazy(() => import('./features/ai/AiPage.jsx'));
const PipelinePage = lazy(() => import('./features/pipeline/PipelinePage.jsx'));
const RequirementsPage = lazy(() => import('./features/requirements/RequirementsPage.jsx'));
const StakeholdersPage = lazy(() => import('./features/stakeholders/StakeholdersPage.jsx'));
const LeadsPage = lazy(() => import('./features/leads/LeadsPage.jsx'));
const CompaniesPage = lazy(() => import('./features/companies/CompaniesPage.jsx'));
const ModelsPage = lazy(() => import('./features/leads/ModelsPage.jsx'));
const ContentPage = lazy(() => import('./features/content/ContentPage.jsx'));
const CampaignsPage = lazy(() => import('./features/campaigns/CampaignsPage.jsx'));
const IntegrationsPage = lazy(() => import('./features/integrations/IntegrationsPage.jsx'));
const AuditPage = lazy(() => import('./features/audit/AuditPage.jsx'));

function NotFound() {
  return (
    <Empty title="Page not found" icon="sparkle">
      There is nothing at this address. <Link to="/">Go to the dashboard</Link>.
    </Empty>
  );
}

export default function App() {
  const user = useSelector((s) => s.auth.user);
  const restoring = useSelector((s) => s.auth.restoring);
  const dispatch = useDispatch();
  useEffect(() => {
    if (restoring) dispatch(restore());
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  useLive(user);
  if (restoring && !user) return <Loading what="Signing in" />;
  // Signed out (or the session ended): the login page, at whatever address was asked for, so
  // that signing in leads back there.
  if (!user) return <LoginPage />;
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Dashboard />} />
        <Route path="agents" element={<AgentPanel />} />
        <Route path="tasks" element={<TasksPage />} />
        <Route path="tasks/:id" element={<TaskDetail />} />
        <Route path="workflows" element={<WorkflowVisualizer />} />
        <Route path="ai" element={<AiPage />} />
        <Route path="pipeline" element={<PipelinePage />} />
        <Route path="campaigns" element={<CampaignsPage />} />
        <Route path="requirements" element={<RequireRole action="read"><RequirementsPage /></RequireRole>} />
        <Route path="stakeholders" element={<RequireRole action="read"><StakeholdersPage /></RequireRole>} />
        <Route path="leads" element={<LeadsPage />} />
        <Route path="companies" element={<CompaniesPage />} />
        <Route path="lead-models" element={<ModelsPage />} />
        <Route path="content" element={<ContentPage />} />
        <Route path="integrations" element={<IntegrationsPage />} />
        <Route path="users" element={<RequireRole action="admin"><UsersPage /></RequireRole>} />
        <Route path="api-keys" element={<RequireRole action="admin"><ApiKeysPage /></RequireRole>} />
        <Route path="audit" element={<RequireRole action="admin"><AuditPage /></RequireRole>} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
