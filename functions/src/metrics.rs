//! CloudWatch Embedded Metric Format: one JSON line per invocation on stdout, which Lambda ships to CloudWatch
//! Logs and CloudWatch turns into metrics (namespace `shadowhunter`) without an API call on the hot path.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The namespace every metric is filed under.
pub const NAMESPACE: &str = "shadowhunter";

/// One EMF record: metrics (name → value, unit) under the given dimensions, plus searchable properties.
pub struct Emf {
    dimensions: Vec<(&'static str, String)>,
    metrics: Vec<(&'static str, f64, &'static str)>,
    properties: Map<String, Value>,
}

impl Emf {
    pub fn new(function: &str) -> Self {
        Self {
            dimensions: vec![("function", function.to_string())],
            metrics: Vec::new(),
            properties: Map::new(),
        }
    }

    pub fn dimension(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.dimensions.push((name, value.into()));
        self
    }

    pub fn metric(mut self, name: &'static str, value: f64, unit: &'static str) -> Self {
        self.metrics.push((name, value, unit));
        self
    }

    /// A field that is logged but not a metric or dimension (e.g. `check_id`, to find the line).
    pub fn property(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(name.to_string(), value.into());
        self
    }

    /// The record as the one-line JSON document CloudWatch parses.
    pub fn to_line(&self) -> String {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_millis() as u64)
            .unwrap_or_default();
        let mut record = self.properties.clone();
        for (name, value) in &self.dimensions {
            record.insert((*name).to_string(), Value::String(value.clone()));
        }
        for (name, value, _) in &self.metrics {
            record.insert((*name).to_string(), json!(value));
        }
        let dimension_names: Vec<&str> = self.dimensions.iter().map(|(name, _)| *name).collect();
        let metric_definitions: Vec<Value> = self
            .metrics
            .iter()
            .map(|(name, _, unit)| json!({"Name": name, "Unit": unit}))
            .collect();
        record.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [dimension_names],
                    "Metrics": metric_definitions,
                }],
            }),
        );
        Value::Object(record).to_string()
    }

    /// Writes the record to stdout, where Lambda collects it.
    pub fn emit(&self) {
        println!("{}", self.to_line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_names_its_metrics_and_dimensions_in_the_aws_block() {
        let line = Emf::new("collector")
            .dimension("channel", "search")
            .metric("task_ms", 412.0, "Milliseconds")
            .metric("task_errors", 0.0, "Count")
            .property("check_id", "chk_1")
            .to_line();
        let record: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(record["function"], "collector");
        assert_eq!(record["channel"], "search");
        assert_eq!(record["task_ms"], 412.0);
        assert_eq!(record["check_id"], "chk_1");
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["function", "channel"]]));
        assert_eq!(directive["Metrics"][1], json!({"Name": "task_errors", "Unit": "Count"}));
        assert!(record["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    }
}
