//! What calamine's xlsx cell reader does not report: hidden rows and merged ranges.
//!
//! A byte search over each worksheet part (`<row hidden="1">`, `<mergeCell ref="A1:C1">`) as
//! [`super::package::check`] inflates it ([`ExtrasScan`]), with sheets found through
//! `xl/workbook.xml` and its relationships; a quick-xml parse where the search cannot tell.
//! Nothing here is needed to read cells, so any failure only means "no extras" and the cells
//! still read.

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

/// Hidden rows and merged ranges by lower-case worksheet part name, as the package check's
/// pass found them; `None` where the byte search could not tell ([`ExtrasScan::finish`]).
pub type WorksheetExtras = HashMap<String, Option<SheetExtras>>;

/// Extras of every worksheet, by sheet name: from `scanned` (by lower-case part name, as
/// [`super::package::check`] collected them; `None` where the byte search could not tell),
/// read with the full parse where they are not there.
pub fn extras_by_sheet(
    content: Content<'_>,
    sheets: &[(String, String)],
    mut scanned: WorksheetExtras,
) -> HashMap<String, SheetExtras> {
    let mut out = HashMap::new();
    let mut zip = None;
    for (name, part) in sheets {
        let extras = match scanned.remove(&part.to_ascii_lowercase()) {
            Some(Some(extras)) => Some(extras),
            // Not told by the byte search, or a sheet part outside `worksheets/` (which the
            // package check does not take for one): the full parse.
            Some(None) | None => {
                if zip.is_none() {
                    zip = zip::ZipArchive::new(content.reader()).ok();
                }
                zip.as_mut().and_then(|z| full_scan(z, part))
            }
        };
        if let Some(extras) = extras {
            out.insert(name.clone(), extras);
        }
    }
    out
}

/// (sheet name, part path) of every sheet the workbook lists, through its relationships;
/// `None` when the package cannot be walked.
pub fn sheets_of(content: Content<'_>) -> Option<Vec<(String, String)>> {
    let mut zip = zip::ZipArchive::new(content.reader()).ok()?;
    sheet_parts(&mut zip)
}

/// A part the workbook lists for more than one sheet, if any: calamine reads a part once per
/// sheet, so a few KB listed thousands of times would be read thousands of times.
pub fn shared_sheet_part(sheets: &[(String, String)]) -> Option<String> {
    // Part names are matched case-insensitively (as calamine and `member_name` do).
    let mut parts: Vec<String> = sheets.iter().map(|(_, p)| p.to_ascii_lowercase()).collect();
    parts.sort_unstable();
    parts
        .windows(2)
        .find(|w| w[0] == w[1])
        .map(|w| w[0].clone())
}

/// (sheet name, part path) from the workbook and its relationships.
pub(super) fn sheet_parts(zip: &mut Zip<'_>) -> Option<Vec<(String, String)>> {
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

/// The fast path: a byte search over the inflated XML for the few tags that matter
/// (`hidden="…"` inside a `row` tag, `mergeCell` tags), skipping the XML tokenizing that makes
/// a second full parse cost as much as reading the cells; fed chunk by chunk by whoever
/// inflates the part ([`super::package::check`] does, so the sheet is not inflated once more
/// for its extras). Holds only the bytes after the last whole tag.
pub struct ExtrasScan {
    hidden_finder: memchr::memmem::Finder<'static>,
    merge_finder: memchr::memmem::Finder<'static>,
    buf: Vec<u8>,
    extras: SheetExtras,
    /// A hidden row without an `r` attribute (its index only counting every row would give),
    /// or a megabyte without a tag's end.
    needs_full_parse: bool,
}

impl Default for ExtrasScan {
    fn default() -> Self {
        ExtrasScan {
            hidden_finder: memchr::memmem::Finder::new(b"hidden="),
            merge_finder: memchr::memmem::Finder::new(b"mergeCell "),
            buf: Vec::new(),
            extras: SheetExtras::default(),
            needs_full_parse: false,
        }
    }
}

impl ExtrasScan {
    /// The next inflated bytes of the part.
    pub fn feed(&mut self, data: &[u8]) {
        if self.needs_full_parse {
            return;
        }
        self.buf.extend_from_slice(data);
        // Only whole tags are examined: everything up to the last `>`; the rest waits.
        match memchr::memrchr(b'>', &self.buf) {
            Some(p) => self.examine(p + 1),
            // No tag ends in a megabyte: not a sheet this scan can read; the full parse judges.
            None if self.buf.len() > MAX_PENDING => {
                self.needs_full_parse = true;
                self.buf = Vec::new();
            }
            None => {}
        }
    }

    /// The extras, or `None` when the sheet needs the full parse.
    pub fn finish(mut self) -> Option<SheetExtras> {
        let end = self.buf.len();
        self.examine(end);
        if self.needs_full_parse {
            return None;
        }
        self.extras.hidden_rows.sort_unstable();
        self.extras.hidden_rows.dedup();
        Some(self.extras)
    }

    /// Look for the tags in `buf[..end]` and drop those bytes.
    fn examine(&mut self, end: usize) {
        let region = &self.buf[..end];
        for at in self.hidden_finder.find_iter(region) {
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
                Some(r) if r > 0 => self.extras.hidden_rows.push(r - 1),
                _ => {
                    self.needs_full_parse = true;
                    self.buf = Vec::new();
                    return;
                }
            }
        }
        for at in self.merge_finder.find_iter(region) {
            let Some(tag) = enclosing_tag(region, at) else {
                continue;
            };
            if let Some(d) = attr_bytes(tag, b" ref=")
                .and_then(|r| std::str::from_utf8(r).ok())
                .and_then(parse_range)
            {
                self.extras.merged.push(d);
            }
        }
        self.buf.drain(..end);
    }
}

/// Most bytes [`ExtrasScan`] holds waiting for a tag's end.
const MAX_PENDING: usize = 1 << 20;

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

    /// A package whose second sheet lies outside `worksheets/` (OPC allows any path).
    fn two_sheet_package() -> Vec<u8> {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        let parts: [(&str, &str); 4] = [
            (
                "xl/workbook.xml",
                r#"<workbook xmlns:r="r"><sheets><sheet name="One" sheetId="1" r:id="rId1"/><sheet name="Two" sheetId="2" r:id="rId2"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Target="/xl/sheet2.xml"/></Relationships>"#,
            ),
            (
                "xl/worksheets/sheet1.xml",
                r#"<worksheet><sheetData><row r="2" hidden="1"/></sheetData><mergeCells><mergeCell ref="A1:B1"/></mergeCells></worksheet>"#,
            ),
            (
                "xl/sheet2.xml",
                r#"<worksheet><sheetData><row r="5" hidden="1"/></sheetData></worksheet>"#,
            ),
        ];
        for (name, text) in parts {
            z.start_file(name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
        buf.into_inner()
    }

    /// The package check's pass gives the extras of the sheets it inflates; a sheet part it
    /// does not take for a worksheet is read by the full parse, so no sheet loses its extras.
    #[test]
    fn every_sheet_gets_its_extras_wherever_its_part_lies() {
        let bytes = two_sheet_package();
        let content = Content::Bytes(&bytes);
        let scanned = crate::read::package::check(
            "two.xlsx",
            "xlsx",
            content,
            &crate::read::ReadLimits::default(),
        )
        .unwrap();
        assert!(scanned.contains_key("xl/worksheets/sheet1.xml"));
        assert!(!scanned.contains_key("xl/sheet2.xml"));
        let sheets = sheets_of(content).unwrap();
        let extras = extras_by_sheet(content, &sheets, scanned);
        assert_eq!(extras["One"].hidden_rows, vec![1]);
        assert_eq!(extras["One"].merged.len(), 1);
        assert_eq!(extras["Two"].hidden_rows, vec![4]);
    }

    /// Fed in pieces that cut tags anywhere, the scan finds what one piece would.
    #[test]
    fn extras_are_found_across_any_cut() {
        let xml = br#"<worksheet><sheetData><row r="1"><c r="A1"/></row><row r="4" hidden="1" spans="1:2"><c r="A4"/></row><x:row r="9" hidden='true'/><row r="10" hidden="0"/></sheetData><mergeCells count="2"><mergeCell ref="A1:E1"/><mergeCell ref="A5:A7"/></mergeCells></worksheet>"#;
        for piece in [1, 2, 3, 7, 16, xml.len()] {
            let mut scan = ExtrasScan::default();
            for chunk in xml.chunks(piece) {
                scan.feed(chunk);
            }
            let extras = scan.finish().expect("every hidden row has its index");
            assert_eq!(extras.hidden_rows, vec![3, 8], "pieces of {piece}");
            let merged: Vec<_> = extras.merged.iter().map(|d| (d.start, d.end)).collect();
            assert_eq!(
                merged,
                vec![((0, 0), (0, 4)), ((4, 0), (6, 0))],
                "pieces of {piece}"
            );
        }
    }

    /// A hidden row without its index, or bytes that never close a tag, leave the sheet to the
    /// full parse.
    #[test]
    fn extras_the_byte_search_cannot_tell_go_to_the_full_parse() {
        let mut scan = ExtrasScan::default();
        scan.feed(br#"<row hidden="1"><c r="A1"/></row>"#);
        assert!(scan.finish().is_none());
        let mut scan = ExtrasScan::default();
        scan.feed(&vec![b'<'; MAX_PENDING + 1]);
        assert!(scan.finish().is_none());
    }

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
