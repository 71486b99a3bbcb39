//! What crosses a boundary between cutover's own crates as text: the change stream's messages
//! (the server writes them, the SDK reads them), the entity an audit entry is about
//! (`flag:checkout`), the audit actions (`flag.kill`) and how a backup travels (`backup.rs`).
//! Each is defined once here, so the writer and the reader of a message cannot drift apart.

pub(crate) mod action;
mod backup;
pub(crate) mod entity;
mod stream;

pub use action::AuditAction;
pub use backup::{
    BACKUP_REPORT_HEADER, REPR_DIGEST_HEADER, SQLITE_MEDIA_TYPE, backup_report_header,
    parse_backup_report_header, parse_repr_digest, repr_digest,
};
pub use entity::{AuditEntity, EntityKind};
pub use stream::{ChangeMessage, ChangesMessage, RefetchMessage, SnapshotMessage, StreamEventKind};
