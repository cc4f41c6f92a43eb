//! `--scenario robots`: employees ask a robot (`robot.ask`) at a target rate and the
//! tool times the answers as the asker sees them (ask → first `message.delta`, ask →
//! final `message.updated`), counts every push per answer per connection, and measures
//! how many answers the gateway's worker completes per second.

mod handler;
mod report;
mod run;
mod track;

pub use run::run;
