//! Text folding shared by every matcher: NFKC, case folding, diacritic folding, tokenizing.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// NFKC-normalizes, case-folds and strips diacritics from Latin text; other scripts keep their letters.
///
/// Native decimal digits (Thai, Arabic-Indic, Devanagari, Bengali) become ASCII digits so that numbers
/// compare across scripts; full-width forms are already unified by NFKC.
pub fn fold(text: &str) -> String {
    // ASCII is its own NFKC form, lowercases to ASCII and has no marks, native digits or accented letters.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    if text.len() < REMEMBERED_FOLD_MIN_BYTES {
        return fold_non_ascii(text);
    }
    REMEMBERED_FOLDS.with_borrow_mut(|remembered| {
        let Some(remembered) = remembered else {
            return fold_non_ascii(text);
        };
        if let Some(folded) = remembered.get(text) {
            return folded.to_string();
        }
        let folded = fold_non_ascii(text);
        if remembered.len() >= REMEMBERED_FOLDS_MAX {
            remembered.clear();
        }
        remembered.insert(text.into(), folded.as_str().into());
        folded
    })
}

/// Runs `work` with the folds of long non-ASCII texts remembered on this thread, and forgets them after.
///
/// One channel's judgement folds each snippet or page once per matcher (the person's name, its native-script
/// form, the company, the products, injection patterns): on worlds in other scripts, folding — the NFKC quick
/// check and a case mapping per character — was a fifth of the judge's instructions. The folds are kept for one
/// judgement only, so memory stays bounded and nothing carries over between checks.
pub fn with_folds_remembered<T>(work: impl FnOnce() -> T) -> T {
    struct Forget;
    impl Drop for Forget {
        fn drop(&mut self) {
            REMEMBERED_FOLDS.set(None);
        }
    }
    if REMEMBERED_FOLDS.with_borrow(Option::is_some) {
        return work();
    }
    REMEMBERED_FOLDS.set(Some(HashMap::new()));
    let _forget = Forget;
    work()
}

/// Non-ASCII texts at least this long have their folds remembered; a shorter one folds faster than it is looked up.
const REMEMBERED_FOLD_MIN_BYTES: usize = 32;

/// A bound on the folds one judgement remembers: more texts than a channel's findings hold.
const REMEMBERED_FOLDS_MAX: usize = 1024;

thread_local! {
    static REMEMBERED_FOLDS: RefCell<Option<HashMap<Box<str>, Box<str>>>> = const { RefCell::new(None) };
}

fn fold_non_ascii(text: &str) -> String {
    // Text already in NFKC (most of it) skips the normalizer's buffering; the result is the same.
    if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        return fold_chars(text.chars(), text.len());
    }
    fold_chars(text.nfkc(), text.len())
}

fn fold_chars(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut folded = String::with_capacity(capacity);
    let mut previous_was_latin = false;
    for c in chars {
        // Most characters of mixed-script text are ASCII: no marks, digits of their own or accents to fold.
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
            previous_was_latin = c.is_ascii_alphabetic();
            continue;
        }
        for c in c.to_lowercase() {
            fold_lowercase_char(&mut folded, c, &mut previous_was_latin);
        }
    }
    folded
}

fn fold_lowercase_char(folded: &mut String, c: char, previous_was_latin: &mut bool) {
    if is_combining_mark(c) {
        // A mark left over after NFKC on a Latin base (Turkish "İ" lowercases to i + dot) is a diacritic.
        if !*previous_was_latin {
            folded.push(c);
        }
        return;
    }
    if let Some(digit) = native_digit(c) {
        folded.push(digit);
        *previous_was_latin = false;
    } else if is_latin_letter(c) && !c.is_ascii() {
        let ascii = deunicode::deunicode_char(c).unwrap_or("");
        folded.extend(ascii.chars().flat_map(char::to_lowercase));
        *previous_was_latin = true;
    } else {
        folded.push(c);
        *previous_was_latin = c.is_ascii_alphabetic();
    }
}

/// Folded word tokens (letters and digits), split on everything else; CJK runs stay whole.
///
/// A token also ends where CJK (Han, kana) or Hangul meets another script, so "88号" gives "88" and "号",
/// while Latin digit-letter tokens such as "ra08" or "2beon" stay whole.
pub fn tokens(text: &str) -> Vec<String> {
    folded_tokens(&fold(text))
}

/// [`tokens`] of text that is already folded.
pub fn folded_tokens(folded: &str) -> Vec<String> {
    // ASCII has no marks, CJK or Hangul: its words are its runs of letters and digits.
    if folded.is_ascii() {
        return folded
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_string)
            .collect();
    }
    let mut found = Vec::new();
    let mut current = String::new();
    let mut current_class = ScriptClass::Other;
    for c in folded.chars() {
        if !is_word_char(c) {
            if !current.is_empty() {
                found.push(std::mem::take(&mut current));
            }
            continue;
        }
        let class = ScriptClass::of(c);
        // Marks continue whatever word they sit on.
        let continues = current.is_empty() || class == current_class || is_combining_mark(c);
        if !continues {
            found.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current_class = class;
        }
        current.push(c);
    }
    if !current.is_empty() {
        found.push(current);
    }
    found
}

/// The captures of `regex` in `text` whose match starts at a Unicode word boundary.
///
/// For patterns whose word-initial `\b` is written `(?-u:\b)` (ASCII): the regex crate's fast engine treats a
/// Unicode `\b` as ASCII only until it meets a non-ASCII byte, then gives the whole search to a slower one, so
/// any page with one accented letter, CJK character or "©" was searched at a fraction of the speed. ASCII `\b`
/// differs only where an ASCII letter follows a non-ASCII letter ("Hô|tel"); matches starting there are skipped
/// here, which gives the Unicode meaning back for a boundary at the start of a match.
pub(crate) fn captures_at_word_starts<'t>(
    regex: &'t regex::Regex,
    text: &'t str,
) -> impl Iterator<Item = regex::Captures<'t>> + 't {
    let mut from = 0;
    std::iter::from_fn(move || {
        while from <= text.len() {
            let captures = regex.captures_at(text, from)?;
            let whole = captures.get(0).expect("group 0 is the whole match");
            let starts_a_word = whole.as_str().starts_with(|c: char| c.is_ascii_alphanumeric());
            let inside_a_word = starts_a_word
                && text[..whole.start()]
                    .chars()
                    .next_back()
                    .is_some_and(regex_syntax::is_word_character);
            let step = text[whole.start()..].chars().next().map_or(1, char::len_utf8);
            if inside_a_word {
                from = whole.start() + step;
                continue;
            }
            from = if whole.is_empty() {
                whole.end() + step
            } else {
                whole.end()
            };
            return Some(captures);
        }
        None
    })
}

/// Whether the text is mostly in Latin script (after folding). Text without letters counts as Latin,
/// since digits and punctuation are shared by every script.
pub fn is_latin(text: &str) -> bool {
    let (latin, other) =
        fold(text)
            .chars()
            .filter(|c| c.is_alphabetic())
            .fold((0usize, 0usize), |(latin, other), c| {
                if c.is_ascii_alphabetic() || is_latin_letter(c) {
                    (latin + 1, other)
                } else {
                    (latin, other + 1)
                }
            });
    latin >= other
}

/// The words of `text` in Latin script when it also has words in another ("Ningbo Haishun Kitchenware Co., Ltd.
/// 宁波海顺厨具有限公司" → "Ningbo Haishun Kitchenware Co., Ltd."), so a name given in two scripts compares with
/// sources that give one; otherwise `text` as it is.
pub fn latin_words_of(text: &str) -> String {
    split_scripts(text).map_or_else(|| text.to_string(), |(latin, _)| latin)
}

/// A name written in Latin and in another script side by side, as its Latin words and its other words
/// ("Ogasawara Seiki 小笠原精機" → "Ogasawara Seiki", "小笠原精機"); `None` when it is in one script.
pub fn split_scripts(text: &str) -> Option<(String, String)> {
    let is_other_script = |c: char| c.is_alphabetic() && !c.is_ascii_alphabetic() && !is_latin_letter(c);
    let (other, latin): (Vec<&str>, Vec<&str>) = text
        .split_whitespace()
        .partition(|word| word.chars().any(is_other_script));
    let has_latin_word = latin
        .iter()
        .any(|word| word.chars().any(|c| c.is_ascii_alphabetic() || is_latin_letter(c)));
    if other.is_empty() || !has_latin_word {
        return None;
    }
    let trimmed = |part: Vec<&str>| {
        part.join(" ")
            .trim_matches(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '（' | '）' | '/' | '|' | '-' | '–'))
            .to_string()
    };
    Some((trimmed(latin), trimmed(other)))
}

/// Whether a character is Han or Japanese kana (scripts written without spaces between words).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Whether the text contains any Han or kana character.
pub fn has_cjk(text: &str) -> bool {
    text.chars().any(is_cjk)
}

/// Whether a character is a Hangul syllable or jamo.
pub fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF)
}

/// The folded tokens joined without separators ("Green-Leaf Tea" → "greenleaftea"): compares names that differ
/// only in spacing or punctuation.
pub fn compact(text: &str) -> String {
    tokens(text).concat()
}

/// A crude English singular used for plural-insensitive comparison: "batteries" → "battery",
/// "boxes" → "box", "tents" → "tent". Non-Latin tokens are returned unchanged.
pub fn singular(token: &str) -> String {
    singular_form(token).into_owned()
}

/// [`singular`] without a copy when the singular is a prefix of the token (every case but "-ies").
pub(crate) fn singular_form(token: &str) -> Cow<'_, str> {
    if !token.is_ascii() || token.len() <= 3 || token.bytes().any(|byte| byte.is_ascii_digit()) {
        return Cow::Borrowed(token);
    }
    if let Some(stem) = token.strip_suffix("ies")
        && stem.len() >= 2
    {
        return Cow::Owned(format!("{stem}y"));
    }
    for ending in ["sses", "ches", "shes", "xes", "zes"] {
        if token.ends_with(ending) {
            return Cow::Borrowed(&token[..token.len() - 2]);
        }
    }
    if token.ends_with('s') && !token.ends_with("ss") && !token.ends_with("us") && !token.ends_with("is") {
        return Cow::Borrowed(&token[..token.len() - 1]);
    }
    Cow::Borrowed(token)
}

/// Whether two folded tokens are the same word allowing a plural and, for long words, one typo.
pub fn tokens_similar(a: &str, b: &str) -> bool {
    if a == b || singular_form(a) == singular_form(b) {
        return true;
    }
    // Digits must agree exactly: "unit 12" is not "unit 13".
    if a.chars().any(|c| c.is_ascii_digit()) || b.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let (length_a, length_b) = (a.chars().count(), b.chars().count());
    let allowed = match length_a.min(length_b) {
        0..=5 => return false,
        6..=9 => 1,
        _ => 2,
    };
    // The edit distance is at least the difference in length, so most pairs need no distance computed.
    length_a.abs_diff(length_b) <= allowed && strsim::levenshtein(a, b) <= allowed
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScriptClass {
    Cjk,
    Hangul,
    Other,
}

impl ScriptClass {
    fn of(c: char) -> Self {
        if is_cjk(c) {
            ScriptClass::Cjk
        } else if is_hangul(c) {
            ScriptClass::Hangul
        } else {
            ScriptClass::Other
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

fn is_latin_letter(c: char) -> bool {
    matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F)
        && c != '\u{00D7}'
        && c != '\u{00F7}'
}

/// Non-spacing and spacing marks of the scripts we meet (Thai tone marks, Devanagari vowel signs, Arabic harakat);
/// `char::is_alphanumeric` misses many of them, which would cut words apart.
fn is_combining_mark(c: char) -> bool {
    // The first block of marks starts at U+0300; everything before it (ASCII, Latin-1) is no mark.
    if (c as u32) < 0x0300 {
        return false;
    }
    matches!(c as u32,
        0x0300..=0x036F
        | 0x0483..=0x0489
        | 0x0591..=0x05C7
        | 0x0610..=0x061A
        | 0x064B..=0x065F
        | 0x0670
        | 0x06D6..=0x06ED
        | 0x0900..=0x0903
        | 0x093A..=0x094F
        | 0x0951..=0x0957
        | 0x0962..=0x0963
        | 0x0981..=0x0983
        | 0x09BC..=0x09D7
        | 0x0A01..=0x0A03
        | 0x0A3C..=0x0A51
        | 0x0A81..=0x0A83
        | 0x0ABC..=0x0ACD
        | 0x0B01..=0x0B03
        | 0x0B3C..=0x0B57
        | 0x0B82
        | 0x0BBE..=0x0BCD
        | 0x0C00..=0x0C04
        | 0x0C3E..=0x0C56
        | 0x0C81..=0x0C83
        | 0x0CBC..=0x0CD6
        | 0x0D00..=0x0D03
        | 0x0D3B..=0x0D4D
        | 0x0D57
        | 0x0E31
        | 0x0E34..=0x0E3A
        | 0x0E47..=0x0E4E
        | 0x0EB1
        | 0x0EB4..=0x0EBC
        | 0x0EC8..=0x0ECD
        | 0x1037..=0x103E
        | 0x17B4..=0x17D3
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF
        | 0x3099..=0x309A
        | 0xFE20..=0xFE2F)
}

fn native_digit(c: char) -> Option<char> {
    let zero = match c as u32 {
        0x0660..=0x0669 => 0x0660,
        0x06F0..=0x06F9 => 0x06F0,
        0x0966..=0x096F => 0x0966,
        0x09E6..=0x09EF => 0x09E6,
        0x0E50..=0x0E59 => 0x0E50,
        0x0ED0..=0x0ED9 => 0x0ED0,
        0x1040..=0x1049 => 0x1040,
        _ => return None,
    };
    char::from_digit(c as u32 - zero, 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judgement_remembers_folds_that_equal_fresh_ones_and_forgets_them_after() {
        let page = "ΕΛΑΙΟΥΡΓΕΙΑ ΜΕΣΣΗΝΙΑΣ Α.Ε. — Ελαιόλαδο, Καλαμάτα; full-width ＡＢＣ and Ⅻ";
        let short = "Café Ａ";
        let fresh = (fold(page), fold(short));
        let remembered = with_folds_remembered(|| {
            let first = fold(page);
            let nested = with_folds_remembered(|| fold(page));
            assert_eq!(
                REMEMBERED_FOLDS.with_borrow(|folds| folds.as_ref().map(HashMap::len)),
                Some(1)
            );
            assert_eq!(first, nested);
            (fold(page), fold(short))
        });
        assert_eq!(remembered, fresh);
        assert!(REMEMBERED_FOLDS.with_borrow(Option::is_none));
        let unwound = std::panic::catch_unwind(|| with_folds_remembered(|| panic!("judge failed")));
        assert!(unwound.is_err());
        assert!(
            REMEMBERED_FOLDS.with_borrow(Option::is_none),
            "a failed judgement forgets too"
        );
    }

    #[test]
    fn a_name_in_two_scripts_keeps_its_latin_words() {
        assert_eq!(
            latin_words_of("Ningbo Haishun Kitchenware Co., Ltd. 宁波海顺厨具有限公司"),
            "Ningbo Haishun Kitchenware Co., Ltd."
        );
        assert_eq!(
            latin_words_of("Prychornomorska Grain Company LLC (ТОВ «Причорноморська зернова компанія»)"),
            "Prychornomorska Grain Company LLC"
        );
        assert_eq!(latin_words_of("Hoàng Long Seafood"), "Hoàng Long Seafood");
        assert_eq!(
            split_scripts("Ogasawara Seiki 小笠原精機"),
            Some(("Ogasawara Seiki".to_string(), "小笠原精機".to_string()))
        );
        assert_eq!(latin_words_of("宁波海顺厨具有限公司"), "宁波海顺厨具有限公司");
    }

    #[test]
    fn folding_unifies_case_width_and_latin_diacritics() {
        let cases = [
            ("Café Müller", "cafe muller"),
            ("Straße", "strasse"),
            ("Ørsted Øst", "orsted ost"),
            ("ŞİŞECAM", "sisecam"),
            ("ＡＢＣ１２３", "abc123"),
            ("Nguyễn Văn Ánh", "nguyen van anh"),
            ("Łódź", "lodz"),
            ("Æther", "aether"),
        ];
        for (raw, expected) in cases {
            assert_eq!(fold(raw), expected, "{raw}");
        }
    }

    #[test]
    fn folding_keeps_non_latin_letters() {
        let cases = [
            ("杭州绿叶茶业", "杭州绿叶茶业"),
            ("ООО Ромашка", "ооо ромашка"),
            ("주식회사", "주식회사"),
            ("กรุงเทพ", "กรุงเทพ"),
            ("شركة", "شركة"),
            ("๘๘/๙", "88/9"),
        ];
        for (raw, expected) in cases {
            assert_eq!(fold(raw), expected, "{raw}");
        }
    }

    #[test]
    fn tokens_split_on_punctuation_and_keep_digit_letter_words() {
        let cases: [(&str, &[&str]); 6] = [
            ("Co., Ltd.", &["co", "ltd"]),
            ("45, Mieum-ro 2beon-gil", &["45", "mieum", "ro", "2beon", "gil"]),
            ("Building RA08", &["building", "ra08"]),
            ("深圳某某科技有限公司 Shenzhen", &["深圳某某科技有限公司", "shenzhen"]),
            ("文三路90号", &["文三路", "90", "号"]),
            ("ถนนสุขุมวิท 88/9", &["ถนนสุขุมวิท", "88", "9"]),
        ];
        for (raw, expected) in cases {
            assert_eq!(tokens(raw), expected, "{raw}");
        }
    }

    #[test]
    fn latin_detection_follows_the_majority_script() {
        assert!(is_latin("88 Sukhumvit Road, Bangkok"));
        assert!(is_latin("Ünye Şehir"));
        assert!(is_latin("10110"));
        assert!(!is_latin("88/9 ถนนสุขุมวิท กรุงเทพมหานคร"));
        assert!(!is_latin("浙江省杭州市西湖区文三路90号"));
        assert!(!is_latin("Москва, ул. Тверская"));
    }

    #[test]
    fn singular_folds_common_english_plurals() {
        let cases = [
            ("batteries", "battery"),
            ("tents", "tent"),
            ("castings", "casting"),
            ("boxes", "box"),
            ("glasses", "glass"),
            ("watches", "watch"),
            ("glass", "glass"),
            ("status", "status"),
        ];
        for (plural, expected) in cases {
            assert_eq!(singular(plural), expected, "{plural}");
        }
    }

    #[test]
    fn similar_tokens_allow_plurals_and_long_word_typos_only() {
        assert!(tokens_similar("textiles", "textile"));
        assert!(tokens_similar("greenleaf", "greanleaf"));
        assert!(!tokens_similar("tea", "sea"));
        assert!(!tokens_similar("supply", "club"));
        assert!(!tokens_similar("12", "13"));
    }
}
