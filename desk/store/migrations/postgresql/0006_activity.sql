-- TextDesk schema 6: what happens around the messages (issue 14): voice calls to the shop's SIM,
-- conversations opened and marked done, and the words the shop answers automatically.
--
-- PostgreSQL twin of sqlite/0006_activity.sql: the same DDL in PostgreSQL's types (SERIAL,
-- TIMESTAMP, BOOLEAN), as peewee's PostgresqlDatabase creates them for the same models.
--
-- Frozen: once released this file is never edited; a change to the schema is a new numbered file.
-- The DDL is what peewee's create_tables emits for desk.store.activity. Rows that name a customer
-- cascade with the contact or conversation, so erasing a customer removes them too; a text-back
-- message deleted by retention leaves its call (textback_id SET NULL).

CREATE TABLE "call" ("id" SERIAL NOT NULL PRIMARY KEY, "number" VARCHAR(255), "contact_id" INTEGER, "started_at" TIMESTAMP NOT NULL, "ended_at" TIMESTAMP, "rings" INTEGER NOT NULL, "answered" BOOLEAN NOT NULL, "declined" BOOLEAN NOT NULL, "textback_id" INTEGER, "skipped" TEXT, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE, FOREIGN KEY ("textback_id") REFERENCES "message" ("id") ON DELETE SET NULL);
CREATE INDEX "call_contact_id" ON "call" ("contact_id");
CREATE INDEX "call_started_at" ON "call" ("started_at");
CREATE INDEX "call_textback_id" ON "call" ("textback_id");

CREATE TABLE "conversation_event" ("id" SERIAL NOT NULL PRIMARY KEY, "conversation_id" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "at" TIMESTAMP NOT NULL, "staff" VARCHAR(255), FOREIGN KEY ("conversation_id") REFERENCES "conversation" ("id") ON DELETE CASCADE);
CREATE INDEX "conversation_event_conversation_id" ON "conversation_event" ("conversation_id");
CREATE INDEX "conversation_event_at" ON "conversation_event" ("at");

CREATE TABLE "keyword_answer" ("id" SERIAL NOT NULL PRIMARY KEY, "keyword" VARCHAR(255) NOT NULL, "answer" TEXT NOT NULL, "enabled" BOOLEAN NOT NULL, "created_at" TIMESTAMP NOT NULL);
CREATE UNIQUE INDEX "keyword_answer_keyword" ON "keyword_answer" ("keyword");
