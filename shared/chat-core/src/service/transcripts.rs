//! Transcripts of rooms and issues for supervisors and employee members (issue 13).
//!
//! `GET /supervisor/rooms/{roomId}/transcript` and `GET /supervisor/issues/{issueId}/
//! transcript`, as JSON (typed, [`RoomTranscriptResponse`] / [`IssueTranscriptResponse`])
//! or as a Markdown document ([`room_markdown`] / [`issue_markdown`]).
//!
//! Who reads what:
//! - supervisors read any room and any issue; every such read lands in the audit log
//!   (`supervisor.transcript`, with the format);
//! - other employees read a room they are a member of, and an issue when they are a
//!   member of any of its rooms; anything else is `not_found`, the same answer as for a
//!   room or issue that does not exist (non-members learn nothing);
//! - guests never read transcripts (`forbidden`, decided from the token alone).
//!
//! A transcript holds every message of the room, in `seq` order (all pages of the
//! store), each passed through [`policy::message_for`] — the one visibility rule; the
//! readers are employees, so employees-only messages are in it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::error::{CoreError, CoreResult};
use crate::ids::{IssueId, RoomId};
use crate::model::{
    AccountKind, AuthorKind, ContentType, Identity, Issue, IssueStatus, Message, MessageStatus,
    Room, UserRecord, Visibility,
};
use crate::policy;
use crate::ports::PageQuery;
use crate::protocol::http::{
    IssueTranscriptResponse, RoomTranscriptResponse, TranscriptRoom, TranscriptSection,
};
use crate::service::App;

/// The `Content-Type` of a Markdown transcript.
pub const MARKDOWN_CONTENT_TYPE: &str = "text/markdown; charset=utf-8";

/// `?format=`: `json` (the default) or `markdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TranscriptFormat {
    #[default]
    Json,
    Markdown,
}

impl TranscriptFormat {
    /// The query parameter's value; absent or empty → `json`, anything else than
    /// `json` or `markdown` → `bad_request`.
    pub fn parse(raw: Option<&str>) -> CoreResult<Self> {
        match raw.map(str::trim) {
            None | Some("") | Some("json") => Ok(TranscriptFormat::Json),
            Some("markdown") => Ok(TranscriptFormat::Markdown),
            Some(other) => Err(CoreError::bad_request(format!(
                "format: expected json or markdown, got {other:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptFormat::Json => "json",
            TranscriptFormat::Markdown => "markdown",
        }
    }
}

/// A transcript in the format asked for: the typed JSON body, or a Markdown document
/// (to be sent with [`MARKDOWN_CONTENT_TYPE`]).
#[derive(Debug, Clone)]
pub enum Transcript<T> {
    Json(T),
    Markdown(String),
}

impl App {
    /// `GET /supervisor/rooms/{roomId}/transcript?format=`.
    pub async fn room_transcript(
        &self,
        caller: &UserRecord,
        room_id: &RoomId,
        format: TranscriptFormat,
    ) -> CoreResult<Transcript<RoomTranscriptResponse>> {
        let who = &caller.identity;
        policy::may_read_transcripts(who)?;
        let room = if who.is_supervisor() {
            self.deps
                .store
                .room(room_id)
                .await?
                .ok_or_else(|| CoreError::not_found("no such room"))?
        } else {
            self.member_room(who, room_id).await?
        };
        let issue = self
            .deps
            .store
            .issue(&room.issue_id)
            .await?
            .ok_or_else(|| {
                CoreError::Internal(format!("room {} names a missing issue", room.id))
            })?;
        let messages = self.all_messages(who.kind, &room.id).await?;
        if who.is_supervisor() {
            self.audit(
                who.user_id.as_str(),
                "supervisor.transcript",
                Some(&room.id),
                Some(&issue.id),
                json!({ "format": format.as_str() }),
            )
            .await?;
        }
        let body = RoomTranscriptResponse {
            issue,
            room: transcript_room(&room),
            messages,
        };
        Ok(match format {
            TranscriptFormat::Json => Transcript::Json(body),
            TranscriptFormat::Markdown => Transcript::Markdown(room_markdown(&body)),
        })
    }

    /// `GET /supervisor/issues/{issueId}/transcript?format=`: every room of the issue.
    pub async fn issue_transcript(
        &self,
        caller: &UserRecord,
        issue_id: &IssueId,
        format: TranscriptFormat,
    ) -> CoreResult<Transcript<IssueTranscriptResponse>> {
        let who = &caller.identity;
        policy::may_read_transcripts(who)?;
        let unknown = || CoreError::not_found("no such issue");
        let issue = self.deps.store.issue(issue_id).await?.ok_or_else(unknown)?;
        if !who.is_supervisor() && !self.member_of_any(who, &issue.room_ids).await? {
            return Err(unknown());
        }
        let mut rooms = Vec::with_capacity(issue.room_ids.len());
        for room_id in &issue.room_ids {
            // An issue lists a room only once the room is committed; a room that is not
            // there (yet) has nothing to show.
            let Some(room) = self.deps.store.room(room_id).await? else {
                continue;
            };
            let messages = self.all_messages(who.kind, &room.id).await?;
            rooms.push(TranscriptSection {
                room: transcript_room(&room),
                messages,
            });
        }
        if who.is_supervisor() {
            self.audit(
                who.user_id.as_str(),
                "supervisor.transcript",
                None,
                Some(&issue.id),
                json!({ "format": format.as_str(), "rooms": rooms.len() }),
            )
            .await?;
        }
        let body = IssueTranscriptResponse { issue, rooms };
        Ok(match format {
            TranscriptFormat::Json => Transcript::Json(body),
            TranscriptFormat::Markdown => Transcript::Markdown(issue_markdown(&body)),
        })
    }

    async fn member_of_any(&self, who: &Identity, rooms: &[RoomId]) -> CoreResult<bool> {
        for room in rooms {
            if self
                .deps
                .store
                .is_member(room, who.user_id.as_str())
                .await?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every message of `room` that `viewer` may see, in `seq` order: all pages.
    async fn all_messages(&self, viewer: AccountKind, room: &RoomId) -> CoreResult<Vec<Message>> {
        let limit = self.config.limits.history_max.max(1);
        let mut messages = Vec::new();
        let mut after_seq = 0;
        loop {
            let page = self
                .deps
                .store
                .messages_page(
                    room,
                    &PageQuery {
                        after_seq: Some(after_seq),
                        before_seq: None,
                        limit,
                        include_employee_only: policy::may_see(viewer, Visibility::Employees),
                    },
                )
                .await?;
            let last = page.messages.last().map(|m| m.seq);
            messages.extend(
                page.messages
                    .iter()
                    .filter_map(|m| policy::message_for(viewer, m)),
            );
            match last {
                // `seq > after_seq` guards against a store that would repeat a page.
                Some(seq) if page.has_more && seq > after_seq => after_seq = seq,
                _ => break,
            }
        }
        Ok(messages)
    }
}

fn transcript_room(room: &Room) -> TranscriptRoom {
    TranscriptRoom {
        id: room.id.clone(),
        kind: room.kind,
        title: room.title.clone(),
        issue_id: room.issue_id.clone(),
        status: room.status,
        conclusion: room.conclusion,
        created_at: room.created_at,
    }
}

// ---- Markdown -----------------------------------------------------------------------

/// A room's transcript as a Markdown document: title, issue facts, the room.
pub fn room_markdown(t: &RoomTranscriptResponse) -> String {
    let mut out = format!("# Transcript: {}\n\n", inline(&t.room.title));
    issue_facts(&mut out, &t.issue);
    room_section(&mut out, &t.room, &t.messages);
    out
}

/// An issue's transcript as a Markdown document: title, issue facts, then each room.
pub fn issue_markdown(t: &IssueTranscriptResponse) -> String {
    let mut out = format!("# Issue transcript: {}\n\n", inline(&t.issue.title));
    issue_facts(&mut out, &t.issue);
    if t.rooms.is_empty() {
        out.push_str("_No rooms._\n");
    }
    for section in &t.rooms {
        room_section(&mut out, &section.room, &section.messages);
    }
    out
}

fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn issue_facts(out: &mut String, issue: &Issue) {
    let status = match (issue.status, issue.conclusion) {
        (_, Some(c)) => format!("concluded ({})", c.as_str()),
        (IssueStatus::Concluded, None) => "concluded".to_string(),
        (IssueStatus::Open, None) => "open".to_string(),
    };
    out.push_str(&format!(
        "- **Issue:** {} ({})\n",
        inline(&issue.title),
        code(issue.id.as_str())
    ));
    if let Some(customer) = &issue.customer_name {
        out.push_str(&format!("- **Customer:** {}\n", inline(customer)));
    }
    if let Some(form) = &issue.form_id {
        out.push_str(&format!("- **Form:** {}\n", inline(form)));
    }
    out.push_str(&format!("- **Tier:** {}\n", issue.tier.as_str()));
    out.push_str(&format!("- **Status:** {status}\n"));
    out.push_str(&format!("- **Opened:** {}\n", time(&issue.created_at)));
    if !issue.history.is_empty() {
        out.push_str("- **History:**\n");
        for event in &issue.history {
            out.push_str(&format!(
                "  - {} {} by {}",
                time(&event.at),
                inline(&event.event),
                code(&event.by)
            ));
            if let Some(note) = event.note.as_deref().filter(|n| !n.trim().is_empty()) {
                out.push_str(&format!(": {}", inline(note)));
            }
            out.push('\n');
        }
    }
    out.push('\n');
}

fn room_section(out: &mut String, room: &TranscriptRoom, messages: &[Message]) {
    out.push_str(&format!("## Room: {}\n\n", inline(&room.title)));
    let status = match room.conclusion {
        Some(c) => format!("concluded ({})", c.as_str()),
        None => room.status.as_str().to_string(),
    };
    out.push_str(&format!(
        "Room {}, {}, {status}, opened {}.\n\n",
        code(room.id.as_str()),
        room.kind.as_str(),
        time(&room.created_at)
    ));
    if messages.is_empty() {
        out.push_str("_No messages._\n\n");
        return;
    }
    let mut day = None;
    for m in messages {
        let today = m.created_at.date_naive();
        if day != Some(today) {
            if day.is_some() {
                out.push('\n');
            }
            out.push_str(&format!("_{} (UTC)_\n\n", today.format("%Y-%m-%d")));
            day = Some(today);
        }
        out.push_str(&message_line(m));
        out.push('\n');
    }
    out.push('\n');
}

/// One message as one list item: `- **HH:MM:SS Name** (labels): text`; further lines
/// of the text stay inside the item (hard breaks), escaped by [`escape_line`].
pub fn message_line(m: &Message) -> String {
    let kind = match m.author.kind {
        AuthorKind::Employee => "employee",
        AuthorKind::Guest => "guest",
        AuthorKind::Robot => "robot",
        AuthorKind::System => "system",
    };
    let mut labels = vec![kind.to_string()];
    if m.visibility == Visibility::Employees {
        labels.push("employees only".into());
    }
    match m.status {
        MessageStatus::Complete => {}
        MessageStatus::Pending => labels.push("pending".into()),
        MessageStatus::Streaming => labels.push("streaming, unfinished".into()),
        MessageStatus::Failed => labels.push("failed".into()),
    }
    if let Some(original) = &m.shared_from {
        labels.push(format!("shared from {}", code(original.as_str())));
    }
    if let Some(reply_to) = &m.reply_to {
        labels.push(format!("reply to {}", code(reply_to.as_str())));
    }
    let mut line = format!(
        "- **{} {}** ({}):",
        m.created_at.format("%H:%M:%S"),
        inline(&m.author.display_name),
        labels.join(", ")
    );
    if let Some(note) = content_note(m.content_type, m.data.as_ref()) {
        line.push(' ');
        line.push_str(&note);
    }
    let mut lines = m
        .text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty());
    if let Some(first) = lines.next() {
        // After the label, the first line cannot open a block; only later ones can.
        line.push(' ');
        line.push_str(first);
    }
    for more in lines {
        line.push_str("  \n  ");
        line.push_str(&escape_line(more));
    }
    line
}

/// Non-chat content as a short note, not raw JSON.
fn content_note(kind: ContentType, data: Option<&Value>) -> Option<String> {
    let field = |name: &str| data.and_then(|d| d.get(name));
    let text = |name: &str| field(name).and_then(Value::as_str).map(inline);
    let count = |name: &str| field(name).and_then(Value::as_array).map_or(0, Vec::len);
    match kind {
        ContentType::Chat => None,
        ContentType::Graph => Some(format!(
            "_(graph: {} nodes, {} edges)_",
            count("nodes"),
            count("edges")
        )),
        ContentType::Image => {
            let mut note = format!("_(image: {}", text("name").unwrap_or_else(|| "?".into()));
            if let (Some(w), Some(h)) = (
                field("width").and_then(Value::as_u64),
                field("height").and_then(Value::as_u64),
            ) {
                note.push_str(&format!(", {w}×{h}"));
            }
            note.push_str(")_");
            Some(note)
        }
        ContentType::File => {
            let mut note = format!("_(file: {}", text("name").unwrap_or_else(|| "?".into()));
            if let Some(size) = field("size").and_then(Value::as_u64) {
                note.push_str(&format!(", {size} bytes"));
            }
            if let Some(ct) = text("contentType") {
                note.push_str(&format!(", {ct}"));
            }
            note.push_str(")_");
            Some(note)
        }
    }
}

/// A line of user text placed at the start of a line of the document, escaped so it
/// cannot open a block of its own (a heading, quote, list, fence, table, thematic
/// break, setext underline or HTML block) and so cannot restructure the transcript:
/// a leading marker character gets a backslash (`# x` → `\# x`, `1. x` → `1\. x`).
/// Inline Markdown (emphasis, links) is left as the author wrote it.
pub fn escape_line(line: &str) -> String {
    let line = line.trim_start();
    let Some(first) = line.chars().next() else {
        return String::new();
    };
    if "#>=-+*_`~<|".contains(first) {
        return format!("\\{line}");
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && matches!(line[digits..].chars().next(), Some('.' | ')')) {
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    line.to_string()
}

/// An id (or user id) as a code span; ids are printable ASCII without spaces, so only
/// a backtick in one needs the fallback.
fn code(id: &str) -> String {
    if id.contains('`') {
        inline(id)
    } else {
        format!("`{id}`")
    }
}

/// Names, titles and ids inside a line: one line, with inline markup escaped.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if "\\`*_[]<>#|".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::ids::MessageId;
    use crate::model::{Author, Delivery};

    fn message(text: &str) -> Message {
        Message {
            id: MessageId::parse("msg_1").unwrap(),
            room_id: RoomId::parse("room_1").unwrap(),
            seq: 1,
            client_msg_id: None,
            author: Author {
                id: "usr_1".into(),
                kind: AuthorKind::Guest,
                display_name: "John # Q".into(),
            },
            content_type: ContentType::Chat,
            delivery: Delivery::Streaming,
            status: MessageStatus::Complete,
            visibility: Visibility::Everyone,
            text: text.into(),
            data: None,
            reply_to: None,
            shared_from: None,
            created_at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 5, 7).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 5, 7).unwrap(),
        }
    }

    #[test]
    fn user_text_cannot_open_headings_quotes_or_other_blocks() {
        let hostile = "hello\n# Owned\n  ## indented\n> quoted\n===\n---\n```\n1. list\n\r<script>\n| a | b |\nplain # not at start";
        let line = message_line(&message(hostile));
        let lines: Vec<&str> = line.split('\n').collect();
        assert_eq!(lines[0], "- **09:05:07 John \\# Q** (guest): hello  ");
        for l in &lines[1..] {
            let body = l.trim_start();
            assert!(
                body.starts_with('\\') || body.starts_with("1\\.") || body.starts_with("plain"),
                "an unescaped block start: {l:?} in {line}"
            );
            assert!(l.starts_with("  "), "a continuation leaves the item: {l:?}");
        }
        assert!(line.contains("  \\# Owned"), "{line}");
        assert!(line.contains("  \\## indented"), "{line}");
        assert!(line.contains("  \\> quoted"), "{line}");
        assert!(line.contains("  1\\. list"), "{line}");
        assert!(line.contains("plain # not at start"), "{line}");
        assert_eq!(escape_line("ordinary text"), "ordinary text");
        assert_eq!(escape_line("2024 was long"), "2024 was long");
        assert_eq!(escape_line(""), "");
    }

    #[test]
    fn labels_name_kind_visibility_status_and_shares() {
        let mut m = message("the answer");
        m.author.kind = AuthorKind::Robot;
        m.author.display_name = "iStackBuddy.forms.diagnostics".into();
        m.visibility = Visibility::Employees;
        m.status = MessageStatus::Failed;
        assert_eq!(
            message_line(&m),
            "- **09:05:07 iStackBuddy.forms.diagnostics** (robot, employees only, failed): the answer"
        );
        let mut shared = message("copy");
        shared.author.kind = AuthorKind::Employee;
        shared.shared_from = Some(MessageId::parse("msg_9").unwrap());
        assert!(
            message_line(&shared).contains("(employee, shared from `msg_9`): copy"),
            "{}",
            message_line(&shared)
        );
    }

    #[test]
    fn non_chat_content_is_a_short_note_not_json() {
        let mut graph = message("");
        graph.content_type = ContentType::Graph;
        graph.data =
            Some(json!({"nodes": [{"id": "a"}, {"id": "b"}], "edges": [{"from": "a", "to": "b"}]}));
        let line = message_line(&graph);
        assert!(line.ends_with("_(graph: 2 nodes, 1 edges)_"), "{line}");
        assert!(!line.contains('{'), "{line}");
        let mut file = message("");
        file.content_type = ContentType::File;
        file.status = MessageStatus::Pending;
        file.data = Some(
            json!({"fileId": "f", "name": "log.txt", "size": 12, "contentType": "text/plain"}),
        );
        assert!(
            message_line(&file)
                .ends_with("(guest, pending): _(file: log.txt, 12 bytes, text/plain)_"),
            "{}",
            message_line(&file)
        );
        let mut image = message("see this");
        image.content_type = ContentType::Image;
        image.data = Some(json!({"fileId": "f", "name": "a.png", "width": 3, "height": 4}));
        assert!(
            message_line(&image).ends_with("_(image: a.png, 3×4)_ see this"),
            "{}",
            message_line(&image)
        );
    }

    #[test]
    fn formats_parse_strictly_with_json_the_default() {
        assert_eq!(
            TranscriptFormat::parse(None).unwrap(),
            TranscriptFormat::Json
        );
        assert_eq!(
            TranscriptFormat::parse(Some("markdown")).unwrap(),
            TranscriptFormat::Markdown
        );
        for junk in ["md", "JSON", "html"] {
            assert_eq!(
                TranscriptFormat::parse(Some(junk)).unwrap_err().code(),
                crate::ErrorCode::BadRequest
            );
        }
    }
}
