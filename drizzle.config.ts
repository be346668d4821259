import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate` writes a new migration to drizzle/ after a change in src/db/schema.
// Migrations are applied automatically whenever sto opens a database.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
});
