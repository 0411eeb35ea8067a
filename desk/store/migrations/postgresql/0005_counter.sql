-- TextDesk schema 5: the counter (issue 13): why an outgoing text waits, templates in the shop's
-- order, what a conversation needs attention for, and staff's internal notes.
--
-- PostgreSQL twin of sqlite/0005_counter.sql: the same DDL in PostgreSQL's types (SERIAL,
-- TIMESTAMP, BOOLEAN), as peewee's PostgresqlDatabase creates them for the same models.
--
-- Frozen: once released this file is never edited; a change to the schema is a new numbered file.
--
-- message.held_reason / held_until: why a queued outgoing text is not going now and until when
-- (UTC), written by the send queue each time it passes the text over: 'rate_minute',
-- 'rate_day', 'quiet_hours', 'retry' (a temporary modem error), 'no_network', 'no_modem';
-- NULL when nothing holds it. The window shows them on the bubble.
ALTER TABLE "message" ADD COLUMN "held_reason" VARCHAR(255);
ALTER TABLE "message" ADD COLUMN "held_until" TIMESTAMP;

-- conversation.attention: why needs_attention is set, comma-separated causes ('failed',
-- 'uncertain', 'optout_text', 'appointment_reply', 'reminder_late', ...); each is cleared when its
-- cause is. Conversations flagged before schema 5 get the causes their rows show, or 'earlier'.
ALTER TABLE "conversation" ADD COLUMN "attention" TEXT NOT NULL DEFAULT '';
UPDATE "conversation" SET "attention" = CASE
    WHEN EXISTS (SELECT 1 FROM "message" WHERE "message"."conversation_id" = "conversation"."id"
                 AND "message"."direction" = 'out' AND "message"."state" = 'failed') THEN 'failed'
    WHEN EXISTS (SELECT 1 FROM "message" WHERE "message"."conversation_id" = "conversation"."id"
                 AND "message"."direction" = 'out' AND "message"."state" = 'uncertain') THEN 'uncertain'
    WHEN EXISTS (SELECT 1 FROM "consent_event" WHERE "consent_event"."contact_id" = "conversation"."contact_id"
                 AND "consent_event"."kind" = 'optout_text') THEN 'optout_text'
    ELSE 'earlier' END
WHERE "needs_attention";

-- template.position: the shop's order of its templates (the editor moves them); the ones made
-- before keep the order they were made in.
ALTER TABLE "template" ADD COLUMN "position" INTEGER NOT NULL DEFAULT 0;
UPDATE "template" SET "position" = "id";

-- note: internal notes on a conversation, seen by staff and never sent; erased with it.
CREATE TABLE "note" ("id" SERIAL NOT NULL PRIMARY KEY, "conversation_id" INTEGER NOT NULL, "body" TEXT NOT NULL, "staff" VARCHAR(255), "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("conversation_id") REFERENCES "conversation" ("id") ON DELETE CASCADE);
CREATE INDEX "note_conversation_id_created_at" ON "note" ("conversation_id", "created_at");
