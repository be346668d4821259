import { defineConfig } from "drizzle-kit";

// The PostgreSQL twin of drizzle.config.ts: `npx drizzle-kit generate --config drizzle.pg.config.ts`
// writes a new migration to drizzle/pg/ after a change in the model (src/db/model), from the
// PostgreSQL tables built from it (src/db/pg-schema). Applied whenever sto opens a PostgreSQL database.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/pg-schema/index.ts",
  out: "./drizzle/pg",
});
