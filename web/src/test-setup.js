import { afterEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';
import { api, setSession } from './services/api.js';

// jsdom lacks these browser APIs that charts and the graph view touch.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
globalThis.DOMMatrixReadOnly ??= class {
  constructor() {
    this.m22 = 1;
  }
};

// script/test runs every file at once on a two-core machine that is building too: a page that
// answers in 1 s here answers in milliseconds elsewhere. findBy/waitFor wait up to 5 s.
configure({ asyncUtilTimeout: 5000 });

const realAdapter = api.defaults.adapter;
afterEach(() => {
  cleanup();
  api.defaults.adapter = realAdapter;
  setSession(null);
  sessionStorage.clear();
});
