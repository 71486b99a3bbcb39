//! `Control::backup` through a real server: the file that arrives is the store, verified, the
//! same backup the layer takes in-process; a file is never replaced; only an admin may take
//! one; and bytes that do not match the server's digest, or stop coming, never get the name.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::path::Path;
use std::sync::Arc;

use cutover_api::{Control, ErrorKind};
use cutover_client::AdminClient;
use cutover_core::wire::{BACKUP_REPORT_HEADER, REPR_DIGEST_HEADER, repr_digest};
use cutover_core::{Flag, FlagChange, Role, Rollout, Timestamp, TokenName};
use cutover_server::ServerConfig;
use cutover_store::{SqliteStore, Store, TokenRecord};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use common::{key, meta, node};

/// The names in a directory, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_through_the_server_is_the_store_verified_and_the_same_as_in_process() {
    let n = node(ServerConfig::default()).await;
    let m = meta();
    for k in ["checkout", "search"] {
        n.local.create_flag(Flag::new(key(k)), &m).await.unwrap();
    }
    let percent = FlagChange::SetRollout {
        rollout_percent: Rollout::from_bps(1250).unwrap(),
    };
    n.local
        .change_flag(&key("checkout"), None, &[percent], &m)
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let through = out.path().join("through.db");
    let here = out.path().join("here.db");

    let report = n.client.backup(&through).await.unwrap();
    let local = n.local.backup(&here).await.unwrap();
    assert_eq!(report.path, through.to_str().unwrap());
    assert!(report.verify.is_intact(), "{report:?}");
    assert_eq!(report.method, "sqlite_vacuum_into");
    // The same backup as in-process, but for where it was written.
    assert_eq!(
        cutover_core::BackupReport {
            path: String::new(),
            ..report.clone()
        },
        cutover_core::BackupReport {
            path: String::new(),
            ..local
        }
    );
    let (head_id, head_hash) = n.store.audit_head().await.unwrap();
    assert_eq!((report.head_id, &report.head_hash), (head_id, &head_hash));

    // The file is a store: it verifies on its own and holds the flags.
    let kept: Arc<dyn Store> = Arc::new(SqliteStore::open(&through).await.unwrap());
    let verified = kept.verify_audit_with(None).await.unwrap();
    assert!(verified.is_intact());
    assert_eq!(verified.head_hash, head_hash);
    assert_eq!(kept.flags().await.unwrap(), n.store.flags().await.unwrap());
    kept.close().await;
    // Nothing but the two backups (and SQLite's files of the one opened) is left beside them.
    assert!(
        names(out.path())
            .iter()
            .all(|name| name.starts_with("here.db") || name.starts_with("through.db")),
        "{:?}",
        names(out.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_never_replaces_a_file_and_says_so_as_the_layer_does() {
    let n = node(ServerConfig::default()).await;
    let out = tempfile::tempdir().unwrap();
    let taken = out.path().join("taken.db");
    std::fs::write(&taken, b"keep me").unwrap();
    let through = n.client.backup(&taken).await.unwrap_err();
    let here = n.local.backup(&taken).await.unwrap_err();
    assert_eq!(through, here);
    assert_eq!(
        (through.kind, through.code.as_ref()),
        (ErrorKind::Conflict, "exists")
    );
    assert_eq!(std::fs::read(&taken).unwrap(), b"keep me");
    // A directory that is not there: the same words both ways, and nothing written.
    let nowhere = out.path().join("no-such-dir").join("b.db");
    let through = n.client.backup(&nowhere).await.unwrap_err();
    let here = n.local.backup(&nowhere).await.unwrap_err();
    assert_eq!(through, here);
    assert_eq!(through.code, "backup_target");
    assert!(through.message.contains("does not exist"), "{through}");
    assert_eq!(names(out.path()), ["taken.db"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_takes_a_backup() {
    let n = node(ServerConfig::default()).await;
    let out = tempfile::tempdir().unwrap();
    for role in [Role::Operator, Role::Viewer, Role::Sdk] {
        let secret = format!("cut_test_{role}");
        let record = TokenRecord {
            name: TokenName::new(role.as_str()).unwrap(),
            role,
            hash: cutover_core::token_hash(&secret),
            created_at: Timestamp::now(),
            created_by: "test".into(),
            expires_at: None,
        };
        n.store.create_token(record, &meta()).await.unwrap();
        let client = AdminClient::new(n.client.base(), &secret).unwrap();
        // The server's view learns the token from the log it follows.
        let mut e = client.backup(&out.path().join("b.db")).await.unwrap_err();
        for _ in 0..100 {
            if e.kind != ErrorKind::Unauthorized {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            e = client.backup(&out.path().join("b.db")).await.unwrap_err();
        }
        assert_eq!(
            (e.kind, e.code.as_ref()),
            (ErrorKind::Forbidden, "forbidden"),
            "{role}: {e}"
        );
        assert!(
            e.message.contains("take a backup of the whole store"),
            "{e}"
        );
    }
    assert!(names(out.path()).is_empty(), "{:?}", names(out.path()));
}

/// Serves one request on a local port with `answer` (head and body as given), then closes.
async fn one_answer(answer: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let _ = socket.read(&mut request).await.unwrap();
        socket.write_all(&answer).await.unwrap();
        socket.shutdown().await.unwrap();
    });
    format!("http://{addr}")
}

fn answer(length: usize, digest_of: &[u8], body: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let digest: [u8; 32] = sha2::Sha256::digest(digest_of).into();
    let report = cutover_core::wire::backup_report_header(&cutover_core::BackupReport {
        path: String::new(),
        method: "sqlite_vacuum_into".into(),
        head_id: 0,
        head_hash: cutover_core::GENESIS_HASH.into(),
        verify: cutover_core::VerifyReport {
            entries: 0,
            head_id: 0,
            head_hash: cutover_core::GENESIS_HASH.into(),
            fault: None,
            state: None,
            anchor: None,
            seal: None,
        },
    });
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.sqlite3\r\ncontent-length: {length}\r\n\
         {REPR_DIGEST_HEADER}: {}\r\n{BACKUP_REPORT_HEADER}: {report}\r\nconnection: close\r\n\r\n",
        repr_digest(&digest)
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[tokio::test]
async fn bytes_that_are_not_the_servers_never_get_the_name() {
    let out = tempfile::tempdir().unwrap();
    let to = out.path().join("b.db");

    // Damaged on the way: the digest is of other bytes.
    let base = one_answer(answer(5, b"other", b"bytes")).await;
    let e = AdminClient::new(&base, "cut_x")
        .unwrap()
        .backup(&to)
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_ref()),
        (ErrorKind::Failure, "backup_damaged")
    );
    assert!(
        e.message.contains("5 bytes") && e.message.contains("nothing was written"),
        "{e}"
    );
    assert!(names(out.path()).is_empty(), "{:?}", names(out.path()));

    // Cut short: the connection closes before the promised length.
    let base = one_answer(answer(1000, b"bytes", b"bytes")).await;
    let e = AdminClient::new(&base, "cut_x")
        .unwrap()
        .backup(&to)
        .await
        .unwrap_err();
    assert_eq!(e.code, "backup_cut_short", "{e}");
    assert!(names(out.path()).is_empty(), "{:?}", names(out.path()));

    // Whole and matching: the name is given.
    let base = one_answer(answer(5, b"bytes", b"bytes")).await;
    let report = AdminClient::new(&base, "cut_x")
        .unwrap()
        .backup(&to)
        .await
        .unwrap();
    assert_eq!(report.path, to.to_str().unwrap());
    assert_eq!(std::fs::read(&to).unwrap(), b"bytes");
    assert_eq!(names(out.path()), ["b.db"]);
}
