//! What crosses a boundary between cutover's own crates as text: the change stream's messages
//! (the server writes them, the SDK reads them), the entity an audit entry is about
//! (`flag:checkout`) and the audit actions (`flag.kill`). Each is defined once here, so the
//! writer and the reader of a message cannot drift apart.

pub(crate) mod action;
pub(crate) mod entity;
mod stream;

pub use action::AuditAction;
pub use entity::{AuditEntity, EntityKind};
pub use stream::{ChangeMessage, ChangesMessage, RefetchMessage, SnapshotMessage, StreamEventKind};
