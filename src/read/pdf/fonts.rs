//! Fonts: how the bytes of a shown string become character codes, text and advance widths.
//!
//! The rules follow pdfminer.six (what pdfplumber is built on) so that our glyph boxes and
//! texts agree with the reference: simple fonts (Type1, TrueType, Type3) with a built-in or
//! `Differences` encoding, the 14 standard fonts measured from their AFM metrics, `ToUnicode`
//! CMaps (`bfchar`/`bfrange`), and Type0 CID fonts with `Identity-H`/`Identity-V` (two bytes
//! per code) and `W` width arrays. Codes with no known text read as `(cid:N)`, as pdfminer
//! writes them.

use super::tables;
use lopdf::{Dictionary, Document, Object};
use std::borrow::Cow;
use std::collections::HashMap;

/// Upper bound on the decoded size of a font's `ToUnicode` stream.
const MAX_CMAP_BYTES: usize = 8 * 1024 * 1024;

/// How string bytes split into character codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeLen {
    /// One byte per code (simple fonts, `OneByteIdentityH`).
    One,
    /// Two bytes per code (`Identity-H`/`Identity-V`).
    Two,
    /// A CMap we do not know: the string shows nothing (as in pdfminer.six).
    Unknown,
}

/// One font, ready to decode strings.
#[derive(Debug, Clone)]
pub struct Font {
    code_len: CodeLen,
    /// Code → text from the font's `ToUnicode` CMap.
    to_unicode: HashMap<u32, String>,
    /// Code → text from the simple font's encoding (empty for CID fonts).
    encoding: HashMap<u32, String>,
    /// A CID font whose `ToUnicode` is the name `Identity…`: the code is the character.
    identity_text: bool,
    /// Code → width in glyph units.
    widths: HashMap<u32, f64>,
    /// Width by text, for the standard fonts measured from AFM metrics.
    text_widths: Option<&'static [(&'static str, f64)]>,
    default_width: f64,
    descent: f64,
    hscale: f64,
    vscale: f64,
    multibyte: bool,
}

impl Font {
    /// The font used when a content stream names a font its resources do not hold.
    pub fn fallback() -> Font {
        Font {
            code_len: CodeLen::One,
            to_unicode: HashMap::new(),
            encoding: encoding_table(&tables::STANDARD),
            identity_text: false,
            widths: HashMap::new(),
            text_widths: None,
            default_width: 0.0,
            descent: 0.0,
            hscale: 0.001,
            vscale: 0.001,
            multibyte: false,
        }
    }

    /// Build a font from its dictionary. Never fails: what cannot be read falls back to the
    /// defaults pdfminer.six uses.
    pub fn load(doc: &Document, dict: &Dictionary) -> Font {
        let subtype = name_of(doc, dict, b"Subtype").unwrap_or_default();
        match subtype.as_slice() {
            b"Type0" => load_type0(doc, dict),
            b"Type3" => load_type3(doc, dict),
            _ => load_simple(doc, dict, subtype.as_slice() == b"TrueType"),
        }
    }

    /// Whether the font uses multi-byte codes (word spacing then does not apply).
    pub fn is_multibyte(&self) -> bool {
        self.multibyte
    }

    /// Split a shown string into character codes.
    pub fn codes(&self, bytes: &[u8]) -> Vec<u32> {
        match self.code_len {
            CodeLen::One => bytes.iter().map(|&b| u32::from(b)).collect(),
            CodeLen::Two => bytes
                .chunks(2)
                .filter(|c| c.len() == 2)
                .map(|c| (u32::from(c[0]) << 8) | u32::from(c[1]))
                .collect(),
            CodeLen::Unknown => Vec::new(),
        }
    }

    /// The text of a code, if the font defines one.
    pub fn text(&self, code: u32) -> Option<Cow<'_, str>> {
        if self.identity_text {
            return char::from_u32(code).map(|c| Cow::Owned(c.to_string()));
        }
        self.to_unicode
            .get(&code)
            .or_else(|| self.encoding.get(&code))
            .map(|s| Cow::Borrowed(s.as_str()))
    }

    /// The advance width of a code in text space units (before font size).
    pub fn width(&self, code: u32) -> f64 {
        if let Some(w) = self.widths.get(&code) {
            return w * self.hscale;
        }
        if let (Some(table), Some(text)) = (self.text_widths, self.text(code))
            && let Ok(i) = table.binary_search_by(|(k, _)| (*k).cmp(text.as_ref()))
        {
            return table[i].1 * self.hscale;
        }
        self.default_width * self.hscale
    }

    /// The descent below the baseline in text space units (negative or zero).
    pub fn descent(&self) -> f64 {
        self.descent * self.vscale
    }
}

fn resolve<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    doc.dereference(obj).map(|(_, o)| o).unwrap_or(obj)
}

fn get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    dict.get(key).ok().map(|o| resolve(doc, o))
}

fn name_of(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<Vec<u8>> {
    match get(doc, dict, key)? {
        Object::Name(n) => Some(n.clone()),
        _ => None,
    }
}

/// A number object as `f64`.
pub fn number(obj: &Object) -> Option<f64> {
    match obj {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

fn num_in(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<f64> {
    get(doc, dict, key).and_then(number)
}

fn dict_in<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Dictionary> {
    match get(doc, dict, key)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

fn encoding_table(table: &[&str; 256]) -> HashMap<u32, String> {
    table
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| (i as u32, (*t).to_string()))
        .collect()
}

/// Adobe glyph name → text, with the `uniXXXX`, `uXXXX[XX]` and `a_b` ligature forms.
pub fn glyph_text(name: &str) -> Option<String> {
    let name = name.split('.').next().unwrap_or(name);
    if name.contains('_') {
        let parts: Option<Vec<String>> = name.split('_').map(glyph_text).collect();
        return parts.map(|p| p.concat());
    }
    if let Ok(i) = tables::GLYPHS.binary_search_by(|(k, _)| (*k).cmp(name)) {
        return Some(tables::GLYPHS[i].1.to_string());
    }
    // pdfminer strips the letters `u`, `n`, `i` from both ends (Python's `str.strip`).
    if name.starts_with("uni") {
        let hex = name.trim_matches(|c| c == 'u' || c == 'n' || c == 'i');
        if !hex.is_empty() && hex.len() % 4 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut out = String::new();
            for i in (0..hex.len()).step_by(4) {
                let v = u32::from_str_radix(&hex[i..i + 4], 16).ok()?;
                out.push(char::from_u32(v)?);
            }
            return Some(out);
        }
    } else if name.starts_with('u') {
        let hex = name.trim_matches('u');
        if (4..=6).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return char::from_u32(v).map(String::from);
        }
    }
    None
}

fn base_encoding(name: &[u8]) -> &'static [&'static str; 256] {
    match name {
        b"MacRomanEncoding" => &tables::MAC_ROMAN,
        b"WinAnsiEncoding" => &tables::WIN_ANSI,
        b"PDFDocEncoding" => &tables::PDF_DOC,
        _ => &tables::STANDARD,
    }
}

fn simple_encoding(doc: &Document, dict: &Dictionary, truetype: bool) -> HashMap<u32, String> {
    let default: &[u8] = if truetype {
        b"WinAnsiEncoding"
    } else {
        b"StandardEncoding"
    };
    match get(doc, dict, b"Encoding") {
        Some(Object::Name(n)) => encoding_table(base_encoding(n)),
        Some(Object::Dictionary(enc)) => {
            let base = name_of(doc, enc, b"BaseEncoding").unwrap_or_else(|| default.to_vec());
            let mut table = encoding_table(base_encoding(&base));
            if let Some(Object::Array(diffs)) = get(doc, enc, b"Differences") {
                let mut code: u32 = 0;
                for item in diffs {
                    match resolve(doc, item) {
                        Object::Integer(i) => code = u32::try_from(*i).unwrap_or(0),
                        Object::Name(n) => {
                            if let Some(t) = glyph_text(&String::from_utf8_lossy(n)) {
                                table.insert(code, t);
                            }
                            code = code.saturating_add(1);
                        }
                        _ => {}
                    }
                }
            }
            table
        }
        _ => encoding_table(base_encoding(default)),
    }
}

fn to_unicode(doc: &Document, dict: &Dictionary) -> HashMap<u32, String> {
    match get(doc, dict, b"ToUnicode") {
        Some(Object::Stream(s)) => s
            .decompressed_content_with_limit(MAX_CMAP_BYTES)
            .map(|data| parse_to_unicode(&data))
            .unwrap_or_default(),
        _ => HashMap::new(),
    }
}

fn descriptor_metrics(doc: &Document, descriptor: Option<&Dictionary>) -> (f64, f64) {
    let Some(d) = descriptor else {
        return (0.0, 0.0);
    };
    let descent = num_in(doc, d, b"Descent").unwrap_or(0.0);
    let missing = num_in(doc, d, b"MissingWidth").unwrap_or(0.0);
    (-descent.abs(), missing)
}

fn widths_array(doc: &Document, dict: &Dictionary) -> HashMap<u32, f64> {
    let first = num_in(doc, dict, b"FirstChar").unwrap_or(0.0).max(0.0) as u32;
    let mut out = HashMap::new();
    if let Some(Object::Array(ws)) = get(doc, dict, b"Widths") {
        for (i, w) in ws.iter().enumerate() {
            if let Some(w) = number(resolve(doc, w)) {
                out.insert(first.saturating_add(i as u32), w);
            }
        }
    }
    out
}

fn load_simple(doc: &Document, dict: &Dictionary, truetype: bool) -> Font {
    let base = name_of(doc, dict, b"BaseFont")
        .map(|n| String::from_utf8_lossy(&n).into_owned())
        .unwrap_or_default();
    let descriptor = dict_in(doc, dict, b"FontDescriptor");
    let mut font = Font::fallback();
    font.encoding = simple_encoding(doc, dict, truetype);
    if let Ok(i) = tables::STANDARD_FONTS.binary_search_by(|(k, ..)| (*k).cmp(base.as_str())) {
        let (_, _ascent, descent, widths) = tables::STANDARD_FONTS[i];
        font.descent = -descent.abs();
        font.text_widths = Some(widths);
    } else {
        let (descent, missing) = descriptor_metrics(doc, descriptor);
        font.descent = descent;
        font.default_width = missing;
        font.widths = widths_array(doc, dict);
    }
    if !dict.has(b"Encoding")
        && !truetype
        && let Some(d) = descriptor
        && let Some(Object::Stream(file)) = get(doc, d, b"FontFile")
    {
        // A Type1 font program carries its own encoding in its clear-text header.
        let len1 = num_in(doc, &file.dict, b"Length1").unwrap_or(0.0).max(0.0) as usize;
        if let Ok(data) = file.decompressed_content_with_limit(MAX_CMAP_BYTES) {
            font.encoding = type1_builtin_encoding(&data[..len1.min(data.len())]);
        }
    }
    font.to_unicode = to_unicode(doc, dict);
    font
}

fn load_type3(doc: &Document, dict: &Dictionary) -> Font {
    let mut font = Font::fallback();
    font.encoding = simple_encoding(doc, dict, false);
    font.widths = widths_array(doc, dict);
    let descriptor = dict_in(doc, dict, b"FontDescriptor");
    let bbox_source = descriptor.unwrap_or(dict);
    let bbox: Vec<f64> = match get(doc, bbox_source, b"FontBBox") {
        Some(Object::Array(a)) => a.iter().filter_map(|o| number(resolve(doc, o))).collect(),
        _ => Vec::new(),
    };
    font.descent = bbox.get(1).copied().unwrap_or(0.0);
    font.default_width = descriptor
        .and_then(|d| num_in(doc, d, b"MissingWidth"))
        .unwrap_or(0.0);
    if let Some(Object::Array(m)) = get(doc, dict, b"FontMatrix") {
        let m: Vec<f64> = m.iter().filter_map(|o| number(resolve(doc, o))).collect();
        if m.len() == 6 {
            font.hscale = m[0] + m[2];
            font.vscale = m[1] + m[3];
        }
    }
    font.to_unicode = to_unicode(doc, dict);
    font
}

fn load_type0(doc: &Document, dict: &Dictionary) -> Font {
    let mut font = Font::fallback();
    font.encoding = HashMap::new();
    font.multibyte = true;
    font.default_width = 1000.0;
    let cmap_name = match get(doc, dict, b"Encoding") {
        Some(Object::Name(n)) => n.clone(),
        Some(Object::Stream(s)) => name_of(doc, &s.dict, b"CMapName").unwrap_or_default(),
        _ => Vec::new(),
    };
    font.code_len = match cmap_name.as_slice() {
        b"Identity-H" | b"Identity-V" | b"DLIdent-H" | b"DLIdent-V" => CodeLen::Two,
        b"OneByteIdentityH" | b"OneByteIdentityV" => CodeLen::One,
        _ => CodeLen::Unknown,
    };
    let descendant = match get(doc, dict, b"DescendantFonts") {
        Some(Object::Array(a)) => a.first().and_then(|o| match resolve(doc, o) {
            Object::Dictionary(d) => Some(d),
            _ => None,
        }),
        _ => None,
    };
    if let Some(cid) = descendant {
        let (descent, _) = descriptor_metrics(doc, dict_in(doc, cid, b"FontDescriptor"));
        font.descent = descent;
        if let Some(dw) = num_in(doc, cid, b"DW") {
            font.default_width = dw;
        }
        if let Some(Object::Array(w)) = get(doc, cid, b"W") {
            font.widths = cid_widths(doc, w);
        }
    }
    font.to_unicode = to_unicode(doc, dict);
    if font.to_unicode.is_empty()
        && let Some(Object::Name(n)) = get(doc, dict, b"ToUnicode")
        && n.starts_with(b"Identity")
    {
        font.identity_text = true;
    }
    font
}

/// Parse a CID font's `W` array: `c [w1 w2 …]` and `c_first c_last w`.
fn cid_widths(doc: &Document, w: &[Object]) -> HashMap<u32, f64> {
    let mut out = HashMap::new();
    let items: Vec<&Object> = w.iter().map(|o| resolve(doc, o)).collect();
    let mut i = 0;
    while i < items.len() {
        let Some(first) = number(items[i]) else {
            i += 1;
            continue;
        };
        let first = first.max(0.0) as u32;
        match items.get(i + 1) {
            Some(Object::Array(ws)) => {
                for (k, w) in ws.iter().enumerate() {
                    if let Some(w) = number(resolve(doc, w)) {
                        out.insert(first.saturating_add(k as u32), w);
                    }
                }
                i += 2;
            }
            Some(o) => {
                let last = number(o).unwrap_or(0.0).max(0.0) as u32;
                let w = items.get(i + 2).and_then(|o| number(o)).unwrap_or(0.0);
                // Bound the range so a hostile array cannot allocate without limit.
                for c in first..=last.min(first.saturating_add(65_535)) {
                    out.insert(c, w);
                }
                i += 3;
            }
            None => break,
        }
    }
    out
}

/// A token of a CMap or Type1 header.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Hex(Vec<u8>),
    Str(Vec<u8>),
    Name(String),
    Int(i64),
    Keyword(String),
    ArrayStart,
    ArrayEnd,
}

fn tokenize(data: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        match c {
            b'%' => {
                while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' if data.get(i + 1) == Some(&b'<') => i += 2,
            b'>' if data.get(i + 1) == Some(&b'>') => i += 2,
            b'<' => {
                let start = i + 1;
                let end = data[start..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(data.len(), |p| start + p);
                let digits: Vec<u8> = data[start..end]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                let mut bytes = Vec::with_capacity(digits.len() / 2 + 1);
                for pair in digits.chunks(2) {
                    let hi = hex_val(pair[0]);
                    let lo = pair.get(1).map_or(0, |&b| hex_val(b));
                    bytes.push((hi << 4) | lo);
                }
                out.push(Token::Hex(bytes));
                i = end + 1;
            }
            b'(' => {
                let mut depth = 1;
                let mut s = Vec::new();
                i += 1;
                while i < data.len() && depth > 0 {
                    let b = data[i];
                    match b {
                        b'\\' => {
                            i += 1;
                            if let Some(&e) = data.get(i) {
                                s.push(match e {
                                    b'n' => b'\n',
                                    b'r' => b'\r',
                                    b't' => b'\t',
                                    other => other,
                                });
                            }
                        }
                        b'(' => {
                            depth += 1;
                            s.push(b);
                        }
                        b')' => {
                            depth -= 1;
                            if depth > 0 {
                                s.push(b);
                            }
                        }
                        _ => s.push(b),
                    }
                    i += 1;
                }
                out.push(Token::Str(s));
            }
            b'[' => {
                out.push(Token::ArrayStart);
                i += 1;
            }
            b']' => {
                out.push(Token::ArrayEnd);
                i += 1;
            }
            b'{' | b'}' | b')' | b'>' => i += 1,
            _ if c.is_ascii_whitespace() || c == 0 => i += 1,
            _ => {
                let start = i;
                i += 1;
                while i < data.len()
                    && !data[i].is_ascii_whitespace()
                    && !b"/[]<>(){}%".contains(&data[i])
                {
                    i += 1;
                }
                let word = String::from_utf8_lossy(&data[start..i]).into_owned();
                if let Some(name) = word.strip_prefix('/') {
                    out.push(Token::Name(name.to_string()));
                } else if let Ok(n) = word.parse::<i64>() {
                    out.push(Token::Int(n));
                } else {
                    out.push(Token::Keyword(word));
                }
            }
        }
    }
    out
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

fn unpack(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    char::decode_utf16(units).filter_map(Result::ok).collect()
}

fn add_mapping(map: &mut HashMap<u32, String>, code: u32, text: String) {
    if text == "\u{a0}" && map.get(&code).is_some_and(|t| t == " ") {
        return;
    }
    map.insert(code, text);
}

/// Most mappings one `ToUnicode` CMap may define, ranges counted expanded: four times the
/// whole two-byte code space, far above any real font's. A CMap past it (thousands of
/// full-range `bfrange`s, a denial of service rather than a font) keeps what it defined so far.
const MAX_CMAP_MAPPINGS: u64 = 4 * 65_536;

/// Parse a `ToUnicode` CMap's `bfchar` and `bfrange` sections.
pub fn parse_to_unicode(data: &[u8]) -> HashMap<u32, String> {
    let tokens = tokenize(data);
    let mut map = HashMap::new();
    let mut operands: Vec<Token> = Vec::new();
    let mut spent: u64 = 0;
    let mut i = 0;
    'parse: while i < tokens.len() {
        match &tokens[i] {
            Token::Keyword(k) if k == "endbfchar" => {
                for pair in operands.chunks(2) {
                    spent += 1;
                    if spent > MAX_CMAP_MAPPINGS {
                        break 'parse;
                    }
                    if let [Token::Hex(src), dst] = pair {
                        let text = match dst {
                            Token::Hex(d) | Token::Str(d) => utf16(d),
                            Token::Name(n) => glyph_text(n).unwrap_or_default(),
                            Token::Int(n) => u32::try_from(*n)
                                .ok()
                                .and_then(char::from_u32)
                                .map(String::from)
                                .unwrap_or_default(),
                            _ => continue,
                        };
                        add_mapping(&mut map, unpack(src), text);
                    }
                }
                operands.clear();
            }
            Token::Keyword(k) if k == "endbfrange" => {
                // Regroup into (start, end, dst) where dst may be an array.
                let mut items: Vec<(Token, Option<Vec<Token>>)> = Vec::new();
                let mut j = 0;
                while j < operands.len() {
                    if operands[j] == Token::ArrayStart {
                        let mut arr = Vec::new();
                        j += 1;
                        while j < operands.len() && operands[j] != Token::ArrayEnd {
                            arr.push(operands[j].clone());
                            j += 1;
                        }
                        items.push((Token::ArrayStart, Some(arr)));
                    } else if operands[j] != Token::ArrayEnd {
                        items.push((operands[j].clone(), None));
                    }
                    j += 1;
                }
                for triple in items.chunks(3) {
                    let [(Token::Hex(s), None), (Token::Hex(e), None), dst] = triple else {
                        continue;
                    };
                    let (start, end) = (unpack(s), unpack(e));
                    if end < start || end - start > 65_535 {
                        continue;
                    }
                    spent += u64::from(end - start) + 1;
                    if spent > MAX_CMAP_MAPPINGS {
                        break 'parse;
                    }
                    match dst {
                        (_, Some(arr)) => {
                            for (k, d) in arr.iter().enumerate() {
                                if let Token::Hex(d) = d {
                                    add_mapping(&mut map, start + k as u32, utf16(d));
                                }
                            }
                        }
                        (Token::Hex(code), None) => {
                            let split = code.len().saturating_sub(4);
                            let (prefix, var) = code.split_at(split);
                            let base = unpack(var);
                            let vlen = var.len();
                            for k in 0..=(end - start) {
                                let v = base.wrapping_add(k).to_be_bytes();
                                let mut bytes = prefix.to_vec();
                                bytes.extend_from_slice(&v[4 - vlen..]);
                                add_mapping(&mut map, start + k, utf16(&bytes));
                            }
                        }
                        _ => {}
                    }
                }
                operands.clear();
            }
            Token::Keyword(k) if k == "beginbfchar" || k == "beginbfrange" => operands.clear(),
            Token::Keyword(_) => operands.clear(),
            other => operands.push(other.clone()),
        }
        i += 1;
    }
    map
}

/// The encoding a Type1 font program declares with `dup <code> /<name> put`.
fn type1_builtin_encoding(header: &[u8]) -> HashMap<u32, String> {
    let tokens = tokenize(header);
    let mut out = HashMap::new();
    for w in tokens.windows(4) {
        if let [
            Token::Keyword(dup),
            Token::Int(code),
            Token::Name(name),
            Token::Keyword(put),
        ] = w
            && dup == "dup"
            && put == "put"
            && let (Ok(code), Some(text)) = (u32::try_from(*code), glyph_text(name))
        {
            out.insert(code, text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_flood_of_full_range_bfranges_is_cut_at_the_budget() {
        let one = b"1 beginbfrange <0000> <FFFF> <0041> endbfrange ";
        let data = one.repeat(2000);
        let started = std::time::Instant::now();
        let map = super::parse_to_unicode(&data);
        assert_eq!(map.len(), 65_536);
        assert_eq!(map.get(&0).map(String::as_str), Some("A"));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    use super::*;

    #[test]
    fn glyph_names_resolve_like_the_agl() {
        assert_eq!(glyph_text("A").as_deref(), Some("A"));
        assert_eq!(glyph_text("eacute").as_deref(), Some("é"));
        assert_eq!(glyph_text("uni00E9").as_deref(), Some("é"));
        assert_eq!(glyph_text("u1F600").as_deref(), Some("😀"));
        assert_eq!(glyph_text("f_i").as_deref(), Some("fi"));
        assert_eq!(glyph_text("a.sc").as_deref(), Some("a"));
        assert_eq!(glyph_text("nosuchglyph"), None);
    }

    #[test]
    fn to_unicode_bfchar_and_bfrange() {
        let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
            1 begincodespacerange <0000> <FFFF> endcodespacerange
            2 beginbfchar <0003> <0020> <0011> <00660069> endbfchar
            2 beginbfrange <0024> <0026> <0041> <0030> <0031> [<0078> <00E9>] endbfrange
            endcmap";
        let map = parse_to_unicode(cmap);
        assert_eq!(map.get(&3).map(String::as_str), Some(" "));
        assert_eq!(map.get(&0x11).map(String::as_str), Some("fi"));
        assert_eq!(map.get(&0x26).map(String::as_str), Some("C"));
        assert_eq!(map.get(&0x31).map(String::as_str), Some("é"));
    }

    #[test]
    fn cid_width_arrays() {
        let doc = Document::new();
        let w = vec![
            Object::Integer(1),
            Object::Array(vec![Object::Integer(500), Object::Integer(600)]),
            Object::Integer(10),
            Object::Integer(12),
            Object::Integer(250),
        ];
        let widths = cid_widths(&doc, &w);
        assert_eq!(widths.get(&2), Some(&600.0));
        assert_eq!(widths.get(&11), Some(&250.0));
        assert_eq!(widths.get(&13), None);
    }

    #[test]
    fn type1_header_encoding() {
        let enc = type1_builtin_encoding(b"/Encoding 256 array 0 1 255 {1 index exch /.notdef put} for dup 65 /B put dup 66 /A put readonly def");
        assert_eq!(enc.get(&65).map(String::as_str), Some("B"));
        assert_eq!(enc.get(&66).map(String::as_str), Some("A"));
    }
}
