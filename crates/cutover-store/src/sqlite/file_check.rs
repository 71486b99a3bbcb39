//! Looks at a `--db` file before SQLite opens it, so a file that is not a SQLite database, or a
//! truncated one, is refused without a single byte written to it.

use std::io::Read;
use std::path::Path;

use crate::error::StoreError;

const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What is at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileState {
    /// Nothing yet: only a command that creates a store may make one there.
    Missing,
    /// A file of 0 bytes. Never turned into a new store: it is as likely a store truncated by a
    /// full disk or a bad copy as one made empty on purpose, and starting afresh would hide the
    /// loss.
    Empty,
    /// A SQLite file whose header is consistent with its length.
    Sqlite,
}

pub(super) fn inspect(path: &Path) -> Result<FileState, StoreError> {
    let shown = path.display().to_string();
    let not_a_store = |why: String| StoreError::NotAStore {
        path: shown.clone(),
        why,
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(e) => return Err(not_a_store(format!("it cannot be read ({e})"))),
    };
    if meta.is_dir() {
        return Err(not_a_store("it is a directory".into()));
    }
    if meta.len() == 0 {
        return Ok(FileState::Empty);
    }
    let mut header = [0u8; 100];
    let mut file =
        std::fs::File::open(path).map_err(|e| not_a_store(format!("it cannot be read ({e})")))?;
    let read = read_up_to(&mut file, &mut header)
        .map_err(|e| not_a_store(format!("it cannot be read ({e})")))?;
    if read < 16 || &header[..16] != MAGIC {
        let shown_bytes = String::from_utf8_lossy(&header[..read.min(16)])
            .escape_debug()
            .to_string();
        return Err(not_a_store(format!(
            "it does not begin with the SQLite file header (it begins with \"{shown_bytes}\")"
        )));
    }
    if read < 100 {
        return Err(StoreError::Corrupt {
            path: shown,
            detail: format!("it is truncated to {read} bytes, shorter than a SQLite header"),
        });
    }
    if let Some(why) = header_fields_out_of_range(&header) {
        return Err(StoreError::Corrupt {
            path: shown,
            detail: format!("its SQLite header is damaged: {why}"),
        });
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536u64,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([
        header[28], header[29], header[30], header[31],
    ]));
    // The in-header page count is only valid when the change counter matches "version valid for".
    let count_valid = header[24..28] == header[92..96];
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let expected = page_size * pages;
    if count_valid && wal_len == 0 && meta.len() < expected {
        return Err(StoreError::Corrupt {
            path: shown,
            detail: format!(
                "it is truncated: its header says {pages} pages of {page_size} bytes ({expected} bytes) but the file has {} bytes",
                meta.len()
            ),
        });
    }
    Ok(FileState::Sqlite)
}

/// The header fields SQLite itself only ever writes with a few values. Some of them, when
/// damaged, make SQLite open the file read-only or misread it instead of refusing it, so that a
/// change would fail half-way with a raw "readonly database" error.
fn header_fields_out_of_range(header: &[u8; 100]) -> Option<String> {
    let (write_version, read_version) = (header[18], header[19]);
    if !matches!(write_version, 1 | 2) || !matches!(read_version, 1 | 2) {
        return Some(format!(
            "its file format versions (bytes 18 and 19) are {write_version} and {read_version}, \
             where SQLite writes 1 or 2"
        ));
    }
    if header[21..24] != [64, 32, 32] {
        return Some(format!(
            "its payload fractions (bytes 21 to 23) are {:?}, where SQLite writes [64, 32, 32]",
            &header[21..24]
        ));
    }
    // Both are 0 in a file whose schema so far lives only in its write-ahead log.
    let schema_format = u32::from_be_bytes([header[44], header[45], header[46], header[47]]);
    if schema_format > 4 {
        return Some(format!(
            "its schema format number (bytes 44 to 47) is {schema_format}, where SQLite writes 0 to 4"
        ));
    }
    let encoding = u32::from_be_bytes([header[56], header[57], header[58], header[59]]);
    if encoding > 3 {
        return Some(format!(
            "its text encoding (bytes 56 to 59) is {encoding}, where SQLite writes 0 to 3"
        ));
    }
    if header[72..92].iter().any(|b| *b != 0) {
        return Some("its reserved bytes 72 to 91 are not zero".into());
    }
    None
}

fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
