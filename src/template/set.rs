//! A checked, ready-to-use set of templates: the defaults embedded in the binary
//! (`templates/*.toml`, compiled in with `include_str!`), a directory that overrides them, or
//! the active rows loaded from the database.
//!
//! Loading compiles every regular expression and checks that the template can work (a rows
//! template needs an employee and a time source), so a broken template is reported when it is
//! loaded, never in the middle of an import.

use super::model::{Field, Layout, Template};
use crate::read::grid::SourceFormat;
use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

/// The default templates shipped in `templates/` (a unit test checks this list against the
/// folder, so a new file cannot be forgotten).
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "rows-standard.toml",
        include_str!("../../templates/rows-standard.toml"),
    ),
    (
        "rows-european.toml",
        include_str!("../../templates/rows-european.toml"),
    ),
    (
        "wfm-export.toml",
        include_str!("../../templates/wfm-export.toml"),
    ),
    (
        "weekly-grid.toml",
        include_str!("../../templates/weekly-grid.toml"),
    ),
    (
        "weekly-grid-european.toml",
        include_str!("../../templates/weekly-grid-european.toml"),
    ),
];

/// Why a template could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The TOML is malformed or has an unknown key.
    #[error("template file {file}: {source}")]
    Toml {
        file: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A database definition does not fit the model.
    #[error("template {name} (database): {source}")]
    Json {
        name: String,
        #[source]
        source: serde_json::Error,
    },
    /// A regular expression in the template does not compile.
    #[error("template {name}: {setting} is not a valid regular expression: {source}")]
    Regex {
        name: String,
        setting: String,
        #[source]
        source: Box<regex::Error>,
    },
    /// The template cannot work as written.
    #[error("template {name}: {reason}")]
    Invalid { name: String, reason: String },
    /// Two templates share a name.
    #[error("two templates are named {0}")]
    Duplicate(String),
    /// The templates folder could not be read.
    #[error("cannot read templates folder {dir}: {source}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Normalise a header or alias: lower case, letters and digits only (`Store #` → `store`,
/// `Shift-Start` → `shiftstart`).
pub fn norm_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why a template's `values.shift_codes` table does not load: a code whose times do not read.
fn bad_shift_code(codes: &std::collections::BTreeMap<String, String>) -> Option<String> {
    codes.iter().find_map(|(code, times)| {
        crate::values::timespec::parse_ranges(times).is_err().then(|| {
            format!(
                "values.shift_codes.{code} = {times:?} is not a shift time (write it like \"06:00-14:00\")"
            )
        })
    })
}

/// [`norm_key`] of every text, the empty ones left out.
fn norm_keys(texts: &[String]) -> Vec<String> {
    texts
        .iter()
        .map(|s| norm_key(s))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Normalise a value for no-shift comparison: lower case, single spaces, no trailing dot.
pub fn norm_word(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches('.')
        .to_lowercase()
}

/// How a template's regular expression matches letter case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// As written (the pattern may still say `(?i)` itself).
    AsWritten,
    /// Any case: `(?i)` is put in front unless the pattern starts with it.
    Ignored,
}

/// The regular expressions of a template, compiled.
struct Patterns {
    file_re: Option<Regex>,
    sheet_re: Option<Regex>,
    store_re: Regex,
    week_label_re: Regex,
    skip_res: Vec<Regex>,
}

impl Patterns {
    /// Compile every regular expression of a template, in the order the settings are checked.
    fn compile(def: &Template) -> Result<Self, TemplateError> {
        let re = |setting: &str, pat: &str, case: Case| pattern(&def.name, setting, pat, case);
        let file_re = def
            .matching
            .file_name
            .as_deref()
            .map(|p| re("match.file_name", p, Case::Ignored))
            .transpose()?;
        let sheet_re = def
            .matching
            .sheet_name
            .as_deref()
            .map(|p| re("match.sheet_name", p, Case::Ignored))
            .transpose()?;
        let store_re = re("store.pattern", &def.store.pattern, Case::AsWritten)?;
        if store_re.captures_len() < 2 {
            return Err(invalid(
                &def.name,
                "store.pattern needs a capture group around the number",
            ));
        }
        let week_label_re = re("week.label", &def.week.label, Case::Ignored)?;
        let skip_res = def
            .values
            .skip_rows
            .iter()
            .map(|p| re("values.skip_rows", p, Case::AsWritten))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Patterns {
            file_re,
            sheet_re,
            store_re,
            week_label_re,
            skip_res,
        })
    }
}

/// Compile one regular expression of template `name`'s `setting`.
fn pattern(name: &str, setting: &str, pat: &str, case: Case) -> Result<Regex, TemplateError> {
    let pat = if case == Case::Ignored && !pat.starts_with("(?i)") {
        format!("(?i){pat}")
    } else {
        pat.to_string()
    };
    compiled(pat).map_err(|e| TemplateError::Regex {
        name: name.to_string(),
        setting: setting.to_string(),
        source: Box::new(e),
    })
}

/// Patterns already compiled in this process, by their text, at most [`COMPILED_MAX`].
static COMPILED: LazyLock<Mutex<HashMap<String, Regex>>> = LazyLock::new(Default::default);

/// Distinct patterns [`COMPILED`] keeps; past it, it starts afresh (operators editing
/// templates under a long-running worker cannot grow it without bound).
const COMPILED_MAX: usize = 256;

/// `pat` compiled, or the regex this process already compiled from the same text. Compiling
/// is the dearest part of loading a template (the shipped set's Unicode-aware patterns take
/// about 10 ms), and a command compiles the shipped templates, then their database copies,
/// which are mostly the same patterns; a worker compiles them again on each template reload.
/// A clone shares the compiled program (and gets its own match caches).
fn compiled(pat: String) -> Result<Regex, regex::Error> {
    let known = COMPILED
        .lock()
        .expect("pattern cache lock is never poisoned")
        .get(&pat)
        .cloned();
    if let Some(re) = known {
        return Ok(re);
    }
    let re = Regex::new(&pat)?;
    let mut cache = COMPILED
        .lock()
        .expect("pattern cache lock is never poisoned");
    if cache.len() >= COMPILED_MAX {
        cache.clear();
    }
    cache.insert(pat, re.clone());
    Ok(re)
}

/// The error for a template that cannot work as written.
fn invalid(name: &str, reason: &str) -> TemplateError {
    TemplateError::Invalid {
        name: name.to_string(),
        reason: reason.to_string(),
    }
}

/// Check that a template can work: its shift codes read, its formats are known, it has an
/// employee column (and a time source for a rows layout), and its shift-length limit is sane.
fn check(def: &Template) -> Result<(), TemplateError> {
    let invalid = |reason: &str| invalid(&def.name, reason);
    if let Some(why) = bad_shift_code(&def.values.shift_codes) {
        return Err(invalid(&why));
    }
    for f in &def.matching.formats {
        if !["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "pdf"].contains(&f.as_str()) {
            return Err(invalid(&format!(
                "match.formats has {f:?}; known: xlsx xlsm xlsb xls ods csv pdf"
            )));
        }
    }
    let has = |f: Field| !def.columns.get(f).is_empty();
    let employee = has(Field::EmployeeName) || has(Field::FirstName) || has(Field::LastName);
    if !employee {
        return Err(invalid(
            "columns needs employee_name (or first_name/last_name) aliases",
        ));
    }
    if def.layout == Layout::Rows {
        let times = (has(Field::Start) && has(Field::End))
            || has(Field::Shift)
            || (has(Field::StartDatetime) && has(Field::EndDatetime));
        if !times {
            return Err(invalid(
                "a rows template needs start+end, shift, or start_datetime+end_datetime aliases",
            ));
        }
    }
    if def.limits.max_shift_hours <= 0.0 || def.limits.max_shift_hours > 48.0 {
        return Err(invalid("limits.max_shift_hours must be between 0 and 48"));
    }
    Ok(())
}

/// A template with its regular expressions compiled and aliases normalised.
#[derive(Debug, Clone)]
pub struct CompiledTemplate {
    pub def: Template,
    /// Hex sha256 of the source text (TOML file) or of the definition JSON.
    pub checksum: String,
    /// Where it came from: `embedded:NAME.toml`, a path, or `database`.
    pub origin: String,
    pub file_re: Option<Regex>,
    pub sheet_re: Option<Regex>,
    pub store_re: Regex,
    pub week_label_re: Regex,
    pub skip_res: Vec<Regex>,
    /// `(field, normalised aliases)` for every mapped field.
    pub aliases: Vec<(Field, Vec<String>)>,
    /// Normalised header signature.
    pub signature: Vec<String>,
    /// Normalised no-shift words.
    pub no_shift: Vec<String>,
    /// Normalised headers of time-off and availability sheets (`values.not_shift_headers`).
    pub not_shift_headers: Vec<String>,
    /// Normalised open-shift words (`values.open_shift`).
    pub open_shift: Vec<String>,
    /// Whether a no-shift word starts with a digit (else a value that does is a shift to read,
    /// with no list to compare).
    no_shift_digit: bool,
}

impl CompiledTemplate {
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Compile and check a template.
    pub fn compile(def: Template, checksum: String, origin: String) -> Result<Self, TemplateError> {
        if def.name.trim().is_empty() {
            return Err(invalid(&def.name, "the name is empty"));
        }
        let res = Patterns::compile(&def)?;
        check(&def)?;
        let aliases = def
            .columns
            .mapped()
            .map(|(f, a)| {
                (
                    f,
                    a.iter()
                        .map(|s| norm_key(s))
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            })
            .collect();
        let signature = def.matching.header.iter().map(|s| norm_key(s)).collect();
        let no_shift: Vec<String> = def.values.no_shift.iter().map(|s| norm_word(s)).collect();
        Ok(CompiledTemplate {
            checksum,
            origin,
            file_re: res.file_re,
            sheet_re: res.sheet_re,
            store_re: res.store_re,
            week_label_re: res.week_label_re,
            skip_res: res.skip_res,
            aliases,
            signature,
            no_shift_digit: no_shift
                .iter()
                .any(|w| w.starts_with(|c: char| c.is_ascii_digit())),
            no_shift,
            not_shift_headers: norm_keys(&def.values.not_shift_headers),
            open_shift: norm_keys(&def.values.open_shift),
            def,
        })
    }

    /// Parse and compile a TOML template.
    pub fn from_toml(file: &str, text: &str, origin: String) -> Result<Self, TemplateError> {
        let def: Template = toml::from_str(text).map_err(|e| TemplateError::Toml {
            file: file.to_string(),
            source: Box::new(e),
        })?;
        Self::compile(def, checksum(text.as_bytes()), origin)
    }

    /// Whether the template reads this format.
    pub fn reads_format(&self, f: SourceFormat) -> bool {
        self.def.matching.formats.is_empty()
            || self.def.matching.formats.iter().any(|x| x == f.as_str())
    }

    /// The field a header cell's text maps to.
    pub fn field_of(&self, header: &str) -> Option<Field> {
        self.field_rank_of(header).map(|(f, _)| f)
    }

    /// The field a header cell maps to and the rank of the alias that matched (0 = the first
    /// alias listed), so the best-named column wins when several map to one field.
    pub fn field_rank_of(&self, header: &str) -> Option<(Field, usize)> {
        let k = norm_key(header);
        if k.is_empty() {
            return None;
        }
        self.aliases
            .iter()
            .find_map(|(f, a)| a.iter().position(|x| *x == k).map(|i| (*f, i)))
            // `Employee #` normalises to an employee alias but holds an ID number.
            .filter(|(f, _)| !(f.is_name() && header.trim_end().ends_with('#')))
    }

    /// Whether a value means "no shift".
    pub fn is_no_shift(&self, value: &str) -> bool {
        if !value.chars().any(char::is_alphanumeric) {
            return true;
        }
        let v = value.trim();
        // A shift (`9a-5p`) starts with a digit: no word to compare.
        if v.starts_with(|c: char| c.is_ascii_digit()) {
            return self.no_shift_digit && self.no_shift.iter().any(|x| x.eq_ignore_ascii_case(v));
        }
        if self.no_shift.iter().any(|x| x.eq_ignore_ascii_case(v)) {
            return true;
        }
        let w = norm_word(value);
        if self.no_shift.contains(&w) {
            return true;
        }
        // A text without a digit that names a no-shift word among others (`Request Off`,
        // `OFF - Vacation`, `Holiday - Store Closed`) is no shift either.
        if value.bytes().any(|b| b.is_ascii_digit()) {
            return false;
        }
        let words: Vec<&str> = w
            .split(|c: char| !c.is_alphanumeric())
            .filter(|x| !x.is_empty())
            .collect();
        self.no_shift.iter().any(|x| {
            let want: Vec<&str> = x.split_whitespace().collect();
            !want.is_empty() && words.windows(want.len()).any(|win| win == want.as_slice())
        })
    }

    /// Whether an employee cell says the shift is open (nobody assigned).
    pub fn is_open_shift(&self, name: &str) -> bool {
        let k = norm_key(name);
        !k.is_empty() && self.open_shift.contains(&k)
    }

    /// Whether a row whose label cell holds this text is skipped.
    pub fn is_skip_row(&self, label: &str) -> bool {
        self.skip_res.iter().any(|r| r.is_match(label))
    }
}

/// Hex sha256 of a template's source.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The templates available to one run. Shared, not copied: every job takes a snapshot of the
/// worker's set, and a clone is a reference count (the compiled regexes and aliases of a
/// dozen templates took 13 % of a one-shift job's CPU when they were copied).
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    templates: std::sync::Arc<[CompiledTemplate]>,
}

impl TemplateSet {
    /// Build a set, refusing duplicate names.
    pub fn new(templates: Vec<CompiledTemplate>) -> Result<Self, TemplateError> {
        let mut seen = std::collections::HashSet::new();
        for t in &templates {
            if !seen.insert(t.name().to_string()) {
                return Err(TemplateError::Duplicate(t.name().to_string()));
            }
        }
        Ok(TemplateSet {
            templates: templates.into(),
        })
    }

    /// The default templates compiled into the binary.
    pub fn embedded() -> Result<Self, TemplateError> {
        let ts = EMBEDDED
            .iter()
            .map(|(file, text)| CompiledTemplate::from_toml(file, text, format!("embedded:{file}")))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(ts)
    }

    /// Every `*.toml` in a folder, sorted by file name.
    pub fn from_dir(dir: &Path) -> Result<Self, TemplateError> {
        let io = |source| TemplateError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut ts = Vec::new();
        for p in files {
            let text = std::fs::read_to_string(&p).map_err(io)?;
            let file = p.display().to_string();
            ts.push(CompiledTemplate::from_toml(&file, &text, file.clone())?);
        }
        Self::new(ts)
    }

    /// The embedded defaults with a folder's templates added; a folder template replaces the
    /// default of the same name.
    pub fn embedded_with_dir(dir: &Path) -> Result<Self, TemplateError> {
        let extra = Self::from_dir(dir)?;
        let mut base = Self::embedded()?.templates.to_vec();
        for t in extra.templates.iter() {
            base.retain(|b| b.name() != t.name());
            base.push(t.clone());
        }
        Self::new(base)
    }

    pub fn iter(&self) -> impl Iterator<Item = &CompiledTemplate> {
        self.templates.iter()
    }

    pub fn get(&self, name: &str) -> Option<&CompiledTemplate> {
        self.templates.iter().find(|t| t.name() == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.templates.iter().map(|t| t.name()).collect()
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_is_compiled_once_and_a_bad_one_is_never_kept() {
        let pat = "(?i)week of \\d+ (cache probe)";
        let first = compiled(pat.to_string()).unwrap();
        assert!(COMPILED.lock().unwrap().contains_key(pat));
        let again = compiled(pat.to_string()).unwrap();
        assert_eq!(first.as_str(), again.as_str());
        assert!(again.is_match("Week of 12 cache probe"));
        for _ in 0..2 {
            assert!(compiled("(unclosed".to_string()).is_err());
        }
        assert!(!COMPILED.lock().unwrap().contains_key("(unclosed"));
    }

    #[test]
    fn no_shift_phrases_and_id_headers() {
        let set = TemplateSet::embedded().unwrap();
        let t = set.get("weekly-grid").unwrap();
        for v in [
            "OFF",
            "Request Off",
            "OFF - Vacation",
            "Holiday - Store Closed",
            "RTO",
            "-",
        ] {
            assert!(t.is_no_shift(v), "{v}");
        }
        for v in ["9a-5p", "Training", "9a-5p off"] {
            assert!(!t.is_no_shift(v), "{v}");
        }
        assert_eq!(t.field_of("Employee"), Some(Field::EmployeeName));
        assert_eq!(t.field_of("Employee #"), None);
        assert_eq!(t.field_of("Store #"), Some(Field::StoreNumber));
    }

    #[test]
    fn embedded_templates_load() {
        let set = TemplateSet::embedded().unwrap();
        assert_eq!(set.len(), EMBEDDED.len());
    }

    #[test]
    fn embedded_list_matches_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = EMBEDDED.iter().map(|(f, _)| f.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn the_documented_format_is_the_real_one() {
        let readme = include_str!("../../templates/README.md");
        let block = readme
            .split("```toml\n")
            .nth(1)
            .and_then(|b| b.split("```").next())
            .unwrap();
        let t = CompiledTemplate::from_toml("README.md", block, "test".into()).unwrap();
        assert_eq!(t.name(), "weekly-grid");
        assert_eq!(t.def.columns.total_hours, vec!["Total Hrs".to_string()]);
    }

    #[test]
    fn keys_ignore_case_spacing_and_punctuation() {
        assert_eq!(norm_key("Store #"), "store");
        assert_eq!(norm_key(" Shift-Start "), "shiftstart");
        assert_eq!(norm_key("EMPLOYEE_NAME"), "employeename");
    }

    #[test]
    fn broken_templates_say_why() {
        let e = CompiledTemplate::from_toml(
            "t.toml",
            "name = \"t\"\nlayout = \"rows\"\n[columns]\nemployee_name = [\"Name\"]\n",
            "test".into(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("start+end"), "{e}");
        let e = CompiledTemplate::from_toml(
            "t.toml",
            "name = \"t\"\nlayout = \"grid\"\n[match]\nfile_name = \"(\"\n[columns]\nemployee_name = [\"Name\"]\n",
            "test".into(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("match.file_name"), "{e}");
    }
}
