//! `form-diagnose [--format json|text] [--graph json|svg] FILE...`
//!
//! Reads Formstack form definitions and prints each one's diagnostics report
//! (JSON by default, or a readable text summary), or with `--graph` its
//! dependency graph instead.
//!
//! One file prints its output alone, exactly as it always has. Several files
//! print one output each, in argument order, each after a header line
//! `==> FILE <==` and separated by a blank line (the layout `head` and `tail`
//! use for several files), so any format splits back into files the same way.
//! A file that fails is reported on stderr and the others are still printed.
//!
//! Exit status: 0 when every file was reported (whatever the reports found),
//! 1 when any file cannot be read or is not a form, 2 for bad arguments.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use form_observations::{Analysis, Form, GraphExport, diagnose_with};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    Json,
    Svg,
}

/// Diagnose Formstack form definitions (v2 API JSON).
#[derive(Debug, Parser)]
#[command(
    name = "form-diagnose",
    version,
    after_help = "With several files, each file's output follows a header line \
                  `==> FILE <==`, outputs separated by a blank line (as `head` prints \
                  several files); one file prints its output alone. A file that cannot \
                  be read or is not a form is reported on stderr and the rest are still \
                  printed.\n\nExit status: 0 when every file was reported, 1 when any \
                  file failed, 2 for bad arguments."
)]
struct Args {
    /// Report format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Print the dependency graph in this format instead of the report.
    #[arg(long, value_enum)]
    graph: Option<GraphFormat>,
    /// Form definitions (JSON as `GET /form/{id}.json` returns it).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// The analysis thread's stack: cycle finding recurses once per field along a
/// dependency chain, so a generated form with a ring of tens of thousands of
/// fields would overflow the main thread's stack and abort. Measured frames
/// are under 512 bytes; only touched pages are committed.
const BASE_STACK_BYTES: usize = 8 * 1024 * 1024;
const STACK_BYTES_PER_FIELD: usize = 1024;

fn main() -> ExitCode {
    let args = Args::parse();
    let several = args.files.len() > 1;
    let mut stdout = std::io::stdout().lock();
    let mut printed_any = false;
    let mut failed = false;
    for file in &args.files {
        match run(&args, file) {
            Ok(output) => {
                if several {
                    let gap = if printed_any { "\n" } else { "" };
                    let _ = writeln!(stdout, "{gap}==> {} <==", file.display());
                }
                // A closed pipe (`| head`) is not worth a panic or an error.
                let _ = stdout.write_all(output.as_bytes());
                // Flushed per file, so stderr lines land between the right outputs.
                let _ = stdout.flush();
                printed_any = true;
            }
            Err(message) => {
                eprintln!("form-diagnose: {message}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run(args: &Args, file: &Path) -> Result<String, String> {
    let path = file.display();
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {path}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8 text"))?;
    let form = Form::from_json_str(&text).map_err(|e| {
        let detail = std::error::Error::source(&e)
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        format!("{path}: {e}{detail}")
    })?;
    let stack =
        BASE_STACK_BYTES.saturating_add(form.fields.len().saturating_mul(STACK_BYTES_PER_FIELD));
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(scope, || render(args, &form))
            .map_err(|e| format!("{path}: cannot start the analysis ({e})"))?
            .join()
            .map_err(|_| format!("{path}: the analysis failed (see the panic message above)"))?
    })
}

fn render(args: &Args, form: &Form) -> Result<String, String> {
    let analysis = Analysis::of_form(form);
    match args.graph {
        Some(GraphFormat::Json) => to_json(&GraphExport::build(form, &analysis)),
        Some(GraphFormat::Svg) => Ok(GraphExport::build(form, &analysis).to_svg()),
        None => {
            let report = diagnose_with(form, &analysis);
            match args.format {
                Format::Json => to_json(&report),
                Format::Text => Ok(report.to_text()),
            }
        }
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| format!("cannot encode the result as JSON: {e}"))
}
