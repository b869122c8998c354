-- What the articles dataset holds, for incremental crawls (crawler/state.py).
-- Derived from the dataset's own files: deleting this database only costs a rebuild.

-- The latest version of every article in the dataset. Article ids are unique only within an
-- edition, so an article is its edition's code (the edition= folder its files are in) and its id.
CREATE TABLE IF NOT EXISTS articles (
    edition TEXT NOT NULL,
    article_id INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    -- when that version was fetched: microseconds since 1970-01-01 UTC
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (edition, article_id)
) WITHOUT ROWID;

-- The dataset files whose rows are in `articles`, relative to the dataset root
-- (edition=<code>/date=YYYY-MM-DD/part-....parquet).
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY
) WITHOUT ROWID;
