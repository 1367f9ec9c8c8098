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
/// Across file systems (`processed/` on another mount: `EXDEV`) the file is copied, fsynced and
/// linked into place under a free name, then the source is removed: still exactly one copy.
pub fn move_into(src: &Path, dir: &Path) -> io::Result<Moved> {
    let name = src
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    std::fs::create_dir_all(dir)?;
    let name = name.to_string_lossy().into_owned();
    match link_into(src, dir, &name) {
        Ok(Linked::To(dst)) => remove_source(src, dst),
        Ok(Linked::Gone) => Ok(Moved::Gone),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => copy_across(src, dir, &name),
        Err(e) if link_unsupported(&e) => rename_no_clobber(src, dir, &name),
        Err(e) => Err(e),
    }
}

/// What [`link_into`] did.
enum Linked {
    /// `src` has a second name, this one.
    To(PathBuf),
    /// `src` was gone.
    Gone,
}

/// Give `src` a second name in `dir`: `name`, or the first free suffixed name.
fn link_into(src: &Path, dir: &Path, name: &str) -> io::Result<Linked> {
    for n in 0..10_000u32 {
        let dst = dir.join(suffixed(name, n));
        match std::fs::hard_link(src, &dst) {
            Ok(()) => return Ok(Linked::To(dst)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if src.exists() {
                    return Err(e);
                }
                return Ok(Linked::Gone);
            }
            Err(e) => return Err(e),
        }
    }
    Err(no_free_name(name, dir))
}

/// Second step of a move: remove the old name. If someone else removed it first (they moved
/// the same file), theirs is the copy and ours goes.
fn remove_source(src: &Path, dst: PathBuf) -> io::Result<Moved> {
    match std::fs::remove_file(src) {
        Ok(()) => {
            sync_dir(src.parent());
            Ok(Moved::To(dst))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::remove_file(&dst)?;
            Ok(Moved::Gone)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&dst);
            Err(e)
        }
    }
}

/// A move across file systems: copy to a hidden temporary name in `dir`, fsync it, link it
/// under a free name (never overwriting), drop the temporary name, then remove the source.
/// A crash leaves at most a hidden `.NAME.*.moving` file (ignored, removed by
/// [`remove_stale_temporaries`]) and the source untouched.
fn copy_across(src: &Path, dir: &Path, name: &str) -> io::Result<Moved> {
    let tmp = temp_name(dir, name, "moving");
    let copied = (|| {
        let mut from = match std::fs::File::open(src) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let mut to = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        io::copy(&mut from, &mut to)?;
        to.sync_all()?;
        Ok(true)
    })();
    match copied {
        Ok(true) => {}
        Ok(false) => return Ok(Moved::Gone),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    let linked = link_into(&tmp, dir, name);
    let _ = std::fs::remove_file(&tmp);
    match linked? {
        Linked::To(dst) => {
            sync_dir(Some(dir));
            remove_source(src, dst)
        }
        Linked::Gone => Err(io::Error::other(
            "the copied file vanished before it was linked",
        )),
    }
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
            Err(e) if e.raw_os_error() == Some(libc::EXDEV) => copy_across(src, dir, name),
            Err(e) => Err(e),
        };
    }
    Err(no_free_name(name, dir))
}

fn link_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EPERM) | Some(libc::EOPNOTSUPP) | Some(libc::EMLINK)
    ) || e.kind() == io::ErrorKind::Unsupported
}

fn no_free_name(name: &str, dir: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name for {name} in {}", dir.display()),
    )
}

/// A hidden, unique temporary name in `dir` (dotfiles are never taken by the intake).
fn temp_name(dir: &Path, name: &str, what: &str) -> PathBuf {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".{name}.{}-{n}.{what}", std::process::id()))
}

/// Make a directory's entries durable (best effort: not every file system supports it).
fn sync_dir(dir: Option<&Path>) {
    if let Some(d) = dir
        && let Ok(f) = std::fs::File::open(d)
    {
        let _ = f.sync_all();
    }
}

/// Remove hidden temporaries (`.NAME.PID-N.moving` / `.report`) older than `age` from `dir`:
/// what a crash in the middle of a cross-device move or a report write left behind.
pub fn remove_stale_temporaries(dir: &Path, age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with('.') && (name.ends_with(".moving") || name.ends_with(".report"))) {
            continue;
        }
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|e| e >= age);
        if old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
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

/// Write `text` to a new file `path`, or with a suffix if the name is taken. Never overwrites,
/// and never leaves a partial file under the final name: the text goes to a hidden temporary
/// file that is fsynced and then linked into place (a full disk leaves no report at all, so
/// the caller can try again, instead of an empty one).
pub fn write_new(path: &Path, text: &str) -> io::Result<PathBuf> {
    let tmp = write_temp(path, text)?;
    let placed = place_temp(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    placed
}

/// The first step of [`write_new`]: the text in a hidden, fsynced temporary beside `path`.
fn write_temp(path: &Path, text: &str) -> io::Result<PathBuf> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = temp_name(dir, &name, "report");
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })();
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The second step of [`write_new`]: link the temporary under `path` or a free suffixed name.
fn place_temp(tmp: &Path, path: &Path) -> io::Result<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let placed = match link_into(tmp, dir, &name) {
        Ok(Linked::To(p)) => p,
        Ok(Linked::Gone) => return Err(io::Error::other("the report vanished while written")),
        Err(e) if link_unsupported(&e) => {
            let p = (0..10_000u32)
                .map(|n| dir.join(suffixed(&name, n)))
                .find(|p| p.symlink_metadata().is_err())
                .ok_or_else(|| no_free_name(&name, dir))?;
            std::fs::rename(tmp, &p)?;
            p
        }
        Err(e) => return Err(e),
    };
    sync_dir(Some(dir));
    Ok(placed)
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

/// Move `src` into `dir` with its report. The report is written (and fsynced) first: if
/// that fails (a full disk), the file stays where it is and the next sweep tries again, so a
/// refused file never sits in `failed/` without its reason, and no report is ever empty.
pub(crate) fn move_with_report(
    src: &Path,
    dir: &Path,
    report: Option<&str>,
) -> io::Result<Option<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let staged = match report {
        Some(text) => Some(write_temp(&dir.join(".errors.txt"), text)?),
        None => None,
    };
    let moved = move_into(src, dir);
    let result = match (moved, &staged) {
        (Ok(Moved::To(p)), Some(tmp)) => {
            let mut name = p.file_name().unwrap_or_default().to_os_string();
            name.push(".errors.txt");
            place_temp(tmp, &dir.join(name)).map(|_| Some(p))
        }
        (Ok(Moved::To(p)), None) => Ok(Some(p)),
        (Ok(Moved::Gone), _) => Ok(None),
        (Err(e), _) => Err(e),
    };
    if let Some(tmp) = staged {
        let _ = std::fs::remove_file(tmp);
    }
    result
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

    /// A folder on another file system than `near`: `/dev/shm` (tmpfs) when it is one.
    fn other_filesystem(near: &Path) -> Option<tempfile::TempDir> {
        use std::os::unix::fs::MetadataExt;
        let shm = Path::new("/dev/shm");
        let other = shm.metadata().ok()?.dev() != near.metadata().ok()?.dev();
        other.then(|| tempfile::tempdir_in(shm).ok()).flatten()
    }

    #[test]
    fn finding8_moves_across_file_systems_copy_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let Some(far) = other_filesystem(dir.path()) else {
            eprintln!("skipped: no second file system (/dev/shm) on this machine");
            return;
        };
        let src = dir.path().join("week.csv");
        let dst_dir = far.path().join("processed");
        std::fs::create_dir_all(&dst_dir).unwrap();
        // The plain link fails with EXDEV across the mount.
        let e = std::fs::hard_link(&src, dst_dir.join("x")).unwrap_err();
        assert!(matches!(
            e.raw_os_error(),
            Some(libc::EXDEV) | Some(libc::ENOENT)
        ));
        std::fs::write(&src, b"first").unwrap();
        let e = std::fs::hard_link(&src, dst_dir.join("x")).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EXDEV));

        std::fs::write(dst_dir.join("week.csv"), b"older").unwrap();
        let Moved::To(to) = move_into(&src, &dst_dir).unwrap() else {
            panic!("not moved")
        };
        assert_eq!(to, dst_dir.join("week (1).csv"));
        assert_eq!(std::fs::read(&to).unwrap(), b"first");
        assert_eq!(std::fs::read(dst_dir.join("week.csv")).unwrap(), b"older");
        assert!(!src.exists(), "exactly one copy");
        let mut names: Vec<_> = std::fs::read_dir(&dst_dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["week (1).csv", "week.csv"], "no temporary left");
        assert_eq!(move_into(&src, &dst_dir).unwrap(), Moved::Gone);
    }

    #[test]
    fn finding8_finish_with_a_report_across_file_systems() {
        let dir = tempfile::tempdir().unwrap();
        let Some(far) = other_filesystem(dir.path()) else {
            eprintln!("skipped: no second file system (/dev/shm) on this machine");
            return;
        };
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        // failed/ is a symlink to a folder on the other file system.
        std::fs::remove_dir(&layout.failed).unwrap();
        std::os::unix::fs::symlink(far.path(), &layout.failed).unwrap();
        let p = layout.processing.join("bad.csv");
        std::fs::write(&p, b"bad").unwrap();
        let to = finish(&p, &Finish::Failed("why".into())).unwrap().unwrap();
        assert_eq!(std::fs::read(&to).unwrap(), b"bad");
        assert_eq!(
            std::fs::read_to_string(far.path().join("bad.csv.errors.txt")).unwrap(),
            "why"
        );
        assert!(!p.exists());
    }

    #[test]
    fn reports_are_never_left_partial_and_temporaries_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_new(&dir.path().join("a.errors.txt"), "report").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "report");
        let again = write_new(&dir.path().join("a.errors.txt"), "second").unwrap();
        assert_eq!(again, dir.path().join("a.errors (1).txt"));
        std::fs::write(dir.path().join(".x.csv.1-1.moving"), b"half").unwrap();
        assert_eq!(
            remove_stale_temporaries(dir.path(), std::time::Duration::ZERO),
            1
        );
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.errors (1).txt", "a.errors.txt"]);
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
