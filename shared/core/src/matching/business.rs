//! Line of business: claimed products and HS codes against what a page or a shipment shows.

use std::collections::HashSet;

use super::text::{compact, has_cjk, singular, tokens, tokens_similar};
use crate::request::HsCode;

/// Words that do not say what a product is.
const PRODUCT_STOPWORDS: &[&str] = &[
    "and",
    "or",
    "of",
    "for",
    "the",
    "a",
    "an",
    "with",
    "without",
    "in",
    "on",
    "to",
    "by",
    "from",
    "other",
    "others",
    "etc",
    "various",
    "related",
    "parts",
    "part",
    "accessories",
    "products",
    "product",
    "items",
    "item",
    "goods",
    "type",
    "types",
    "series",
    "kind",
    "kinds",
    "made",
    "use",
    "used",
    "new",
    "high",
    "quality",
    "custom",
    "customized",
    "oem",
    "odm",
    "wholesale",
    "supplier",
    "suppliers",
    "manufacturer",
    "manufacturers",
    "und",
    "et",
    "de",
    "des",
    "du",
    "la",
    "le",
    "les",
    "der",
    "die",
    "das",
    "von",
    "für",
    "fur",
    "y",
    "para",
    "con",
    "e",
    "per",
    "di",
    "il",
];

fn content_words(text: &str) -> Vec<String> {
    tokens(text)
        .into_iter()
        .filter(|token| !PRODUCT_STOPWORDS.contains(&token.as_str()) && !token.chars().all(|c| c.is_ascii_digit()))
        .map(|token| singular(&token))
        .collect()
}

/// The claimed products that the text mentions (content words, plural-insensitive).
///
/// A product counts when at least three fifths of its content words appear in the text (so a two-word product
/// needs both); scripts written without spaces compare as substrings.
pub fn products_mentioned(products: &[String], text: &str) -> Vec<String> {
    let text_words: Vec<String> = content_words(text);
    let text_word_set: HashSet<&str> = text_words.iter().map(String::as_str).collect();
    // Only words of scripts written without spaces need the compacted text.
    let text_compact = std::cell::OnceCell::new();
    products
        .iter()
        .filter(|product| {
            let words = content_words(product);
            if words.is_empty() {
                return false;
            }
            let present = words
                .iter()
                .filter(|word| {
                    if has_cjk(word) {
                        return text_compact.get_or_init(|| compact(text)).contains(word.as_str());
                    }
                    text_word_set.contains(word.as_str())
                        || text_words.iter().any(|text_word| tokens_similar(word, text_word))
                })
                .count();
            present * 5 >= words.len() * 3
        })
        .cloned()
        .collect()
}

/// The digits of an HS code as written; codes stored as numbers lose their leading zero ("90210" for
/// 0902.10), and HS codes always have an even number of digits, so an odd count gets it back.
fn hs_digits(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() % 2 == 1 && digits.len() >= 3 {
        format!("0{digits}")
    } else {
        digits
    }
}

/// Whether a shipment's HS code falls under one of the claimed codes (same 4-digit heading).
///
/// A claimed 2-digit chapter covers every heading in it; a found code shorter than a heading proves nothing.
pub fn hs_matches(claimed: &[HsCode], found: &str) -> bool {
    let found = hs_digits(found);
    if found.len() < 4 {
        return false;
    }
    claimed.iter().any(|code| {
        let heading = code.heading();
        heading.len() >= 2 && found.starts_with(heading)
    })
}

/// Whether two shipments' HS codes fall under the same 4-digit heading: the same goods, however far each filing
/// spells the code out (845710 and 8457.10.90 are both machining centres).
pub fn same_heading(a: &str, b: &str) -> bool {
    let (a, b) = (hs_digits(a), hs_digits(b));
    a.len() >= 4 && b.len() >= 4 && a[..4] == b[..4]
}

/// HS chapters whose headings are styles of one manufacturing line: a knit factory makes T-shirts one season and
/// sweatshirts the next, a furniture plant chairs and tables. In most chapters a heading is a trade of its own
/// (chapter 03 holds fish fillets and crustaceans, 09 coffee and spices, 84 every kind of machine).
const ONE_LINE_CHAPTERS: &[&str] = &[
    "61", // knitted apparel
    "62", // woven apparel
    "64", // footwear
    "65", // headgear
    "69", // ceramic products
    "70", // glass and glassware
    "94", // furniture, bedding, lamps
    "95", // toys, games, sports equipment
];

/// Whether a shipment's HS code is in a claimed code's chapter and that chapter is one line of manufacture.
pub fn same_manufacturing_line(claimed: &[HsCode], found: &str) -> bool {
    let found = hs_digits(found);
    found.len() >= 2
        && ONE_LINE_CHAPTERS.contains(&&found[..2])
        && claimed.iter().any(|code| code.chapter() == &found[..2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn products(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_string()).collect()
    }

    #[test]
    fn products_are_mentioned_despite_plurals_and_spelling() {
        let cases = [
            ("camping tents", "We make camping tent systems and sleeping bags."),
            (
                "aluminium die castings",
                "Leading supplier of aluminum die-casting parts: die castings for cars.",
            ),
            ("lithium batteries", "Lithium battery packs for e-bikes"),
            ("Green Tea", "Our GREEN TEAS are hand-picked."),
            ("glass bottles", "glass bottle manufacturer"),
            ("绿茶", "我们出口优质绿茶和红茶"),
        ];
        for (product, text) in cases {
            assert_eq!(
                products_mentioned(&products(&[product]), text),
                [product],
                "{product} / {text}"
            );
        }
    }

    #[test]
    fn products_with_only_a_shared_generic_word_are_not_mentioned() {
        let cases = [
            ("camping tents", "Camping chairs and folding tables."),
            ("lithium batteries", "Solar panels and inverters from lithium mines."),
            ("green tea", "Green coffee beans"),
            ("steel pipes", "We sell copper wire."),
            ("绿茶", "我们出口红茶"),
        ];
        for (product, text) in cases {
            assert!(
                products_mentioned(&products(&[product]), text).is_empty(),
                "{product} / {text}"
            );
        }
    }

    #[test]
    fn only_mentioned_products_are_returned() {
        let claimed = products(&["camping tents", "sleeping bags", "kayaks"]);
        assert_eq!(
            products_mentioned(&claimed, "Tents for camping, and sleeping bags."),
            ["camping tents", "sleeping bags"]
        );
    }

    #[test]
    fn hs_codes_match_on_the_four_digit_heading() {
        let claimed: Vec<HsCode> = ["0902.10", "63"]
            .iter()
            .filter_map(|raw| HsCode::parse(raw).ok())
            .collect();
        let cases = [
            ("0902.30.00", true),
            ("090210", true),
            ("90240", true),
            ("6306.22", true),
            ("0901.11", false),
            ("8504.40", false),
            ("09", false),
            ("", false),
        ];
        for (found, expected) in cases {
            assert_eq!(hs_matches(&claimed, found), expected, "{found}");
        }
    }

    #[test]
    fn two_filings_are_the_same_goods_under_one_heading_however_far_spelled_out() {
        assert!(same_heading("845710", "8457.10.90"));
        assert!(same_heading("90240", "0902.10")); // stored as a number, leading zero lost
        assert!(!same_heading("845710", "845811"));
        assert!(!same_heading("84", "8457"));
    }

    #[test]
    fn another_heading_of_the_chapter_is_the_same_line_only_where_one_plant_makes_them_all() {
        let claimed: Vec<HsCode> = ["610910", "030617"]
            .iter()
            .filter_map(|raw| HsCode::parse(raw).ok())
            .collect();
        let cases = [
            ("611020", true),   // sweatshirts from a T-shirt knitter
            ("6104.62", true),  // knitted trousers
            ("620342", false),  // woven trousers: another chapter
            ("030462", false),  // fish fillets from a shrimp claim: another trade in the same chapter
            ("30462", false),   // the same, stored as a number
            ("0306.16", false), // the heading itself is hs_matches' business, not this
            ("6", false),
        ];
        for (found, expected) in cases {
            assert_eq!(same_manufacturing_line(&claimed, found), expected, "{found}");
        }
    }
}
