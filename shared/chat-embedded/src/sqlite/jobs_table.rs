//! The durable side of the local job queue: the `jobs` table.
//!
//! [`crate::jobs::durable_channel`] writes each job here before handing it to the
//! in-process receiver, deletes it once the worker has taken the next one, and reloads
//! whatever is left at startup, so delayed jobs (a guest-away check due in ten minutes)
//! survive a restart of the local gateway.

use chrono::{DateTime, Utc};
use rusqlite::params;

use chat_core::CoreResult;
use chat_core::ports::Job;

use super::SqliteStore;
use super::codec::{get_json, get_time, get_u32, json, time};

/// A job waiting in the table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredJob {
    pub id: i64,
    pub due_at: DateTime<Utc>,
    pub job: Job,
    /// How many times it was handed to a worker before.
    pub attempts: u32,
}

impl SqliteStore {
    /// Stores `job`, due at `due_at`; returns its row id.
    pub(crate) async fn insert_job(&self, job: &Job, due_at: DateTime<Utc>) -> CoreResult<i64> {
        let body = json(job, "job")?;
        self.run("insert job", move |conn| {
            conn.prepare_cached("INSERT INTO jobs (due_at, body) VALUES (?1, ?2)")?
                .execute(params![time(&due_at), body])?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    /// Every stored job, earliest due first (enqueue order among equals).
    pub(crate) async fn pending_jobs(&self) -> CoreResult<Vec<StoredJob>> {
        self.run("list pending jobs", |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT job_id, due_at, body, attempts FROM jobs ORDER BY due_at, job_id",
            )?;
            let jobs = stmt
                .query_map([], |row| {
                    Ok(StoredJob {
                        id: row.get(0)?,
                        due_at: get_time(row, 1)?,
                        job: get_json(row, 2)?,
                        attempts: get_u32(row, 3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(jobs)
        })
        .await
    }

    /// Counts a delivery, before the worker runs the job: a job that keeps crashing the
    /// process is recognised at the next start instead of crashing it forever.
    pub(crate) async fn mark_job_delivered(&self, id: i64) -> CoreResult<()> {
        self.run("mark job delivered", move |conn| {
            conn.prepare_cached("UPDATE jobs SET attempts = attempts + 1 WHERE job_id = ?1")?
                .execute([id])?;
            Ok(())
        })
        .await
    }

    /// Forgets a delivered job.
    pub(crate) async fn delete_job(&self, id: i64) -> CoreResult<()> {
        self.run("delete job", move |conn| {
            conn.prepare_cached("DELETE FROM jobs WHERE job_id = ?1")?
                .execute([id])?;
            Ok(())
        })
        .await
    }
}
