//! A fast reader of an xlsx worksheet's cells, for the head read and the rows streamed below it.
//!
//! calamine's cell reader walks the sheet XML with quick-xml event by event, and that is most
//! of a large sheet's read (a 100,000-row sheet is 37 MB of XML). [`SheetCells`] scans the
//! inflated bytes with [`super::xml_scan`] for the few elements cells are made of (`row`, `c`,
//! `v`, `f`, `is`, `r`, `t`, `rPh`) and gives what calamine's `XlsxCellReader::next_cell`
//! gives, as calamine's own [`DataRef`], so one conversion makes grid cells of both. The
//! shared strings, the cell styles' number formats (date or not, ported from calamine's
//! `formats.rs`, MIT) and the date system come from [`Workbook::load`].
//!
//! Exactness comes first: what programs write is handled, and anything whose meaning the scan
//! would have to guess — a CDATA section, an entity it does not know, a `_xHHHH_` escape, a
//! carriage return, a number calamine parses more loosely than Rust, an unknown cell type, a
//! malformed tag — is [`Unsure`]; the caller leaves the rest to calamine (the head read reads
//! the sheet again, the streamed read goes on from the row it was in), so values and errors
//! stay calamine's. Differential tests compare both on every fixture.

use super::content::{Content, ContentReader};
use super::xml_scan::{Span, Tok, Unsure, Xml, local};
use calamine::{CellErrorType, DataRef, ExcelDateTime, ExcelDateTimeType};
use std::collections::HashMap;
use std::io::Read;

type Zip<'a> = zip::ZipArchive<ContentReader<'a>>;

/// What a cell style's number format makes of a number (calamine's `CellFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Other,
    DateTime,
    TimeDelta,
}

/// What cells refer to outside their sheet: shared strings, the number format of each cell
/// style, the date system.
#[derive(Debug, Default)]
pub struct Workbook {
    strings: Vec<String>,
    formats: Vec<Format>,
    is_1904: bool,
}

impl Workbook {
    /// Read from the package's `xl/` parts.
    pub fn load(package: &mut Package<'_>) -> Result<Workbook, Unsure> {
        let is_1904 = package.read("xl/workbook.xml", date_1904)?.ok_or(Unsure)?;
        let formats = package
            .read("xl/styles.xml", number_formats)?
            .unwrap_or_default();
        let strings = package
            .read("xl/sharedStrings.xml", shared_strings)?
            .unwrap_or_default();
        Ok(Workbook {
            strings,
            formats,
            is_1904,
        })
    }
}

/// A zip package with its parts' names, matched without case as calamine matches them.
pub struct Package<'a> {
    zip: Zip<'a>,
    names: HashMap<String, String>,
}

impl<'a> Package<'a> {
    pub fn open(content: Content<'a>) -> Result<Package<'a>, Unsure> {
        let zip = zip::ZipArchive::new(content.reader()).map_err(|_| Unsure)?;
        let mut names = HashMap::new();
        for name in zip.file_names() {
            let name = name.map_err(|_| Unsure)?;
            names.insert(
                name.replace('\\', "/").to_ascii_lowercase(),
                name.into_owned(),
            );
        }
        Ok(Package { zip, names })
    }

    /// (sheet name, part path) of every sheet the workbook lists, as
    /// [`super::sheet_xml::sheets_of`] finds them, from this package's open zip.
    pub fn sheets(&mut self) -> Option<Vec<(String, String)>> {
        super::sheet_xml::sheet_parts(&mut self.zip)
    }

    /// `read` over the part at `path`; `None` when the package has no such part.
    pub fn read<T, E: From<Unsure>>(
        &mut self,
        path: &str,
        read: impl FnOnce(Xml<&mut dyn Read>) -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        let Some(name) = self.names.get(&path.to_ascii_lowercase()) else {
            return Ok(None);
        };
        let mut part = self.zip.by_name(name).map_err(|_| Unsure)?;
        read(Xml::new(&mut part as &mut dyn Read)).map(Some)
    }
}

/// `date1904` of `workbookPr` (the last one that has it, as calamine reads it).
fn date_1904(mut xml: Xml<&mut dyn Read>) -> Result<bool, Unsure> {
    let mut is_1904 = false;
    while let Some(tok) = xml.next_token()? {
        if let Tok::Open { name, attrs, .. } = tok
            && local(xml.bytes(name)) == b"workbookPr"
            && let Some(v) = xml.attr(attrs, b"date1904")?
        {
            is_1904 = matches!(xml.bytes(v), b"1" | b"true");
        }
        xml.forget();
    }
    Ok(is_1904)
}

/// The number format of each cell style (`cellXfs`), from the custom formats (`numFmts`) or
/// the built-in ids.
fn number_formats(mut xml: Xml<&mut dyn Read>) -> Result<Vec<Format>, Unsure> {
    let mut custom: HashMap<Vec<u8>, Format> = HashMap::new();
    let mut formats = Vec::new();
    let (mut in_custom, mut in_styles) = (false, false);
    loop {
        xml.forget();
        match xml.next_token()?.ok_or(Unsure)? {
            Tok::Open { name, attrs, empty } => match local(xml.bytes(name)) {
                b"numFmts" => in_custom = !empty,
                b"cellXfs" => in_styles = !empty,
                b"numFmt" if in_custom => {
                    let id = xml.attr(attrs, b"numFmtId")?;
                    let code = xml.attr(attrs, b"formatCode")?;
                    if let (Some(id), Some(code)) = (id, code) {
                        let code = std::str::from_utf8(xml.bytes(code)).map_err(|_| Unsure)?;
                        let code = quick_xml::escape::unescape(code).map_err(|_| Unsure)?;
                        custom.insert(xml.bytes(id).to_vec(), custom_format(&code));
                    }
                }
                b"xf" if in_styles => formats.push(match xml.attr(attrs, b"numFmtId")? {
                    None => Format::Other,
                    Some(id) => {
                        let id = xml.bytes(id);
                        custom
                            .get(id)
                            .copied()
                            .unwrap_or_else(|| builtin_format(id))
                    }
                }),
                _ => {}
            },
            Tok::Close(name) => match local(xml.bytes(name)) {
                b"numFmts" => in_custom = false,
                b"cellXfs" => in_styles = false,
                b"styleSheet" => return Ok(formats),
                _ => {}
            },
            Tok::Text(_) | Tok::Aside => {}
        }
    }
}

/// Every `si` of the shared strings part.
fn shared_strings(mut xml: Xml<&mut dyn Read>) -> Result<Vec<String>, Unsure> {
    loop {
        match xml.next_token()?.ok_or(Unsure)? {
            Tok::Open { name, empty, .. } if local(xml.bytes(name)) == b"sst" => {
                if empty {
                    return Ok(Vec::new());
                }
                break;
            }
            _ => xml.forget(),
        }
    }
    let mut strings = Vec::new();
    loop {
        xml.forget();
        match xml.next_token()?.ok_or(Unsure)? {
            Tok::Open { name, empty, .. } if local(xml.bytes(name)) == b"si" => {
                strings.push(if empty {
                    String::new()
                } else {
                    rich_text(&mut xml, name)?
                });
            }
            Tok::Close(name) if local(xml.bytes(name)) == b"sst" => return Ok(strings),
            _ => {}
        }
    }
}

/// The text of a string item (`si`) or an inline string (`is`) up to the tag that closes
/// `closing`: every `t` outside phonetic runs (`rPh`), trimmed unless `xml:space="preserve"`.
fn rich_text<R: Read>(xml: &mut Xml<R>, closing: Span) -> Result<String, Unsure> {
    let mut rich: Option<String> = None;
    let mut phonetic = false;
    loop {
        match xml.next_token()?.ok_or(Unsure)? {
            Tok::Open { name, attrs, empty } => match local(xml.bytes(name)) {
                b"r" if rich.is_none() => rich = Some(String::new()),
                b"rPh" => phonetic = !empty,
                b"t" if !phonetic => {
                    let preserve = xml
                        .attr(attrs, b"xml:space")?
                        .is_some_and(|v| xml.bytes(v) == b"preserve");
                    let mut value = String::new();
                    if !empty {
                        text_until(xml, name, &mut value)?;
                    }
                    let value = if preserve {
                        &value[..]
                    } else {
                        value.trim_matches([' ', '\t', '\r', '\n'])
                    };
                    if has_escape(value) {
                        return Err(Unsure);
                    }
                    match &mut rich {
                        Some(s) => s.push_str(value),
                        None => rich = Some(value.to_owned()),
                    }
                }
                _ => {}
            },
            Tok::Close(name) if xml.same(name, closing) => return Ok(rich.unwrap_or_default()),
            Tok::Close(name) if local(xml.bytes(name)) == b"rPh" => phonetic = false,
            _ => {}
        }
    }
}

/// The decoded text up to the tag that closes `closing`, appended to `out`.
fn text_until<R: Read>(xml: &mut Xml<R>, closing: Span, out: &mut String) -> Result<(), Unsure> {
    loop {
        match xml.next_token()?.ok_or(Unsure)? {
            Tok::Text(t) => decode_text(xml.bytes(t), out)?,
            Tok::Close(name) if xml.same(name, closing) => return Ok(()),
            _ => return Err(Unsure),
        }
    }
}

/// Skip to the tag that closes `open` (same name, nested ones counted).
fn skip_element<R: Read>(xml: &mut Xml<R>, open: Span) -> Result<(), Unsure> {
    let mut depth = 1usize;
    while depth > 0 {
        match xml.next_token()?.ok_or(Unsure)? {
            Tok::Open { name, empty, .. } if !empty && xml.same(name, open) => depth += 1,
            Tok::Close(name) if xml.same(name, open) => depth -= 1,
            _ => {}
        }
    }
    Ok(())
}

/// XML text with its entities decoded, appended to `out`. A carriage return (XML's line-end
/// normalization) and any entity but the five predefined and character references are
/// `Unsure`.
fn decode_text(raw: &[u8], out: &mut String) -> Result<(), Unsure> {
    let mut rest = std::str::from_utf8(raw).map_err(|_| Unsure)?;
    if memchr::memchr(b'\r', raw).is_some() {
        return Err(Unsure);
    }
    while let Some(i) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').ok_or(Unsure)?;
        out.push(entity(&after[..end]).ok_or(Unsure)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(())
}

fn entity(name: &str) -> Option<char> {
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        _ => name.strip_prefix('#')?,
    };
    let (digits, radix) = match code.strip_prefix('x') {
        Some(hex) => (hex, 16),
        None => (code, 10),
    };
    if digits.is_empty() || digits.len() > 8 || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix)
        .ok()
        .filter(|&c| c != 0)
        .and_then(char::from_u32)
}

/// Whether `s` holds an `_xHHHH_` escape (calamine decodes them; the scan leaves them to it).
fn has_escape(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'_', b).any(|i| {
        b.get(i + 1..i + 7).is_some_and(|h| {
            h[0] == b'x' && h[1..5].iter().all(u8::is_ascii_hexdigit) && h[5] == b'_'
        })
    })
}

/// The cell type (`t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No `t`: a number, else the text itself.
    Plain,
    Number,
    Shared,
    Bool,
    Error,
    Str,
    Date,
    Inline,
    Unknown,
}

impl Kind {
    fn of(t: Option<&[u8]>) -> Kind {
        match t {
            None => Kind::Plain,
            Some(b"n") => Kind::Number,
            Some(b"s") => Kind::Shared,
            Some(b"b") => Kind::Bool,
            Some(b"e") => Kind::Error,
            Some(b"str") => Kind::Str,
            Some(b"d") => Kind::Date,
            Some(b"inlineStr" | b"is") => Kind::Inline,
            Some(_) => Kind::Unknown,
        }
    }
}

/// A cell: zero-based row and column, and its value.
pub type Found<'w> = (u32, u32, DataRef<'w>);

/// The cells of one worksheet part, in the order of the XML.
pub struct SheetCells<'w, R> {
    xml: Xml<R>,
    wb: &'w Workbook,
    /// Where a cell without `r` is: calamine's running row and column.
    row: u32,
    col: u32,
    started: bool,
}

impl<'w, R: Read> SheetCells<'w, R> {
    pub fn new(xml: Xml<R>, wb: &'w Workbook) -> Self {
        SheetCells {
            xml,
            wb,
            row: 0,
            col: 0,
            started: false,
        }
    }

    /// The next cell, `None` after the last (`</sheetData>`).
    pub fn next_cell(&mut self) -> Result<Option<Found<'w>>, Unsure> {
        if !self.started {
            self.started = true;
            if !self.enter()? {
                return Ok(None);
            }
        }
        loop {
            self.xml.forget();
            match self.xml.next_token()?.ok_or(Unsure)? {
                Tok::Open { name, attrs, empty } => match local(self.xml.bytes(name)) {
                    b"row" => {
                        if let Some(r) = self.xml.attr(attrs, b"r")? {
                            self.row = reference(self.xml.bytes(r))?.0;
                        }
                        if empty {
                            self.end_row();
                        }
                    }
                    b"c" => return self.cell(attrs, empty).map(Some),
                    _ => {}
                },
                Tok::Close(name) => match local(self.xml.bytes(name)) {
                    b"row" => self.end_row(),
                    b"sheetData" => return Ok(None),
                    _ => {}
                },
                Tok::Text(_) | Tok::Aside => {}
            }
        }
    }

    /// Skip to `sheetData`; `false` when it is empty (`<sheetData/>`).
    fn enter(&mut self) -> Result<bool, Unsure> {
        loop {
            self.xml.forget();
            if let Tok::Open { name, empty, .. } = self.xml.next_token()?.ok_or(Unsure)?
                && local(self.xml.bytes(name)) == b"sheetData"
            {
                return Ok(!empty);
            }
        }
    }

    fn end_row(&mut self) {
        self.row = self.row.saturating_add(1);
        self.col = 0;
    }

    /// The cell whose tag was just read.
    fn cell(&mut self, attrs: Span, empty: bool) -> Result<Found<'w>, Unsure> {
        let (mut r, mut s, mut t) = (None, None, None);
        self.xml.each_attr(attrs, |k, v| match k {
            b"r" if r.is_none() => r = Some(v),
            b"s" if s.is_none() => s = Some(v),
            b"t" if t.is_none() => t = Some(v),
            _ => {}
        })?;
        let (row, col) = match r {
            Some(r) => match reference(self.xml.bytes(r))? {
                (row, Some(col)) => (row, col),
                (_, None) => return Err(Unsure),
            },
            None => (self.row, self.col),
        };
        self.col = col.saturating_add(1);
        let format = match s {
            None => Format::Other,
            Some(s) => {
                // calamine takes an empty style for the first.
                let s = self.xml.bytes(s);
                let id = if s.is_empty() {
                    0
                } else {
                    digits(s).ok_or(Unsure)?
                };
                self.wb.formats.get(id).copied().unwrap_or(Format::Other)
            }
        };
        let kind = Kind::of(t.map(|t| self.xml.bytes(t)));
        let mut value = DataRef::Empty;
        if !empty {
            loop {
                match self.xml.next_token()?.ok_or(Unsure)? {
                    Tok::Open { name, empty, .. } => {
                        value = self.child(name, empty, kind, format)?
                    }
                    Tok::Close(name) if local(self.xml.bytes(name)) == b"c" => break,
                    _ => {}
                }
            }
        }
        Ok((row, col, value))
    }

    /// A child of a cell: its value (`v`), inline string (`is`) or formula (`f`, whose cached
    /// value is the `v`).
    fn child(
        &mut self,
        name: Span,
        empty: bool,
        kind: Kind,
        format: Format,
    ) -> Result<DataRef<'w>, Unsure> {
        match local(self.xml.bytes(name)) {
            b"is" if empty => Ok(DataRef::String(String::new())),
            b"is" => rich_text(&mut self.xml, name).map(DataRef::String),
            b"v" if empty => Ok(DataRef::Empty),
            b"v" if kind == Kind::Inline => {
                skip_element(&mut self.xml, name).map(|()| DataRef::Empty)
            }
            b"v" => self.value(name, kind, format),
            b"f" if empty => Ok(DataRef::Empty),
            b"f" => skip_element(&mut self.xml, name).map(|()| DataRef::Empty),
            _ => Err(Unsure),
        }
    }

    /// The value of a `v` element.
    fn value(&mut self, v: Span, kind: Kind, format: Format) -> Result<DataRef<'w>, Unsure> {
        let mut text = String::new();
        match kind {
            // calamine reads these raw: entities would be cut off.
            Kind::Plain | Kind::Number | Kind::Shared | Kind::Bool | Kind::Error => {
                match self.xml.next_token()?.ok_or(Unsure)? {
                    Tok::Text(t) if !self.xml.bytes(t).contains(&b'&') => {
                        text.push_str(std::str::from_utf8(self.xml.bytes(t)).map_err(|_| Unsure)?);
                    }
                    Tok::Close(name) if self.xml.same(name, v) => return Ok(DataRef::Empty),
                    _ => return Err(Unsure),
                }
                match self.xml.next_token()?.ok_or(Unsure)? {
                    Tok::Close(name) if self.xml.same(name, v) => {}
                    _ => return Err(Unsure),
                }
            }
            _ => text_until(&mut self.xml, v, &mut text)?,
        }
        self.typed(text, kind, format)
    }

    /// calamine's `read_v`: the text of a `v` as its type says.
    fn typed(&self, v: String, kind: Kind, format: Format) -> Result<DataRef<'w>, Unsure> {
        Ok(match kind {
            Kind::Shared if v.is_empty() => DataRef::Empty,
            Kind::Shared => {
                let i = digits(v.as_bytes()).ok_or(Unsure)?;
                DataRef::SharedString(self.wb.strings.get(i).ok_or(Unsure)?)
            }
            Kind::Bool => match v.trim() {
                "" => DataRef::Empty,
                b if b == "0" || b.eq_ignore_ascii_case("false") => DataRef::Bool(false),
                b if b == "1" || b.eq_ignore_ascii_case("true") => DataRef::Bool(true),
                _ => return Err(Unsure),
            },
            Kind::Date => DataRef::DateTimeIso(v),
            Kind::Error => DataRef::Error(v.parse::<CellErrorType>().map_err(|_| Unsure)?),
            Kind::Str if has_escape(&v) => return Err(Unsure),
            Kind::Str => DataRef::String(v),
            Kind::Plain | Kind::Number if v.is_empty() => DataRef::Empty,
            Kind::Plain | Kind::Number => {
                let n = number(&v).ok_or(Unsure)?;
                let as_date = |t| DataRef::DateTime(ExcelDateTime::new(n, t, self.wb.is_1904));
                match format {
                    Format::DateTime => as_date(ExcelDateTimeType::DateTime),
                    Format::TimeDelta => as_date(ExcelDateTimeType::TimeDelta),
                    Format::Other => DataRef::Float(n),
                }
            }
            Kind::Inline | Kind::Unknown => return Err(Unsure),
        })
    }
}

/// A cell or row reference (`B7`, `7`): zero-based row and, when it has letters, column.
/// calamine's reading, stricter than [`super::sheet_xml::parse_a1`] (no `$`, no spaces, a row
/// without letters allowed), with references past Excel's grid left to calamine.
fn reference(r: &[u8]) -> Result<(u32, Option<u32>), Unsure> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (col, row) = r.split_at(letters);
    if letters > 3 || row.is_empty() || row.len() > 7 || !row.iter().all(u8::is_ascii_digit) {
        return Err(Unsure);
    }
    let col = col.iter().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    });
    let row = row.iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    let row = row.checked_sub(1).ok_or(Unsure)?;
    Ok((row, col.checked_sub(1)))
}

/// A non-negative decimal integer of at most 18 digits.
fn digits(b: &[u8]) -> Option<usize> {
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0')))
}

/// A number in the plain decimal form both calamine's parser and Rust's read alike
/// (`-12.5`, `4.5E-3`); `None` for anything else (`inf`, `1.`, `+1`, spaces).
fn number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let int = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    if b.get(i) == Some(&b'.') {
        let frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac == 0 {
            return None;
        }
        i += 1 + frac;
    }
    if int == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return None;
        }
        i += exp;
    }
    (i == b.len()).then(|| s.parse().ok()).flatten()
}

/// calamine's `builtin_format_by_id`.
fn builtin_format(id: &[u8]) -> Format {
    match id {
        b"14" | b"15" | b"16" | b"17" | b"18" | b"19" | b"20" | b"21" | b"22" | b"45" | b"47" => {
            Format::DateTime
        }
        b"27" | b"28" | b"29" | b"30" | b"31" | b"32" | b"33" | b"34" | b"35" | b"36" | b"50"
        | b"51" | b"52" | b"53" | b"54" | b"55" | b"56" | b"57" | b"58" => Format::DateTime,
        b"46" => Format::TimeDelta,
        _ => Format::Other,
    }
}

/// calamine's `detect_custom_number_format`: whether a format code shows a date or time (its
/// first section, outside quotes, escapes and brackets; `[h]` and the like make a duration).
fn custom_format(format: &str) -> Format {
    let mut escaped = false;
    let mut is_quote = false;
    let mut brackets = 0u8;
    let mut prev = ' ';
    let mut hms = false;
    let mut ap = false;
    for s in format.chars() {
        match (s, escaped, is_quote, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => is_quote = false,
            (_, _, true, _, _) => (),
            ('"', _, _, _, _) => is_quote = true,
            (';', ..) => return Format::Other,
            ('[', ..) => brackets = brackets.wrapping_add(1),
            (']', .., 1) if hms => return Format::TimeDelta,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return Format::DateTime,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return Format::DateTime;
            }
            _ => {
                if !(hms && s.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(s, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = s;
    }
    Format::Other
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use calamine::{Data, Reader};
    use std::io::{Cursor, Write};

    /// A one-sheet package around `sheet` (the worksheet part's XML), with shared strings and
    /// styles when given.
    pub(crate) fn package(
        sheet: &str,
        strings: Option<&str>,
        styles: Option<&str>,
        date_1904: bool,
    ) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let mut put = |name: &str, body: &str| {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        };
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        put(
            "[Content_Types].xml",
            "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>",
        );
        let rels = |kind: &str, target: &str| {
            format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{rel}/{kind}\" Target=\"{target}\"/></Relationships>"
            )
        };
        put("_rels/.rels", &rels("officeDocument", "xl/workbook.xml"));
        put(
            "xl/workbook.xml",
            &format!(
                "<?xml version=\"1.0\"?><workbook xmlns=\"{main}\" xmlns:r=\"{rel}\">\
             <workbookPr date1904=\"{}\"/><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
                u8::from(date_1904)
            ),
        );
        put(
            "xl/_rels/workbook.xml.rels",
            &rels("worksheet", "worksheets/sheet1.xml"),
        );
        put(
            "xl/worksheets/sheet1.xml",
            &format!("<?xml version=\"1.0\"?><worksheet xmlns=\"{main}\">{sheet}</worksheet>"),
        );
        if let Some(s) = strings {
            put(
                "xl/sharedStrings.xml",
                &if s.is_empty() {
                    format!("<sst xmlns=\"{main}\"/>")
                } else {
                    format!("<sst xmlns=\"{main}\">{s}</sst>")
                },
            );
        }
        if let Some(s) = styles {
            put(
                "xl/styles.xml",
                &format!("<styleSheet xmlns=\"{main}\">{s}</styleSheet>"),
            );
        }
        w.finish().unwrap().into_inner()
    }

    type Cells = Vec<(u32, u32, Data)>;

    /// The cells of a worksheet part as calamine's cell reader gives them.
    fn calamine_cells(bytes: &[u8], sheet: &str) -> Result<Cells, String> {
        let mut wb = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
        let mut reader = wb
            .worksheet_cells_reader(sheet)
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while let Some(c) = reader.next_cell().map_err(|e| e.to_string())? {
            let (r, col) = c.get_position();
            out.push((r, col, Data::from(c.get_value().clone())));
        }
        Ok(out)
    }

    /// The cells of the worksheet part `part` as the scan gives them.
    fn scanned_cells(bytes: &[u8], part: &str) -> Result<Cells, Unsure> {
        let mut package = Package::open(Content::Bytes(bytes))?;
        let wb = Workbook::load(&mut package)?;
        package
            .read(part, |xml| {
                let mut cells = SheetCells::new(xml, &wb);
                let mut out = Vec::new();
                while let Some((r, c, v)) = cells.next_cell()? {
                    out.push((r, c, Data::from(v)));
                }
                Ok::<_, Unsure>(out)
            })?
            .ok_or(Unsure)
    }

    /// The scan of a one-sheet package, checked against calamine's read where it is sure.
    fn check(
        sheet: &str,
        strings: Option<&str>,
        styles: Option<&str>,
        date_1904: bool,
    ) -> Result<Cells, Unsure> {
        let bytes = package(sheet, strings, styles, date_1904);
        let scanned = scanned_cells(&bytes, "xl/worksheets/sheet1.xml");
        if let Ok(cells) = &scanned {
            assert_eq!(
                Ok(cells),
                calamine_cells(&bytes, "Sheet1").as_ref(),
                "{sheet}"
            );
        }
        scanned
    }

    const STYLES: &str = "<numFmts count=\"3\"><numFmt numFmtId=\"164\" formatCode=\"h:mm AM/PM\"/>\
        <numFmt numFmtId=\"165\" formatCode=\"[h]:mm:ss\"/><numFmt numFmtId=\"166\" formatCode=\"&quot;d&quot;0.00\"/></numFmts>\
        <cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>\
        <cellXfs count=\"6\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\" applyNumberFormat=\"1\"><alignment wrapText=\"1\"/></xf>\
        <xf numFmtId=\"164\"/><xf numFmtId=\"165\"/><xf numFmtId=\"166\"/><xf/></cellXfs>";

    #[test]
    fn values_of_every_kind_are_calamines() {
        let strings = "<si><t>plain</t></si><si><r><rPr><b/></rPr><t xml:space=\"preserve\">Rich </t></r>\
            <r><t>text</t></r><rPh sb=\"0\" eb=\"1\"><t>PHONETIC</t></rPh></si><si/><si><t>  trimmed\n</t></si>\
            <si><t>a &amp; b &#233;&#x4E2D; &lt;&gt;&quot;&apos;</t></si>";
        let sheet = "<dimension ref=\"A1:H9\"/><sheetData>\
            <row r=\"1\" spans=\"1:8\" x14ac:dyDescent=\"0.25\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>\
            <c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c><c r=\"E1\" t=\"s\"><v>4</v></c></row>\
            <row r=\"2\"><c r=\"A2\" s=\"1\"><v>45978</v></c><c r=\"B2\" s=\"2\"><v>0.375</v></c><c r=\"C2\" s=\"3\"><v>1.5</v></c>\
            <c r=\"D2\" s=\"4\"><v>-2.5E-3</v></c><c r=\"E2\" s=\"5\"><v>7</v></c><c r=\"F2\" t=\"n\"><v>12</v></c>\
            <c r=\"G2\" s=\"99\"><v>45978.5</v></c></row>\
            <row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t xml:space=\"preserve\"> x &amp; y </t></is></c>\
            <c r=\"B4\" t=\"str\"><f>A4&amp;\"!\"</f><v>x &amp; y!</v></c><c r=\"C4\" t=\"b\"><v>1</v></c>\
            <c r=\"D4\" t=\"e\"><v>#N/A</v></c><c r=\"E4\" t=\"d\"><v>2025-11-17T09:00:00</v></c>\
            <c r=\"F4\"><f t=\"shared\" ref=\"F4:F5\" si=\"0\">1+1</f><v>2</v></c><c r=\"G4\" s=\"1\"/>\
            <c r=\"H4\" t=\"inlineStr\"><is/></c></row>\
            <row r=\"5\"><c r=\"F5\"><f t=\"shared\" si=\"0\"/><v>2</v></c><c r=\"G5\"><v/></c><c r=\"H5\" t=\"b\"><v>false</v></c></row>\
            <row r=\"6\"/><row><c><v>1</v></c><c t=\"s\"><v>0</v></c><c r=\"E7\"><v>3</v></c><c><v>4</v></c></row>\
            <x:row r=\"9\" xmlns:x=\"urn:x\"><x:c r=\"B9\"><x:v>9</x:v></x:c></x:row>\
            </sheetData><mergeCells count=\"0\"/>";
        let cells = check(sheet, Some(strings), Some(STYLES), false).expect("scanned");
        assert_eq!(cells.len(), 28);
        let cells_1904 = check(sheet, Some(strings), Some(STYLES), true).expect("scanned");
        assert_ne!(cells, cells_1904, "the date system is the workbook's");
        assert_eq!(check("<sheetData/>", None, None, false), Ok(vec![]));
        let shared = "<sheetData><row><c t=\"s\"><v></v></c></row></sheetData>";
        assert_eq!(check(shared, Some(""), None, false).map(|c| c.len()), Ok(1));
        assert_eq!(
            check("<sheetData></sheetData>", None, None, false),
            Ok(vec![])
        );
    }

    #[test]
    fn what_calamine_would_read_otherwise_is_left_to_it() {
        for sheet in [
            "<c r=\"A1\" t=\"str\"><v>line_x000D_break</v></c>",
            "<c r=\"A1\" t=\"inlineStr\"><is><t>a\r\nb</t></is></c>",
            "<c r=\"A1\" t=\"inlineStr\"><is><t><![CDATA[x]]></t></is></c>",
            "<c r=\"A1\" t=\"str\"><v>&nbsp;</v></c>",
            "<c r=\"A1\"><v>1.</v></c>",
            "<c r=\"A1\"><v>inf</v></c>",
            "<c r=\"A1\"><v> 1</v></c>",
            "<c r=\"A1\"><v>text</v></c>",
            "<c r=\"A1\" t=\"x\"><v>1</v></c>",
            "<c r=\"A1\" t=\"s\"><v>5</v></c>",
            "<c r=\"A1\" t=\"e\"><v>#SPILL!</v></c>",
            "<c r=\"A1\" t=\"b\"><v>2</v></c>",
            "<c r=\"1\"><v>1</v></c>",
            "<c r=\"A0\"><v>1</v></c>",
            "<c r=\"A1\"><extLst/></c>",
            "<c r=\"A1\"><v>1</v>",
        ] {
            let sheet = format!("<sheetData><row r=\"1\">{sheet}</row></sheetData>");
            assert_eq!(
                check(&sheet, Some("<si><t>a</t></si>"), None, false),
                Err(Unsure),
                "{sheet}"
            );
        }
    }

    #[test]
    fn number_formats_are_calamines() {
        for (code, want) in [
            ("General", Format::Other),
            ("0.00", Format::Other),
            ("yyyy-mm-dd", Format::DateTime),
            ("h:mm AM/PM", Format::DateTime),
            ("[h]:mm", Format::TimeDelta),
            ("[Red]0.00", Format::Other),
            ("\"d\"0", Format::Other),
            ("0;[Red]-0;\"day\"", Format::Other),
            ("\\d0", Format::Other),
        ] {
            assert_eq!(custom_format(code), want, "{code}");
        }
        assert_eq!(builtin_format(b"14"), Format::DateTime);
        assert_eq!(builtin_format(b"46"), Format::TimeDelta);
        assert_eq!(builtin_format(b"2"), Format::Other);
        assert_eq!(number("-12.5e+3"), Some(-12500.0));
        assert_eq!(number("0.1"), Some(0.1));
        for bad in ["", "-", ".5", "1.", "+1", "1e", "1e+", "NaN", "1,5", "0x1"] {
            assert_eq!(number(bad), None, "{bad}");
        }
        assert_eq!(reference(b"XFD1048576"), Ok((1_048_575, Some(16_383))));
        assert_eq!(reference(b"12"), Ok((11, None)));
    }

    #[test]
    fn escapes_and_entities_are_told_apart_from_plain_text() {
        assert!(has_escape("a_x000D_b") && has_escape("_x00e9_"));
        assert!(!has_escape("my_xylophone") && !has_escape("_x00") && !has_escape("_x00G0_"));
        let mut out = String::new();
        decode_text(b"R&amp;D &#233;&#x4E2D;&lt;", &mut out).unwrap();
        assert_eq!(out, "R&D \u{e9}\u{4e2d}<");
        for bad in [
            &b"&nbsp;"[..],
            b"&#0;",
            b"&#xD800;",
            b"& b",
            b"a\r\nb",
            b"\xff",
        ] {
            assert_eq!(decode_text(bad, &mut String::new()), Err(Unsure));
        }
    }

    /// Every workbook of the fixtures that passes the package check: each sheet the scan
    /// reads is read as calamine reads it, calamine's own errors are never read past, and
    /// only hostile files are left to calamine.
    #[test]
    fn every_fixture_sheet_is_scanned_as_calamine_reads_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm")
                }) {
                    files.push(path);
                }
            }
        }
        let (mut scanned, mut left) = (0, 0);
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let content = Content::Bytes(&bytes);
            let limits = super::super::ReadLimits::default();
            if super::super::package::check("f", "xlsx", content, &limits).is_err() {
                continue;
            }
            let sheets = super::super::sheet_xml::sheets_of(content).unwrap_or_default();
            // Refused by the reader before any sheet is read.
            if super::super::sheet_xml::shared_sheet_part(&sheets).is_some() {
                continue;
            }
            for (name, part) in sheets {
                let ours = scanned_cells(&bytes, &part);
                match (calamine_cells(&bytes, &name), ours) {
                    (Ok(theirs), Ok(ours)) => {
                        assert_eq!(ours, theirs, "{} {name}", path.display());
                        scanned += 1;
                    }
                    (Err(e), Ok(_)) => panic!("{} {name}: calamine: {e}; scanned", path.display()),
                    // Malformed or hostile parts (a tag cut short, an entity declared) only.
                    (_, Err(Unsure)) => {
                        assert!(
                            path.parent().is_some_and(|d| d.ends_with("hostile")),
                            "{}",
                            path.display()
                        );
                        left += 1;
                    }
                }
            }
        }
        assert!(scanned > 50, "{scanned} scanned, {left} left to calamine");
    }
}
