//! Intrinsic functions (`States.Format('{}', $.a)` and friends), parsed once into a call tree and evaluated per
//! state. A bad argument at run time is a `States.Runtime` failure, as Step Functions reports it.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

use crate::failure::Failure;
use crate::path::{ContextObject, Path};

/// Why an intrinsic function call did not parse.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct IntrinsicSyntaxError(String);

/// A parsed intrinsic function call.
#[derive(Debug, Clone)]
pub(crate) struct IntrinsicCall {
    function: Function,
    arguments: Vec<Argument>,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayLength,
    ArrayGetItem,
    ArrayContains,
    ArrayRange,
    ArrayPartition,
    ArrayUnique,
    JsonMerge,
    MathAdd,
    Uuid,
}

impl Function {
    fn from_name(name: &str) -> Option<Function> {
        Some(match name {
            "Format" => Function::Format,
            "StringToJson" => Function::StringToJson,
            "JsonToString" => Function::JsonToString,
            "Array" => Function::Array,
            "ArrayLength" => Function::ArrayLength,
            "ArrayGetItem" => Function::ArrayGetItem,
            "ArrayContains" => Function::ArrayContains,
            "ArrayRange" => Function::ArrayRange,
            "ArrayPartition" => Function::ArrayPartition,
            "ArrayUnique" => Function::ArrayUnique,
            "JsonMerge" => Function::JsonMerge,
            "MathAdd" => Function::MathAdd,
            "UUID" => Function::Uuid,
            _ => return None,
        })
    }

    /// How many arguments the function takes: (at least, at most).
    fn arity(self) -> (usize, usize) {
        match self {
            Function::Format => (1, usize::MAX),
            Function::Array => (0, usize::MAX),
            Function::StringToJson | Function::JsonToString | Function::ArrayLength | Function::ArrayUnique => (1, 1),
            Function::ArrayGetItem | Function::ArrayContains | Function::ArrayPartition | Function::MathAdd => (2, 2),
            Function::ArrayRange | Function::JsonMerge => (3, 3),
            Function::Uuid => (0, 0),
        }
    }
}

#[derive(Debug, Clone)]
enum Argument {
    Literal(Value),
    /// A string literal, kept with its `{}` placeholders so that `States.Format` can tell them from escaped braces.
    String(StringLiteral),
    Path(Path),
    Call(Box<IntrinsicCall>),
}

#[derive(Debug, Clone)]
struct StringLiteral {
    /// The text with escapes resolved.
    value: String,
    /// The text split at each unescaped `{}`.
    format_pieces: Vec<String>,
    /// An unescaped `{` or `}` that is not part of a `{}`.
    has_lone_brace: bool,
}

impl IntrinsicCall {
    /// Whether `text` is meant as an intrinsic function call rather than a path.
    pub fn looks_like_call(text: &str) -> bool {
        text.trim_start().starts_with("States.")
    }

    pub fn parse(text: &str) -> Result<IntrinsicCall, IntrinsicSyntaxError> {
        let mut parser = Parser { text, position: 0 };
        parser.skip_whitespace();
        let call = parser.call()?;
        parser.skip_whitespace();
        if parser.position != text.len() {
            return Err(parser.error("unexpected text after the closing `)`"));
        }
        Ok(call)
    }

    /// Every path the call reads, nested calls included, for the checks made at parse time.
    pub fn paths(&self) -> Vec<&Path> {
        let mut paths = Vec::new();
        for argument in &self.arguments {
            match argument {
                Argument::Path(path) => paths.push(path),
                Argument::Call(call) => paths.extend(call.paths()),
                Argument::Literal(_) | Argument::String(_) => {}
            }
        }
        paths
    }

    pub fn evaluate(&self, data: &Value, context: &ContextObject<'_>) -> Result<Value, Failure> {
        let mut values = Vec::with_capacity(self.arguments.len());
        for argument in &self.arguments {
            values.push(match argument {
                Argument::Literal(value) => Cow::Borrowed(value),
                Argument::String(literal) => Cow::Owned(Value::String(literal.value.clone())),
                Argument::Path(path) => path.select(data, context).ok_or_else(|| {
                    self.failure(format_args!(
                        "the JSONPath argument '{}' could not be found in the input",
                        path.text()
                    ))
                })?,
                Argument::Call(call) => Cow::Owned(call.evaluate(data, context)?),
            });
        }
        self.apply(values)
    }

    fn failure(&self, problem: impl std::fmt::Display) -> Failure {
        Failure::runtime(format!(
            "The function '{}' had the following error: {problem}",
            self.text
        ))
    }

    fn apply(&self, mut values: Vec<Cow<'_, Value>>) -> Result<Value, Failure> {
        match self.function {
            Function::Format => self.format(&values),
            Function::StringToJson => {
                let text = self.string_argument(&values[0], 1)?;
                if text.trim().is_empty() {
                    return Ok(Value::Null);
                }
                serde_json::from_str(text).map_err(|err| self.failure(format_args!("the argument is not JSON: {err}")))
            }
            Function::JsonToString => Ok(Value::String(values[0].to_string())),
            Function::Array => Ok(Value::Array(values.into_iter().map(Cow::into_owned).collect())),
            Function::ArrayLength => Ok(self.array_argument(&values[0], 1)?.len().into()),
            Function::ArrayGetItem => {
                let items = self.array_argument(&values[0], 1)?;
                let index = self.integer_argument(&values[1], 2)?;
                usize::try_from(index)
                    .ok()
                    .and_then(|index| items.get(index))
                    .cloned()
                    .ok_or_else(|| self.failure(format_args!("index {index} is out of bounds")))
            }
            Function::ArrayContains => Ok(Value::Bool(self.array_argument(&values[0], 1)?.contains(&values[1]))),
            Function::ArrayRange => self.range(&values),
            Function::ArrayPartition => {
                let items = self.array_argument(&values[0], 1)?;
                let size = self.integer_argument(&values[1], 2)?;
                let size = usize::try_from(size)
                    .ok()
                    .filter(|size| *size > 0)
                    .ok_or_else(|| self.failure("the chunk size must be a positive integer"))?;
                Ok(Value::Array(
                    items.chunks(size).map(|chunk| Value::Array(chunk.to_vec())).collect(),
                ))
            }
            Function::ArrayUnique => {
                let items = self.array_argument(&values[0], 1)?;
                let mut unique: Vec<Value> = Vec::with_capacity(items.len());
                for item in items {
                    if !unique.contains(item) {
                        unique.push(item.clone());
                    }
                }
                Ok(Value::Array(unique))
            }
            Function::JsonMerge => {
                if values[2].as_bool() != Some(false) {
                    return Err(self.failure("only the shallow merge (a third argument of false) is supported"));
                }
                let second = values.swap_remove(1).into_owned();
                let first = values.swap_remove(0).into_owned();
                match (first, second) {
                    (Value::Object(mut merged), Value::Object(overrides)) => {
                        merged.extend(overrides);
                        Ok(Value::Object(merged))
                    }
                    _ => Err(self.failure("both arguments must be JSON objects")),
                }
            }
            Function::MathAdd => {
                let sum = self
                    .integer_argument(&values[0], 1)?
                    .checked_add(self.integer_argument(&values[1], 2)?)
                    .ok_or_else(|| self.failure("the sum overflows"))?;
                Ok(sum.into())
            }
            Function::Uuid => Ok(Value::String(uuid_v4())),
        }
    }

    fn format(&self, values: &[Cow<'_, Value>]) -> Result<Value, Failure> {
        let pieces: Cow<'_, [String]> = match &self.arguments[0] {
            Argument::String(literal) => Cow::Borrowed(&literal.format_pieces),
            _ => {
                // A template read from the data has no escapes to honour: each `{}` is a placeholder.
                let template = self.string_argument(&values[0], 1)?;
                Cow::Owned(template.split("{}").map(str::to_owned).collect())
            }
        };
        let arguments = &values[1..];
        if pieces.len() - 1 != arguments.len() {
            return Err(self.failure(format_args!(
                "the template has {} placeholders but {} values were given",
                pieces.len() - 1,
                arguments.len()
            )));
        }
        let mut out = String::new();
        for (piece, argument) in pieces.iter().zip(arguments) {
            out.push_str(piece);
            write_format_value(&mut out, argument);
        }
        out.push_str(pieces.last().map(String::as_str).unwrap_or_default());
        Ok(Value::String(out))
    }

    fn range(&self, values: &[Cow<'_, Value>]) -> Result<Value, Failure> {
        const MAX_ITEMS: usize = 1000;
        let start = self.integer_argument(&values[0], 1)?;
        let end = self.integer_argument(&values[1], 2)?;
        let step = self.integer_argument(&values[2], 3)?;
        if step == 0 {
            return Err(self.failure("the step must not be 0"));
        }
        let mut items = Vec::new();
        let mut current = start;
        while (step > 0 && current <= end) || (step < 0 && current >= end) {
            if items.len() == MAX_ITEMS {
                return Err(self.failure(format_args!("the range has more than {MAX_ITEMS} items")));
            }
            items.push(Value::from(current));
            current = match current.checked_add(step) {
                Some(next) => next,
                None => break,
            };
        }
        Ok(Value::Array(items))
    }

    fn string_argument<'v>(&self, value: &'v Value, position: usize) -> Result<&'v str, Failure> {
        value
            .as_str()
            .ok_or_else(|| self.failure(format_args!("argument {position} must be a string")))
    }

    fn array_argument<'v>(&self, value: &'v Value, position: usize) -> Result<&'v Vec<Value>, Failure> {
        value
            .as_array()
            .ok_or_else(|| self.failure(format_args!("argument {position} must be an array")))
    }

    fn integer_argument(&self, value: &Value, position: usize) -> Result<i64, Failure> {
        value
            .as_i64()
            .ok_or_else(|| self.failure(format_args!("argument {position} must be an integer")))
    }
}

/// How `States.Format` renders a value: strings as they are, JSON scalars as JSON, arrays and objects the way Step
/// Functions' Java runtime prints them (`[a, b]`, `{key=value}`).
fn write_format_value(out: &mut String, value: &Value) {
    match value {
        Value::String(text) => out.push_str(text),
        Value::Array(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push_str(", ");
                }
                write_format_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (position, (key, item)) in map.iter().enumerate() {
                if position > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                write_format_value(out, item);
            }
            out.push('}');
        }
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
}

fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (position, byte) in bytes.iter().enumerate() {
        if matches!(position, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{byte:02x}");
    }
    out
}

struct Parser<'t> {
    text: &'t str,
    position: usize,
}

impl<'t> Parser<'t> {
    fn rest(&self) -> &'t str {
        &self.text[self.position..]
    }

    fn error(&self, problem: &str) -> IntrinsicSyntaxError {
        IntrinsicSyntaxError(format!("{problem} (at character {})", self.position))
    }

    fn skip_whitespace(&mut self) {
        let trimmed = self.rest().trim_start();
        self.position = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.rest().starts_with(expected) {
            self.position += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn call(&mut self) -> Result<IntrinsicCall, IntrinsicSyntaxError> {
        let start = self.position;
        let Some(after_prefix) = self.rest().strip_prefix("States.") else {
            return Err(self.error("an intrinsic function call starts with `States.`"));
        };
        let name_length = after_prefix
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after_prefix.len());
        let name = &after_prefix[..name_length];
        let function = Function::from_name(name)
            .ok_or_else(|| self.error(&format!("`States.{name}` is not a supported function")))?;
        self.position += "States.".len() + name_length;
        self.skip_whitespace();
        if !self.eat('(') {
            return Err(self.error("expected `(` after the function name"));
        }
        let mut arguments = Vec::new();
        self.skip_whitespace();
        if !self.eat(')') {
            loop {
                self.skip_whitespace();
                arguments.push(self.argument()?);
                self.skip_whitespace();
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("expected `,` or `)` after an argument"));
                }
            }
        }
        let (at_least, at_most) = function.arity();
        if arguments.len() < at_least || arguments.len() > at_most {
            return Err(self.error(&format!("`States.{name}` does not take {} arguments", arguments.len())));
        }
        self.check_arguments(function, &arguments)?;
        Ok(IntrinsicCall {
            function,
            arguments,
            text: self.text[start..self.position].to_owned(),
        })
    }

    /// The checks that need no data: a literal template's placeholders, a literal merge mode.
    fn check_arguments(&self, function: Function, arguments: &[Argument]) -> Result<(), IntrinsicSyntaxError> {
        match (function, arguments.first()) {
            (Function::Format, Some(Argument::String(template))) => {
                if template.has_lone_brace {
                    return Err(self.error("a literal `{` or `}` in a template must be escaped as `\\{` or `\\}`"));
                }
                if template.format_pieces.len() != arguments.len() {
                    return Err(self.error(&format!(
                        "the template has {} placeholders but {} values follow it",
                        template.format_pieces.len() - 1,
                        arguments.len() - 1
                    )));
                }
            }
            (Function::Format, Some(Argument::Literal(_))) => {
                return Err(self.error("the first argument of States.Format must be a string"));
            }
            (Function::JsonMerge, _) => {
                if let Some(Argument::Literal(mode)) = arguments.get(2)
                    && mode != &Value::Bool(false)
                {
                    return Err(self.error("only the shallow merge (a third argument of false) is supported"));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn argument(&mut self) -> Result<Argument, IntrinsicSyntaxError> {
        let rest = self.rest();
        if rest.starts_with('\'') {
            return self.string_literal().map(Argument::String);
        }
        if rest.starts_with("States.") {
            return self.call().map(|call| Argument::Call(Box::new(call)));
        }
        if rest.starts_with('$') {
            let length = path_length(rest);
            let text = &rest[..length];
            let path = Path::parse(text).map_err(|problem| self.error(&format!("path `{text}`: {problem}")))?;
            self.position += length;
            return Ok(Argument::Path(path));
        }
        for (keyword, value) in [
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
        ] {
            if rest.starts_with(keyword) && !rest[keyword.len()..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                self.position += keyword.len();
                return Ok(Argument::Literal(value));
            }
        }
        let length = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(rest.len());
        if length > 0
            && let Ok(number) = serde_json::from_str::<serde_json::Number>(&rest[..length])
        {
            self.position += length;
            return Ok(Argument::Literal(Value::Number(number)));
        }
        Err(self.error("expected a 'string', a number, true, false, null, a path or a States. call"))
    }

    fn string_literal(&mut self) -> Result<StringLiteral, IntrinsicSyntaxError> {
        let mut literal = StringLiteral {
            value: String::new(),
            format_pieces: vec![String::new()],
            has_lone_brace: false,
        };
        let mut chars = self.rest().char_indices().skip(1).peekable();
        while let Some((offset, c)) = chars.next() {
            match c {
                '\'' => {
                    self.position += offset + 1;
                    return Ok(literal);
                }
                '\\' => {
                    let Some((_, escaped)) = chars.next() else { break };
                    if !matches!(escaped, '\'' | '{' | '}' | '\\') {
                        return Err(self.error(&format!("`\\{escaped}` is not an escape; only \\' \\{{ \\}} \\\\ are")));
                    }
                    literal.value.push(escaped);
                    literal.format_pieces.last_mut().expect("never empty").push(escaped);
                }
                '{' if chars.peek().map(|(_, next)| *next) == Some('}') => {
                    chars.next();
                    literal.value.push_str("{}");
                    literal.format_pieces.push(String::new());
                }
                '{' | '}' => {
                    literal.has_lone_brace = true;
                    literal.value.push(c);
                    literal.format_pieces.last_mut().expect("never empty").push(c);
                }
                c => {
                    literal.value.push(c);
                    literal.format_pieces.last_mut().expect("never empty").push(c);
                }
            }
        }
        Err(self.error("a string literal is never closed by `'`"))
    }
}

/// The length of the path at the start of `text`: up to a `,`, `)` or space outside brackets.
fn path_length(text: &str) -> usize {
    let mut in_quote: Option<char> = None;
    let mut escaped = false;
    for (position, c) in text.char_indices() {
        match in_quote {
            Some(quote) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == quote {
                    in_quote = None;
                }
            }
            None => match c {
                '\'' | '"' => in_quote = Some(c),
                ',' | ')' => return position,
                c if c.is_whitespace() => return position,
                _ => {}
            },
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn evaluate(call: &str, data: Value) -> Result<Value, Failure> {
        let input = json!({});
        let context = ContextObject {
            execution_name: "exec",
            execution_input: &input,
            state_name: "S",
            retry_count: 0,
            map_item: None,
        };
        IntrinsicCall::parse(call).unwrap().evaluate(&data, &context)
    }

    #[test]
    fn format_fills_placeholders_in_order() {
        let data = json!({"name": "Arnav", "n": 3, "ok": true, "none": null});
        assert_eq!(
            evaluate("States.Format('Hello, my name is {}.', $.name)", data.clone()).unwrap(),
            json!("Hello, my name is Arnav.")
        );
        assert_eq!(
            evaluate("States.Format('{}-{}-{}', $.n, $.ok, $.none)", data).unwrap(),
            json!("3-true-null")
        );
    }

    #[test]
    fn format_honours_the_spec_escapes() {
        // The spec's example: escaped quote, braces and backslash are literal text, not placeholders.
        let call = r"States.Format('Your name is \'{}\', and \{not a placeholder\} \\ {}', $.a, $.b)";
        assert_eq!(
            evaluate(call, json!({"a": "x", "b": 1})).unwrap(),
            json!(r"Your name is 'x', and {not a placeholder} \ 1")
        );
    }

    #[test]
    fn format_with_a_template_from_the_data() {
        let data = json!({"template": "Hello, my name is {}.", "name": "Arnav"});
        assert_eq!(
            evaluate("States.Format($.template, $.name)", data).unwrap(),
            json!("Hello, my name is Arnav.")
        );
    }

    #[test]
    fn format_renders_arrays_and_objects_like_step_functions() {
        let data = json!({"list": [1, "a"], "map": {"k": [true]}});
        assert_eq!(
            evaluate("States.Format('{} {}', $.list, $.map)", data).unwrap(),
            json!("[1, a] {k=[true]}")
        );
    }

    #[test]
    fn format_placeholder_count_and_lone_braces_are_checked_at_parse() {
        assert!(IntrinsicCall::parse("States.Format('{} {}', $.a)").is_err());
        assert!(IntrinsicCall::parse("States.Format('{', $.a)").is_err());
        assert!(IntrinsicCall::parse(r"States.Format('\q')").is_err());
        assert!(IntrinsicCall::parse("States.Format(1)").is_err());
    }

    #[test]
    fn string_to_json_and_back() {
        let data = json!({"escaped": "{\"foo\": \"bar\"}"});
        assert_eq!(
            evaluate("States.StringToJson($.escaped)", data).unwrap(),
            json!({"foo": "bar"})
        );
        assert_eq!(
            evaluate("States.JsonToString($.v)", json!({"v": {"a": [1, 2]}})).unwrap(),
            json!("{\"a\":[1,2]}")
        );
        let err = evaluate("States.StringToJson($.v)", json!({"v": "{not json"})).unwrap_err();
        assert_eq!(err.error, "States.Runtime");
    }

    #[test]
    fn array_functions() {
        let data = json!({"list": [1, 2, 2, 3], "x": "y"});
        assert_eq!(
            evaluate("States.Array('a', $.x, 1, true, null)", data.clone()).unwrap(),
            json!(["a", "y", 1, true, null])
        );
        assert_eq!(evaluate("States.ArrayLength($.list)", data.clone()).unwrap(), json!(4));
        assert_eq!(
            evaluate("States.ArrayGetItem($.list, 3)", data.clone()).unwrap(),
            json!(3)
        );
        assert_eq!(
            evaluate("States.ArrayContains($.list, 2)", data.clone()).unwrap(),
            json!(true)
        );
        assert_eq!(
            evaluate("States.ArrayUnique($.list)", data.clone()).unwrap(),
            json!([1, 2, 3])
        );
        assert_eq!(
            evaluate("States.ArrayPartition($.list, 3)", data.clone()).unwrap(),
            json!([[1, 2, 2], [3]])
        );
        assert_eq!(
            evaluate("States.ArrayRange(1, 9, 2)", data.clone()).unwrap(),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            evaluate("States.ArrayLength(States.Array(1, 2))", data.clone()).unwrap(),
            json!(2)
        );
        assert_eq!(
            evaluate("States.ArrayLength($.x)", data).unwrap_err().error,
            "States.Runtime"
        );
    }

    #[test]
    fn math_merge_and_uuid() {
        assert_eq!(
            evaluate("States.MathAdd($.a, -1)", json!({"a": 111})).unwrap(),
            json!(110)
        );
        let data = json!({"a": {"x": 1, "y": 1}, "b": {"y": 2}});
        assert_eq!(
            evaluate("States.JsonMerge($.a, $.b, false)", data).unwrap(),
            json!({"x": 1, "y": 2})
        );
        assert!(IntrinsicCall::parse("States.JsonMerge($.a, $.b, true)").is_err());
        let uuid = evaluate("States.UUID()", json!({})).unwrap();
        assert_eq!(uuid.as_str().unwrap().len(), 36);
    }

    #[test]
    fn a_missing_path_argument_is_a_runtime_failure() {
        let err = evaluate("States.Format('{}', $.missing)", json!({})).unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert!(err.cause.contains("$.missing"), "{}", err.cause);
    }

    #[test]
    fn unknown_functions_and_bad_arity_are_rejected() {
        assert!(IntrinsicCall::parse("States.Nope(1)").is_err());
        assert!(IntrinsicCall::parse("States.ArrayLength()").is_err());
        assert!(IntrinsicCall::parse("States.Array(1,)").is_err());
        assert!(IntrinsicCall::parse("States.Array(1) trailing").is_err());
    }
}
