import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';
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

const realAdapter = api.defaults.adapter;
afterEach(() => {
  cleanup();
  api.defaults.adapter = realAdapter;
  setSession(null);
  sessionStorage.clear();
});
