-- letter_events (0001) was the day rebuilds' index of letters: their despatch rollup looked up a
-- letter's postage and sheets there. Since the incremental rollups (0005) nothing reads it (the
-- cycles take them from counted_notifications, a repair from the raw layer), yet its view still
-- wrote a part on every ingest write and the engine merged them: at 10k events/s, a third of the
-- parts the ingest's writes create (docs/benchmarks.md section 2). The view goes first, so that
-- no write lands between the two statements with nowhere to go.
DROP TABLE IF EXISTS letter_events_mv;

DROP TABLE IF EXISTS letter_events;
