import { defineConfig } from "vite";

// React without @vitejs/plugin-react: the JSX transform alone (automatic runtime) is all the dashboard needs.
export default defineConfig({
  base: "/",
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      // TanStack Query's "use client" markers mean nothing in a plain SPA bundle.
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
});
