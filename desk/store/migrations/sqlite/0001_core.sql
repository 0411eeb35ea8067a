-- TextDesk schema 1: the core tables and full-text search.
--
-- Frozen: once released this file is never edited; a change to the schema is a new numbered
-- file. The quoted table and index DDL is what peewee's create_tables emitted for the models of
-- schema 1, byte for byte, so sqlite_master of a fresh database reads as it does in databases
-- made while schema 1 was built from the models. message_fts and contact_fts are
-- external-content FTS5 indexes over message and contact, kept in step by the triggers after
-- each of them.

-- audit_log
CREATE TABLE "audit_log" ("id" INTEGER NOT NULL PRIMARY KEY, "at" DATETIME NOT NULL, "action" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL, "staff" VARCHAR(255));
CREATE INDEX "audit_log_at" ON "audit_log" ("at");

-- contact
CREATE TABLE "contact" ("id" INTEGER NOT NULL PRIMARY KEY, "number" VARCHAR(255) NOT NULL, "name" VARCHAR(255), "notes" TEXT NOT NULL, "tags" TEXT NOT NULL, "timezone" VARCHAR(255), "opted_out" INTEGER NOT NULL, "callback_requested" INTEGER NOT NULL, "created_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "contact_number" ON "contact" ("number");

-- consent_event
CREATE TABLE "consent_event" ("id" INTEGER NOT NULL PRIMARY KEY, "contact_id" INTEGER, "number" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "method" VARCHAR(255) NOT NULL, "text" TEXT, "at" DATETIME NOT NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL);
CREATE INDEX "consent_event_contact_id" ON "consent_event" ("contact_id");
CREATE INDEX "consent_event_number" ON "consent_event" ("number");

-- conversation
CREATE TABLE "conversation" ("id" INTEGER NOT NULL PRIMARY KEY, "contact_id" INTEGER NOT NULL, "status" VARCHAR(255) NOT NULL, "unread" INTEGER NOT NULL, "last_activity_at" DATETIME NOT NULL, "last_preview" VARCHAR(255) NOT NULL, "last_direction" VARCHAR(255), "needs_attention" INTEGER NOT NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX "conversation_contact_id" ON "conversation" ("contact_id");
CREATE INDEX "conversation_status" ON "conversation" ("status");
CREATE INDEX "conversation_last_activity_at" ON "conversation" ("last_activity_at");

-- message
CREATE TABLE "message" ("id" INTEGER NOT NULL PRIMARY KEY, "conversation_id" INTEGER NOT NULL, "direction" VARCHAR(255) NOT NULL, "body" TEXT NOT NULL, "encoding" VARCHAR(255) NOT NULL, "parts" INTEGER NOT NULL, "state" VARCHAR(255) NOT NULL, "error" TEXT, "error_code" INTEGER, "created_at" DATETIME NOT NULL, "sent_at" DATETIME, "delivered_at" DATETIME, "sender_time" DATETIME, "read" INTEGER NOT NULL, "staff" VARCHAR(255), "source" VARCHAR(255) NOT NULL, "automated" INTEGER NOT NULL, "priority" INTEGER NOT NULL, "attempts" INTEGER NOT NULL, "next_attempt_at" DATETIME, "not_before" DATETIME, "concat_ref" INTEGER, "parts_sent" INTEGER NOT NULL, "flags" TEXT NOT NULL, "masked" INTEGER NOT NULL, "dedupe_key" VARCHAR(255), "reminder_run_id" INTEGER, FOREIGN KEY ("conversation_id") REFERENCES "conversation" ("id") ON DELETE CASCADE);
CREATE INDEX "message_conversation_id" ON "message" ("conversation_id");
CREATE INDEX "message_state" ON "message" ("state");
CREATE INDEX "message_created_at" ON "message" ("created_at");
CREATE INDEX "message_next_attempt_at" ON "message" ("next_attempt_at");
CREATE UNIQUE INDEX "message_dedupe_key" ON "message" ("dedupe_key");
CREATE INDEX "message_reminder_run_id" ON "message" ("reminder_run_id");
CREATE INDEX "message_conversation_id_created_at" ON "message" ("conversation_id", "created_at");
CREATE INDEX "message_direction_state" ON "message" ("direction", "state");

-- message_part
CREATE TABLE "message_part" ("id" INTEGER NOT NULL PRIMARY KEY, "message_id" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "reference" INTEGER, "number" VARCHAR(255) NOT NULL, "state" VARCHAR(255) NOT NULL, "sent_at" DATETIME, "delivered_at" DATETIME, "report_status" INTEGER, FOREIGN KEY ("message_id") REFERENCES "message" ("id") ON DELETE CASCADE);
CREATE INDEX "message_part_message_id" ON "message_part" ("message_id");
CREATE INDEX "message_part_reference" ON "message_part" ("reference");
CREATE INDEX "message_part_sent_at" ON "message_part" ("sent_at");
CREATE UNIQUE INDEX "message_part_message_id_seq" ON "message_part" ("message_id", "seq");

-- delivery_report
CREATE TABLE "delivery_report" ("id" INTEGER NOT NULL PRIMARY KEY, "reference" INTEGER NOT NULL, "number" VARCHAR(255), "status" INTEGER NOT NULL, "delivered" INTEGER NOT NULL, "final" INTEGER NOT NULL, "discharge_time" DATETIME, "received_at" DATETIME NOT NULL, "raw" TEXT NOT NULL, "part_id" INTEGER, FOREIGN KEY ("part_id") REFERENCES "message_part" ("id") ON DELETE SET NULL);
CREATE INDEX "delivery_report_reference" ON "delivery_report" ("reference");
CREATE INDEX "delivery_report_part_id" ON "delivery_report" ("part_id");

-- incoming_part
CREATE TABLE "incoming_part" ("id" INTEGER NOT NULL PRIMARY KEY, "dedupe_key" VARCHAR(255) NOT NULL, "sender" VARCHAR(255) NOT NULL, "concat_ref" INTEGER, "total" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "text" TEXT NOT NULL, "encoding" VARCHAR(255) NOT NULL, "sender_time" DATETIME, "received_at" DATETIME NOT NULL, "raw" TEXT NOT NULL, "message_id" INTEGER, FOREIGN KEY ("message_id") REFERENCES "message" ("id") ON DELETE SET NULL);
CREATE UNIQUE INDEX "incoming_part_dedupe_key" ON "incoming_part" ("dedupe_key");
CREATE INDEX "incoming_part_sender" ON "incoming_part" ("sender");
CREATE INDEX "incoming_part_message_id" ON "incoming_part" ("message_id");

-- raw_incoming
CREATE TABLE "raw_incoming" ("id" INTEGER NOT NULL PRIMARY KEY, "raw" TEXT NOT NULL, "error" TEXT NOT NULL, "storage" VARCHAR(255), "received_at" DATETIME NOT NULL);

-- setting
CREATE TABLE "setting" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL);

-- template
CREATE TABLE "template" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "body" TEXT NOT NULL);
CREATE UNIQUE INDEX "template_name" ON "template" ("name");

-- full-text search over message
CREATE VIRTUAL TABLE message_fts USING fts5(
        body, content='message', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER message_fts_ai AFTER INSERT ON message BEGIN
        INSERT INTO message_fts(rowid, body) VALUES (new.id, new.body); END;
CREATE TRIGGER message_fts_ad AFTER DELETE ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body) VALUES ('delete', old.id, old.body); END;
CREATE TRIGGER message_fts_au AFTER UPDATE OF body ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO message_fts(rowid, body) VALUES (new.id, new.body); END;

-- full-text search over contact
CREATE VIRTUAL TABLE contact_fts USING fts5(
        name, number, notes, tags, content='contact', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER contact_fts_ai AFTER INSERT ON contact BEGIN
        INSERT INTO contact_fts(rowid, name, number, notes, tags)
        VALUES (new.id, new.name, new.number, new.notes, new.tags); END;
CREATE TRIGGER contact_fts_ad AFTER DELETE ON contact BEGIN
        INSERT INTO contact_fts(contact_fts, rowid, name, number, notes, tags)
        VALUES ('delete', old.id, old.name, old.number, old.notes, old.tags); END;
CREATE TRIGGER contact_fts_au AFTER UPDATE ON contact BEGIN
        INSERT INTO contact_fts(contact_fts, rowid, name, number, notes, tags)
        VALUES ('delete', old.id, old.name, old.number, old.notes, old.tags);
        INSERT INTO contact_fts(rowid, name, number, notes, tags)
        VALUES (new.id, new.name, new.number, new.notes, new.tags); END;
