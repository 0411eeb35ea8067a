-- TextDesk schema 1 on PostgreSQL: the core tables and full-text search.
--
-- Frozen: once released this file is never edited; a change to the schema is a new numbered
-- file. The twin of sqlite/0001_core.sql: the same tables, columns and indexes, in the types
-- peewee's PostgresqlDatabase gives the same models (SERIAL, TIMESTAMP, BOOLEAN). Full-text
-- search is PostgreSQL's own: message_search and contact_search hold a tsvector per row
-- ('simple' configuration over unaccented text, as FTS5's unicode61 remove_diacritics), with GIN
-- indexes, kept in step by triggers after each change of message and contact.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- audit_log
CREATE TABLE "audit_log" ("id" SERIAL NOT NULL PRIMARY KEY, "at" TIMESTAMP NOT NULL, "action" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL, "staff" VARCHAR(255));
CREATE INDEX "audit_log_at" ON "audit_log" ("at");

-- contact
CREATE TABLE "contact" ("id" SERIAL NOT NULL PRIMARY KEY, "number" VARCHAR(255) NOT NULL, "name" VARCHAR(255), "notes" TEXT NOT NULL, "tags" TEXT NOT NULL, "timezone" VARCHAR(255), "opted_out" BOOLEAN NOT NULL, "callback_requested" BOOLEAN NOT NULL, "created_at" TIMESTAMP NOT NULL);
CREATE UNIQUE INDEX "contact_number" ON "contact" ("number");

-- consent_event
CREATE TABLE "consent_event" ("id" SERIAL NOT NULL PRIMARY KEY, "contact_id" INTEGER, "number" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "method" VARCHAR(255) NOT NULL, "text" TEXT, "at" TIMESTAMP NOT NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL);
CREATE INDEX "consent_event_contact_id" ON "consent_event" ("contact_id");
CREATE INDEX "consent_event_number" ON "consent_event" ("number");

-- conversation
CREATE TABLE "conversation" ("id" SERIAL NOT NULL PRIMARY KEY, "contact_id" INTEGER NOT NULL, "status" VARCHAR(255) NOT NULL, "unread" INTEGER NOT NULL, "last_activity_at" TIMESTAMP NOT NULL, "last_preview" VARCHAR(255) NOT NULL, "last_direction" VARCHAR(255), "needs_attention" BOOLEAN NOT NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX "conversation_contact_id" ON "conversation" ("contact_id");
CREATE INDEX "conversation_status" ON "conversation" ("status");
CREATE INDEX "conversation_last_activity_at" ON "conversation" ("last_activity_at");

-- message
CREATE TABLE "message" ("id" SERIAL NOT NULL PRIMARY KEY, "conversation_id" INTEGER NOT NULL, "direction" VARCHAR(255) NOT NULL, "body" TEXT NOT NULL, "encoding" VARCHAR(255) NOT NULL, "parts" INTEGER NOT NULL, "state" VARCHAR(255) NOT NULL, "error" TEXT, "error_code" INTEGER, "created_at" TIMESTAMP NOT NULL, "sent_at" TIMESTAMP, "delivered_at" TIMESTAMP, "sender_time" TIMESTAMP, "read" BOOLEAN NOT NULL, "staff" VARCHAR(255), "source" VARCHAR(255) NOT NULL, "automated" BOOLEAN NOT NULL, "priority" INTEGER NOT NULL, "attempts" INTEGER NOT NULL, "next_attempt_at" TIMESTAMP, "not_before" TIMESTAMP, "concat_ref" INTEGER, "parts_sent" INTEGER NOT NULL, "flags" TEXT NOT NULL, "masked" BOOLEAN NOT NULL, "dedupe_key" VARCHAR(255), "reminder_run_id" INTEGER, FOREIGN KEY ("conversation_id") REFERENCES "conversation" ("id") ON DELETE CASCADE);
CREATE INDEX "message_conversation_id" ON "message" ("conversation_id");
CREATE INDEX "message_state" ON "message" ("state");
CREATE INDEX "message_created_at" ON "message" ("created_at");
CREATE INDEX "message_next_attempt_at" ON "message" ("next_attempt_at");
CREATE UNIQUE INDEX "message_dedupe_key" ON "message" ("dedupe_key");
CREATE INDEX "message_reminder_run_id" ON "message" ("reminder_run_id");
CREATE INDEX "message_conversation_id_created_at" ON "message" ("conversation_id", "created_at");
CREATE INDEX "message_direction_state" ON "message" ("direction", "state");

-- message_part
CREATE TABLE "message_part" ("id" SERIAL NOT NULL PRIMARY KEY, "message_id" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "reference" INTEGER, "number" VARCHAR(255) NOT NULL, "state" VARCHAR(255) NOT NULL, "sent_at" TIMESTAMP, "delivered_at" TIMESTAMP, "report_status" INTEGER, FOREIGN KEY ("message_id") REFERENCES "message" ("id") ON DELETE CASCADE);
CREATE INDEX "message_part_message_id" ON "message_part" ("message_id");
CREATE INDEX "message_part_reference" ON "message_part" ("reference");
CREATE INDEX "message_part_sent_at" ON "message_part" ("sent_at");
CREATE UNIQUE INDEX "message_part_message_id_seq" ON "message_part" ("message_id", "seq");

-- delivery_report
CREATE TABLE "delivery_report" ("id" SERIAL NOT NULL PRIMARY KEY, "reference" INTEGER NOT NULL, "number" VARCHAR(255), "status" INTEGER NOT NULL, "delivered" BOOLEAN NOT NULL, "final" BOOLEAN NOT NULL, "discharge_time" TIMESTAMP, "received_at" TIMESTAMP NOT NULL, "raw" TEXT NOT NULL, "part_id" INTEGER, FOREIGN KEY ("part_id") REFERENCES "message_part" ("id") ON DELETE SET NULL);
CREATE INDEX "delivery_report_reference" ON "delivery_report" ("reference");
CREATE INDEX "delivery_report_part_id" ON "delivery_report" ("part_id");

-- incoming_part
CREATE TABLE "incoming_part" ("id" SERIAL NOT NULL PRIMARY KEY, "dedupe_key" VARCHAR(255) NOT NULL, "sender" VARCHAR(255) NOT NULL, "concat_ref" INTEGER, "total" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "text" TEXT NOT NULL, "encoding" VARCHAR(255) NOT NULL, "sender_time" TIMESTAMP, "received_at" TIMESTAMP NOT NULL, "raw" TEXT NOT NULL, "message_id" INTEGER, FOREIGN KEY ("message_id") REFERENCES "message" ("id") ON DELETE SET NULL);
CREATE UNIQUE INDEX "incoming_part_dedupe_key" ON "incoming_part" ("dedupe_key");
CREATE INDEX "incoming_part_sender" ON "incoming_part" ("sender");
CREATE INDEX "incoming_part_message_id" ON "incoming_part" ("message_id");

-- raw_incoming
CREATE TABLE "raw_incoming" ("id" SERIAL NOT NULL PRIMARY KEY, "raw" TEXT NOT NULL, "error" TEXT NOT NULL, "storage" VARCHAR(255), "received_at" TIMESTAMP NOT NULL);

-- setting
CREATE TABLE "setting" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL);

-- template
CREATE TABLE "template" ("id" SERIAL NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "body" TEXT NOT NULL);
CREATE UNIQUE INDEX "template_name" ON "template" ("name");

-- full-text search over message
CREATE TABLE "message_search" ("message_id" INTEGER NOT NULL PRIMARY KEY, "doc" TSVECTOR NOT NULL, FOREIGN KEY ("message_id") REFERENCES "message" ("id") ON DELETE CASCADE);
CREATE INDEX "message_search_doc" ON "message_search" USING GIN ("doc");
CREATE FUNCTION textdesk_message_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_search (message_id, doc)
    VALUES (NEW.id, to_tsvector('simple', unaccent(coalesce(NEW.body, ''))))
    ON CONFLICT (message_id) DO UPDATE SET doc = EXCLUDED.doc;
    RETURN NULL;
END $$;
CREATE TRIGGER message_search_ai AFTER INSERT ON message
    FOR EACH ROW EXECUTE FUNCTION textdesk_message_search();
CREATE TRIGGER message_search_au AFTER UPDATE OF body ON message
    FOR EACH ROW EXECUTE FUNCTION textdesk_message_search();

-- full-text search over contact
CREATE TABLE "contact_search" ("contact_id" INTEGER NOT NULL PRIMARY KEY, "doc" TSVECTOR NOT NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE);
CREATE INDEX "contact_search_doc" ON "contact_search" USING GIN ("doc");
CREATE FUNCTION textdesk_contact_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_search (contact_id, doc)
    VALUES (NEW.id, to_tsvector('simple', unaccent(concat_ws(' ', NEW.name, NEW.number, NEW.notes, NEW.tags))))
    ON CONFLICT (contact_id) DO UPDATE SET doc = EXCLUDED.doc;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_search_ai AFTER INSERT ON contact
    FOR EACH ROW EXECUTE FUNCTION textdesk_contact_search();
CREATE TRIGGER contact_search_au AFTER UPDATE ON contact
    FOR EACH ROW EXECUTE FUNCTION textdesk_contact_search();
