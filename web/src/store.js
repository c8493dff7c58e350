import { combineReducers, configureStore } from '@reduxjs/toolkit';
import authReducer, { sessionChanged } from './features/auth/authSlice.js';
import liveReducer from './features/live/liveSlice.js';
import dashboardReducer from './features/dashboard/dashboardSlice.js';
import agentsReducer from './features/agents/agentsSlice.js';
import tasksReducer from './features/tasks/tasksSlice.js';
import { onSessionChange } from './services/api.js';

const combined = combineReducers({
  auth: authReducer,
  live: liveReducer,
  dashboard: dashboardReducer,
  agents: agentsReducer,
  tasks: tasksReducer,
});

// When the session ends, everything but the auth state goes back to its start: the next user
// sees nothing of the previous one's data.
function rootReducer(state, action) {
  if (action.type === sessionChanged.type && !action.payload?.session && state) {
    return combined({ auth: state.auth }, action);
  }
  return combined(state, action);
}

export function makeStore(preloadedState) {
  const store = configureStore({ reducer: rootReducer, preloadedState });
  // A refresh, an expiry or a logout anywhere (the API client) reaches the UI through here.
  const unsubscribe = onSessionChange((session, reason) => store.dispatch(sessionChanged({ session, reason })));
  store.unsubscribeSession = unsubscribe;
  return store;
}
