import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const shared = fileURLToPath(new URL("../../shared", import.meta.url));

export default defineConfig({
  // The hub serves dist/ at the site root; client routes (/join/CODE, /board, /plenary)
  // all get index.html, so assets must be referenced absolutely.
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: true },
  server: {
    fs: { allow: [".", shared] },
    proxy: { "/api": "http://127.0.0.1:8000", "/ws": { target: "ws://127.0.0.1:8000", ws: true } },
  },
  test: { include: ["test/**/*.test.ts"], environment: "node" },
});
