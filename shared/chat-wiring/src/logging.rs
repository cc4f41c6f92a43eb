//! The `tracing` subscriber: structured logs, filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Output format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One JSON object per line (Lambda, log shippers).
    Json,
    /// Human-readable lines (a terminal).
    #[default]
    Text,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(LogFormat::Json),
            "text" => Ok(LogFormat::Text),
            other => Err(format!("unknown log format {other:?}; use json or text")),
        }
    }
}

fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

/// Installs the global subscriber at `info` unless `RUST_LOG` says otherwise. A
/// second call (tests, embedding) is a no-op.
pub fn init(format: LogFormat) {
    init_with(format, "info");
}

/// [`init`] with another default filter (one-shot commands log only `warn`).
pub fn init_with(format: LogFormat, default_filter: &str) {
    // stderr: stdout belongs to command output (the admin CLI prints tables there).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(default_filter))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Lambda: JSON without ANSI colours or our own timestamps (CloudWatch adds them).
pub fn init_lambda() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter("info"))
        .json()
        .with_ansi(false)
        .without_time()
        .with_current_span(true)
        .try_init();
}
