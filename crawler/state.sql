-- What the articles dataset holds, for incremental crawls (crawler/state.py).
-- Derived from the dataset's own files: deleting this database only costs a rebuild.

-- The latest version of every article in the dataset.
CREATE TABLE IF NOT EXISTS articles (
    article_id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL,
    -- when that version was fetched: microseconds since 1970-01-01 UTC
    fetched_at INTEGER NOT NULL
);

-- The dataset files whose rows are in `articles`, relative to the dataset root
-- (date=YYYY-MM-DD/part-....parquet).
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY
) WITHOUT ROWID;
