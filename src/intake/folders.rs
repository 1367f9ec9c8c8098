//! The folders beside each watched folder and the moves between them. A file is never deleted
//! or overwritten: every move links the file under a free name (a clash gets ` (1)`, ` (2)`, …)
//! before removing the old name, so two workers racing for one file end with exactly one copy.
//!
//! ```text
//! <root>/inbox/NAME                 dropped by a store manager
//! <root>/processing/NAME            taken: a job exists for it
//! <root>/processed/YYYY-MM-DD/NAME  imported
//! <root>/failed/NAME                refused, with NAME.errors.txt beside it
//! ```

use std::io;
use std::path::{Path, PathBuf};

/// A watched folder and its siblings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub inbox: PathBuf,
    pub processing: PathBuf,
    pub processed: PathBuf,
    pub failed: PathBuf,
}

/// The sibling folder names.
pub const PROCESSING: &str = "processing";
pub const PROCESSED: &str = "processed";
pub const FAILED: &str = "failed";

impl Layout {
    /// Create the inbox and its siblings if missing; paths are made absolute.
    pub fn prepare(inbox: &Path) -> io::Result<Layout> {
        std::fs::create_dir_all(inbox)?;
        let inbox = inbox.canonicalize()?;
        let root = inbox.parent().unwrap_or(&inbox).to_path_buf();
        let layout = Layout {
            processing: root.join(PROCESSING),
            processed: root.join(PROCESSED),
            failed: root.join(FAILED),
            inbox,
        };
        for d in [&layout.processing, &layout.processed, &layout.failed] {
            std::fs::create_dir_all(d)?;
        }
        Ok(layout)
    }

    /// The layout a `processing/` file belongs to, from the file's own path.
    pub fn of_processing_file(path: &Path) -> Option<Layout> {
        let processing = path.parent()?;
        if processing.file_name()? != PROCESSING {
            return None;
        }
        let root = processing.parent()?;
        Some(Layout {
            inbox: root.join("inbox"),
            processing: processing.to_path_buf(),
            processed: root.join(PROCESSED),
            failed: root.join(FAILED),
        })
    }
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
    std::fs::create_dir_all(dir)?;
    let name = name.to_string_lossy().into_owned();
    for n in 0..10_000u32 {
        let dst = dir.join(suffixed(&name, n));
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
            Err(e) if link_unsupported(&e) => return rename_no_clobber(src, dir, &name),
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

/// Write `text` to a new file `path`, or with a suffix if the name is taken. Never overwrites.
pub fn write_new(path: &Path, text: &str) -> io::Result<PathBuf> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0..10_000u32 {
        let p = dir.join(suffixed(&name, n));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                return Ok(p);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name for {name}"),
    ))
}

/// How a job's file ends.
#[derive(Debug, Clone)]
pub enum Finish {
    /// Imported (also a duplicate, which needed no import): to `processed/YYYY-MM-DD/`, with
    /// a report of the rejected rows beside it when some were rejected.
    Processed(Option<String>),
    /// Refused: to `failed/`, with this report as `NAME.errors.txt` beside it.
    Failed(String),
}

/// Move a `processing/` file to where its job's end sends it. Returns the new path, or `None`
/// when the file was not there (already moved by another worker, or the job was not an inbox
/// job on this machine).
pub fn finish(processing_file: &Path, how: &Finish) -> io::Result<Option<PathBuf>> {
    let Some(layout) = Layout::of_processing_file(processing_file) else {
        return Ok(None);
    };
    if processing_file.symlink_metadata().is_err() {
        return Ok(None);
    }
    match how {
        Finish::Processed(report) => {
            let day = chrono::Local::now().format("%Y-%m-%d").to_string();
            move_with_report(
                processing_file,
                &layout.processed.join(day),
                report.as_deref(),
            )
        }
        Finish::Failed(report) => move_with_report(processing_file, &layout.failed, Some(report)),
    }
}

fn move_with_report(src: &Path, dir: &Path, report: Option<&str>) -> io::Result<Option<PathBuf>> {
    match move_into(src, dir)? {
        Moved::To(p) => {
            if let Some(report) = report {
                let mut name = p.file_name().unwrap_or_default().to_os_string();
                name.push(".errors.txt");
                write_new(&dir.join(name), report)?;
            }
            Ok(Some(p))
        }
        Moved::Gone => Ok(None),
    }
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

    #[test]
    fn failed_files_get_their_report_beside_them() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        for round in 0..2 {
            let p = layout.processing.join("bad.csv");
            std::fs::write(&p, format!("round {round}")).unwrap();
            let to = finish(&p, &Finish::Failed(format!("report {round}")))
                .unwrap()
                .unwrap();
            let mut report = to.clone().into_os_string();
            report.push(".errors.txt");
            assert_eq!(
                std::fs::read_to_string(&report).unwrap(),
                format!("report {round}")
            );
        }
        assert!(layout.failed.join("bad.csv").exists());
        assert!(layout.failed.join("bad (1).csv").exists());
        assert!(layout.failed.join("bad (1).csv.errors.txt").exists());
    }

    #[test]
    fn processed_files_go_to_a_dated_folder() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        let p = layout.processing.join("ok.csv");
        std::fs::write(&p, b"x").unwrap();
        let to = finish(&p, &Finish::Processed(None)).unwrap().unwrap();
        let day = chrono::Local::now().format("%Y-%m-%d").to_string();
        assert_eq!(to, layout.processed.join(day).join("ok.csv"));
        assert!(!p.exists());
        assert_eq!(finish(&p, &Finish::Processed(None)).unwrap(), None);
        assert_eq!(
            finish(&layout.inbox.join("x"), &Finish::Processed(None)).unwrap(),
            None
        );
    }
}
