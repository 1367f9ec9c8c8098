//! The content-addressed store of imported files (`import_files`, keyed by sha256), so an
//! import can be reprocessed later from exactly the bytes it was given.

use crate::read::content::Content;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// Hex sha256 of a file's bytes, as stored in `document_imports.sha256` and `import_files`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// [`sha256_hex`] of content that may be an open file (read in chunks, never held whole).
pub fn sha256_of(content: Content<'_>) -> std::io::Result<String> {
    match content {
        Content::Bytes(bytes) => Ok(sha256_hex(bytes)),
        Content::File { .. } => {
            let mut hasher = Sha256::new();
            let mut reader = content.reader();
            let mut buf = vec![0; 1 << 16];
            loop {
                match std::io::Read::read(&mut reader, &mut buf)? {
                    0 => return Ok(hex::encode(hasher.finalize())),
                    n => hasher.update(&buf[..n]),
                }
            }
        }
    }
}

/// Store a file's bytes under their sha256 (`sha256` must be theirs; nothing happens when they
/// are stored already) and take the content lock ([`super::write::lock_content`]), in one round
/// trip (a file over 1 MiB: [`save_large_and_lock`]), inside the import's transaction so the
/// file is kept exactly when the import is. The transaction holds the lock when this returns.
/// The statement's own snapshot is not used for anything, so the next statement (which looks
/// for an earlier import of the same content) sees every import committed while this one
/// waited for the lock.
pub async fn save_and_lock(
    conn: &mut PgConnection,
    content: Content<'_>,
    sha256: &str,
) -> Result<super::write::ContentLocked, sqlx::Error> {
    let bytes = match content {
        Content::Bytes(bytes) if bytes.len() <= ONE_STATEMENT_MAX => bytes,
        _ => return save_large_and_lock(conn, content, sha256).await,
    };
    sqlx::query(
        "WITH saved AS (
             INSERT INTO import_files (sha256, bytes, size) VALUES ($1, $2, $3)
             ON CONFLICT (sha256) DO NOTHING
         )
         SELECT pg_advisory_xact_lock(hashtextextended($4, 0))",
    )
    .bind(sha256)
    .bind(bytes)
    .bind(bytes.len() as i64)
    .bind(crate::db::locks::content(sha256))
    .execute(&mut *conn)
    .await?;
    Ok(super::write::ContentLocked::new(sha256))
}

/// Files up to this size are stored with one bound parameter; a larger one is streamed in
/// chunks ([`save_large_and_lock`]), since a parameter is assembled whole in the connection's
/// send buffer, which keeps its largest size for the connection's life (twice a 32 MB file).
pub(super) const ONE_STATEMENT_MAX: usize = 1 << 20;

/// [`save_and_lock`] for a large file: the content lock, then, unless the bytes are stored
/// already, a binary `COPY` of them in 1 MiB chunks. A role under row security may not `COPY`
/// into `import_files` itself: for it the bytes go into a temporary table dropped at commit
/// and move with one `INSERT … ON CONFLICT DO NOTHING`. Every writer of these bytes takes the
/// same lock first, so once it is held, a row that is not there will not appear.
async fn save_large_and_lock(
    conn: &mut PgConnection,
    content: Content<'_>,
    sha256: &str,
) -> Result<super::write::ContentLocked, sqlx::Error> {
    let locked = super::write::lock_content(conn, sha256).await?;
    let (stored, row_security): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM import_files WHERE sha256 = $1),
                row_security_active('public.import_files')",
    )
    .bind(sha256)
    .fetch_one(&mut *conn)
    .await?;
    if stored {
        // Nothing to send, but a file read where it lies must still be what was planned.
        if let Content::File { .. } = content
            && sha256_of(content).map_err(sqlx::Error::Io)? != sha256
        {
            return Err(changed());
        }
        return Ok(locked);
    }
    if !row_security {
        copy_file_row(conn, FileTarget::Store, content, sha256).await?;
        return Ok(locked);
    }
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS pharmacy_ingest_staged_file ON COMMIT DROP AS
         SELECT sha256, bytes, size FROM import_files WITH NO DATA",
    )
    .execute(&mut *conn)
    .await?;
    copy_file_row(conn, FileTarget::Staging, content, sha256).await?;
    sqlx::query(
        "WITH moved AS (DELETE FROM pharmacy_ingest_staged_file RETURNING *)
         INSERT INTO import_files (sha256, bytes, size) SELECT sha256, bytes, size FROM moved
         ON CONFLICT (sha256) DO NOTHING",
    )
    .execute(&mut *conn)
    .await?;
    Ok(locked)
}

/// Where [`copy_file_row`] writes.
#[derive(Clone, Copy)]
enum FileTarget {
    /// `import_files` itself.
    Store,
    /// The temporary `pharmacy_ingest_staged_file` (for a role under row security).
    Staging,
}

/// The file's row (sha256, bytes, size) by a binary `COPY`, the bytes sent in chunks. Content
/// read from a file is hashed as it is sent: a file that changed since its sha256 was taken
/// (and the plan made) aborts the `COPY`, so stored bytes always match their key.
async fn copy_file_row(
    conn: &mut PgConnection,
    target: FileTarget,
    content: Content<'_>,
    sha256: &str,
) -> Result<(), sqlx::Error> {
    let statement = match target {
        FileTarget::Store => "COPY import_files (sha256, bytes, size) FROM STDIN (FORMAT binary)",
        FileTarget::Staging => {
            "COPY pharmacy_ingest_staged_file (sha256, bytes, size) FROM STDIN (FORMAT binary)"
        }
    };
    let len =
        usize::try_from(content.len()).map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?;
    let (head, tail) = super::copy::file_row_frame(sha256, len);
    let mut copy = conn.copy_in_raw(statement).await?;
    copy.send(head).await?;
    if let Content::Bytes(bytes) = content {
        for chunk in bytes.chunks(super::copy::COPY_FLUSH_BYTES) {
            copy.send(chunk).await?;
        }
    } else {
        let mut reader = content.reader();
        let mut hasher = Sha256::new();
        let mut chunk = vec![0; super::copy::COPY_FLUSH_BYTES];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            if let Err(e) = std::io::Read::read_exact(&mut reader, &mut chunk[..n]) {
                copy.abort("the file could not be read").await?;
                return Err(sqlx::Error::Io(e));
            }
            hasher.update(&chunk[..n]);
            copy.send(&chunk[..n]).await?;
            left -= n;
        }
        if hex::encode(hasher.finalize()) != sha256 {
            copy.abort("the file changed while it was imported").await?;
            return Err(changed());
        }
    }
    copy.send(tail).await?;
    copy.finish().await?;
    Ok(())
}

/// A file read where it lies no longer has the sha256 taken when it was opened.
fn changed() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "the file changed while it was being imported (is something still writing it?); \
         nothing was imported, import it again once it is complete",
    ))
}

/// The stored bytes of a file, if they were kept.
pub async fn load_file(
    conn: &mut PgConnection,
    sha256: &str,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT bytes FROM import_files WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
