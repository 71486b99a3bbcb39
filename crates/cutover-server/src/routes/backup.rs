//! The store itself: a backup through the API.

use serde_json::{Value, json};

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::admin;
use crate::openapi::vocab::*;
use cutover_core::Capability::*;
use cutover_core::wire::SQLITE_MEDIA_TYPE;

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "get",
            "/api/v1/backup",
            "backupStore",
            Requires(Backup),
            "A consistent, verified copy of the whole store, as a SQLite file",
        )
        .serve(admin::backup::backup)
        .notes(
            "The node takes the same backup `cutover store backup` writes: a SQLite store's \
             file through VACUUM INTO (one read snapshot; writers go on), a PostgreSQL store \
             copied row for row into a new SQLite file; then it verifies the copy's audit log \
             and sends the file. The file serves as a store (`cutover --db FILE serve`) or \
             copies into an empty one (`cutover --db FILE store copy --to TARGET`). It holds \
             every table, the tokens' hashes included. A log that does not verify still gets \
             its backup, and the report header says so. The copy is taken in the node's \
             temporary directory (TMPDIR) and removed once sent; one backup at a time per node, \
             others wait. `cutover --server URL store backup FILE` checks the bytes against \
             Repr-Digest before it names the file.",
        )
        .store()
        .ok(200, sqlite_file()),
    ]
}

/// The answer: the file, its digest and the node's verification of it.
fn sqlite_file() -> Value {
    let mut answer = answer_as(
        "The backup file, with Content-Length.",
        SQLITE_MEDIA_TYPE,
        json!({ "type": "string", "contentMediaType": SQLITE_MEDIA_TYPE }),
    );
    answer["headers"] = json!({
        "Repr-Digest": reference("headers", "Repr-Digest"),
        "X-Cutover-Backup-Report": reference("headers", "X-Cutover-Backup-Report"),
    });
    answer
}
