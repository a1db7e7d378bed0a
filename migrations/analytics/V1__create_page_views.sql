-- Page views per page per UTC hour (shared/spec/analytics.md). The increments service adds to a bucket with one
-- multi-row INSERT … ON CONFLICT (page, hour) per flush; the analytics service reads them.
--
-- The primary key (page, hour) is also the index every per-page report range-scans: /report/:page reads at most
-- 24 consecutive entries of it, however many rows the table holds.
CREATE TABLE page_views_hourly (
  page varchar(200) NOT NULL,
  hour timestamptz NOT NULL,
  views bigint NOT NULL,
  PRIMARY KEY (page, hour),
  -- Buckets start on a UTC hour: anything else would split one hour's views over several rows.
  CONSTRAINT page_views_hourly_hour_is_utc_hour CHECK (hour = date_trunc('hour', hour, 'UTC')),
  CONSTRAINT page_views_hourly_views_positive CHECK (views > 0)
);

-- The wolf deletes the oldest buckets first, whatever their page: without this it would scan the whole table.
CREATE INDEX page_views_hourly_hour ON page_views_hourly (hour);

-- Views per page per UTC day. Reading it never waits on the refresh: the unique index lets the analytics
-- service run REFRESH MATERIALIZED VIEW CONCURRENTLY.
CREATE MATERIALIZED VIEW page_views_daily AS
SELECT page, (hour AT TIME ZONE 'UTC')::date AS day, sum(views)::bigint AS views
FROM page_views_hourly
GROUP BY page, (hour AT TIME ZONE 'UTC')::date;

CREATE UNIQUE INDEX page_views_daily_page_day ON page_views_daily (page, day);

-- Top pages of a day: the day's rows in views order, without sorting the whole day.
CREATE INDEX page_views_daily_day_views ON page_views_daily (day, views DESC, page);

-- When the view was last refreshed, for the reports' refreshedAt. One row, written by the refresh itself.
CREATE TABLE page_views_daily_refresh (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  refreshed_at timestamptz NOT NULL
);
