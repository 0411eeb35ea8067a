-- TextDesk schema 4: reply drafts, one per conversation.
--
-- PostgreSQL twin of sqlite/0004_drafts.sql: the same DDL in PostgreSQL's types (SERIAL,
-- TIMESTAMP, BOOLEAN), as peewee's PostgresqlDatabase creates them for the same models.
--
-- Frozen: once released this file is never edited; a change to the schema is a new numbered file.
-- The DDL is what peewee's create_tables emits for desk.store.drafts.Draft. A draft is deleted
-- with its conversation (ON DELETE CASCADE), so erasing a customer removes it too.

CREATE TABLE "draft" ("id" SERIAL NOT NULL PRIMARY KEY, "conversation_id" INTEGER NOT NULL, "body" TEXT NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("conversation_id") REFERENCES "conversation" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX "draft_conversation_id" ON "draft" ("conversation_id");
