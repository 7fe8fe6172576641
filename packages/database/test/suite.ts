import { ReeltimeError } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Migration } from "../src/database.ts";
import { migrate } from "../src/migrate.ts";

/**
 * The guarantees of a `Database` and of `migrate`, run by every kind: PGlite in memory (unit
 * tier) and a PostgreSQL server (integration tier). Each run uses its own table and owner names
 * so it can share a server with earlier runs.
 */
export function databaseSuite(kind: Database["kind"], open: () => Promise<Database>): void {
  describe(`database (${kind})`, () => {
    let db: Database;
    const tag = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const table = `items_${tag}`;
    beforeAll(async () => {
      db = await open();
      await db.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, label text, n bigint, doc jsonb)`);
      // PGlite compiles its WebAssembly first: seconds on a busy machine.
    }, 120_000);
    afterAll(async () => {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
      await db.close();
    });

    it("is of its kind", () => {
      expect(db.kind).toBe(kind);
    });

    it("binds parameters: a value that looks like SQL is stored as it is", async () => {
      const label = "x'); DROP TABLE reeltime_migrations; --";
      const ins = await db.query(`INSERT INTO ${table} (id, label, n, doc) VALUES ($1, $2, $3, $4)`, [
        1,
        label,
        9007199254740991,
        JSON.stringify({ a: [1, "b"] }),
      ]);
      expect(ins.rowCount).toBe(1);
      const { rows, rowCount } = await db.query<{ label: string; n: number; doc: unknown }>(
        `SELECT label, n, doc FROM ${table} WHERE id = $1`,
        [1],
      );
      expect(rowCount).toBe(1);
      expect(rows).toEqual([{ label, n: 9007199254740991, doc: { a: [1, "b"] } }]);
    });

    it("counts the rows a statement changed or returned", async () => {
      await db.query(`INSERT INTO ${table} (id, label) VALUES ($1, 'a'), ($2, 'b')`, [2, 3]);
      const upd = await db.query(`UPDATE ${table} SET label = $1 WHERE id IN (2, 3)`, ["c"]);
      expect(upd.rowCount).toBe(2);
      const none = await db.query(`SELECT * FROM ${table} WHERE id = $1`, [404]);
      expect(none).toEqual({ rows: [], rowCount: 0 });
      const ret = await db.query<{ id: number }>(`DELETE FROM ${table} WHERE id = $1 RETURNING id`, [3]);
      expect(ret).toEqual({ rows: [{ id: 3 }], rowCount: 1 });
    });

    it("runs several statements without parameters and answers with the last", async () => {
      const r = await db.query<{ k: number }>("SELECT 1 AS k; SELECT 2 AS k");
      expect(r.rows).toEqual([{ k: 2 }]);
    });

    it("commits a transaction that resolves and rolls back one that throws", async () => {
      const out = await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [10, "kept"]);
        return "done";
      });
      expect(out).toBe("done");
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [11, "lost"]);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      const { rows } = await db.query<{ id: number }>(`SELECT id FROM ${table} WHERE id IN (10, 11) ORDER BY id`, []);
      expect(rows).toEqual([{ id: 10 }]);
    });

    it("rolls back a transaction whose statement fails, and the database stays usable", async () => {
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [20, "lost"]);
          await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [20, "duplicate"]);
        }),
      ).rejects.toMatchObject({ code: "23505" });
      expect((await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [20])).rowCount).toBe(0);
    });

    describe("migrate", () => {
      const owner = `owner_${tag}`;
      const t = `m_${tag}`;
      const v1: Migration = { version: 1, name: "create", sql: `CREATE TABLE ${t} (id integer PRIMARY KEY)` };
      const v2: Migration = {
        version: 2,
        name: "add column",
        sql: `ALTER TABLE ${t} ADD COLUMN title text; CREATE INDEX ${t}_title ON ${t} (title)`,
      };
      const v3: Migration = { version: 3, name: "index", sql: `CREATE INDEX ${t}_id ON ${t} (id)` };
      afterAll(async () => {
        await db.query(`DROP TABLE IF EXISTS ${t}`);
        await db.query("DELETE FROM reeltime_migrations WHERE owner LIKE $1", [`%${tag}`]);
      });

      it("applies pending migrations in order, once", async () => {
        expect(await migrate(db, owner, [v1])).toEqual({ applied: [1] });
        expect(await migrate(db, owner, [v1])).toEqual({ applied: [] });
        expect(await migrate(db, owner, [v1, v2])).toEqual({ applied: [2] });
        await db.query(`INSERT INTO ${t} (id, title) VALUES ($1, $2)`, [1, "x"]);
        const { rows } = await db.query<{ version: number; name: string; applied_at: unknown }>(
          "SELECT version, name, applied_at FROM reeltime_migrations WHERE owner = $1 ORDER BY version",
          [owner],
        );
        expect(rows.map((r) => [r.version, r.name])).toEqual([
          [1, "create"],
          [2, "add column"],
        ]);
        expect(rows.every((r) => r.applied_at instanceof Date)).toBe(true);
      });

      it("applies each migration once when several callers start together", async () => {
        const results = await Promise.all([migrate(db, owner, [v1, v2, v3]), migrate(db, owner, [v1, v2, v3])]);
        expect(results.flatMap((r) => r.applied)).toEqual([3]);
      });

      it("keeps owners apart", async () => {
        const other = `other_${tag}`;
        const o1: Migration = { version: 1, name: "other", sql: "SELECT 1" };
        expect(await migrate(db, other, [o1])).toEqual({ applied: [1] });
        expect(await migrate(db, owner, [v1, v2, v3])).toEqual({ applied: [] });
      });

      it("rolls a failing migration back whole and records nothing", async () => {
        const bad: Migration = {
          version: 4,
          name: "half",
          sql: `CREATE TABLE ${t}_half (id integer); SELECT no_such_column FROM ${t}`,
        };
        await expect(migrate(db, owner, [v1, v2, v3, bad])).rejects.toThrow();
        const left = await db.query("SELECT 1 FROM reeltime_migrations WHERE owner = $1 AND version = 4", [owner]);
        expect(left.rowCount).toBe(0);
        await expect(db.query(`SELECT * FROM ${t}_half`)).rejects.toThrow();
      });

      it("refuses a database that has a version the code does not know (a downgrade)", async () => {
        const err = await migrate(db, owner, [v1, v2]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ReeltimeError);
        expect((err as ReeltimeError).code).toBe("REELTIME_ERR_CONFIG");
        expect((err as ReeltimeError).message).toContain("3");
      });

      it("refuses versions out of order or repeated", async () => {
        for (const list of [[v2, v1], [v1, v1], [{ ...v1, version: 0 }], [{ ...v1, version: 1.5 }]])
          await expect(migrate(db, `bad_${tag}`, list)).rejects.toMatchObject({ code: "REELTIME_ERR_CONFIG" });
      });
    });
  });
}
