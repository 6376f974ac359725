//! Choice rules: boolean expressions (`And`, `Or`, `Not`) over data tests (`Variable` plus one comparison).

use std::cmp::Ordering;

use serde_json::{Number, Value};

use crate::definition::{Compiler, Fields, PathRules};
use crate::error::DefinitionError;
use crate::failure::Failure;
use crate::path::{ContextObject, Path};

#[derive(Debug, Clone)]
pub(crate) enum ChoiceRule {
    And(Vec<ChoiceRule>),
    Or(Vec<ChoiceRule>),
    Not(Box<ChoiceRule>),
    Test { variable: Path, comparison: Comparison },
}

#[derive(Debug, Clone)]
pub(crate) enum Comparison {
    String(Relation, Operand<String>),
    Numeric(Relation, Operand<Number>),
    BooleanEquals(Operand<bool>),
    /// `*` matches any run of characters; `\*` and `\\` are a literal `*` and `\`.
    StringMatches(String),
    IsPresent(bool),
    IsNull(bool),
    IsString(bool),
    IsNumeric(bool),
    IsBoolean(bool),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Relation {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

/// What a comparison compares against: a value written in the rule, or one read with a `...Path` operator.
#[derive(Debug, Clone)]
pub(crate) enum Operand<T> {
    Literal(T),
    Path(Path),
}

const RELATIONS: [(&str, Relation); 5] = [
    ("Equals", Relation::Equals),
    ("LessThan", Relation::LessThan),
    ("GreaterThan", Relation::GreaterThan),
    ("LessThanEquals", Relation::LessThanEquals),
    ("GreaterThanEquals", Relation::GreaterThanEquals),
];

impl Relation {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Relation::Equals => ordering == Ordering::Equal,
            Relation::LessThan => ordering == Ordering::Less,
            Relation::GreaterThan => ordering == Ordering::Greater,
            Relation::LessThanEquals => ordering != Ordering::Greater,
            Relation::GreaterThanEquals => ordering != Ordering::Less,
        }
    }
}

impl ChoiceRule {
    /// Compiles one rule from `fields`; the caller has already taken `Next` (top-level rules) and `Comment`.
    pub fn compile(fields: &mut Fields<'_>, compiler: &mut Compiler) -> Result<ChoiceRule, DefinitionError> {
        let location = fields.location().to_owned();
        let rules = PathRules {
            context: true,
            map_item: false,
        };
        if let Some(operands) = fields.take("And") {
            return Ok(ChoiceRule::And(compile_list(operands, &location, "And", compiler)?));
        }
        if let Some(operands) = fields.take("Or") {
            return Ok(ChoiceRule::Or(compile_list(operands, &location, "Or", compiler)?));
        }
        if let Some(operand) = fields.take("Not") {
            let mut inner = Fields::new(format!("{location}/Not"), operand)?;
            let _ = inner.take("Comment");
            let rule = ChoiceRule::compile(&mut inner, compiler)?;
            inner.finish()?;
            return Ok(ChoiceRule::Not(Box::new(rule)));
        }
        let variable = fields.required_str("Variable")?;
        let variable = compiler.path(variable, &format!("{location}/Variable"), rules)?;
        let comparison = compile_comparison(fields, compiler)?;
        Ok(ChoiceRule::Test { variable, comparison })
    }

    pub fn evaluate(&self, data: &Value, context: &ContextObject<'_>) -> Result<bool, Failure> {
        match self {
            ChoiceRule::And(rules) => {
                for rule in rules {
                    if !rule.evaluate(data, context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            ChoiceRule::Or(rules) => {
                for rule in rules {
                    if rule.evaluate(data, context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            ChoiceRule::Not(rule) => Ok(!rule.evaluate(data, context)?),
            ChoiceRule::Test { variable, comparison } => {
                let value = variable.select(data, context);
                if let Comparison::IsPresent(expected) = comparison {
                    return Ok(value.is_some() == *expected);
                }
                // Step Functions fails the execution rather than treating a missing variable as a mismatch.
                let value = value.ok_or_else(|| invalid_path(variable))?;
                comparison.holds(&value, data, context)
            }
        }
    }
}

fn invalid_path(path: &Path) -> Failure {
    Failure::runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        path.text()
    ))
}

impl Comparison {
    fn holds(&self, value: &Value, data: &Value, context: &ContextObject<'_>) -> Result<bool, Failure> {
        let operand = |path: &Path| path.select(data, context).ok_or_else(|| invalid_path(path));
        Ok(match self {
            Comparison::String(relation, expected) => {
                let Some(actual) = value.as_str() else { return Ok(false) };
                match expected {
                    Operand::Literal(expected) => relation.holds(actual.cmp(expected.as_str())),
                    Operand::Path(path) => match operand(path)?.as_str() {
                        Some(expected) => relation.holds(actual.cmp(expected)),
                        None => false,
                    },
                }
            }
            Comparison::Numeric(relation, expected) => {
                let Value::Number(actual) = value else { return Ok(false) };
                let ordering = match expected {
                    Operand::Literal(expected) => compare_numbers(actual, expected),
                    Operand::Path(path) => match &*operand(path)? {
                        Value::Number(expected) => compare_numbers(actual, expected),
                        _ => None,
                    },
                };
                ordering.is_some_and(|ordering| relation.holds(ordering))
            }
            Comparison::BooleanEquals(expected) => {
                let Value::Bool(actual) = value else { return Ok(false) };
                match expected {
                    Operand::Literal(expected) => actual == expected,
                    Operand::Path(path) => operand(path)?.as_bool() == Some(*actual),
                }
            }
            Comparison::StringMatches(pattern) => value.as_str().is_some_and(|actual| wildcard_match(pattern, actual)),
            Comparison::IsPresent(_) => unreachable!("IsPresent is decided before the variable is required"),
            Comparison::IsNull(expected) => value.is_null() == *expected,
            Comparison::IsString(expected) => value.is_string() == *expected,
            Comparison::IsNumeric(expected) => value.is_number() == *expected,
            Comparison::IsBoolean(expected) => value.is_boolean() == *expected,
        })
    }
}

/// Compares exactly when both are integers (so large ids compare right), as floating point otherwise.
fn compare_numbers(left: &Number, right: &Number) -> Option<Ordering> {
    let as_integer = |n: &Number| n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from));
    match (as_integer(left), as_integer(right)) {
        (Some(left), Some(right)) => Some(left.cmp(&right)),
        _ => left.as_f64()?.partial_cmp(&right.as_f64()?),
    }
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    // Tokens: Some(c) a literal character, None a `*`.
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(Some(chars.next().unwrap_or('\\'))),
            '*' => tokens.push(None),
            c => tokens.push(Some(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Greedy matching with backtracking to the last `*`.
    let (mut t, mut p) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Some(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(None) => {
                last_star = Some((p, t));
                p += 1;
            }
            _ => match last_star {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    last_star = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(Option::is_none)
}

fn compile_list(
    value: &Value,
    location: &str,
    operator: &str,
    compiler: &mut Compiler,
) -> Result<Vec<ChoiceRule>, DefinitionError> {
    let items = value
        .as_array()
        .filter(|items| !items.is_empty())
        .ok_or_else(|| DefinitionError::InvalidField {
            location: location.to_owned(),
            field: operator.to_owned(),
            problem: "must be a non-empty array of rules".to_owned(),
        })?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let mut fields = Fields::new(format!("{location}/{operator}/{index}"), item)?;
            let _ = fields.take("Comment");
            let rule = ChoiceRule::compile(&mut fields, compiler)?;
            fields.finish()?;
            Ok(rule)
        })
        .collect()
}

fn compile_comparison(fields: &mut Fields<'_>, compiler: &mut Compiler) -> Result<Comparison, DefinitionError> {
    let location = fields.location().to_owned();
    let operators: Vec<String> = fields
        .remaining_keys()
        .filter(|key| is_comparison_operator(key))
        .collect();
    let operator = match operators.as_slice() {
        [operator] => operator.clone(),
        [] => {
            if let Some(unknown) = fields.remaining_keys().next() {
                return Err(DefinitionError::UnsupportedField {
                    location,
                    field: unknown,
                });
            }
            return Err(DefinitionError::InvalidField {
                location,
                field: "Variable".to_owned(),
                problem: "needs exactly one comparison operator beside it; found none this executor supports"
                    .to_owned(),
            });
        }
        _ => {
            return Err(DefinitionError::InvalidField {
                location,
                field: operators.join(", "),
                problem: "only one comparison operator is allowed in a rule".to_owned(),
            });
        }
    };
    let value = fields.take(&operator).expect("the operator was found among the fields");
    let invalid = |problem: &str| DefinitionError::InvalidField {
        location: location.clone(),
        field: operator.clone(),
        problem: problem.to_owned(),
    };
    let rules = PathRules {
        context: true,
        map_item: false,
    };
    let operator_location = format!("{location}/{operator}");
    if let Some(path_operator) = operator.strip_suffix("Path") {
        let text = value.as_str().ok_or_else(|| invalid("must be a path string"))?;
        let path = compiler.path(text, &operator_location, rules)?;
        return Ok(match split_operator(path_operator) {
            Some(("String", relation)) => Comparison::String(relation, Operand::Path(path)),
            Some(("Numeric", relation)) => Comparison::Numeric(relation, Operand::Path(path)),
            Some(("Boolean", Relation::Equals)) => Comparison::BooleanEquals(Operand::Path(path)),
            _ => unreachable!("is_comparison_operator accepted it"),
        });
    }
    let flag = || value.as_bool().ok_or_else(|| invalid("must be true or false"));
    Ok(match operator.as_str() {
        "StringMatches" => {
            Comparison::StringMatches(value.as_str().ok_or_else(|| invalid("must be a string"))?.to_owned())
        }
        "BooleanEquals" => Comparison::BooleanEquals(Operand::Literal(flag()?)),
        "IsPresent" => Comparison::IsPresent(flag()?),
        "IsNull" => Comparison::IsNull(flag()?),
        "IsString" => Comparison::IsString(flag()?),
        "IsNumeric" => Comparison::IsNumeric(flag()?),
        "IsBoolean" => Comparison::IsBoolean(flag()?),
        other => match split_operator(other) {
            Some(("String", relation)) => Comparison::String(
                relation,
                Operand::Literal(value.as_str().ok_or_else(|| invalid("must be a string"))?.to_owned()),
            ),
            Some(("Numeric", relation)) => match value {
                Value::Number(number) => Comparison::Numeric(relation, Operand::Literal(number.clone())),
                _ => return Err(invalid("must be a number")),
            },
            _ => unreachable!("is_comparison_operator accepted it"),
        },
    })
}

/// `NumericLessThan` → ("Numeric", LessThan).
fn split_operator(operator: &str) -> Option<(&str, Relation)> {
    ["String", "Numeric", "Boolean"].into_iter().find_map(|kind| {
        let relation_name = operator.strip_prefix(kind)?;
        let relation = RELATIONS.iter().find(|(name, _)| *name == relation_name)?.1;
        (kind != "Boolean" || matches!(relation, Relation::Equals)).then_some((kind, relation))
    })
}

fn is_comparison_operator(key: &str) -> bool {
    matches!(
        key,
        "StringMatches" | "BooleanEquals" | "IsPresent" | "IsNull" | "IsString" | "IsNumeric" | "IsBoolean"
    ) || split_operator(key.strip_suffix("Path").unwrap_or(key)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_string_matches() {
        assert!(wildcard_match("log-*.txt", "log-2024-01.txt"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b", "aXXc"));
        assert!(wildcard_match(r"a\*b", "a*b"));
        assert!(!wildcard_match(r"a\*b", "aXb"));
    }

    #[test]
    fn integers_compare_exactly_and_mixed_numbers_as_floats() {
        let big = Number::from(9_007_199_254_740_993_u64);
        let near = Number::from(9_007_199_254_740_992_u64);
        assert_eq!(compare_numbers(&big, &near), Some(Ordering::Greater));
        assert_eq!(
            compare_numbers(&Number::from(2), &Number::from_f64(2.0).unwrap()),
            Some(Ordering::Equal)
        );
    }

    #[test]
    fn operator_names_split_into_kind_and_relation() {
        assert!(is_comparison_operator("NumericGreaterThanEqualsPath"));
        assert!(is_comparison_operator("StringEquals"));
        assert!(is_comparison_operator("BooleanEqualsPath"));
        assert!(!is_comparison_operator("BooleanLessThan"));
        assert!(!is_comparison_operator("TimestampEquals"));
        assert!(!is_comparison_operator("Next"));
    }
}
