//! What a file really is, decided from its bytes (magic numbers, zip members, OLE2 streams).
//!
//! The extension a store manager's file carries is only a hint for messages: a PDF named
//! `.xlsx` is a PDF, an xls saved as `.csv` is an xls. Sniffing never reads a whole zip member
//! except `mimetype` and `[Content_Types].xml`, both capped.

use super::content::Content;
use std::io::{Cursor, Read, Seek};

/// The container a file's bytes turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// `%PDF-` near the start.
    Pdf,
    /// An OLE2 compound file holding a `Workbook` (BIFF8) or `Book` (BIFF5) stream.
    Xls,
    /// An OOXML workbook with `xl/workbook.xml`, no macros.
    Xlsx,
    /// An OOXML workbook with `xl/workbook.xml` declared macro-enabled.
    Xlsm,
    /// An OOXML binary workbook (`xl/workbook.bin`).
    Xlsb,
    /// An OpenDocument spreadsheet (`mimetype` member).
    Ods,
    /// Text, to be decoded and read as CSV.
    Text,
}

/// Why the bytes are not something we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReadable {
    /// Zero bytes.
    Empty,
    /// An OLE2 file holding an encrypted OOXML package (a password-protected workbook).
    Encrypted,
    /// A zip archive that could not be opened; the detail is the zip library's reason.
    DamagedZip(String),
    /// An OLE2 compound file that could not be opened.
    DamagedOle(String),
    /// A recognised file type that is not a schedule format, in words (`a PNG image`).
    Other(&'static str),
}

const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// Members read during sniffing are capped at this many bytes.
const SNIFF_MEMBER_CAP: u64 = 1 << 20;

/// Decide what the bytes are.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, NotReadable> {
    if bytes.is_empty() {
        return Err(NotReadable::Empty);
    }
    // PDF allows a little junk before the header; readers look in the first kilobyte.
    let head = &bytes[..bytes.len().min(1024)];
    if memchr::memmem::find(head, b"%PDF-").is_some() {
        return Ok(Sniffed::Pdf);
    }
    if bytes.starts_with(&OLE2_MAGIC) {
        return sniff_ole2(bytes);
    }
    if is_zip(bytes) {
        return sniff_zip(Cursor::new(bytes));
    }
    if let Some(what) = binary_magic(bytes) {
        return Err(NotReadable::Other(what));
    }
    if let Some(what) = markup_kind(bytes) {
        return Err(NotReadable::Other(what));
    }
    if looks_like_text(bytes) {
        Ok(Sniffed::Text)
    } else {
        Err(NotReadable::Other("binary data"))
    }
}

fn sniff_ole2(bytes: &[u8]) -> Result<Sniffed, NotReadable> {
    let cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| NotReadable::DamagedOle(e.to_string()))?;
    let mut has_workbook = false;
    let mut encrypted = false;
    let mut word = false;
    let mut powerpoint = false;
    for entry in cf.walk() {
        if !entry.is_stream() {
            continue;
        }
        let name = entry.name();
        if name.eq_ignore_ascii_case("Workbook") || name.eq_ignore_ascii_case("Book") {
            has_workbook = true;
        } else if name == "EncryptedPackage" || name == "EncryptionInfo" {
            encrypted = true;
        } else if name == "WordDocument" {
            word = true;
        } else if name == "PowerPoint Document" {
            powerpoint = true;
        }
    }
    if encrypted {
        Err(NotReadable::Encrypted)
    } else if has_workbook {
        Ok(Sniffed::Xls)
    } else if word {
        Err(NotReadable::Other("a Word document"))
    } else if powerpoint {
        Err(NotReadable::Other("a PowerPoint presentation"))
    } else {
        Err(NotReadable::Other(
            "an Office compound file without a workbook",
        ))
    }
}

/// [`sniff`] for content that may be an open file: a zip package is looked into where it
/// lies, an OLE2 compound file is read whole (its directory may be anywhere), anything else is
/// judged by its head, as [`sniff`] judges it (the first [`HEAD_BYTES`]). `Err` when the file
/// cannot be read.
pub fn sniff_content(content: Content<'_>) -> std::io::Result<Result<Sniffed, NotReadable>> {
    let Content::File { .. } = content else {
        return Ok(sniff(&content.bytes()?));
    };
    let head = content.head(HEAD_BYTES)?;
    if is_zip(&head) {
        Ok(sniff_zip(content.reader()))
    } else if head.starts_with(&OLE2_MAGIC) {
        Ok(sniff(&content.bytes()?))
    } else {
        Ok(sniff(&head))
    }
}

/// What [`sniff`] looks at of a file that is neither a zip package nor an OLE2 file: PDF's
/// header within the first KB, known magic numbers, markup in the first 2 KB, text in the
/// first 8 KB.
const HEAD_BYTES: usize = 8192;

/// A zip package's first bytes (a local file header, an empty archive, a spanned one).
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || bytes.starts_with(b"PK\x07\x08")
}

fn sniff_zip<R: Read + Seek>(reader: R) -> Result<Sniffed, NotReadable> {
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| NotReadable::DamagedZip(e.to_string()))?;
    let has = |zip: &zip::ZipArchive<R>, name: &str| member_name(zip, name).is_some();
    if has(&zip, "xl/workbook.bin") {
        return Ok(Sniffed::Xlsb);
    }
    if has(&zip, "xl/workbook.xml") {
        let types = read_member(&mut zip, "[Content_Types].xml").unwrap_or_default();
        let macro_enabled = memchr::memmem::find(&types, b"macroEnabled").is_some();
        return Ok(if macro_enabled {
            Sniffed::Xlsm
        } else {
            Sniffed::Xlsx
        });
    }
    if let Some(mime) = read_member(&mut zip, "mimetype") {
        let mime = String::from_utf8_lossy(&mime);
        let mime = mime.trim();
        return match mime {
            "application/vnd.oasis.opendocument.spreadsheet"
            | "application/vnd.oasis.opendocument.spreadsheet-template" => {
                // An encrypted package lists `encryption-data` for its parts in the manifest.
                let manifest = read_member(&mut zip, "META-INF/manifest.xml").unwrap_or_default();
                if memchr::memmem::find(&manifest, b"encryption-data").is_some() {
                    Err(NotReadable::Encrypted)
                } else {
                    Ok(Sniffed::Ods)
                }
            }
            m if m.contains("opendocument.text") => {
                Err(NotReadable::Other("an OpenDocument text document"))
            }
            _ => Err(NotReadable::Other(
                "an OpenDocument file that is not a spreadsheet",
            )),
        };
    }
    // A workbook whose parts live elsewhere (strict or hand-made packages): trust the content
    // types when they declare a spreadsheet main part.
    if let Some(types) = read_member(&mut zip, "[Content_Types].xml") {
        if memchr::memmem::find(&types, b"spreadsheetml.sheet.main").is_some()
            || memchr::memmem::find(&types, b"spreadsheetml.template.main").is_some()
        {
            return Ok(Sniffed::Xlsx);
        }
        if memchr::memmem::find(&types, b"sheet.macroEnabled.main").is_some() {
            return Ok(Sniffed::Xlsm);
        }
        if memchr::memmem::find(&types, b"wordprocessingml").is_some() {
            return Err(NotReadable::Other("a Word document"));
        }
        if memchr::memmem::find(&types, b"presentationml").is_some() {
            return Err(NotReadable::Other("a PowerPoint presentation"));
        }
    }
    Err(NotReadable::Other("a zip archive"))
}

/// Read a small member by name (case-insensitive), capped; `None` when absent or unreadable.
fn read_member<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Option<Vec<u8>> {
    let real = member_name(zip, name)?;
    let member = zip.by_name(&real).ok()?;
    let mut out = Vec::new();
    member.take(SNIFF_MEMBER_CAP).read_to_end(&mut out).ok()?;
    Some(out)
}

/// The stored name of a zip member, matched case-insensitively.
pub(crate) fn member_name<R: std::io::Read + std::io::Seek>(
    zip: &zip::ZipArchive<R>,
    name: &str,
) -> Option<String> {
    zip.file_names()
        .flatten()
        .find(|n| n.eq_ignore_ascii_case(name))
        .map(|n| n.into_owned())
}

/// Well-known binary formats, named for the operator.
fn binary_magic(b: &[u8]) -> Option<&'static str> {
    const TABLE: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"II*\x00", "a TIFF image"),
        (b"MM\x00*", "a TIFF image"),
        (b"BM", "a BMP image"),
        (b"RIFF", "a media file"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"Rar!\x1A\x07", "a RAR archive"),
        (b"\x7FELF", "a program"),
        (b"MZ", "a program"),
        (b"{\\rtf", "an RTF document"),
        (
            b"\x09\x08\x10\x00\x00\x06\x05\x00",
            "an old Excel 2 worksheet",
        ),
    ];
    TABLE
        .iter()
        .find(|(magic, _)| b.starts_with(magic))
        .map(|(_, what)| *what)
        .or_else(|| {
            (b.len() >= 12 && &b[4..8] == b"ftyp")
                .then_some("a video or HEIC image")
                .or_else(|| {
                    (b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP")
                        .then_some("a WebP image")
                })
        })
}

/// HTML and XML files that some tools save with an `.xls` extension.
fn markup_kind(b: &[u8]) -> Option<&'static str> {
    let start = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let head: Vec<u8> = start
        .iter()
        .take(2048)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let trimmed = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .map(|p| &head[p..])
        .unwrap_or(&[]);
    if !trimmed.starts_with(b"<") {
        return None;
    }
    if memchr::memmem::find(&head, b"urn:schemas-microsoft-com:office:spreadsheet").is_some() {
        return Some("an Excel 2003 XML spreadsheet; save it as xlsx");
    }
    if memchr::memmem::find(&head, b"<html").is_some()
        || memchr::memmem::find(&head, b"<!doctype html").is_some()
    {
        return Some("a web page (HTML); save it as xlsx or CSV");
    }
    if trimmed.starts_with(b"<?xml") {
        return Some("an XML document");
    }
    None
}

/// Text if it carries a Unicode BOM, or if its first 8 KB hold (almost) no control bytes.
fn looks_like_text(b: &[u8]) -> bool {
    if b.starts_with(b"\xEF\xBB\xBF") || b.starts_with(b"\xFF\xFE") || b.starts_with(b"\xFE\xFF") {
        return true;
    }
    let sample = &b[..b.len().min(8192)];
    let control = sample
        .iter()
        .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A))
        .count();
    // NUL bytes never appear in text we can read (UTF-16 without a BOM is not supported).
    !sample.contains(&0) && control * 100 <= sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_empty() {
        assert_eq!(sniff(b""), Err(NotReadable::Empty));
    }

    #[test]
    fn png_is_named() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Err(NotReadable::Other("a PNG image"))
        );
    }

    #[test]
    fn pdf_is_found_after_junk() {
        assert_eq!(sniff(b"\r\n%PDF-1.7\n"), Ok(Sniffed::Pdf));
    }

    #[test]
    fn text_and_binary() {
        assert_eq!(sniff(b"a,b\n1,2\n"), Ok(Sniffed::Text));
        assert_eq!(sniff(b"\xFF\xFEa\0,\0"), Ok(Sniffed::Text));
        assert_eq!(
            sniff(b"\x01\x02\x03\x04\x05\x06\x00"),
            Err(NotReadable::Other("binary data"))
        );
    }

    #[test]
    fn truncated_zip_is_damaged() {
        assert!(matches!(
            sniff(b"PK\x03\x04\x14\x00\x00\x00"),
            Err(NotReadable::DamagedZip(_))
        ));
    }

    #[test]
    fn html_is_named() {
        assert!(matches!(
            sniff(b"<html><table><tr><td>1</td></tr></table></html>"),
            Err(NotReadable::Other(w)) if w.starts_with("a web page")
        ));
    }
}
