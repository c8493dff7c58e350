import { configureStore } from '@reduxjs/toolkit';
import authReducer, { sessionChanged } from './features/auth/authSlice.js';
import liveReducer from './features/live/liveSlice.js';
import agentsReducer from './features/agents/agentsSlice.js';
import tasksReducer from './features/tasks/tasksSlice.js';
import { watchSession } from './services/api.js';

export function makeStore(preloadedState) {
  const store = configureStore({
    reducer: { auth: authReducer, live: liveReducer, agents: agentsReducer, tasks: tasksReducer },
    preloadedState,
  });
  watchSession((session) => store.dispatch(sessionChanged(session)));
  return store;
}
