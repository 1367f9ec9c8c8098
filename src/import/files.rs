//! The content-addressed store of imported files (`import_files`, keyed by sha256), so an
//! import can be reprocessed later from exactly the bytes it was given.

use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// Hex sha256 of a file's bytes, as stored in `document_imports.sha256` and `import_files`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Store a file's bytes under their sha256 (`sha256` must be theirs; nothing happens when they
/// are stored already) and take the content lock ([`super::write::lock_content`]), in one round
/// trip, inside the import's transaction so the file is kept exactly when the import is. The
/// transaction holds the lock when this returns. The statement's own snapshot is not used for anything, so the next statement
/// (which looks for an earlier import of the same content) sees every import committed while
/// this one waited for the lock.
pub async fn save_and_lock(
    conn: &mut PgConnection,
    bytes: &[u8],
    sha256: &str,
) -> Result<super::write::ContentLocked, sqlx::Error> {
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
