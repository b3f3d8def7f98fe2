import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Sql, sql, Statement } from "../../engine/db/statement.js";
import { USER_COLUMNS, USER_COLUMNS_OF_U } from "../../engine/auth/user-accounts.js";

test("sql joins its literal parts and fragments as an untagged template would", () => {
  const st = new Statement();
  const id = st.param("4b0c", "uuid");
  const name = st.with("gate", sql`SELECT id FROM users WHERE id = ${id}`);
  const where = sql`AND EXISTS (SELECT 1 FROM ${name})`;
  const empty = sql``;
  assert.is(empty, "");
  assert.is(sql`SELECT 1 ${where}${empty}`, "SELECT 1 AND EXISTS (SELECT 1 FROM gate_1)");
  assert.is(
    st.text(sql`SELECT ${name}.id FROM ${name}`),
    "WITH gate_1 AS (SELECT id FROM users WHERE id = $1::uuid)\nSELECT gate_1.id FROM gate_1",
  );
  assert.equal(st.params, ["4b0c"]);
});

test("only identifiers become a cast's type or a CTE's name", () => {
  const st = new Statement();
  assert.throws(() => st.param(1, "int; DROP TABLE users"), /not an SQL identifier/);
  assert.throws(() => st.with("x AS (SELECT 1), y", sql`SELECT 1`), /not an SQL identifier/);
});

test("the type refuses a plain string where SQL goes", () => {
  const value = "x' OR '1'='1";
  const st = new Statement();
  // @ts-expect-error a plain string is not Sql: a value must go in through param
  const body: Sql = `SELECT * FROM users WHERE username = '${value}'`;
  // @ts-expect-error neither can a plain string be interpolated into sql
  const joined = sql`SELECT ${value}`;
  // @ts-expect-error nor be a statement's final query
  const text = () => st.text(`SELECT '${value}'`);
  assert.type(body, "string");
  assert.type(joined, "string");
  assert.type(text, "function");
});

test("USER_COLUMNS_OF_U qualifies every column of USER_COLUMNS with u", () => {
  assert.is(
    USER_COLUMNS_OF_U,
    USER_COLUMNS.split(",")
      .map((c) => `u.${c.trim()}`)
      .join(", "),
  );
});

test.run();
