//! The folders under which a job may name its file by path. The worker publishes them to
//! `queue_path_roots` (checked by `enqueue_import`) and checks them again itself, after
//! resolving symlinks, before it reads a path job's file. Its read limit goes to
//! `queue_file_limits` the same way (checked by a trigger on `import_jobs`).

use super::QueueError;
use sqlx::PgPool;
use std::path::{Path, PathBuf};

/// Replace this host's rows in `queue_path_roots` with `roots` (absolute, normalised).
pub async fn publish(pool: &PgPool, host: &str, roots: &[PathBuf]) -> Result<(), QueueError> {
    let roots: Vec<String> = roots
        .iter()
        .filter_map(|r| r.to_str())
        .map(|r| r.trim_end_matches('/').to_string())
        .filter(|r| !r.is_empty())
        .collect();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM queue_path_roots WHERE host = $1 AND NOT (root = ANY($2))")
        .bind(host)
        .bind(&roots)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO queue_path_roots (host, root)
         SELECT $1, unnest($2::text[])
         ON CONFLICT (host, root) DO UPDATE SET updated_at = now()",
    )
    .bind(host)
    .bind(&roots)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Publish this host's `read.max_file_bytes` to `queue_file_limits`: `import_jobs` refuses a
/// file larger than the largest published limit, so over-limit bytes are never stored.
pub async fn publish_file_limit(
    pool: &PgPool,
    host: &str,
    max_file_bytes: u64,
) -> Result<(), QueueError> {
    sqlx::query(
        "INSERT INTO queue_file_limits (host, max_file_bytes) VALUES ($1, $2)
         ON CONFLICT (host) DO UPDATE SET max_file_bytes = EXCLUDED.max_file_bytes,
             updated_at = now()",
    )
    .bind(host)
    .bind(i64::try_from(max_file_bytes).unwrap_or(i64::MAX))
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether `path`, with symlinks resolved, lies under one of `roots` (also resolved).
/// A path that does not exist is not under any root.
pub fn is_under_roots(path: &Path, roots: &[PathBuf]) -> bool {
    let Ok(real) = path.canonicalize() else {
        return false;
    };
    roots.iter().any(|r| {
        r.canonicalize()
            .map(|root| real.starts_with(&root) && real != root)
            .unwrap_or(false)
    })
}

/// An absolute form of `path` without `.`/`..` parts (the folder must exist).
pub fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    path.canonicalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_roots_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("drop");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.csv"), b"x").unwrap();
        std::fs::write(dir.path().join("outside.csv"), b"x").unwrap();
        let roots = vec![root.clone()];
        assert!(is_under_roots(&root.join("a.csv"), &roots));
        assert!(!is_under_roots(&dir.path().join("outside.csv"), &roots));
        assert!(!is_under_roots(&root.join("../outside.csv"), &roots));
        assert!(!is_under_roots(&root.join("missing.csv"), &roots));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside.csv"), root.join("link.csv"))
                .unwrap();
            assert!(!is_under_roots(&root.join("link.csv"), &roots));
        }
    }
}
