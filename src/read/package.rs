//! Budgets for zip packages (xlsx, xlsm, xlsb, ods), enforced before any parser inflates a part.
//!
//! calamine and our own scans inflate package parts and hand them to quick-xml, which holds a
//! whole text run or tag in memory; calamine also reserves what a header claims (the shared
//! strings' `uniqueCount`: a 2 KB file claiming 4,294,967,295 strings made it reserve 103 GB
//! and abort the process). So before any of them runs, [`check`]:
//!
//! 1. sums the sizes the parts declare and refuses the package past
//!    [`ReadLimits::max_unpacked_bytes`], before inflating anything. The `zip` crate stops any
//!    part that inflates to more than it declared, so a declared size is a true upper bound for
//!    every later reader too;
//! 2. inflates each XML part (one streaming pass in 64 KB chunks), counting the bytes it really
//!    holds and measuring the longest stretch without a `<` (a text run or a tag), refused past
//!    [`ReadLimits::max_cell_bytes`]. A part that declares no more than that cannot hold such a
//!    stretch and is not inflated. A worksheet's hidden rows and merged ranges, which
//!    calamine does not report, are collected in the same pass ([`ExtrasScan`]);
//! 3. reads the shared strings' `uniqueCount` and refuses a count the part cannot hold (each
//!    string takes at least the 9 bytes of `<si></si>`);
//! 4. walks the records of each binary part (xlsb): calamine allocates a buffer of whatever
//!    length a record header claims (up to 256 MB from a 2 KB file), so a record longer than
//!    [`ReadLimits::max_cell_bytes`] is refused. The sheets the workbook lists are counted too:
//!    more sheets than sheet parts means two sheets share a part, which calamine would read
//!    once per sheet (a few KB of file read thousands of times).

use super::content::{Content, ContentReader};
use super::sheet_xml::{ExtrasScan, SheetExtras, WorksheetExtras};
use super::{ReadError, ReadLimits};
use std::io::Read;

/// Bytes inflated per read.
const CHUNK: usize = 64 * 1024;
/// The smallest shared string calamine keeps: `<si></si>`.
const MIN_SHARED_STRING: u64 = 9;

type Zip<'a> = zip::ZipArchive<ContentReader<'a>>;

/// Check a package's parts against the limits (see the module doc). Returns what the pass
/// found of each xlsx worksheet's hidden rows and merged ranges ([`ExtrasScan`]), by lower-case
/// part name, so that nothing inflates a sheet again for them.
pub fn check(
    file: &str,
    format: &str,
    content: Content<'_>,
    limits: &ReadLimits,
) -> Result<WorksheetExtras, ReadError> {
    let damaged = |detail: String| ReadError::Damaged {
        file: file.to_owned(),
        format: format.to_owned(),
        detail,
    };
    let mut zip = zip::ZipArchive::new(content.reader()).map_err(|e| damaged(e.to_string()))?;
    let parts = declared_parts(file, &mut zip, limits).map_err(|e| e.into_error(&damaged))?;
    let mut inflated = 0u64;
    let mut extras = WorksheetExtras::new();
    let sheet_parts = parts.iter().filter(|p| p.is_sheet()).count();
    let xlsb = format == "xlsb";
    for part in parts {
        if xlsb && part.is_record_stream() {
            let sheets = walk_records(file, &mut zip, &part, limits, &mut inflated)
                .map_err(|e| e.into_error(&damaged))?;
            if sheets > sheet_parts {
                return Err(damaged(format!(
                    "the workbook lists {sheets} sheets but holds {sheet_parts} sheet parts"
                )));
            }
            continue;
        }
        if !part.is_xml() {
            continue;
        }
        if part.is_shared_strings() {
            check_shared_strings(&mut zip, &part, limits).map_err(|e| e.into_error(&damaged))?;
        }
        if part.size <= limits.max_cell_bytes as u64 && !part.is_worksheet() {
            inflated = inflated.saturating_add(part.size);
            continue;
        }
        let found = scan_part(file, &mut zip, &part, limits, &mut inflated)
            .map_err(|e| e.into_error(&damaged))?;
        if let Some(found) = found {
            extras.insert(part.name.to_ascii_lowercase(), found);
        }
    }
    Ok(extras)
}

/// One part as the central directory declares it.
struct Part {
    index: usize,
    name: String,
    size: u64,
}

impl Part {
    fn is_xml(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.ends_with(".xml") || n.ends_with(".rels") || n.ends_with(".vml")
    }

    /// An xlsb part calamine reads as BIFF12 records (not the macro project or printer
    /// settings, which are other binary formats nothing here reads).
    fn is_record_stream(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.ends_with(".bin")
            && (self.is_sheet()
                || ["xl/workbook.bin", "xl/sharedstrings.bin", "xl/styles.bin"]
                    .contains(&n.as_str()))
    }

    /// A worksheet, chart sheet or dialog sheet part (xlsx or xlsb).
    fn is_sheet(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        [
            "worksheets/",
            "chartsheets/",
            "dialogsheets/",
            "macrosheets/",
        ]
        .iter()
        .any(|d| n.contains(d))
            && (n.ends_with(".xml") || n.ends_with(".bin"))
    }

    fn is_worksheet(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.contains("worksheets/") && n.ends_with(".xml")
    }

    fn is_shared_strings(&self) -> bool {
        self.name
            .rsplit('/')
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case("sharedStrings.xml"))
    }
}

/// Why a check failed: a finished error, or a damage detail still to be wrapped.
enum Failure {
    Refused(ReadError),
    Damaged(String),
}

impl Failure {
    fn into_error(self, damaged: &impl Fn(String) -> ReadError) -> ReadError {
        match self {
            Failure::Refused(e) => e,
            Failure::Damaged(d) => damaged(d),
        }
    }
}

impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Self {
        Failure::Refused(e)
    }
}

/// Every part with its declared size; refuses the package when the sizes sum past the limit.
fn declared_parts(
    file: &str,
    zip: &mut Zip<'_>,
    limits: &ReadLimits,
) -> Result<Vec<Part>, Failure> {
    let mut parts = Vec::with_capacity(zip.len());
    let mut total = 0u64;
    for index in 0..zip.len() {
        let raw = zip
            .by_index_raw(index)
            .map_err(|e| Failure::Damaged(e.to_string()))?;
        let name = raw.name().map(|n| n.into_owned()).unwrap_or_default();
        total = total.saturating_add(raw.size());
        if total > limits.max_unpacked_bytes {
            return Err(too_large(file, &name, total, limits).into());
        }
        parts.push(Part {
            index,
            name,
            size: raw.size(),
        });
    }
    Ok(parts)
}

fn too_large(file: &str, part: &str, size: u64, limits: &ReadLimits) -> ReadError {
    ReadError::TooLargeUnpacked {
        file: file.to_owned(),
        part: part.to_owned(),
        size,
        limit: limits.max_unpacked_bytes,
    }
}

/// Inflate one XML part, counting its real size into `inflated`, measuring the longest
/// stretch without a `<`, and (in worksheets) checking every cell reference and collecting the
/// extras (`Some` for a worksheet).
fn scan_part(
    file: &str,
    zip: &mut Zip<'_>,
    part: &Part,
    limits: &ReadLimits,
    inflated: &mut u64,
) -> Result<Option<Option<SheetExtras>>, Failure> {
    let detail = |e: &dyn std::fmt::Display| Failure::Damaged(format!("part '{}': {e}", part.name));
    let mut member = zip.by_index(part.index).map_err(|e| detail(&e))?;
    let refs = part
        .is_worksheet()
        .then(|| memchr::memmem::Finder::new(b" r="));
    let mut extras = part.is_worksheet().then(ExtrasScan::default);
    // The buffer starts with the last CARRY bytes of the previous chunk, so a reference
    // split between two chunks is still seen whole.
    let mut buf = vec![0u8; CARRY + CHUNK];
    let mut carry = 0usize;
    let max_run = limits.max_cell_bytes as u64;
    // Bytes since the last `<` (or the start of the part).
    let mut run = 0u64;
    loop {
        let n = member.read(&mut buf[carry..]).map_err(|e| detail(&e))?;
        if n == 0 {
            return Ok(extras.map(ExtrasScan::finish));
        }
        *inflated = inflated.saturating_add(n as u64);
        if *inflated > limits.max_unpacked_bytes {
            return Err(too_large(file, &part.name, *inflated, limits).into());
        }
        let chunk = &buf[carry..carry + n];
        // A chunk is shorter than the limit, so only a stretch crossing chunks can pass it.
        match memchr::memchr(b'<', chunk) {
            Some(first) => {
                if run + first as u64 > max_run {
                    return Err(value_too_long(file, part, limits).into());
                }
                let last = memchr::memrchr(b'<', chunk).unwrap_or(first);
                run = (n - last) as u64;
            }
            None => run += n as u64,
        }
        if run > max_run {
            return Err(value_too_long(file, part, limits).into());
        }
        if let Some(extras) = &mut extras {
            extras.feed(chunk);
        }
        let seen = &buf[..carry + n];
        if let Some(finder) = &refs
            && finder
                .find_iter(seen)
                .any(|at| !reference_fits(&seen[at + 3..]))
        {
            return Err(Failure::Damaged(format!(
                "part '{}' has a cell reference beyond a sheet's 1,048,576 rows and 16,384 \
                 columns",
                part.name
            )));
        }
        let keep = (carry + n).min(CARRY);
        buf.copy_within(carry + n - keep..carry + n, 0);
        carry = keep;
    }
}

/// Bytes of the previous chunk kept in front of the next (longer than any reference).
const CARRY: usize = 32;

/// Whether the quoted reference at the start of `value` (`"B12"`, `'7'`) is within Excel's
/// grid (at most 3 column letters and 7 row digits). calamine reads references into `u32`
/// without checking, so a longer one would wrap to another cell. An unquoted or cut-off value
/// is not a reference and passes.
fn reference_fits(value: &[u8]) -> bool {
    let Some((&quote, rest)) = value.split_first() else {
        return true;
    };
    if quote != b'"' && quote != b'\'' {
        return true;
    }
    let letters = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let rest = &rest[letters..];
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let rest = &rest[digits..];
    if rest.is_empty() {
        // Cut off at the end of the buffer: judged whole from the next chunk's carry.
        return letters + digits < CARRY / 2;
    }
    letters <= 3 && digits <= 7
}

/// Walk the records of a binary (xlsb) part, counting its real size into `inflated` and
/// refusing a record longer than a value may be. Returns the sheets a workbook part lists
/// (`BrtBundleSh` records; 0 for other parts).
fn walk_records(
    file: &str,
    zip: &mut Zip<'_>,
    part: &Part,
    limits: &ReadLimits,
    inflated: &mut u64,
) -> Result<usize, Failure> {
    let detail = |e: &dyn std::fmt::Display| Failure::Damaged(format!("part '{}': {e}", part.name));
    let member = zip.by_index(part.index).map_err(|e| detail(&e))?;
    let mut r = std::io::BufReader::with_capacity(CHUNK, member);
    let mut sheets = 0usize;
    let mut skip = vec![0u8; 4096];
    loop {
        // Record type: one or two bytes, the high bit saying another follows.
        let Some(first) = read_byte(&mut r).map_err(|e| detail(&e))? else {
            return Ok(sheets);
        };
        let typ = if first & 0x80 != 0 {
            let second = read_byte(&mut r).map_err(|e| detail(&e))?.unwrap_or(0);
            u16::from(first & 0x7F) | (u16::from(second & 0x7F) << 7)
        } else {
            u16::from(first)
        };
        // Record length: up to four bytes of seven bits each.
        let mut len = 0usize;
        for i in 0..4 {
            let Some(b) = read_byte(&mut r).map_err(|e| detail(&e))? else {
                return Ok(sheets);
            };
            len |= usize::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        if len > limits.max_cell_bytes {
            return Err(ReadError::ValueTooLong {
                file: file.to_owned(),
                place: format!("a record of part '{}'", part.name),
                limit: limits.max_cell_bytes,
            }
            .into());
        }
        if typ == 0x009C {
            sheets += 1;
        }
        // Skip the body, counting it against the unpacked budget.
        let mut left = len;
        while left > 0 {
            let n = left.min(skip.len());
            let got = r.read(&mut skip[..n]).map_err(|e| detail(&e))?;
            if got == 0 {
                return Ok(sheets);
            }
            left -= got;
        }
        *inflated = inflated.saturating_add(len as u64 + 2);
        if *inflated > limits.max_unpacked_bytes {
            return Err(too_large(file, &part.name, *inflated, limits).into());
        }
    }
}

/// One byte, or `None` at the end.
fn read_byte(r: &mut impl Read) -> std::io::Result<Option<u8>> {
    let mut b = [0u8; 1];
    Ok((r.read(&mut b)? == 1).then_some(b[0]))
}

fn value_too_long(file: &str, part: &Part, limits: &ReadLimits) -> ReadError {
    ReadError::ValueTooLong {
        file: file.to_owned(),
        place: format!("part '{}'", part.name),
        limit: limits.max_cell_bytes,
    }
}

/// Refuse a shared-strings part whose `uniqueCount` is more than its size can hold (calamine
/// reserves that many strings up front).
fn check_shared_strings(
    zip: &mut Zip<'_>,
    part: &Part,
    limits: &ReadLimits,
) -> Result<(), Failure> {
    let detail = |e: &dyn std::fmt::Display| Failure::Damaged(format!("part '{}': {e}", part.name));
    let member = zip.by_index(part.index).map_err(|e| detail(&e))?;
    // The `<sst …>` tag opens the part; it is short, and never longer than a value.
    let mut head = Vec::new();
    member
        .take((limits.max_cell_bytes as u64).min(64 * 1024))
        .read_to_end(&mut head)
        .map_err(|e| detail(&e))?;
    let Some(count) = declared_unique_count(&head) else {
        return Ok(());
    };
    let most = part.size / MIN_SHARED_STRING;
    if count > most {
        return Err(Failure::Damaged(format!(
            "part '{}' declares {count} shared strings but its {} bytes hold at most {most}",
            part.name, part.size
        )));
    }
    Ok(())
}

/// The `uniqueCount` of the `<sst>` tag at the start of a shared-strings part, when it is a
/// number calamine would read (it ignores values that do not fit a `usize`).
fn declared_unique_count(head: &[u8]) -> Option<u64> {
    let start = memchr::memmem::find(head, b"sst")?;
    let end = start + memchr::memchr(b'>', &head[start..])?;
    let tag = &head[start..end];
    let at = memchr::memmem::find(tag, b"uniqueCount")? + b"uniqueCount".len();
    let rest = &tag[at..];
    let rest = &rest[rest.iter().position(|c| *c == b'"' || *c == b'\'')? + 1..];
    let digits = &rest[..rest.iter().position(|c| !c.is_ascii_digit())?];
    std::str::from_utf8(digits).ok()?.parse::<u64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_count_is_read_from_the_sst_tag() {
        let head =
            br#"<?xml version="1.0"?><sst xmlns="x" count="3" uniqueCount="4294967295"><si>"#;
        assert_eq!(declared_unique_count(head), Some(4_294_967_295));
        assert_eq!(
            declared_unique_count(br#"<x:sst uniqueCount='2'>"#),
            Some(2)
        );
        assert_eq!(declared_unique_count(br#"<sst count="2">"#), None);
        assert_eq!(
            declared_unique_count(br#"<sst uniqueCount="99999999999999999999999">"#),
            None
        );
    }

    #[test]
    fn references_past_the_grid_are_caught() {
        assert!(reference_fits(br#""XFD1048576">"#));
        assert!(reference_fits(br#"'12' spans="1:3">"#));
        assert!(!reference_fits(br#""A4294967297">"#));
        assert!(!reference_fits(br#""AAAAAAA1">"#));
        assert!(!reference_fits(br#""99999999"#[..].repeat(4).as_slice()));
    }
}
