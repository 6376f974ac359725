//! Payload templates (Parameters, ItemSelector, ResultSelector): JSON whose `key.$` fields take a path or an
//! intrinsic function call, compiled once so that running one only copies and looks up.

use serde_json::{Map, Value};

use crate::definition::{Compiler, PathRules};
use crate::error::DefinitionError;
use crate::failure::Failure;
use crate::intrinsic::IntrinsicCall;
use crate::path::{ContextObject, Path, Root};

#[derive(Debug, Clone)]
pub(crate) enum Template {
    /// A part with no `.$` key anywhere below it: copied as written.
    Literal(Value),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
    /// `"key.$": "$.path"`; `field` is the key as written, for the error message.
    Path {
        field: String,
        path: Path,
    },
    /// `"key.$": "States.Format(...)"`.
    Intrinsic(IntrinsicCall),
}

impl Template {
    /// Compiles a payload template, which must be a JSON object.
    pub fn compile(
        value: &Value,
        location: &str,
        rules: PathRules,
        compiler: &mut Compiler,
    ) -> Result<Template, DefinitionError> {
        if !value.is_object() {
            return Err(DefinitionError::InvalidField {
                location: location.to_owned(),
                field: String::new(),
                problem: "must be a JSON object".to_owned(),
            });
        }
        compile_value(value, location, rules, compiler)
    }

    /// Builds the payload for `data` (the state's effective input, or the task result for ResultSelector).
    pub fn evaluate(&self, data: &Value, context: &ContextObject<'_>) -> Result<Value, Failure> {
        match self {
            Template::Literal(value) => Ok(value.clone()),
            Template::Object(fields) => {
                let mut map = Map::new();
                for (key, template) in fields {
                    map.insert(key.clone(), template.evaluate(data, context)?);
                }
                Ok(Value::Object(map))
            }
            Template::Array(items) => items.iter().map(|item| item.evaluate(data, context)).collect(),
            Template::Path { field, path } => match path.select(data, context) {
                Some(value) => Ok(value.into_owned()),
                None => {
                    let source = match path.root() {
                        Root::Data => format!("the input '{data}'"),
                        Root::Context => "the context object".to_owned(),
                    };
                    Err(Failure::runtime(format!(
                        "The JSONPath '{}' specified for the field '{field}' could not be found in {source}",
                        path.text()
                    )))
                }
            },
            Template::Intrinsic(call) => call.evaluate(data, context),
        }
    }
}

fn compile_value(
    value: &Value,
    location: &str,
    rules: PathRules,
    compiler: &mut Compiler,
) -> Result<Template, DefinitionError> {
    if !contains_dollar_key(value) {
        return Ok(Template::Literal(value.clone()));
    }
    match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (key, item) in map {
                let field_location = format!("{location}/{key}");
                let Some(name) = key.strip_suffix(".$") else {
                    fields.push((key.clone(), compile_value(item, &field_location, rules, compiler)?));
                    continue;
                };
                if map.contains_key(name) {
                    return Err(DefinitionError::InvalidField {
                        location: location.to_owned(),
                        field: key.clone(),
                        problem: format!("clashes with the field `{name}` beside it"),
                    });
                }
                let Some(expression) = item.as_str() else {
                    return Err(DefinitionError::InvalidField {
                        location: location.to_owned(),
                        field: key.clone(),
                        problem: "must be a string holding a path or an intrinsic function call".to_owned(),
                    });
                };
                let template = if IntrinsicCall::looks_like_call(expression) {
                    Template::Intrinsic(compiler.intrinsic(expression, &field_location, rules)?)
                } else {
                    Template::Path {
                        field: key.clone(),
                        path: compiler.path(expression, &field_location, rules)?,
                    }
                };
                fields.push((name.to_owned(), template));
            }
            Ok(Template::Object(fields))
        }
        Value::Array(items) => Ok(Template::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| compile_value(item, &format!("{location}/{index}"), rules, compiler))
                .collect::<Result<_, _>>()?,
        )),
        scalar => Ok(Template::Literal(scalar.clone())),
    }
}

fn contains_dollar_key(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(key, item)| key.ends_with(".$") || contains_dollar_key(item)),
        Value::Array(items) => items.iter().any(contains_dollar_key),
        _ => false,
    }
}
