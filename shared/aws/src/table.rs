//! The one DynamoDB table behind [`crate::DynamoStore`] and [`crate::DynamoResponseCache`]: its keys, its item
//! types and [`create_table`].
//!
//! Single-table design: partition key `pk` (S), sort key `sk` (S), on-demand billing (`PAY_PER_REQUEST`), TTL on
//! the number attribute `ttl` (epoch seconds) — what `infra/template.yaml` declares. Every item carries `ttl`.
//!
//! | item | `pk` | `sk` | other attributes |
//! |------|------|------|------------------|
//! | check | `CHECK#<check id>` | `CHECK` | `request` (B), `status` (S: `queued`/`running`/`done`/`failed`), `error` (S, absent when none), `received_at` (S), `updated_at` (S), `reference` (S, absent when none), `has_report` (BOOL, once the report is written), `ttl` (N) |
//! | evidence | `CHECK#<check id>` | `EVIDENCE#<channel>` | `channel` (S), `body` (B), `updated_at` (S), `ttl` (N) |
//! | verdict | `CHECK#<check id>` | `VERDICT#<channel>` | `channel` (S), `body` (B), `updated_at` (S), `ttl` (N) |
//! | report | `CHECK#<check id>` | `REPORT` | `body` (B), `updated_at` (S), `ttl` (N) |
//! | cached provider answer | `RESPONSE#<SHA-256 of the cache key, hex>` | `RESPONSE` | `key` (S, the cache key itself), `body` (B), `expires_at` (N, epoch milliseconds), `ttl` (N) |
//!
//! - **Bodies** (`request`, `body`) are JSON compressed with gzip (RFC 1952) in a Binary attribute: evidence of a
//!   crawled site or a long shipment list can pass DynamoDB's 400 KB item limit as plain JSON, and JSON shrinks
//!   5–20x. An item still over the limit after compression is refused with [`crate::AwsError::ItemTooLarge`]
//!   before it is sent. A cached answer's `body` is the provider's bytes, gzip-compressed the same way.
//! - **Times** are RFC 3339 UTC with as many fractional digits as needed (as in the SQLite store), so a
//!   `received_at` round-trips exactly.
//! - **`ttl`**: a check's items get `now + retention` (30 days by default, [`crate::DynamoStore::with_retention`])
//!   each time they are written, so a check lives `retention` past its last write; a cached answer gets its own
//!   expiry. DynamoDB deletes expired items within about two days, so readers of the cache compare `expires_at`
//!   themselves.
//! - **Cache keys are hashed** into `pk` because a key (a provider, a scope and a whole lookup as JSON) can pass
//!   the 2,048-byte partition-key limit; the key is kept in `key` and compared on read.
//! - A check's items share one partition: `get_verdicts` is one `Query` (`begins_with(sk, "VERDICT#")`).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use sha2::{Digest, Sha256};
use shadowhunter_core::Channel;
use shadowhunter_core::check::CheckId;
use tracing::instrument;

use crate::error::AwsError;

/// The partition key attribute.
pub const PK: &str = "pk";
/// The sort key attribute.
pub const SK: &str = "sk";
/// The TTL attribute, epoch seconds.
pub const TTL: &str = "ttl";

pub(crate) const SK_CHECK: &str = "CHECK";
pub(crate) const SK_REPORT: &str = "REPORT";
pub(crate) const SK_RESPONSE: &str = "RESPONSE";
pub(crate) const VERDICT_PREFIX: &str = "VERDICT#";

pub(crate) fn check_pk(id: &CheckId) -> String {
    format!("CHECK#{id}")
}

pub(crate) fn evidence_sk(channel: Channel) -> String {
    format!("EVIDENCE#{channel}")
}

pub(crate) fn verdict_sk(channel: Channel) -> String {
    format!("{VERDICT_PREFIX}{channel}")
}

pub(crate) fn response_pk(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("RESPONSE#{hex}")
}

/// How long [`create_table`] waits for a new table to become `ACTIVE`.
const ACTIVE_WITHIN: Duration = Duration::from_secs(120);

/// Creates the table unless it exists, waits until it is `ACTIVE`, and enables TTL on `ttl` unless it is on:
/// the local dev story and the tests; in AWS the SAM template declares the same table.
#[instrument(skip(client))]
pub async fn create_table(client: &Client, table: &str) -> Result<(), AwsError> {
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .expect("name and key type are set")
    };
    let string = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("name and type are set")
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string(PK))
        .attribute_definitions(string(SK))
        .key_schema(key(PK, KeyType::Hash))
        .key_schema(key(SK, KeyType::Range))
        .send()
        .await;
    let is_new = match created {
        Ok(output) => {
            let status = output
                .table_description()
                .and_then(|table| table.table_status().cloned());
            if status != Some(TableStatus::Active) {
                wait_until_active(client, table).await?;
            }
            true
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|err| err.is_resource_in_use_exception()) =>
        {
            wait_until_active(client, table).await?;
            false
        }
        Err(err) => return Err(AwsError::from_sdk("DynamoDB.CreateTable", err)),
    };

    // A new table has TTL off; an existing one is asked first, since enabling it twice is a ValidationException.
    if !is_new {
        let described = client
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .map_err(|err| AwsError::from_sdk("DynamoDB.DescribeTimeToLive", err))?;
        let status = described
            .time_to_live_description()
            .and_then(|ttl| ttl.time_to_live_status());
        if matches!(status, Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)) {
            return Ok(());
        }
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL)
                .enabled(true)
                .build()
                .expect("name and flag are set"),
        )
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("DynamoDB.UpdateTimeToLive", err))?;
    Ok(())
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), AwsError> {
    let deadline = tokio::time::Instant::now() + ACTIVE_WITHIN;
    loop {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|err| AwsError::from_sdk("DynamoDB.DescribeTable", err))?;
        let status = described.table().and_then(|table| table.table_status());
        if status == Some(&TableStatus::Active) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(AwsError::Service {
                operation: "DynamoDB.DescribeTable",
                code: None,
                retryable: true,
                message: format!("table {table} is not ACTIVE after {ACTIVE_WITHIN:?} (status {status:?})"),
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_documented_layout() {
        let id = CheckId::parse("chk_0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(check_pk(&id), "CHECK#chk_0123456789abcdef0123456789abcdef");
        assert_eq!(evidence_sk(Channel::Search), "EVIDENCE#search");
        assert_eq!(verdict_sk(Channel::Customs), "VERDICT#customs");
    }

    #[test]
    fn response_keys_are_hashed_to_a_fixed_length() {
        let long = "x".repeat(10_000);
        let pk = response_pk(&long);
        assert_eq!(pk.len(), "RESPONSE#".len() + 64);
        assert_ne!(pk, response_pk("y"));
        assert_eq!(
            response_pk(""),
            "RESPONSE#e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
