//! Whether a dropped file is whole: a quiet interval alone cannot tell a finished copy from a
//! writer that paused, so each format's own end marker is checked where it has one.
//!
//! - zip containers (xlsx, xlsm, xlsb, ods): the end-of-central-directory record must close the
//!   file (its comment ends exactly at the last byte) and the central directory it points to
//!   must lie inside the file;
//! - PDF: `%%EOF` within the last kilobyte;
//! - OLE2 (xls): every sector the header names (FAT sectors, the directory) and every sector
//!   the FAT marks as used must lie inside the file;
//! - CSV and other text has no end marker: it counts as whole only when it ends with a line
//!   break *and* has been quiet for the longer `text_settle_ms` (see [`Completeness::Unmarked`]).
//!
//! The check reads only the bytes already in memory; it is pure and cheap (a scan of at most
//! the last 64 KiB, plus the FAT of an xls).

/// What the bytes say about the file being whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completeness {
    /// The format's end marker is present and consistent.
    Whole,
    /// The format has an end marker and it is missing or points past the end: the file is
    /// still being written or was cut short. The text says what is missing.
    Incomplete(&'static str),
    /// No end marker exists for this format (text/CSV, unknown content): judged by a longer
    /// quiet interval and a final line break.
    Unmarked {
        /// Whether the text ends with a line break (a writer stopped between two rows).
        ends_with_newline: bool,
    },
}

const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Judge `bytes` (the whole file as read).
pub fn judge(bytes: &[u8]) -> Completeness {
    let head = &bytes[..bytes.len().min(1024)];
    if memchr::memmem::find(head, b"%PDF-").is_some() {
        return pdf(bytes);
    }
    if bytes.starts_with(&OLE2_MAGIC) {
        return ole2(bytes);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip(bytes);
    }
    Completeness::Unmarked {
        ends_with_newline: matches!(bytes.last(), Some(b'\n') | Some(b'\r')),
    }
}

fn pdf(bytes: &[u8]) -> Completeness {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if memchr::memmem::rfind(tail, b"%%EOF").is_some() {
        Completeness::Whole
    } else {
        Completeness::Incomplete("the PDF has no %%EOF end marker")
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(
        b.get(at..at + 4)?.try_into().ok()?,
    )))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The zip end-of-central-directory record: searched backwards over the last 64 KiB + 22 bytes
/// (the record plus the longest comment); it must end the file exactly, and the central
/// directory must end where the record (or the zip64 locator) starts.
fn zip(bytes: &[u8]) -> Completeness {
    const EOCD: &[u8] = b"PK\x05\x06";
    let len = bytes.len();
    let window_start = len.saturating_sub(22 + 0xFFFF);
    let mut end = len;
    while let Some(i) = memchr::memmem::rfind(&bytes[window_start..end], EOCD) {
        let at = window_start + i;
        if let Some(c) = eocd_closes_file(bytes, at) {
            return c;
        }
        end = at + 3;
    }
    Completeness::Incomplete("the zip end-of-central-directory record is missing")
}

/// `Some(verdict)` when the record at `at` is a real end record (its comment ends the file).
fn eocd_closes_file(bytes: &[u8], at: usize) -> Option<Completeness> {
    let comment_len = u16_at(bytes, at + 20)?;
    if (at as u64) + 22 + comment_len != bytes.len() as u64 {
        return None;
    }
    let cd_size = u32_at(bytes, at + 12)?;
    let cd_offset = u32_at(bytes, at + 16)?;
    let (cd_offset, cd_size, cd_end_limit) = if cd_offset == 0xFFFF_FFFF || cd_size == 0xFFFF_FFFF {
        // zip64: a locator (20 bytes) before the record points at the zip64 record.
        let loc = at.checked_sub(20)?;
        if bytes.get(loc..loc + 4)? != b"PK\x06\x07" {
            return Some(Completeness::Incomplete("the zip64 end locator is missing"));
        }
        let rec = usize::try_from(u64_at(bytes, loc + 8)?).ok()?;
        if bytes.get(rec..rec + 4) != Some(b"PK\x06\x06".as_slice()) {
            return Some(Completeness::Incomplete("the zip64 end record is missing"));
        }
        (
            u64_at(bytes, rec + 48)?,
            u64_at(bytes, rec + 40)?,
            rec as u64,
        )
    } else {
        (cd_offset, cd_size, at as u64)
    };
    if cd_offset.checked_add(cd_size)? > cd_end_limit {
        return Some(Completeness::Incomplete(
            "the zip central directory lies past the end of the file",
        ));
    }
    let starts_right = usize::try_from(cd_offset)
        .ok()
        .and_then(|o| bytes.get(o..o + 4))
        .is_some_and(|sig| sig == b"PK\x01\x02" || cd_size == 0);
    Some(if starts_right {
        Completeness::Whole
    } else {
        Completeness::Incomplete("the zip central directory is not where the end record says")
    })
}

/// OLE2: the header's sector size, its FAT sectors (first 109 listed in the header), the
/// first directory sector, and the highest sector the FAT marks as used must all fit.
fn ole2(bytes: &[u8]) -> Completeness {
    const FREE: u64 = 0xFFFF_FFFF;
    const TOO_SHORT: Completeness =
        Completeness::Incomplete("the xls file is shorter than its sector table says (cut short)");
    let Some(shift) = u16_at(bytes, 30).filter(|s| (7..=16).contains(s)) else {
        return Completeness::Incomplete("the xls header is incomplete");
    };
    let sector = 1u64 << shift;
    // The header occupies the first sector (512 bytes, padded to 4096 in version 4).
    let header = sector.max(512);
    let len = bytes.len() as u64;
    let sectors_in_file = len.saturating_sub(header) / sector;
    let fits = |s: u64| s < sectors_in_file;
    let Some(dir_start) = u32_at(bytes, 48) else {
        return TOO_SHORT;
    };
    if !fits(dir_start) {
        return TOO_SHORT;
    }
    let fat_count = u32_at(bytes, 44).unwrap_or(0).min(109);
    let mut highest_used = dir_start;
    for k in 0..fat_count {
        let Some(fat_sector) = u32_at(bytes, 76 + 4 * k as usize) else {
            return TOO_SHORT;
        };
        if fat_sector == FREE {
            continue;
        }
        if !fits(fat_sector) {
            return TOO_SHORT;
        }
        let base = header + fat_sector * sector;
        for e in 0..sector / 4 {
            let entry = u32_at(bytes, (base + 4 * e) as usize).unwrap_or(FREE);
            if entry != FREE {
                highest_used = highest_used.max(k * (sector / 4) + e);
            }
        }
    }
    if fits(highest_used) {
        Completeness::Whole
    } else {
        TOO_SHORT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_bytes() -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            z.start_file("xl/workbook.xml", opts).unwrap();
            z.write_all(&vec![b'x'; 5000]).unwrap();
            z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
            z.write_all(&vec![b'y'; 5000]).unwrap();
            z.set_comment("a comment with PK\x05\x06 inside").unwrap();
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn a_whole_zip_is_whole_and_every_cut_is_incomplete() {
        let z = zip_bytes();
        assert_eq!(judge(&z), Completeness::Whole);
        for cut in [z.len() - 1, z.len() - 10, z.len() - 30, z.len() / 2, 30] {
            assert!(
                matches!(judge(&z[..cut]), Completeness::Incomplete(_)),
                "cut at {cut} of {}",
                z.len()
            );
        }
    }

    #[test]
    fn pdf_needs_its_eof_marker() {
        assert_eq!(judge(b"%PDF-1.4\n1 0 obj\n%%EOF\n"), Completeness::Whole);
        assert!(matches!(
            judge(b"%PDF-1.4\n1 0 obj\n<< /Type"),
            Completeness::Incomplete(_)
        ));
    }

    #[test]
    fn text_has_no_marker_but_reports_its_last_line_break() {
        assert_eq!(
            judge(b"Store,Employee\n1042,x\n"),
            Completeness::Unmarked {
                ends_with_newline: true
            }
        );
        assert_eq!(
            judge(b"Store,Employee\n1042,x"),
            Completeness::Unmarked {
                ends_with_newline: false
            }
        );
    }

    #[test]
    fn ole2_cut_short_is_incomplete() {
        // A minimal compound file written by the cfb crate, with a stream of 20 KB.
        let mut cf = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
        cf.create_stream("/Workbook")
            .unwrap()
            .write_all(&vec![7u8; 20_000])
            .unwrap();
        cf.flush().unwrap();
        let bytes = cf.into_inner().into_inner();
        assert_eq!(judge(&bytes), Completeness::Whole);
        for cut in [bytes.len() - 512, bytes.len() / 2, 600] {
            assert!(
                matches!(judge(&bytes[..cut]), Completeness::Incomplete(_)),
                "cut at {cut} of {}",
                bytes.len()
            );
        }
    }
}
