//! `FileStore` on the single table: one item per file (`FILE#{id}` / `FILE`) holding
//! the whole record as a JSON string, plus its status as a plain attribute for the
//! conditional update to compare.
//!
//! Files are only ever read whole and by id, so JSON keeps the codec to one line and
//! new record fields need no item changes. Every method is one request: the insert and
//! the conditional replace are `PutItem`s whose condition DynamoDB checks atomically on
//! the item, so of several completions racing for a pending file exactly one is
//! written. Requests and costs: `docs/dynamodb.md`, "Files".

use async_trait::async_trait;

use chat_core::ids::FileId;
use chat_core::model::{FileRecord, FileStatus};
use chat_core::ports::FileStore;
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{Item, get_json, json, key, s};
use super::keys;
use super::ops::{self, is_condition_failed, sdk_error};

const STATUS: &str = "status";
const RECORD: &str = "record";

/// The status as the condition compares it (the wire name, as in the JSON).
fn status_name(status: FileStatus) -> &'static str {
    match status {
        FileStatus::Pending => "pending",
        FileStatus::Complete => "complete",
        FileStatus::Failed => "failed",
    }
}

fn file_key(id: &str) -> Item {
    key(keys::file(id), keys::FILE_SK)
}

fn file_item(file: &FileRecord) -> CoreResult<Item> {
    let mut item = file_key(file.id.as_str());
    item.insert(STATUS.into(), s(status_name(file.status)));
    item.insert(RECORD.into(), json(file)?);
    Ok(item)
}

#[async_trait]
impl FileStore for DynamoStore {
    async fn insert_file(&self, file: &FileRecord) -> CoreResult<()> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(file_item(file)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(CoreError::conflict("file id is taken")),
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }

    async fn file(&self, id: &FileId) -> CoreResult<Option<FileRecord>> {
        ops::get_item(&self.client, &self.table, file_key(id.as_str()))
            .await?
            .map(|item| get_json(&item, RECORD))
            .transpose()
    }

    async fn update_file_if(&self, file: &FileRecord, expected: FileStatus) -> CoreResult<bool> {
        // A missing item has no `status`, so the condition also refuses an unknown id
        // instead of creating it.
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(file_item(file)?))
            .condition_expression("#status = :expected")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_values(":expected", s(status_name(expected)))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_are_the_wire_names() {
        for status in [
            FileStatus::Pending,
            FileStatus::Complete,
            FileStatus::Failed,
        ] {
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(serde_json::Value::String(status_name(status).to_string()))
            );
        }
    }
}
