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

use crate::import::feedback::Sidecar;
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
/// Across file systems (`processed/` on another mount: `EXDEV`) the file is copied, fsynced and
/// linked into place under a free name, then the source is removed: still exactly one copy.
pub fn move_into(src: &Path, dir: &Path) -> io::Result<Moved> {
    let name = src
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let name = name.to_string_lossy().into_owned();
    move_as(src, dir, &name)
}

/// Move `src` into folder `dir` as `name`, or with a suffix if the name is taken; the same
/// guarantees as [`move_into`]. `dir` is created if missing.
pub fn move_as(src: &Path, dir: &Path, name: &str) -> io::Result<Moved> {
    std::fs::create_dir_all(dir)?;
    match link_into(src, dir, name) {
        Ok(Linked::To(dst)) => remove_source(src, dst),
        Ok(Linked::Gone) => Ok(Moved::Gone),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => copy_across(src, dir, name),
        Err(e) if link_unsupported(&e) => rename_no_clobber(src, dir, name),
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
    let mut from = match std::fs::File::open(src) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Moved::Gone),
        Err(e) => return Err(e),
    };
    let (tmp, mut to) = create_temp(dir, name, "moving")?;
    let copied = io::copy(&mut from, &mut to).and_then(|_| to.sync_all());
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
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

/// The sequence number of this process's next temporary name.
static TEMP_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A hidden temporary name in `dir`, `.NAME.PID-N.WHAT` (dotfiles are never taken by the
/// intake). Unique within this process; see [`create_temp`] for other processes.
fn temp_name(dir: &Path, name: &str, what: &str) -> PathBuf {
    let n = TEMP_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".{name}.{}-{n}.{what}", std::process::id()))
}

/// Create a new temporary file in `dir` under a name from [`temp_name`], taking the next
/// name while one is taken: a worker restarted under the PID of a killed one (PID 1 in a
/// container) would otherwise run into the temporaries that one left and fail its writes.
fn create_temp(dir: &Path, name: &str, what: &str) -> io::Result<(PathBuf, std::fs::File)> {
    for _ in 0..10_000u32 {
        let tmp = temp_name(dir, name, what);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(no_free_name(name, dir))
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
/// what a crash in the middle of a cross-device move or a report write left behind. Only
/// regular files with exactly that shape of name go; `dir` itself is not descended into.
pub fn remove_stale_temporaries(dir: &Path, age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_temporary_name(&name) || !entry.file_type().is_ok_and(|t| t.is_file()) {
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

/// Whether `name` has the shape of a [`temp_name`]: `.NAME.PID-N.moving` or `.report`. NAME
/// may be empty or start with a dot: sidecars are staged before the move decides their file's
/// final name, under the bare suffix (`..result.txt.PID-N.report`).
pub fn is_temporary_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some(rest) = rest
        .strip_suffix(".moving")
        .or_else(|| rest.strip_suffix(".report"))
    else {
        return false;
    };
    let Some((_, pid_n)) = rest.rsplit_once('.') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    pid_n
        .split_once('-')
        .is_some_and(|(pid, n)| digits(pid) && digits(n))
}

/// Every folder under a layout where a worker writes temporaries: `processing/`, `failed/`,
/// `needs-attention/` and `processed/`, with their per-store, dated and `fixed/` folders
/// (at most three levels down; symlinked folders are not followed). Never the inbox: that
/// is where people drop files.
pub fn temporary_folders(layout: &Layout) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for top in [
        &layout.processing,
        &layout.failed,
        &layout.needs_attention,
        &layout.processed,
    ] {
        if top != &layout.inbox {
            folders_below(top, 3, &mut out);
        }
    }
    out
}

/// `dir` and the real folders below it, down to `depth` levels.
fn folders_below(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            folders_below(&e.path(), depth - 1, out);
        }
    }
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

/// Write `bytes` to a new file `path`, or with a suffix if the name is taken. Never
/// overwrites, and never leaves a partial file under the final name: the bytes go to a hidden
/// temporary file that is fsynced and then linked into place (a full disk leaves no report at
/// all, so the caller can try again, instead of an empty one).
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let tmp = write_temp(path, bytes)?;
    let placed = place_temp(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    placed
}

/// The first step of [`write_new`]: the bytes in a hidden, fsynced temporary beside `path`.
fn write_temp(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, mut f) = create_temp(dir, &name, "report")?;
    match f.write_all(bytes).and_then(|()| f.sync_all()) {
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
    pub sidecars: Vec<Sidecar>,
}

impl Finish {
    /// A refused file with one plain report (the failure happened outside the import) and a
    /// short receipt pointing at it.
    pub fn failed(file_name: &str, report: String) -> Finish {
        Finish {
            to: Destination::Failed,
            sidecars: vec![
                Sidecar {
                    suffix: crate::import::feedback::RESULT_TXT,
                    bytes: crate::import::feedback::refused_receipt(file_name).into_bytes(),
                },
                Sidecar {
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
    move_with_sidecars(processing_file, &dir, &how.sidecars)
}

/// Move `src` into `dir` with its sidecars (receipt, reports). The sidecars are written and
/// fsynced first under hidden temporary names: if that fails (a full disk), the file stays
/// where it is and the next sweep tries again, so a refused file never sits in `failed/`
/// without its reason, and no report is ever empty. Each is then linked beside the moved file
/// as `<its final name><suffix>`. The final name is known only after the move, so each is
/// staged under its bare suffix (`dir/..result.txt.PID-N.report`); a worker killed before the
/// end leaves those behind, for [`remove_stale_temporaries`].
pub(crate) fn move_with_sidecars(
    src: &Path,
    dir: &Path,
    sidecars: &[Sidecar],
) -> io::Result<Option<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut staged: Vec<(&str, PathBuf)> = Vec::with_capacity(sidecars.len());
    let mut result = Ok(());
    for s in sidecars {
        match write_temp(&dir.join(s.suffix), &s.bytes) {
            Ok(tmp) => staged.push((s.suffix, tmp)),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let result = result.and_then(|()| match move_into(src, dir)? {
        Moved::To(p) => {
            for (suffix, tmp) in &staged {
                place_temp(tmp, &sidecar_path(&p, suffix))?;
            }
            Ok(Some(p))
        }
        Moved::Gone => Ok(None),
    });
    for (_, tmp) in staged {
        let _ = std::fs::remove_file(tmp);
    }
    result
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

    fn report(name: &str, text: &str) -> Finish {
        Finish::failed(name, text.to_string())
    }

    #[test]
    fn failed_files_get_their_report_beside_them() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        for round in 0..2 {
            let p = layout.processing.join("bad.csv");
            std::fs::write(&p, format!("round {round}")).unwrap();
            let to = finish(
                &p,
                &report("bad.csv", &format!("report {round}")),
                NEEDS_ATTENTION,
            )
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
        let receipt =
            std::fs::read_to_string(layout.failed.join("bad (1).csv.result.txt")).unwrap();
        assert_eq!(
            receipt,
            "bad.csv: NOT imported; nothing changed. Why, and what to do: the .errors.txt file \
             beside this one.\n",
            "a short receipt pointing at the report"
        );
        let stray: Vec<_> = std::fs::read_dir(&layout.failed)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "no temporary files left");
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
        let to = finish(
            &p,
            &Finish::failed("bad.csv", "why".into()),
            NEEDS_ATTENTION,
        )
        .unwrap()
        .unwrap();
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
        let p = write_new(&dir.path().join("a.errors.txt"), b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "report");
        let again = write_new(&dir.path().join("a.errors.txt"), b"second").unwrap();
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
    fn only_names_shaped_like_a_temporary_are_temporaries() {
        for yes in [
            "..result.txt.8531-17.report",
            ".week.csv.1-0.moving",
            "..1-2.report",
        ] {
            assert!(is_temporary_name(yes), "{yes}");
        }
        for no in [
            "week.csv.1-0.report",
            ".notes.report",
            ".week.csv.report",
            ".week.csv.12.report",
            ".week.csv.a-1.moving",
            ".week.csv.1-2.moving.txt",
            ".x.1-.report",
        ] {
            assert!(!is_temporary_name(no), "{no}");
        }
    }

    #[test]
    fn a_temporary_name_taken_by_a_killed_worker_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let failed = dir.path().join("failed");
        std::fs::create_dir_all(&failed).unwrap();
        let next = TEMP_SEQ.load(std::sync::atomic::Ordering::Relaxed);
        // What a killed worker with this process's PID left: the next names of the sequence.
        for n in next..next + 20 {
            let left = format!("..result.txt.{}-{n}.report", std::process::id());
            std::fs::write(failed.join(left), b"old").unwrap();
        }
        let src = dir.path().join("w.csv");
        std::fs::write(&src, b"x").unwrap();
        let how = Finish::failed("w.csv", "why".into());
        let to = move_with_sidecars(&src, &failed, &how.sidecars)
            .unwrap()
            .unwrap();
        assert_eq!(to, failed.join("w.csv"));
        assert_eq!(
            std::fs::read_to_string(sidecar_path(&to, ".errors.txt")).unwrap(),
            "why"
        );
        assert!(
            std::fs::read_to_string(sidecar_path(&to, ".result.txt"))
                .unwrap()
                .starts_with("w.csv: NOT imported")
        );
        let left = std::fs::read_dir(&failed)
            .unwrap()
            .flatten()
            .filter(|e| is_temporary_name(&e.file_name().to_string_lossy()))
            .count();
        assert_eq!(left, 20, "the old temporaries are not overwritten");
    }

    #[test]
    fn temporaries_are_looked_for_beside_the_inbox_but_not_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::prepare(&dir.path().join("inbox")).unwrap();
        for sub in [
            "processed/2026-12-01/fixed/1042",
            "failed/2207",
            "inbox/1042",
        ] {
            std::fs::create_dir_all(layout.root().join(sub)).unwrap();
        }
        let mut found: Vec<String> = temporary_folders(&layout)
            .iter()
            .map(|d| {
                d.strip_prefix(layout.root())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "failed",
                "failed/2207",
                "needs-attention",
                "processed",
                "processed/2026-12-01",
                "processed/2026-12-01/fixed",
                "processed/2026-12-01/fixed/1042",
                "processing",
            ]
        );
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
        let mut how = report("w.xlsx", "NOT imported");
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
            receipt.starts_with("FIXED by import X.\n\nw.xlsx: NOT imported;"),
            "{receipt}"
        );
        assert!(fixed_dir.join("w.xlsx.errors.txt").exists());
        assert_eq!(
            std::fs::read(fixed_dir.join("w.xlsx.errors.xlsx")).unwrap(),
            b"wb"
        );
    }
}
