-- TextDesk schema 3: a partial index for the outgoing queue.
--
-- PostgreSQL twin of sqlite/0003_outgoing_queue_index.sql: the same DDL in PostgreSQL's types (SERIAL,
-- TIMESTAMP, BOOLEAN), as peewee's PostgresqlDatabase creates them for the same models.
--
-- Frozen: once released this file is never edited; a change to the schema is a new numbered file.
-- take_jobs reads the next queued messages in (priority, created_at, id) order; an index over
-- just the queue keeps that cost flat however much history the shop has.

CREATE INDEX message_outbox_queue ON message(priority, created_at, id) WHERE direction = 'out' AND state = 'queued';

-- statistics, so the planner knows to use the index
ANALYZE;
