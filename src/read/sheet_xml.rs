//! What calamine's xlsx cell reader does not report: hidden rows and merged ranges.
//!
//! One streaming pass over each worksheet part (`<row hidden="1">`, `<mergeCell ref="A1:C1">`),
//! with sheets found through `xl/workbook.xml` and its relationships. Nothing here is needed
//! to read cells, so any failure only means "no extras" and the cells still read.

use super::content::{Content, ContentReader};
use calamine::Dimensions;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::BufReader;

/// Hidden rows and merged ranges of one worksheet.
#[derive(Debug, Clone, Default)]
pub struct SheetExtras {
    /// Zero-based, ascending.
    pub hidden_rows: Vec<u32>,
    pub merged: Vec<Dimensions>,
}

type Zip<'a> = zip::ZipArchive<ContentReader<'a>>;

/// Extras of every worksheet, by sheet name; `None` when the package cannot be walked.
pub fn read_extras(content: Content<'_>) -> Option<HashMap<String, SheetExtras>> {
    let mut zip = zip::ZipArchive::new(content.reader()).ok()?;
    let sheets = sheet_parts(&mut zip)?;
    let mut out = HashMap::new();
    for (name, part) in sheets {
        if let Some(extras) = scan_sheet(&mut zip, &part) {
            out.insert(name, extras);
        }
    }
    Some(out)
}

/// A part the workbook lists for more than one sheet, if any: calamine reads a part once per
/// sheet, so a few KB listed thousands of times would be read thousands of times.
pub fn shared_sheet_part(content: Content<'_>) -> Option<String> {
    let mut zip = zip::ZipArchive::new(content.reader()).ok()?;
    // Part names are matched case-insensitively (as calamine and `member_name` do).
    let mut parts: Vec<String> = sheet_parts(&mut zip)?
        .into_iter()
        .map(|(_, p)| p.to_ascii_lowercase())
        .collect();
    parts.sort_unstable();
    parts
        .windows(2)
        .find(|w| w[0] == w[1])
        .map(|w| w[0].clone())
}

/// (sheet name, part path) from the workbook and its relationships.
fn sheet_parts(zip: &mut Zip<'_>) -> Option<Vec<(String, String)>> {
    let mut ids = Vec::new();
    each_element(zip, "xl/workbook.xml", |e| {
        if e.local_name().as_ref() == "sheet" {
            let name = attr(e, |k| k == "name");
            // The relationship id is `r:id` (any prefix), not `sheetId`.
            let rid = attr(e, |k| k.ends_with(":id"));
            if let (Some(name), Some(rid)) = (name, rid) {
                ids.push((name, rid));
            }
        }
    })?;
    let mut targets = HashMap::new();
    each_element(zip, "xl/_rels/workbook.xml.rels", |e| {
        if e.local_name().as_ref() == "Relationship"
            && let (Some(id), Some(target)) = (attr(e, |k| k == "Id"), attr(e, |k| k == "Target"))
        {
            targets.insert(id, target);
        }
    })?;
    Some(
        ids.into_iter()
            .filter_map(|(name, rid)| {
                let target = targets.get(&rid)?;
                let path = match target.strip_prefix('/') {
                    Some(abs) => abs.to_owned(),
                    None => format!("xl/{target}"),
                };
                Some((name, path))
            })
            .collect(),
    )
}

fn scan_sheet(zip: &mut Zip<'_>, part: &str) -> Option<SheetExtras> {
    match fast_scan(zip, part)? {
        Some(extras) => Some(extras),
        None => full_scan(zip, part),
    }
}

/// The fast path: a byte search over the inflated XML for the few tags that matter
/// (`hidden="…"` inside a `row` tag, `mergeCell` tags), skipping the XML tokenizing that makes
/// a second full parse cost as much as reading the cells. `Ok(None)` (inner) when the sheet
/// needs the full parse: a hidden row without an `r` attribute, whose index only counting
/// every row would give.
fn fast_scan(zip: &mut Zip<'_>, part: &str) -> Option<Option<SheetExtras>> {
    use std::io::Read;
    let real = super::sniff::member_name(zip, part)?;
    let mut member = zip.by_name(&real).ok()?;
    let hidden_finder = memchr::memmem::Finder::new(b"hidden=");
    let merge_finder = memchr::memmem::Finder::new(b"mergeCell ");
    let mut extras = SheetExtras::default();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = member.read(&mut chunk).ok()?;
        buf.extend_from_slice(&chunk[..n]);
        // Only whole tags are examined: everything up to the last `>`; the rest waits.
        let end = if n == 0 {
            buf.len()
        } else {
            match memchr::memrchr(b'>', &buf) {
                Some(p) => p + 1,
                None => continue,
            }
        };
        let region = &buf[..end];
        for at in hidden_finder.find_iter(region) {
            let Some(tag) = enclosing_tag(region, at) else {
                continue;
            };
            if tag_name(tag) != b"row" {
                continue;
            }
            let value = &region[at + 7..];
            let hidden = value.starts_with(b"\"1\"")
                || value.starts_with(b"'1'")
                || value.starts_with(b"\"true\"")
                || value.starts_with(b"'true'");
            if !hidden {
                continue;
            }
            match attr_bytes(tag, b" r=")
                .and_then(|r| std::str::from_utf8(r).ok()?.parse::<u32>().ok())
            {
                Some(r) if r > 0 => extras.hidden_rows.push(r - 1),
                _ => return Some(None),
            }
        }
        for at in merge_finder.find_iter(region) {
            let Some(tag) = enclosing_tag(region, at) else {
                continue;
            };
            if let Some(d) = attr_bytes(tag, b" ref=")
                .and_then(|r| std::str::from_utf8(r).ok())
                .and_then(parse_range)
            {
                extras.merged.push(d);
            }
        }
        buf.drain(..end);
        if n == 0 {
            break;
        }
    }
    extras.hidden_rows.sort_unstable();
    extras.hidden_rows.dedup();
    Some(Some(extras))
}

/// Bytes inflated per read in the fast scan.
const CHUNK: usize = 256 * 1024;

/// The tag (`<` through `>`) containing position `at`, if `at` is inside one.
fn enclosing_tag(region: &[u8], at: usize) -> Option<&[u8]> {
    let start = memchr::memrchr2(b'<', b'>', &region[..at])?;
    if region[start] != b'<' {
        return None;
    }
    let end = at + memchr::memchr(b'>', &region[at..])?;
    Some(&region[start..=end])
}

/// The local name of a tag: `<x:row r="1">` → `row`.
fn tag_name(tag: &[u8]) -> &[u8] {
    let body = &tag[1..];
    let end = body
        .iter()
        .position(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')
        .unwrap_or(body.len());
    let name = &body[..end];
    match memchr::memrchr(b':', name) {
        Some(p) => &name[p + 1..],
        None => name,
    }
}

/// The value of an attribute found by `key` (including its leading space and `=`), quoted
/// with `"` or `'`.
fn attr_bytes<'t>(tag: &'t [u8], key: &[u8]) -> Option<&'t [u8]> {
    let at = memchr::memmem::find(tag, key)? + key.len();
    let quote = *tag.get(at)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let rest = &tag[at + 1..];
    let end = memchr::memchr(quote, rest)?;
    Some(&rest[..end])
}

/// The slow path: every element through quick-xml.
fn full_scan(zip: &mut Zip<'_>, part: &str) -> Option<SheetExtras> {
    let mut extras = SheetExtras::default();
    let mut next_row = 0u32;
    each_element(zip, part, |e| match e.local_name().as_ref() {
        "row" => {
            let r = attr(e, |k| k == "r")
                .and_then(|r| r.trim().parse::<u32>().ok())
                .and_then(|r| r.checked_sub(1))
                .unwrap_or(next_row);
            next_row = r.saturating_add(1);
            if attr(e, |k| k == "hidden").is_some_and(|h| h == "1" || h == "true") {
                extras.hidden_rows.push(r);
            }
        }
        "mergeCell" => {
            if let Some(d) = attr(e, |k| k == "ref").and_then(|r| parse_range(&r)) {
                extras.merged.push(d);
            }
        }
        _ => {}
    })?;
    extras.hidden_rows.sort_unstable();
    extras.hidden_rows.dedup();
    Some(extras)
}

/// Call `f` for every start or empty element of a part (case-insensitive part name).
fn each_element(zip: &mut Zip<'_>, part: &str, mut f: impl FnMut(&BytesStart<'_>)) -> Option<()> {
    let real = super::sniff::member_name(zip, part)?;
    let member = zip.by_name(&real).ok()?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::with_capacity(64 * 1024, member));
    xml.config_mut().check_end_names = false;
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => f(&e),
            Event::Eof => return Some(()),
            _ => {}
        }
    }
}

fn attr(e: &BytesStart<'_>, key: impl Fn(&str) -> bool) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| key(a.key.as_ref()))
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// `A1` → (row, col), zero-based.
pub fn parse_a1(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().trim_start_matches('$');
    let split = s.find(|c: char| !c.is_ascii_alphabetic())?;
    let (letters, digits) = s.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut col = 0u32;
    for c in letters.bytes() {
        col = col * 26 + u32::from(c.to_ascii_uppercase() - b'A' + 1);
    }
    let row: u32 = digits.trim_start_matches('$').parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

/// `A1:C3` (or a single cell) → dimensions.
pub fn parse_range(s: &str) -> Option<Dimensions> {
    let (a, b) = s.split_once(':').unwrap_or((s, s));
    let start = parse_a1(a)?;
    let end = parse_a1(b)?;
    Some(Dimensions::new(
        (start.0.min(end.0), start.1.min(end.1)),
        (start.0.max(end.0), start.1.max(end.1)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_attributes() {
        let region = br#"<sheetData><x:row r="4" spans="1:3" hidden="1"><c r="A4"/></x:row>"#;
        let at = memchr::memmem::find(region, b"hidden=").unwrap();
        let tag = enclosing_tag(region, at).unwrap();
        assert_eq!(tag_name(tag), b"row");
        assert_eq!(attr_bytes(tag, b" r="), Some(&b"4"[..]));
        // Text that mentions hidden= is not inside a tag.
        let text = b"<t>hidden=1</t>";
        let at = memchr::memmem::find(text, b"hidden=").unwrap();
        assert!(enclosing_tag(text, at).is_none());
    }

    #[test]
    fn a1_references() {
        assert_eq!(parse_a1("A1"), Some((0, 0)));
        assert_eq!(parse_a1("$XFD$1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_a1("1A"), None);
        assert_eq!(parse_range("B2:D3"), Some(Dimensions::new((1, 1), (2, 3))));
    }
}
