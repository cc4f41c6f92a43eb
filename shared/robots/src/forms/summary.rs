//! The diagnosis in plain text for the support engineer who asked: one heading line with
//! the counts, then every error and then every warning, one line each, naming fields by
//! the label the customer sees. It is what the engineer edits into words for the
//! customer, so it has no markup and no debug detail, and it fits one chat message.

use std::fmt::Write as _;

use form_observations::{FieldId, Form, LogItem, LogLevel, Report, SubjectType};

/// Findings listed before "…and N more".
pub const SUMMARY_MAX_FINDINGS: usize = 40;
/// The whole summary stays under this many bytes, well inside a chat message's 16 KiB.
pub const SUMMARY_MAX_BYTES: usize = 12 * 1024;
/// One finding's line is cut here: cycle findings list every member, which for a large
/// ring would crowd out every other finding.
const LINE_MAX_CHARS: usize = 400;
/// Room kept for the "…and N more" line.
const TRAILER_BYTES: usize = 80;

/// The summary of `report` about `form`; `form_id` is the id to show in the heading.
pub(crate) fn write(form: &Form, report: &Report, form_id: &str) -> String {
    let mut out = heading(report, form_id);
    let findings: Vec<&LogItem> = report
        .at_level(LogLevel::Error)
        .chain(report.at_level(LogLevel::Warn))
        .collect();
    if findings.is_empty() {
        out.push_str("No errors or warnings: nothing on this form needs fixing.\n");
        return out;
    }
    let mut shown = 0;
    for item in &findings {
        let line = finding(form, item);
        let fits = out.len() + line.len() + 1 + TRAILER_BYTES <= SUMMARY_MAX_BYTES;
        if shown == SUMMARY_MAX_FINDINGS || !fits {
            break;
        }
        out.push_str(&line);
        out.push('\n');
        shown += 1;
    }
    let left = findings.len() - shown;
    if left > 0 {
        let _ = writeln!(out, "…and {left} more; see the full report");
    }
    out
}

/// `Form 5375703 "Contact us": 5 ERROR, 3 WARN, 7 INFO, 2 DEBUG`
fn heading(report: &Report, form_id: &str) -> String {
    let id = if form_id.is_empty() {
        "(no id)"
    } else {
        form_id
    };
    let name = one_line(&report.form_name);
    let named = if name.is_empty() {
        format!("Form {}", one_line(id))
    } else {
        format!("Form {} \"{name}\"", one_line(id))
    };
    let s = report.summary;
    format!(
        "{named}: {} ERROR, {} WARN, {} INFO, {} DEBUG\n",
        s.error, s.warn, s.info, s.debug
    )
}

/// `ERROR "Diameter": Circular calculation. 2 fields depend on one another: …`
fn finding(form: &Form, item: &LogItem) -> String {
    let level = match item.log_level {
        LogLevel::Error => "ERROR",
        LogLevel::Warn => "WARN",
        LogLevel::Info => "INFO",
        LogLevel::Debug => "DEBUG",
    };
    let subject = match item.subject_type {
        SubjectType::Form => "Form".to_owned(),
        SubjectType::Field => field_name(form, &item.subject_id),
    };
    let headline = one_line(&item.message);
    let explanation = one_line(&item.message_secondary);
    let stop = if headline.ends_with(['.', '!', '?']) {
        ""
    } else {
        "."
    };
    let line = if explanation.is_empty() {
        format!("{level} {subject}: {headline}{stop}")
    } else {
        format!("{level} {subject}: {headline}{stop} {explanation}")
    };
    cut(&line, LINE_MAX_CHARS)
}

/// A field as the customer knows it: its label in quotes, else `field <id>`.
fn field_name(form: &Form, id: &str) -> String {
    let label = FieldId::parse(id)
        .and_then(|id| form.field(&id))
        .map(|field| one_line(field.display_label()))
        .unwrap_or_default();
    if label.is_empty() {
        format!("field {}", one_line(id))
    } else {
        format!("\"{label}\"")
    }
}

/// Whitespace runs and control characters as one space: a label typed with a line
/// break must not split a finding over two lines.
fn one_line(text: &str) -> String {
    let visible: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    visible.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max_chars` characters, ending in `…` when cut, at a word break if one is
/// near the end.
fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((end, _)) if text[end..].chars().nth(1).is_some() => {
            let kept = &text[..end];
            let kept = match kept.rfind(' ') {
                Some(space) if kept[space..].chars().count() <= 40 => &kept[..space],
                _ => kept,
            };
            format!("{}…", kept.trim_end())
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_lines_and_drops_controls() {
        assert_eq!(one_line("  First\nname \u{7}\t(x) "), "First name (x)");
    }

    #[test]
    fn cut_keeps_short_text_and_marks_long_text() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut("ééééé", 4), "ééé…");
        assert_eq!(cut("", 3), "");
        assert_eq!(cut("one two three", 10), "one two…");
    }
}
