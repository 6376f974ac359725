//! AWS adapters: the DynamoDB `CheckStore` and response cache, SQS submissions, Step Functions executions.
