-- TextDesk schema 7: several counters on one database (issue 15): the shop's staff and where they
-- are, conversations assigned to one of them, and the fencing token of the counter that drives
-- the modem.
--
-- PostgreSQL twin of sqlite/0007_counters.sql: the same DDL in PostgreSQL's types (SERIAL,
-- TIMESTAMP), as peewee's PostgresqlDatabase creates them for the same models.
--
-- Frozen: once released this file is never edited; a change to the schema is a new numbered file.
-- The DDL is what peewee's create_tables emits for desk.store.counters.

-- staff: who signs in at a counter; counter and last_seen_at say where and when they were last
-- seen (presence), replying_to the conversation they are typing in ("Anna is replying…"), pin_hash
-- an optional PIN's salted hash (never the PIN). Erasing a conversation clears replying_to.
CREATE TABLE "staff" ("id" SERIAL NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "counter" VARCHAR(255), "last_seen_at" TIMESTAMP, "replying_to_id" INTEGER, "pin_hash" TEXT, FOREIGN KEY ("replying_to_id") REFERENCES "conversation" ("id") ON DELETE SET NULL);
CREATE UNIQUE INDEX "staff_name" ON "staff" ("name");
CREATE INDEX "staff_replying_to_id" ON "staff" ("replying_to_id");

-- modem_owner: one row (id 1). generation goes up by one each time a counter wins the modem (a
-- session advisory lock); every claim and mark of an outgoing text checks it, so an owner that
-- lost the modem can neither claim nor mark anything. 0: no counter has driven the modem yet.
CREATE TABLE "modem_owner" ("id" SERIAL NOT NULL PRIMARY KEY, "generation" INTEGER NOT NULL, "counter" VARCHAR(255), "since" TIMESTAMP);
INSERT INTO "modem_owner" ("id", "generation") VALUES (1, 0);

-- conversation.assigned_to: the staff name a conversation is assigned to (NULL: nobody), for the
-- "Mine" and "Unassigned" filters.
ALTER TABLE "conversation" ADD COLUMN "assigned_to" VARCHAR(255);
CREATE INDEX "conversation_assigned_to" ON "conversation" ("assigned_to");

-- message.owner_generation: the modem owner's generation that claimed an outgoing text (NULL:
-- never claimed, or claimed on a single PC); its part marks are refused from any other.
ALTER TABLE "message" ADD COLUMN "owner_generation" INTEGER;
