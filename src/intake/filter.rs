//! Which names in a watched folder are never schedules: temporary and lock files of office
//! suites and downloaders, and hidden files.

/// Whether a file with this name must be left alone.
///
/// Ignored: dotfiles (`.DS_Store`, LibreOffice's `.~lock.x.ods#`), Excel's owner files
/// (`~$x.xlsx`), partial downloads and temporary files (`*.tmp`, `*.part`, `*.partial`,
/// `*.crdownload`, `*.download`, `*.swp`), and the folder-view files Windows and macOS leave on
/// shares (`Thumbs.db`, `desktop.ini`).
pub fn is_ignored(name: &str) -> bool {
    if name.is_empty() || name.starts_with('.') || name.starts_with("~$") || name.ends_with('#') {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    if lower == "thumbs.db" || lower == "desktop.ini" {
        return true;
    }
    const TEMP_EXTS: [&str; 7] = [
        ".tmp",
        ".part",
        ".partial",
        ".crdownload",
        ".download",
        ".swp",
        ".errors.txt",
    ];
    TEMP_EXTS.iter().any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::is_ignored;

    #[test]
    fn temp_lock_and_hidden_files_are_ignored() {
        for name in [
            "~$week48.xlsx",
            ".~lock.week48.ods#",
            "week48.xlsx.tmp",
            "week48.csv.part",
            "WEEK48.XLSX.TMP",
            ".DS_Store",
            ".hidden.csv",
            "Thumbs.db",
            "desktop.ini",
            "week48.pdf.crdownload",
            "week48.xlsx.errors.txt",
        ] {
            assert!(is_ignored(name), "{name} should be ignored");
        }
    }

    #[test]
    fn schedules_are_taken() {
        for name in [
            "week48.xlsx",
            "Store 1042 schedule.xls",
            "export.csv",
            "grid.ods",
            "schedule.pdf",
            "tmp-schedule.csv",
            "no_extension",
        ] {
            assert!(!is_ignored(name), "{name} should be taken");
        }
    }
}
