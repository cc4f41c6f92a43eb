//! Process CPU use from `/proc`, to show which side (gateway or tool) limits a run.

use std::time::Instant;

use anyhow::Context;

/// Process CPU time (user + system) at an instant, from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    at: Instant,
    cpu_secs: f64,
}

impl CpuSample {
    pub fn of_pid(pid: u32) -> anyhow::Result<CpuSample> {
        Self::read(&format!("/proc/{pid}/stat"))
    }

    pub fn of_self() -> anyhow::Result<CpuSample> {
        Self::read("/proc/self/stat")
    }

    fn read(path: &str) -> anyhow::Result<CpuSample> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
        let cpu_secs = cpu_seconds(&text).with_context(|| format!("cannot parse {path}"))?;
        Ok(CpuSample {
            at: Instant::now(),
            cpu_secs,
        })
    }

    /// Average cores busy between two samples.
    pub fn cores_since(&self, before: &CpuSample) -> f64 {
        (self.cpu_secs - before.cpu_secs)
            / self.at.duration_since(before.at).as_secs_f64().max(1e-9)
    }
}

/// utime + stime of a `/proc/<pid>/stat` line, in seconds. The command name may hold
/// spaces and parentheses, so fields are counted after the last `)`.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of proc(5); field 3 is the first after the name.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    // USER_HZ is 100 on every Linux this runs on (`getconf CLK_TCK`).
    Some((utime + stime) as f64 / 100.0)
}

/// Gateway (if its pid was given) and this tool, sampled before and after the load.
pub type CpuWindow = (Option<(CpuSample, CpuSample)>, (CpuSample, CpuSample));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_cpu_is_read_after_the_command_name() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
        let line = "42 (chat (local) x) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 2 3";
        assert_eq!(cpu_seconds(line), Some(3.0));
        assert_eq!(cpu_seconds("garbage"), None);
        assert!(CpuSample::of_self().is_ok());
    }
}
