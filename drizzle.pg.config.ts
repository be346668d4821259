import { defineConfig } from "drizzle-kit";

// The PostgreSQL twin of drizzle.config.ts: `npx drizzle-kit generate --config drizzle.pg.config.ts`
// writes a new migration to drizzle/pg/ after a change in src/db/pg-schema (change both schemas
// together: test/db/schemas.test.ts compares them). Applied whenever sto opens a PostgreSQL database.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/pg-schema/index.ts",
  out: "./drizzle/pg",
});
