import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The C++ server serves dist/ at / and the API at /api and /ws; `npm run dev` proxies there.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
  build: {
    chunkSizeWarningLimit: 1700, // Swagger UI, on its own page, is 1.6 MB
    // Two pages: the dashboard, and the API reference the binary serves at /api/docs.
    rollupOptions: { input: { main: 'index.html', 'api-docs': 'api-docs.html' } },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{js,jsx}'],
    setupFiles: ['src/test-setup.js'],
  },
});
