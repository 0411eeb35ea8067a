-- TextDesk schema 2: reminders and appointments.
--
-- PostgreSQL twin of sqlite/0002_reminders.sql: the same DDL in PostgreSQL's types (SERIAL,
-- TIMESTAMP, BOOLEAN), as peewee's PostgresqlDatabase creates them for the same models.
--
-- Frozen: once released this file is never edited; a change to the schema is a new numbered file.

-- appointment
CREATE TABLE "appointment" ("id" SERIAL NOT NULL PRIMARY KEY, "contact_id" INTEGER NOT NULL, "starts_at" TIMESTAMP NOT NULL, "service" VARCHAR(255) NOT NULL, "note" TEXT NOT NULL, "state" VARCHAR(255) NOT NULL, "source_key" VARCHAR(255), "reply_message_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE, FOREIGN KEY ("reply_message_id") REFERENCES "message" ("id") ON DELETE SET NULL);
CREATE INDEX "appointment_contact_id" ON "appointment" ("contact_id");
CREATE INDEX "appointment_starts_at" ON "appointment" ("starts_at");
CREATE UNIQUE INDEX "appointment_source_key" ON "appointment" ("source_key");
CREATE INDEX "appointment_reply_message_id" ON "appointment" ("reply_message_id");

-- reminder
CREATE TABLE "reminder" ("id" SERIAL NOT NULL PRIMARY KEY, "text" TEXT NOT NULL, "next_at" TIMESTAMP, "recurrence" TEXT, "state" VARCHAR(255) NOT NULL, "appointment_id" INTEGER, "offset_minutes" INTEGER, "occurrences" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, "created_by" VARCHAR(255), FOREIGN KEY ("appointment_id") REFERENCES "appointment" ("id") ON DELETE CASCADE);
CREATE INDEX "reminder_next_at" ON "reminder" ("next_at");
CREATE INDEX "reminder_state" ON "reminder" ("state");
CREATE INDEX "reminder_appointment_id" ON "reminder" ("appointment_id");

-- reminder_recipient
CREATE TABLE "reminder_recipient" ("id" SERIAL NOT NULL PRIMARY KEY, "reminder_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, FOREIGN KEY ("reminder_id") REFERENCES "reminder" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE);
CREATE INDEX "reminder_recipient_reminder_id" ON "reminder_recipient" ("reminder_id");
CREATE INDEX "reminder_recipient_contact_id" ON "reminder_recipient" ("contact_id");
CREATE UNIQUE INDEX "reminder_recipient_reminder_id_contact_id" ON "reminder_recipient" ("reminder_id", "contact_id");

-- reminder_run
CREATE TABLE "reminder_run" ("id" SERIAL NOT NULL PRIMARY KEY, "reminder_id" INTEGER NOT NULL, "contact_id" INTEGER, "due_at" TIMESTAMP NOT NULL, "state" VARCHAR(255) NOT NULL, "reason" TEXT, "message_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("reminder_id") REFERENCES "reminder" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL, FOREIGN KEY ("message_id") REFERENCES "message" ("id") ON DELETE SET NULL);
CREATE INDEX "reminder_run_reminder_id" ON "reminder_run" ("reminder_id");
CREATE INDEX "reminder_run_contact_id" ON "reminder_run" ("contact_id");
CREATE INDEX "reminder_run_message_id" ON "reminder_run" ("message_id");
CREATE UNIQUE INDEX "reminder_run_reminder_id_contact_id_due_at" ON "reminder_run" ("reminder_id", "contact_id", "due_at");
