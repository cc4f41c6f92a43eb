//! `form-diagnose [--format json|text] [--graph json|svg] FILE`
//!
//! Reads one Formstack form definition and prints its diagnostics report
//! (JSON by default, or a readable text summary), or with `--graph` its
//! dependency graph instead. Exit status: 0 when a report was printed
//! (whatever it found), 1 when the file cannot be read or is not a form,
//! 2 for bad arguments.

use std::io::Write as _;
use std::path::PathBuf;
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

/// Diagnose a Formstack form definition (v2 API JSON).
#[derive(Debug, Parser)]
#[command(name = "form-diagnose", version)]
struct Args {
    /// Report format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Print the dependency graph in this format instead of the report.
    #[arg(long, value_enum)]
    graph: Option<GraphFormat>,
    /// The form definition (JSON as `GET /form/{id}.json` returns it).
    file: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not worth a panic or an error.
            let _ = stdout.write_all(output.as_bytes());
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("form-diagnose: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<String, String> {
    let path = args.file.display();
    let bytes = std::fs::read(&args.file).map_err(|e| format!("cannot read {path}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8 text"))?;
    let form = Form::from_json_str(&text).map_err(|e| {
        let detail = std::error::Error::source(&e)
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        format!("{path}: {e}{detail}")
    })?;
    let analysis = Analysis::of_form(&form);
    let output = match args.graph {
        Some(GraphFormat::Json) => to_json(&GraphExport::build(&form, &analysis))?,
        Some(GraphFormat::Svg) => GraphExport::build(&form, &analysis).to_svg(),
        None => {
            let report = diagnose_with(&form, &analysis);
            match args.format {
                Format::Json => to_json(&report)?,
                Format::Text => report.to_text(),
            }
        }
    };
    Ok(output)
}

fn to_json(value: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| format!("cannot encode the result as JSON: {e}"))
}
