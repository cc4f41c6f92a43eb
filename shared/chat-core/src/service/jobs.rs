//! Background jobs: what a worker does with each [`Job`] it receives, whichever queue
//! delivered it (the SQS-triggered Lambda, the local gateway's in-process worker).
//!
//! - `RobotAnswer`: fills in a robot's response (`robot_jobs`).
//! - `GuestAwayCheck`: concludes a room whose guest left or stayed away (`guest_away`).
//! - `FileImage`, `FileUploadExpiry`: image thumbnails, uploads that never completed
//!   (`file_jobs`).
//!
//! The `match` stops compiling when a kind is added, so a new kind cannot be forgotten
//! here.

use crate::error::CoreResult;
use crate::ports::Job;
use crate::service::App;

/// What running a job came to. An `Err` from [`App::run_job`] means "retry later" (the
/// queue redelivers it; SQS moves it to the dead-letter queue after `maxReceiveCount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// This version has no handler for the job's kind; it was logged and dropped (kept
    /// for kinds a newer version may queue while an older one still runs).
    NoHandler,
}

/// Which delivery of a job this is, out of how many the queue makes before giving up
/// (SQS: `ApproximateReceiveCount` and the queue's `maxReceiveCount`; the embedded
/// queue: its own count). A job on its last attempt leaves nothing waiting forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the first delivery.
    pub number: u32,
    pub max: u32,
}

impl Attempt {
    pub fn new(number: u32, max: u32) -> Self {
        Attempt {
            number: number.max(1),
            max: max.max(1),
        }
    }

    /// The queue will not deliver this job again if it fails now.
    pub fn is_last(&self) -> bool {
        self.number >= self.max
    }

    /// Delivered more often than allowed (a job that crashed its worker every time).
    pub fn is_past_last(&self) -> bool {
        self.number > self.max
    }
}

impl App {
    /// Runs one delivered job.
    pub async fn run_job(&self, job: &Job, attempt: Attempt) -> CoreResult<JobOutcome> {
        match job {
            Job::RobotAnswer {
                room_id,
                request_id,
                response_id,
                robot: _,
            } => {
                self.run_robot_answer(room_id, request_id, response_id, attempt)
                    .await
            }
            Job::GuestAwayCheck { room_id, guest } => self.run_guest_away(room_id, guest).await,
            Job::FileImage { file_id } => {
                self.run_file_image(file_id).await?;
                Ok(JobOutcome::Done)
            }
            Job::FileUploadExpiry { file_id } => {
                self.run_file_upload_expiry(file_id).await?;
                Ok(JobOutcome::Done)
            }
        }
    }
}
