//! Checks a model's JSON answer against the strict-mode subset of JSON Schema that `response_format` allows.
//!
//! Strict mode promises a conforming answer, but not every OpenAI-compatible server enforces it; an answer that
//! breaks its schema is refused at the adapter, so it is neither cached nor trusted.

use serde_json::{Map, Value};

/// `$ref` chains and nesting deeper than this are refused rather than followed (a recursive schema).
const MAX_DEPTH: usize = 64;

/// Where an answer breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct SchemaViolation {
    /// A JSON pointer into the answer (`""` for the whole answer).
    pub path: String,
    pub problem: String,
}

/// Checks `value` against `schema`: `type` (one or several), `enum`, `const`, `properties`, `required`,
/// `additionalProperties`, `items`, `minItems`/`maxItems`, `anyOf`/`oneOf`/`allOf` and local `$ref`s.
/// Keywords outside that subset are ignored.
pub fn validate(value: &Value, schema: &Value) -> Result<(), SchemaViolation> {
    Checker { root: schema }.check(value, schema, "", 0)
}

struct Checker<'a> {
    root: &'a Value,
}

impl Checker<'_> {
    fn check(&self, value: &Value, schema: &Value, path: &str, depth: usize) -> Result<(), SchemaViolation> {
        let fail = |problem: String| {
            Err(SchemaViolation {
                path: path.to_string(),
                problem,
            })
        };
        if depth > MAX_DEPTH {
            return fail("the schema nests too deeply".into());
        }
        let schema = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return fail("no value is allowed here".into()),
            Value::Object(schema) => schema,
            _ => return Ok(()),
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let Some(target) = reference
                .strip_prefix('#')
                .and_then(|pointer| self.root.pointer(pointer))
            else {
                return fail(format!("unresolvable $ref {reference}"));
            };
            self.check(value, target, path, depth + 1)?;
        }
        if let Some(types) = schema.get("type")
            && !type_matches(value, types)
        {
            return fail(format!("expected type {types}, found {}", type_name(value)));
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return fail(format!("{value} is not one of {}", Value::Array(allowed.clone())));
        }
        if let Some(expected) = schema.get("const")
            && expected != value
        {
            return fail(format!("expected {expected}, found {value}"));
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array)
                && !branches
                    .iter()
                    .any(|branch| self.check(value, branch, path, depth + 1).is_ok())
            {
                return fail(format!("matches none of the {key} branches"));
            }
        }
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array) {
            for branch in branches {
                self.check(value, branch, path, depth + 1)?;
            }
        }
        match value {
            Value::Object(object) => self.check_object(object, schema, path, depth),
            Value::Array(items) => self.check_array(items, schema, path, depth),
            _ => Ok(()),
        }
    }

    fn check_object(
        &self,
        object: &Map<String, Value>,
        schema: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<(), SchemaViolation> {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(name) = name.as_str()
                && !object.contains_key(name)
            {
                return Err(SchemaViolation {
                    path: path.to_string(),
                    problem: format!("missing required property {name:?}"),
                });
            }
        }
        let additional = schema.get("additionalProperties");
        for (name, member) in object {
            let member_path = format!("{path}/{}", name.replace('~', "~0").replace('/', "~1"));
            match (properties.and_then(|properties| properties.get(name)), additional) {
                (Some(member_schema), _) => self.check(member, member_schema, &member_path, depth + 1)?,
                (None, Some(Value::Bool(false))) => {
                    return Err(SchemaViolation {
                        path: member_path,
                        problem: "property not allowed by the schema".into(),
                    });
                }
                (None, Some(member_schema @ Value::Object(_))) => {
                    self.check(member, member_schema, &member_path, depth + 1)?
                }
                (None, _) => {}
            }
        }
        Ok(())
    }

    fn check_array(
        &self,
        items: &[Value],
        schema: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<(), SchemaViolation> {
        let count = items.len() as u64;
        let fail = |problem: String| {
            Err(SchemaViolation {
                path: path.to_string(),
                problem,
            })
        };
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && count < min
        {
            return fail(format!("{count} items, fewer than {min}"));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && count > max
        {
            return fail(format!("{count} items, more than {max}"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (index, item) in items.iter().enumerate() {
                self.check(item, item_schema, &format!("{path}/{index}"), depth + 1)?;
            }
        }
        Ok(())
    }
}

fn type_matches(value: &Value, types: &Value) -> bool {
    match types {
        Value::String(name) => is_type(value, name),
        Value::Array(names) => names.iter().filter_map(Value::as_str).any(|name| is_type(value, name)),
        _ => true,
    }
}

fn is_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|number| number.fract() == 0.0),
        _ => true,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn verdict_schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["fields", "risk"],
            "properties": {
                "risk": { "type": ["string", "null"], "enum": ["low", "medium", "high", null] },
                "fields": {
                    "type": "array",
                    "items": { "$ref": "#/$defs/field" }
                }
            },
            "$defs": {
                "field": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name", "confidence"],
                    "properties": {
                        "name": { "type": "string" },
                        "confidence": { "type": "integer" }
                    }
                }
            }
        })
    }

    #[test]
    fn a_conforming_answer_passes() {
        let answer = json!({ "risk": null, "fields": [{ "name": "phone", "confidence": 3 }] });
        assert_eq!(validate(&answer, &verdict_schema()), Ok(()));
    }

    #[test]
    fn a_missing_required_property_is_named() {
        let violation = validate(&json!({ "fields": [] }), &verdict_schema()).expect_err("risk is required");
        assert_eq!(violation.path, "");
        assert!(violation.problem.contains("\"risk\""), "{violation}");
    }

    #[test]
    fn a_wrong_type_deep_in_a_referenced_definition_is_found_with_its_path() {
        let answer = json!({ "risk": "low", "fields": [{ "name": "phone", "confidence": "high" }] });
        let violation = validate(&answer, &verdict_schema()).expect_err("confidence is an integer");
        assert_eq!(violation.path, "/fields/0/confidence");
    }

    #[test]
    fn a_value_outside_the_enum_or_an_extra_property_is_refused() {
        assert!(validate(&json!({ "risk": "none", "fields": [] }), &verdict_schema()).is_err());
        assert!(validate(&json!({ "risk": "low", "fields": [], "note": "x" }), &verdict_schema()).is_err());
    }

    #[test]
    fn a_recursive_schema_ends_instead_of_overflowing() {
        let schema = json!({ "$ref": "#" });
        assert!(validate(&json!({}), &schema).is_err());
    }
}
