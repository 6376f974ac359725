//! The JSONPath subset: reference paths (`$`, `$.a.b`, `$.a[0]`, `$['a']`) on the state input or on the context
//! object (`$$.Execution.Input`, `$$.State.Name`, `$$.Map.Item.Value`, ...), compiled once at parse time.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Field(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// `$`: the data the path is applied to.
    Data,
    /// `$$`: the context object.
    Context,
}

/// A compiled reference path.
#[derive(Debug, Clone)]
pub(crate) struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
}

/// Why a path is outside the supported subset, in words for the definition error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct PathProblem(pub String);

impl From<&str> for PathProblem {
    fn from(problem: &str) -> Self {
        PathProblem(problem.to_owned())
    }
}

impl From<String> for PathProblem {
    fn from(problem: String) -> Self {
        PathProblem(problem)
    }
}

/// What the context object holds while a state runs.
pub(crate) struct ContextObject<'a> {
    pub execution_name: &'a str,
    pub execution_input: &'a Value,
    pub state_name: &'a str,
    pub retry_count: u32,
    /// Set only while a Map state builds one iteration's input: the item's index and value.
    pub map_item: Option<(usize, &'a Value)>,
}

impl Path {
    /// Compiles `text`; the error says what part of the syntax is outside the supported subset.
    pub fn parse(text: &str) -> Result<Path, PathProblem> {
        let (root, mut rest) = if let Some(rest) = text.strip_prefix("$$") {
            (Root::Context, rest)
        } else if let Some(rest) = text.strip_prefix('$') {
            (Root::Data, rest)
        } else {
            return Err("a path starts with `$` (or `$$` for the context object)".into());
        };
        let mut segments = Vec::new();
        while let Some(first) = rest.chars().next() {
            match first {
                '.' => {
                    let after_dot = &rest[1..];
                    if after_dot.starts_with('.') {
                        return Err("recursive descent `..` is not supported".into());
                    }
                    let end = after_dot.find(['.', '[']).unwrap_or(after_dot.len());
                    let name = &after_dot[..end];
                    if name.is_empty() {
                        return Err("a `.` must be followed by a field name".into());
                    }
                    if name.contains(['*', ']', '\'', '"', ' ']) || name.starts_with('@') {
                        return Err(PathProblem::from(format!(
                            "`{name}`: wildcards, filters and quoting need bracket notation, and only `['name']` is supported"
                        )));
                    }
                    segments.push(Segment::Field(name.to_owned()));
                    rest = &after_dot[end..];
                }
                '[' => {
                    let (segment, consumed) = parse_bracket(rest)?;
                    segments.push(segment);
                    rest = &rest[consumed..];
                }
                other => return Err(format!("unexpected `{other}`; expected `.name` or `[...]`").into()),
            }
        }
        Ok(Path {
            text: text.to_owned(),
            root,
            segments,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> Root {
        self.root
    }

    /// `$`: the whole input, which needs no lookup at all.
    pub fn is_identity(&self) -> bool {
        self.root == Root::Data && self.segments.is_empty()
    }

    /// Checks a `$$` path names a context field this executor provides; `map_item_allowed` is true only where
    /// Step Functions defines `$$.Map.Item` (a Map state's ItemSelector).
    pub fn check_context_fields(&self, map_item_allowed: bool) -> Result<(), PathProblem> {
        if self.root != Root::Context {
            return Ok(());
        }
        let names: Vec<Option<&str>> = self
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Field(name) => Some(name.as_str()),
                Segment::Index(_) => None,
            })
            .collect();
        let supported = match names.as_slice() {
            [] | [Some("Execution")] | [Some("State")] => true,
            [Some("Execution"), Some("Input"), ..] => true,
            [Some("Execution"), Some("Name")] => true,
            [Some("State"), Some("Name") | Some("RetryCount")] => true,
            [Some("Map")] | [Some("Map"), Some("Item")] | [Some("Map"), Some("Item"), Some("Index")] => {
                return check_map_item(map_item_allowed);
            }
            [Some("Map"), Some("Item"), Some("Value"), ..] => return check_map_item(map_item_allowed),
            _ => false,
        };
        if supported {
            Ok(())
        } else {
            Err(
                "the context object here has only Execution.Input, Execution.Name, State.Name, State.RetryCount \
                 and (in a Map's ItemSelector) Map.Item.Index and Map.Item.Value"
                    .into(),
            )
        }
    }

    /// True when evaluating this path may read `$$.Execution.Input`, which the executor then has to keep.
    pub fn reads_execution_input(&self) -> bool {
        if self.root != Root::Context {
            return false;
        }
        match self.segments.first() {
            None => true,
            Some(Segment::Field(name)) => {
                name == "Execution"
                    && match self.segments.get(1) {
                        None => true,
                        Some(Segment::Field(field)) => field == "Input",
                        Some(Segment::Index(_)) => false,
                    }
            }
            Some(Segment::Index(_)) => false,
        }
    }

    /// The value at this path, borrowed from `data` where it can be; `None` when nothing is there.
    pub fn select<'v>(&self, data: &'v Value, context: &ContextObject<'v>) -> Option<Cow<'v, Value>> {
        match self.root {
            Root::Data => walk(data, &self.segments).map(Cow::Borrowed),
            Root::Context => context.lookup(&self.segments),
        }
    }

    /// The value at this path, moved out of an owned `data` (for OutputPath, where the rest is discarded).
    pub fn take_from(&self, data: Value) -> Option<Value> {
        debug_assert_eq!(self.root, Root::Data);
        let mut current = data;
        for segment in &self.segments {
            current = match (segment, current) {
                (Segment::Field(name), Value::Object(mut map)) => map.remove(name)?,
                (Segment::Index(index), Value::Array(mut items)) if *index < items.len() => items.swap_remove(*index),
                _ => return None,
            };
        }
        Some(current)
    }

    /// Whether [`Path::write`] can place a value in `target`: every step exists or can be created as an object.
    pub fn can_write(&self, target: &Value) -> bool {
        let mut current = target;
        for (position, segment) in self.segments.iter().enumerate() {
            match (segment, current) {
                (Segment::Field(name), Value::Object(map)) => match map.get(name) {
                    Some(next) => current = next,
                    // The rest of the path gets created, and only objects can be created.
                    None => {
                        return self.segments[position + 1..]
                            .iter()
                            .all(|s| matches!(s, Segment::Field(_)));
                    }
                },
                (Segment::Index(index), Value::Array(items)) if *index < items.len() => current = &items[*index],
                _ => return false,
            }
        }
        true
    }

    /// Places `value` at this path in `target`, creating missing objects on the way. Call [`Path::can_write`]
    /// first: a path that cannot be written may leave empty objects behind.
    pub fn write(&self, mut target: Value, value: Value) -> Value {
        if self.segments.is_empty() {
            return value;
        }
        place(&mut target, &self.segments, value);
        target
    }
}

fn place(current: &mut Value, segments: &[Segment], value: Value) {
    let Some((first, rest)) = segments.split_first() else {
        *current = value;
        return;
    };
    let slot = match (first, current) {
        (Segment::Field(name), Value::Object(map)) => {
            map.entry(name.clone()).or_insert_with(|| Value::Object(Map::new()))
        }
        (Segment::Index(index), Value::Array(items)) if *index < items.len() => &mut items[*index],
        _ => return,
    };
    place(slot, rest, value);
}

fn check_map_item(map_item_allowed: bool) -> Result<(), PathProblem> {
    if map_item_allowed {
        Ok(())
    } else {
        Err("`$$.Map` exists only in a Map state's ItemSelector (or legacy Parameters)".into())
    }
}

/// Parses one `[...]` at the start of `text`: `['name']`, `["name"]` or `[3]`; returns it and its length.
fn parse_bracket(text: &str) -> Result<(Segment, usize), PathProblem> {
    let inner = &text[1..];
    if let Some(quote) = inner.chars().next().filter(|c| *c == '\'' || *c == '"') {
        let mut name = String::new();
        let mut chars = inner[1..].char_indices();
        while let Some((position, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped)) => name.push(escaped),
                    None => break,
                },
                c if c == quote => {
                    let after_quote = 1 + position + 1;
                    if !inner[after_quote..].starts_with(']') {
                        return Err("a quoted name in brackets must be followed by `]`".into());
                    }
                    return Ok((Segment::Field(name), 1 + after_quote + 1));
                }
                c => name.push(c),
            }
        }
        return Err("an unterminated quoted name in brackets".into());
    }
    let end = inner.find(']').ok_or("`[` is never closed by `]`")?;
    let index_text = &inner[..end];
    if !index_text.is_empty() && index_text.bytes().all(|b| b.is_ascii_digit()) {
        let index = index_text
            .parse()
            .map_err(|_| format!("index `{index_text}` is too large"))?;
        return Ok((Segment::Index(index), 1 + end + 1));
    }
    Err(PathProblem::from(format!(
        "`[{index_text}]`: only `[n]` and `['name']` are supported (no wildcards, slices, negative indexes or filters)"
    )))
}

fn walk<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    segments
        .iter()
        .try_fold(value, |current, segment| match (segment, current) {
            (Segment::Field(name), Value::Object(map)) => map.get(name),
            (Segment::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        })
}

impl<'a> ContextObject<'a> {
    fn lookup(&self, segments: &[Segment]) -> Option<Cow<'a, Value>> {
        let field = |index: usize| match segments.get(index) {
            Some(Segment::Field(name)) => Some(name.as_str()),
            _ => None,
        };
        match (field(0), field(1), field(2)) {
            (None, ..) if segments.is_empty() => Some(Cow::Owned(self.whole())),
            (Some("Execution"), None, _) if segments.len() == 1 => Some(Cow::Owned(self.execution())),
            (Some("Execution"), Some("Input"), _) => walk(self.execution_input, &segments[2..]).map(Cow::Borrowed),
            (Some("Execution"), Some("Name"), _) if segments.len() == 2 => {
                Some(Cow::Owned(Value::String(self.execution_name.to_owned())))
            }
            (Some("State"), None, _) if segments.len() == 1 => Some(Cow::Owned(self.state())),
            (Some("State"), Some("Name"), _) if segments.len() == 2 => {
                Some(Cow::Owned(Value::String(self.state_name.to_owned())))
            }
            (Some("State"), Some("RetryCount"), _) if segments.len() == 2 => Some(Cow::Owned(self.retry_count.into())),
            (Some("Map"), ..) => {
                let (index, value) = self.map_item?;
                match (field(1), field(2)) {
                    (None, _) if segments.len() == 1 => {
                        Some(Cow::Owned(json!({"Item": {"Index": index, "Value": value}})))
                    }
                    (Some("Item"), None) if segments.len() == 2 => {
                        Some(Cow::Owned(json!({"Index": index, "Value": value})))
                    }
                    (Some("Item"), Some("Index")) if segments.len() == 3 => Some(Cow::Owned(index.into())),
                    (Some("Item"), Some("Value")) => walk(value, &segments[3..]).map(Cow::Borrowed),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn execution(&self) -> Value {
        json!({"Input": self.execution_input, "Name": self.execution_name})
    }

    fn state(&self) -> Value {
        json!({"Name": self.state_name, "RetryCount": self.retry_count})
    }

    fn whole(&self) -> Value {
        let mut whole = json!({"Execution": self.execution(), "State": self.state()});
        if let Some((index, value)) = self.map_item {
            whole["Map"] = json!({"Item": {"Index": index, "Value": value}});
        }
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(input: &'a Value, item: Option<(usize, &'a Value)>) -> ContextObject<'a> {
        ContextObject {
            execution_name: "exec-1",
            execution_input: input,
            state_name: "S",
            retry_count: 2,
            map_item: item,
        }
    }

    fn select(path: &str, data: &Value) -> Option<Value> {
        let empty = json!({});
        Path::parse(path)
            .unwrap()
            .select(data, &context(&empty, None))
            .map(Cow::into_owned)
    }

    #[test]
    fn dot_bracket_and_index_steps_select_the_same_node() {
        let data = json!({"a": {"b c": [10, {"d": true}]}, "x.y": 1});
        assert_eq!(select("$", &data), Some(data.clone()));
        assert_eq!(select("$.a['b c'][1].d", &data), Some(json!(true)));
        assert_eq!(select("$['a'][\"b c\"][0]", &data), Some(json!(10)));
        assert_eq!(select("$['x.y']", &data), Some(json!(1)));
        assert_eq!(select("$.a.missing", &data), None);
        assert_eq!(select("$.a['b c'][5]", &data), None);
    }

    #[test]
    fn paths_outside_the_subset_are_rejected_with_the_reason() {
        for (path, reason) in [
            ("a.b", "starts with `$`"),
            ("$..a", "recursive descent"),
            ("$.a[*]", "only `[n]`"),
            ("$.a[-1]", "only `[n]`"),
            ("$.a[0:2]", "only `[n]`"),
            ("$.a[?(@.b)]", "only `[n]`"),
            ("$.", "field name"),
            ("$.*", "wildcards"),
            ("$a", "unexpected `a`"),
            ("$['a'", "followed by `]`"),
            ("$['a", "unterminated"),
        ] {
            let err = Path::parse(path).unwrap_err();
            assert!(err.0.contains(reason), "{path}: {err}");
        }
    }

    #[test]
    fn the_context_object_exposes_execution_state_and_map_item() {
        let input = json!({"k": [1, 2]});
        let item = json!({"v": 7});
        let ctx = context(&input, Some((3, &item)));
        let get = |path: &str| {
            Path::parse(path)
                .unwrap()
                .select(&Value::Null, &ctx)
                .map(Cow::into_owned)
        };
        assert_eq!(get("$$.Execution.Name"), Some(json!("exec-1")));
        assert_eq!(get("$$.Execution.Input.k[1]"), Some(json!(2)));
        assert_eq!(get("$$.State.Name"), Some(json!("S")));
        assert_eq!(get("$$.State.RetryCount"), Some(json!(2)));
        assert_eq!(get("$$.Map.Item.Index"), Some(json!(3)));
        assert_eq!(get("$$.Map.Item.Value.v"), Some(json!(7)));
        assert_eq!(get("$$.Map.Item"), Some(json!({"Index": 3, "Value": {"v": 7}})));
        assert_eq!(get("$$").unwrap()["Execution"]["Name"], json!("exec-1"));
    }

    #[test]
    fn unknown_context_fields_and_map_item_outside_item_selector_are_refused() {
        assert!(
            Path::parse("$$.Execution.Id")
                .unwrap()
                .check_context_fields(true)
                .is_err()
        );
        assert!(
            Path::parse("$$.Task.Token")
                .unwrap()
                .check_context_fields(true)
                .is_err()
        );
        assert!(
            Path::parse("$$.Map.Item.Value")
                .unwrap()
                .check_context_fields(false)
                .is_err()
        );
        assert!(
            Path::parse("$$.Map.Item.Value.a")
                .unwrap()
                .check_context_fields(true)
                .is_ok()
        );
        assert!(
            Path::parse("$$.Execution.Input.a")
                .unwrap()
                .check_context_fields(false)
                .is_ok()
        );
    }

    #[test]
    fn writing_creates_missing_objects_and_replaces_existing_fields() {
        let raw = json!({"master": {"detail": [1, 2, 3]}});
        let replace = Path::parse("$.master.detail").unwrap();
        assert!(replace.can_write(&raw));
        assert_eq!(replace.write(raw.clone(), json!(6)), json!({"master": {"detail": 6}}));
        let create = Path::parse("$.master.result.sum").unwrap();
        assert!(create.can_write(&raw));
        assert_eq!(
            create.write(raw.clone(), json!(6)),
            json!({"master": {"detail": [1, 2, 3], "result": {"sum": 6}}})
        );
        assert_eq!(
            Path::parse("$.master.detail[1]").unwrap().write(raw.clone(), json!(0))["master"]["detail"],
            json!([1, 0, 3])
        );
    }

    #[test]
    fn writing_through_a_scalar_or_past_an_array_end_is_refused() {
        let raw = json!({"a": 1, "list": [0]});
        assert!(!Path::parse("$.a.b").unwrap().can_write(&raw));
        assert!(!Path::parse("$.list[3]").unwrap().can_write(&raw));
        assert!(!Path::parse("$.missing[0]").unwrap().can_write(&raw));
        assert!(!Path::parse("$.x").unwrap().can_write(&json!([1])));
    }

    #[test]
    fn take_from_moves_the_selected_part_out() {
        let path = Path::parse("$.a[1].b").unwrap();
        assert_eq!(path.take_from(json!({"a": [0, {"b": "x"}]})), Some(json!("x")));
        assert_eq!(path.take_from(json!({"a": []})), None);
    }
}
