//! Wiring shared by the Lambda functions.
