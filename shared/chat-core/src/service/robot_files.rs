//! Files around robot answers: the file a request names (`args.fileId`, read by the core
//! and handed to the robot, which never reaches storage itself), and the further
//! answers a robot gives (`RobotChunk::More`): graphs, images and reports, each posted
//! as its own message, with any content stored as a file of the room.

use serde_json::Value;

use crate::error::{CoreError, CoreResult};
use crate::ids::{ClientMsgId, FileId, MessageId, RoomId};
use crate::model::file::{DeclaredFile, FileRecord, FileStatus, StorageClass};
use crate::model::{
    AccountKind, Author, AuthorKind, Delivery, Message, MessageStatus, NewMessage, RobotAnswer,
    RobotFile, RobotInput,
};
use crate::policy;
use crate::service::App;
use crate::service::files::file_data;

/// The argument naming a file for a robot.
pub const FILE_ARG: &str = "fileId";

impl App {
    /// Checks `args.fileId` when a request has one: a complete file of `room`, within
    /// retention, whose message `viewer` may see. Refused as `bad_request` so the
    /// asker learns at once rather than from a failed answer.
    pub(crate) async fn check_robot_file_arg(
        &self,
        room: &RoomId,
        viewer: AccountKind,
        args: &serde_json::Map<String, Value>,
    ) -> CoreResult<()> {
        match args.get(FILE_ARG) {
            None => Ok(()),
            Some(raw) => self.robot_input_record(room, viewer, raw).await.map(|_| ()),
        }
    }

    async fn robot_input_record(
        &self,
        room: &RoomId,
        viewer: AccountKind,
        raw: &Value,
    ) -> CoreResult<FileRecord> {
        let refused =
            || CoreError::bad_request("fileId: no complete file with that id in this room");
        let id = raw
            .as_str()
            .and_then(|s| FileId::parse(s).ok())
            .ok_or_else(refused)?;
        let record = self
            .deps
            .store
            .file(&id)
            .await?
            .filter(|f| &f.room_id == room && f.status == FileStatus::Complete)
            .filter(|f| !f.expired(self.deps.clock.now()))
            .ok_or_else(refused)?;
        let message = self.file_message(&record).await?;
        if !policy::may_see(viewer, message.visibility) {
            return Err(refused());
        }
        Ok(record)
    }

    /// The file a request names, read for the robot; `Err(reason)` when it can no longer
    /// be given (gone since the ask, past retention).
    pub(crate) async fn robot_input(
        &self,
        request: &Message,
    ) -> CoreResult<Result<Option<RobotInput>, String>> {
        let Some(raw) = request
            .data
            .as_ref()
            .and_then(|d| d.get("args"))
            .and_then(|a| a.get(FILE_ARG))
        else {
            return Ok(Ok(None));
        };
        let viewer = match request.author.kind {
            AuthorKind::Guest => AccountKind::Guest,
            _ => AccountKind::Employee,
        };
        let Ok(record) = self.robot_input_record(&request.room_id, viewer, raw).await else {
            return Ok(Err(
                "the file this question names is no longer available".into()
            ));
        };
        let Some(bytes) = self.deps.blobs.get(&record.content_key()).await? else {
            return Ok(Err(
                "the file this question names is no longer stored".into()
            ));
        };
        Ok(Ok(Some(RobotInput {
            file_id: record.id.clone(),
            name: record.declared.name.clone(),
            content_type: record.declared.content_type.clone(),
            bytes,
        })))
    }

    /// Posts a robot's further answers after `response`, in order, each as a complete
    /// message with the response's visibility and `replyTo` its request. Each has a
    /// `clientMsgId` derived from the response and its place, so a job that runs again
    /// after a crash finds the ones already posted instead of doubling them.
    pub(crate) async fn post_more_answers(
        &self,
        response: &Message,
        request_id: &MessageId,
        answers: Vec<RobotAnswer>,
    ) -> CoreResult<()> {
        for (n, answer) in answers.into_iter().enumerate() {
            let client_msg_id = ClientMsgId::parse(format!("{}.more.{}", response.id, n + 1))?;
            let existing = self
                .deps
                .store
                .message_by_client_id(&response.room_id, &response.author.id, &client_msg_id)
                .await?;
            if existing.is_some() {
                continue;
            }
            let id = MessageId::parse(self.new_id("msg"))?;
            let data = match answer.file {
                Some(file) => {
                    let record = self.store_robot_file(response, &id, file).await?;
                    let mut data = file_data(&record);
                    merge(&mut data, answer.data);
                    Some(data)
                }
                None => answer.data,
            };
            let message = NewMessage {
                id,
                room_id: response.room_id.clone(),
                client_msg_id: Some(client_msg_id),
                author: Author {
                    id: response.author.id.clone(),
                    kind: AuthorKind::Robot,
                    display_name: response.author.display_name.clone(),
                },
                content_type: answer.content_type,
                delivery: Delivery::BatchDelay,
                status: MessageStatus::Complete,
                visibility: response.visibility,
                text: answer.text,
                data,
                reply_to: Some(request_id.clone()),
                shared_from: None,
                created_at: self.deps.clock.now(),
            };
            self.commit_and_announce(message).await?;
        }
        Ok(())
    }

    /// Stores a robot's file content as a complete file of the response's room. The
    /// server made it, so there is no upload to check: it goes straight to its
    /// content key.
    async fn store_robot_file(
        &self,
        response: &Message,
        message_id: &MessageId,
        file: RobotFile,
    ) -> CoreResult<FileRecord> {
        use sha2::{Digest, Sha256};
        let now = self.deps.clock.now();
        let record = FileRecord {
            id: FileId::parse(self.new_id("file"))?,
            room_id: response.room_id.clone(),
            message_id: message_id.clone(),
            uploader: response.author.id.clone(),
            declared: DeclaredFile {
                name: file.name,
                content_type: file.content_type,
                size: file.bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&file.bytes)),
            },
            storage_class: StorageClass::Conversation,
            status: FileStatus::Complete,
            created_at: now,
            upload_expires_at: now,
            completed_at: Some(now),
            image: None,
        };
        self.deps
            .blobs
            .put(
                &record.content_key(),
                &file.bytes,
                &record.declared.content_type,
            )
            .await?;
        self.deps.store.insert_file(&record).await?;
        Ok(record)
    }
}

/// Adds `extra`'s fields (e.g. an image's `width`/`height`) to `data`, keeping the
/// file's own fields where both name one.
fn merge(data: &mut Value, extra: Option<Value>) {
    if let (Some(target), Some(Value::Object(fields))) = (data.as_object_mut(), extra) {
        for (k, v) in fields {
            target.entry(k).or_insert(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_files_own_fields_win_over_the_robots() {
        let mut data = json!({"fileId": "file_1", "size": 3});
        merge(&mut data, Some(json!({"size": 99, "width": 40})));
        assert_eq!(data, json!({"fileId": "file_1", "size": 3, "width": 40}));
        merge(&mut data, None);
        assert_eq!(data["width"], 40);
    }
}
