//! The in-memory `FileStore`: records by id under the store's one mutex.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{CoreError, CoreResult};
use crate::ids::FileId;
use crate::model::{FileRecord, FileStatus};
use crate::ports::FileStore;

#[async_trait]
impl FileStore for MemoryStore {
    async fn insert_file(&self, file: &FileRecord) -> CoreResult<()> {
        let mut s = self.lock();
        if s.files.contains_key(&file.id) {
            return Err(CoreError::conflict("file id is taken"));
        }
        s.files.insert(file.id.clone(), file.clone());
        Ok(())
    }

    async fn file(&self, id: &FileId) -> CoreResult<Option<FileRecord>> {
        Ok(self.lock().files.get(id).cloned())
    }

    async fn update_file_if(&self, file: &FileRecord, expected: FileStatus) -> CoreResult<bool> {
        let mut s = self.lock();
        match s.files.get_mut(&file.id) {
            Some(stored) if stored.status == expected => {
                *stored = file.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
