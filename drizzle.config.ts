import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate` writes a new migration to drizzle/ after a change in the model (src/db/model),
// from the SQLite tables built from it (src/db/schema). Run drizzle.pg.config.ts too: one model, two engines.
// Migrations are applied automatically whenever sto opens a database.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
});
