//! The folders beside each watched folder and the moves between them. A file is never deleted
//! or overwritten: every move links the file under a free name (a clash gets ` (1)`, ` (2)`, …)
//! before removing the old name, so two workers racing for one file end with exactly one copy.
//! Reports beside a file are written whole under a temporary name and then linked into place,
//! so nobody ever reads half a report.
//!
//! ```text
//! <root>/inbox/NAME                 dropped by a store manager (or inbox/<store>/NAME)
//! <root>/processing/NAME            taken: a job exists for it
//! <root>/processed/YYYY-MM-DD/NAME  imported, with NAME.result.txt (the receipt)
//! <root>/needs-attention/NAME       partly imported or held for approval, with the receipt,
//!                                   NAME.errors.txt and NAME.errors.xlsx
//! <root>/failed/NAME                refused, with the receipt and the reports
//! <root>/processed/YYYY-MM-DD/fixed/NAME
//!                                   a failed or partial file a later import fixed, its receipt
//!                                   starting with "FIXED … (import X)"
//! ```
//!
//! A per-store inbox `inbox/<store>/` (a folder named by a store number) keeps its store
//! folder on the way: `processing/<store>/`, `failed/<store>/`, … A file in it that names
//! another store is refused (see `ImportRequest::inbox_store`).

use std::io;
use std::path::{Path, PathBuf};

/// A watched folder and its siblings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub inbox: PathBuf,
    pub processing: PathBuf,
    pub processed: PathBuf,
    pub failed: PathBuf,
    /// Partly imported and held files (`intake.partial_folder`, default `needs-attention`).
    pub needs_attention: PathBuf,
}

/// The sibling folder names.
pub const PROCESSING: &str = "processing";
pub const PROCESSED: &str = "processed";
pub const FAILED: &str = "failed";
/// The default folder for partly imported and held files.
pub const NEEDS_ATTENTION: &str = "needs-attention";
/// Under `processed/YYYY-MM-DD/`: files that a later import fixed.
pub const FIXED: &str = "fixed";

impl Layout {
    /// Create the inbox and its siblings if missing; paths are made absolute.
    pub fn prepare(inbox: &Path) -> io::Result<Layout> {
        Self::prepare_with(inbox, NEEDS_ATTENTION)
    }

    /// [`Layout::prepare`] with the folder for partly imported and held files.
    pub fn prepare_with(inbox: &Path, partial_folder: &str) -> io::Result<Layout> {
        std::fs::create_dir_all(inbox)?;
        let inbox = inbox.canonicalize()?;
        let root = inbox.parent().unwrap_or(&inbox).to_path_buf();
        let layout = Layout {
            processing: root.join(PROCESSING),
            processed: root.join(PROCESSED),
            failed: root.join(FAILED),
            needs_attention: root.join(partial_folder),
            inbox,
        };
        for d in [
            &layout.processing,
            &layout.processed,
            &layout.failed,
            &layout.needs_attention,
        ] {
            std::fs::create_dir_all(d)?;
        }
        Ok(layout)
    }

    /// The layout a `processing/` file belongs to, from the file's own path, and its store
    /// folder when it came from a per-store inbox (`processing/<store>/NAME`).
    pub fn of_processing_file(
        path: &Path,
        partial_folder: &str,
    ) -> Option<(Layout, Option<String>)> {
        let parent = path.parent()?;
        let (processing, store) = if parent.file_name()? == PROCESSING {
            (parent, None)
        } else {
            let store = store_folder(parent)?;
            let up = parent.parent()?;
            (up.file_name()? == PROCESSING).then_some((up, Some(store)))?
        };
        let root = processing.parent()?;
        Some((
            Layout {
                inbox: root.join("inbox"),
                processing: processing.to_path_buf(),
                processed: root.join(PROCESSED),
                failed: root.join(FAILED),
                needs_attention: root.join(partial_folder),
            },
            store,
        ))
    }

    /// The folder that holds this layout's siblings.
    pub fn root(&self) -> &Path {
        self.processing.parent().unwrap_or(&self.processing)
    }
}

/// A per-store folder's name (`1042`): digits only, at most 9.
pub fn store_folder(dir: &Path) -> Option<String> {
    let name = dir.file_name()?.to_str()?;
    (!name.is_empty() && name.len() <= 9 && name.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.to_string())
}

/// The store of the per-store inbox a `processing/<store>/NAME` file came from.
pub fn inbox_store_of(processing_file: &Path) -> Option<i32> {
    let parent = processing_file.parent()?;
    let store = store_folder(parent)?;
    (parent.parent()?.file_name()? == PROCESSING)
        .then(|| store.parse().ok())
        .flatten()
}

/// Where a move ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    /// The file now has this path.
    To(PathBuf),
    /// The file was no longer at its source (another worker moved it first).
    Gone,
}

/// Move `src` into folder `dir` under its own name, or with a suffix if the name is taken.
/// Never overwrites. If `src` disappears meanwhile (another worker won), nothing is left behind.
pub fn move_into(src: &Path, dir: &Path) -> io::Result<Moved> {
    let name = src
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let name = name.to_string_lossy().into_owned();
    move_as(src, dir, &name)
}

/// Move `src` into folder `dir` as `name`, or with a suffix if the name is taken.
pub fn move_as(src: &Path, dir: &Path, name: &str) -> io::Result<Moved> {
    std::fs::create_dir_all(dir)?;
    for n in 0..10_000u32 {
        let dst = dir.join(suffixed(name, n));
        match std::fs::hard_link(src, &dst) {
            Ok(()) => {
                return match std::fs::remove_file(src) {
                    Ok(()) => Ok(Moved::To(dst)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        // Someone else moved the same file meanwhile: theirs is the copy.
                        std::fs::remove_file(&dst)?;
                        Ok(Moved::Gone)
                    }
                    Err(e) => {
                        let _ = std::fs::remove_file(&dst);
                        Err(e)
                    }
                };
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if src.exists() {
                    return Err(e);
                }
                return Ok(Moved::Gone);
            }
            Err(e) if link_unsupported(&e) => return rename_no_clobber(src, dir, name),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name for {name} in {}", dir.display()),
    ))
}

/// File systems without hard links (some network shares): check, then rename. Not safe
/// against a second worker on the same share, which such shares cannot offer anyway.
fn rename_no_clobber(src: &Path, dir: &Path, name: &str) -> io::Result<Moved> {
    for n in 0..10_000u32 {
        let dst = dir.join(suffixed(name, n));
        if dst.symlink_metadata().is_ok() {
            continue;
        }
        return match std::fs::rename(src, &dst) {
            Ok(()) => Ok(Moved::To(dst)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Moved::Gone),
            Err(e) => Err(e),
        };
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name for {name} in {}", dir.display()),
    ))
}

fn link_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EXDEV) | Some(libc::EPERM) | Some(libc::EOPNOTSUPP) | Some(libc::EMLINK)
    ) || e.kind() == io::ErrorKind::Unsupported
}

/// `name` with ` (n)` before its extension (`week.xlsx` → `week (2).xlsx`); `n = 0` is `name`.
pub fn suffixed(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_string();
    }
    match name.rfind('.') {
        Some(i) if i > 0 => format!("{} ({n}){}", &name[..i], &name[i..]),
        _ => format!("{name} ({n})"),
    }
}

/// Write `bytes` to a new file `path` (or with a suffix if the name is taken), atomically:
/// written and synced under a hidden temporary name in the same folder, then linked into
/// place. Never overwrites; a reader never sees a half-written file.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    match move_as(&tmp, dir, &name) {
        Ok(Moved::To(p)) => Ok(p),
        Ok(Moved::Gone) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the temporary file for {name} vanished"),
        )),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Where a finished file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Imported (also a duplicate): `processed/YYYY-MM-DD/`.
    Processed,
    /// Partly imported or held: the layout's `needs-attention/` folder.
    NeedsAttention,
    /// Refused: `failed/`.
    Failed,
}

/// How a job's file ends: where it goes and what is written beside it.
#[derive(Debug, Clone)]
pub struct Finish {
    pub to: Destination,
    /// Written beside the file as `<its final name><suffix>` (receipt, reports).
    pub sidecars: Vec<crate::import::feedback::Sidecar>,
}

impl Finish {
    /// A refused file with one plain report (the failure happened outside the import).
    pub fn failed(report: String) -> Finish {
        Finish {
            to: Destination::Failed,
            sidecars: vec![
                crate::import::feedback::Sidecar {
                    suffix: crate::import::feedback::RESULT_TXT,
                    bytes: report.clone().into_bytes(),
                },
                crate::import::feedback::Sidecar {
                    suffix: crate::import::feedback::ERRORS_TXT,
                    bytes: report.into_bytes(),
                },
            ],
        }
    }
}

/// Move a `processing/` file to where its job's end sends it, with its sidecars. Returns the
/// new path, or `None` when the file was not there (already moved by another worker, or the
/// job was not an inbox job on this machine). `partial_folder` names `needs-attention/`.
pub fn finish(
    processing_file: &Path,
    how: &Finish,
    partial_folder: &str,
) -> io::Result<Option<PathBuf>> {
    let Some((layout, store)) = Layout::of_processing_file(processing_file, partial_folder) else {
        return Ok(None);
    };
    if processing_file.symlink_metadata().is_err() {
        return Ok(None);
    }
    let mut dir = match how.to {
        Destination::Processed => layout.processed.join(today()),
        Destination::NeedsAttention => layout.needs_attention.clone(),
        Destination::Failed => layout.failed.clone(),
    };
    if let Some(store) = store {
        dir.push(store);
    }
    match move_into(processing_file, &dir)? {
        Moved::To(p) => {
            for s in &how.sidecars {
                write_new(&sidecar_path(&p, s.suffix), &s.bytes)?;
            }
            Ok(Some(p))
        }
        Moved::Gone => Ok(None),
    }
}

fn today() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}

/// `dir/NAME` + `.result.txt` → `dir/NAME.result.txt`.
pub fn sidecar_path(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    file.with_file_name(name)
}

/// Move a file that a later import fixed, with its sidecars, from `failed/` or
/// `needs-attention/` to `processed/YYYY-MM-DD/fixed/` (keeping a per-store folder), and
/// start its receipt with `note`. Returns the new path, or `None` when the file is gone.
pub fn retire(layout: &Layout, file: &Path, note: &str) -> io::Result<Option<PathBuf>> {
    let mut dir = layout.processed.join(today()).join(FIXED);
    if let Some(parent) = file.parent()
        && parent != layout.failed
        && parent != layout.needs_attention
        && let Some(store) = store_folder(parent)
    {
        dir.push(store);
    }
    let receipt_at = sidecar_path(file, crate::import::feedback::RESULT_TXT);
    let old_receipt = std::fs::read_to_string(&receipt_at).unwrap_or_default();
    let Moved::To(moved) = move_into(file, &dir)? else {
        return Ok(None);
    };
    let new_name = moved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in crate::import::feedback::SUFFIXES {
        let from = sidecar_path(file, suffix);
        if suffix == crate::import::feedback::RESULT_TXT {
            write_new(
                &sidecar_path(&moved, suffix),
                format!("{note}{old_receipt}").as_bytes(),
            )?;
            let _ = std::fs::remove_file(&from);
        } else if from.exists() {
            move_as(&from, &dir, &format!("{new_name}{suffix}"))?;
        }
    }
    Ok(Some(moved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_go_before_the_extension() {
        assert_eq!(suffixed("week.xlsx", 0), "week.xlsx");
        assert_eq!(suffixed("week.xlsx", 2), "week (2).xlsx");
        assert_eq!(suffixed("README", 1), "README (1)");
        assert_eq!(suffixed(".x", 1), ".x (1)");
    }

    #[test]
    fn moves_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        std::fs::write(layout.processing.join("a.csv"), b"old").unwrap();
        let src = layout.inbox.join("a.csv");
        std::fs::write(&src, b"new").unwrap();
        let Moved::To(dst) = move_into(&src, &layout.processing).unwrap() else {
            panic!("not moved")
        };
        assert_eq!(dst, layout.processing.join("a (1).csv"));
        assert_eq!(std::fs::read(&dst).unwrap(), b"new");
        assert_eq!(
            std::fs::read(layout.processing.join("a.csv")).unwrap(),
            b"old"
        );
        assert!(!src.exists());
        assert_eq!(move_into(&src, &layout.processing).unwrap(), Moved::Gone);
    }

    fn report(text: &str) -> Finish {
        Finish::failed(text.to_string())
    }

    #[test]
    fn failed_files_get_their_report_beside_them() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        for round in 0..2 {
            let p = layout.processing.join("bad.csv");
            std::fs::write(&p, format!("round {round}")).unwrap();
            let to = finish(&p, &report(&format!("report {round}")), NEEDS_ATTENTION)
                .unwrap()
                .unwrap();
            assert_eq!(
                std::fs::read_to_string(sidecar_path(&to, ".errors.txt")).unwrap(),
                format!("report {round}")
            );
        }
        assert!(layout.failed.join("bad.csv").exists());
        assert!(layout.failed.join("bad (1).csv").exists());
        assert!(layout.failed.join("bad (1).csv.errors.txt").exists());
        assert!(layout.failed.join("bad (1).csv.result.txt").exists());
        let stray: Vec<_> = std::fs::read_dir(&layout.failed)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "no temporary files left");
    }

    #[test]
    fn processed_files_go_to_a_dated_folder() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        let p = layout.processing.join("ok.csv");
        std::fs::write(&p, b"x").unwrap();
        let ok = Finish {
            to: Destination::Processed,
            sidecars: vec![],
        };
        let to = finish(&p, &ok, NEEDS_ATTENTION).unwrap().unwrap();
        assert_eq!(to, layout.processed.join(today()).join("ok.csv"));
        assert!(!p.exists());
        assert_eq!(finish(&p, &ok, NEEDS_ATTENTION).unwrap(), None);
        assert_eq!(
            finish(&layout.inbox.join("x"), &ok, NEEDS_ATTENTION).unwrap(),
            None
        );
    }

    #[test]
    fn per_store_files_keep_their_store_folder_and_partial_ones_need_attention() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare_with(&dir.path().join("inbox"), "look-here").unwrap();
        let p = layout.processing.join("1042").join("w.csv");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"x").unwrap();
        assert_eq!(inbox_store_of(&p), Some(1042));
        assert_eq!(inbox_store_of(&layout.processing.join("w.csv")), None);
        let how = Finish {
            to: Destination::NeedsAttention,
            sidecars: vec![],
        };
        let to = finish(&p, &how, "look-here").unwrap().unwrap();
        assert_eq!(
            to,
            dir.path()
                .join("look-here/1042/w.csv")
                .canonicalize()
                .unwrap()
        );
    }

    #[test]
    fn a_fixed_file_moves_with_its_reports_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        let p = layout.processing.join("w.xlsx");
        std::fs::write(&p, b"x").unwrap();
        let mut how = report("NOT imported");
        how.sidecars.push(crate::import::feedback::Sidecar {
            suffix: ".errors.xlsx",
            bytes: b"wb".to_vec(),
        });
        let failed = finish(&p, &how, NEEDS_ATTENTION).unwrap().unwrap();
        let moved = retire(&layout, &failed, "FIXED by import X.\n\n")
            .unwrap()
            .unwrap();
        let fixed_dir = layout.processed.join(today()).join(FIXED);
        assert_eq!(moved, fixed_dir.join("w.xlsx"));
        assert!(
            std::fs::read_dir(&layout.failed).unwrap().next().is_none(),
            "failed/ is empty"
        );
        let receipt = std::fs::read_to_string(fixed_dir.join("w.xlsx.result.txt")).unwrap();
        assert!(
            receipt.starts_with("FIXED by import X.\n\nNOT imported"),
            "{receipt}"
        );
        assert!(fixed_dir.join("w.xlsx.errors.txt").exists());
        assert_eq!(
            std::fs::read(fixed_dir.join("w.xlsx.errors.xlsx")).unwrap(),
            b"wb"
        );
    }
}
