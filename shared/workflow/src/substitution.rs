//! `${Name}` definition substitutions, replaced in the raw text before parsing as SAM's `DefinitionSubstitutions` do.
//!
//! SAM hands the definition to `Fn::Sub`, so the same rules apply here: a name is made of letters, digits, `_`,
//! `.` and `:`, and `${!Name}` is the escape that renders a literal `${Name}`.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::DefinitionError;

/// One `${...}` occurrence in a definition text.
enum Token<'a> {
    /// Text copied as is.
    Text(&'a str),
    /// `${Name}`: replaced by the substitution called `Name`.
    Placeholder(&'a str),
    /// `${!Name}`: rendered as the literal `${Name}`.
    Escaped(&'a str),
}

fn tokenize(text: &str) -> Result<Vec<Token<'_>>, DefinitionError> {
    let mut tokens = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("${") {
        tokens.push(Token::Text(&rest[..start]));
        let after_brace = &rest[start + 2..];
        let Some(end) = after_brace.find('}') else {
            return Err(DefinitionError::MalformedPlaceholder {
                offset: offset + start,
                problem: "`${` is never closed by `}`",
            });
        };
        let inner = &after_brace[..end];
        let (escaped, name) = match inner.strip_prefix('!') {
            Some(name) => (true, name),
            None => (false, inner),
        };
        let name_is_valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'));
        if !name_is_valid {
            return Err(DefinitionError::MalformedPlaceholder {
                offset: offset + start,
                problem: "a placeholder name is made of letters, digits, `_`, `.` and `:`",
            });
        }
        tokens.push(if escaped {
            Token::Escaped(name)
        } else {
            Token::Placeholder(name)
        });
        let consumed = start + 2 + end + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    tokens.push(Token::Text(rest));
    Ok(tokens)
}

/// The names of the `${Name}` placeholders `text` uses (escaped `${!Name}` ones excluded).
pub fn placeholders(text: &str) -> Result<BTreeSet<String>, DefinitionError> {
    Ok(tokenize(text)?
        .into_iter()
        .filter_map(|token| match token {
            Token::Placeholder(name) => Some(name.to_owned()),
            _ => None,
        })
        .collect())
}

/// `text` with every `${Name}` replaced by `substitutions[Name]`; an unknown name is an error that names it.
pub fn substitute(text: &str, substitutions: &BTreeMap<String, String>) -> Result<String, DefinitionError> {
    let mut out = String::with_capacity(text.len());
    for token in tokenize(text)? {
        match token {
            Token::Text(text) => out.push_str(text),
            Token::Placeholder(name) => match substitutions.get(name) {
                Some(value) => out.push_str(value),
                None => {
                    return Err(DefinitionError::UnresolvedPlaceholder { name: name.to_owned() });
                }
            },
            Token::Escaped(name) => {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn placeholders_are_replaced_and_escapes_render_literally() {
        let text = r#"{"a": "${Prefix}x", "b": "${!Kept}", "c": "${AWS::Region}"}"#;
        let out = substitute(text, &subs(&[("Prefix", "p-"), ("AWS::Region", "eu-west-1")])).unwrap();
        assert_eq!(out, r#"{"a": "p-x", "b": "${Kept}", "c": "eu-west-1"}"#);
    }

    #[test]
    fn an_unreplaced_placeholder_is_an_error_naming_it() {
        let err = substitute("${Missing}", &subs(&[])).unwrap_err();
        assert!(matches!(err, DefinitionError::UnresolvedPlaceholder { ref name } if name == "Missing"));
        assert!(err.to_string().contains("Missing"));
    }

    #[test]
    fn placeholders_lists_names_once_and_skips_escapes() {
        let names = placeholders("${B} ${A} ${B} ${!C}").unwrap();
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["A", "B"]);
    }

    #[test]
    fn an_unclosed_or_odd_placeholder_is_rejected() {
        assert!(matches!(
            placeholders("x ${Name"),
            Err(DefinitionError::MalformedPlaceholder { offset: 2, .. })
        ));
        assert!(placeholders("${has space}").is_err());
        assert!(placeholders("${}").is_err());
    }
}
