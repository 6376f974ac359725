//! `DynamoStore`: the DynamoDB [`CheckStore`] adapter, behaving as the SQLite one does, over the single table of
//! [`crate::table`].
//!
//! - `insert_check` is a `PutItem` guarded by `attribute_not_exists(pk)`; a failed guard means the check is
//!   already there, which is success: a repeated insert never resets a running check.
//! - `set_status` is an `UpdateItem` guarded by `attribute_exists(pk)`, so an unknown check is
//!   [`StoreError::UnknownCheck`] and no stray item appears.
//! - `put_evidence` / `put_verdict` are a `TransactWriteItems` of a `ConditionCheck` on the check item and the
//!   `Put` of the channel's item: an unknown check writes nothing and answers `UnknownCheck`, as SQLite does.
//! - `put_report` is one transaction of the report's `Put` and the check's `Update` (`status = done`,
//!   `has_report`, `error` removed), so a reader never sees `done` without the report.
//! - A transaction cancelled by contention (another transaction on the same check item, throttling) is tried
//!   again, up to five times with jittered backoff, inside the adapter.
//! - Reads are strongly consistent: the step that reads a check's evidence may run right after the one that
//!   wrote it, on another Lambda.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use chrono::{DateTime, SecondsFormat, Utc};
use shadowhunter_core::check::{Check, CheckId, CheckStatus};
use shadowhunter_core::ports::{CheckRecord, CheckStore, Clock, StoreError, SystemClock};
use shadowhunter_core::{Channel, ChannelVerdict, CheckRequest, Evidence, Report};
use tracing::{debug, instrument, warn};

use crate::codec::{Attributes, StoredItem, ensure_fits, json_body};
use crate::error::{AwsError, is_retryable};
use crate::table::{PK, SK, SK_CHECK, SK_REPORT, TTL, VERDICT_PREFIX, check_pk, evidence_sk, verdict_sk};

/// How long a check's items stay after their last write unless [`DynamoStore::with_retention`] says otherwise.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Guards a write on the check item existing.
const CHECK_EXISTS: &str = "attribute_exists(pk)";

/// Transaction cancellation reasons that a later attempt can get past.
const RETRYABLE_CANCELLATIONS: &[&str] = &[
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

/// Attempts at a transaction cancelled by contention. The six collectors (and comparators) of a check write their
/// channel's item at about the same time, each transaction guarding on the same check item, and DynamoDB cancels
/// a transaction that touches an item another ongoing one holds (`TransactionConflict`) — the SDK does not retry
/// that, so this adapter does.
const TRANSACTION_ATTEMPTS: u32 = 5;
const CONTENTION_BACKOFF: Duration = Duration::from_millis(25);

/// The [`CheckStore`] over one DynamoDB table laid out as [`crate::table`] documents.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention: Duration,
    clock: Arc<dyn Clock>,
}

impl DynamoStore {
    /// The store in `table`, which must exist (see [`crate::create_table`]); items kept for [`DEFAULT_RETENTION`].
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            retention: DEFAULT_RETENTION,
            clock: Arc::new(SystemClock),
        }
    }

    /// Keeps a check's items `retention` after their last write (the `ttl` attribute).
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Uses `clock` for `updated_at` stamps and `ttl`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// `updated_at` and `ttl` for an item written now.
    fn stamps(&self) -> (AttributeValue, AttributeValue) {
        let now = self.clock.now();
        let retention = chrono::Duration::from_std(self.retention).unwrap_or(chrono::Duration::MAX);
        let expires = now.checked_add_signed(retention).unwrap_or(DateTime::<Utc>::MAX_UTC);
        (
            AttributeValue::S(timestamp(now)),
            AttributeValue::N(expires.timestamp().to_string()),
        )
    }

    fn key(&self, pk: String, sk: &str) -> Attributes {
        Attributes::from([
            (PK.to_string(), AttributeValue::S(pk)),
            (SK.to_string(), AttributeValue::S(sk.into())),
        ])
    }

    /// A `ConditionCheck` that the check's item exists, for a transaction.
    fn check_exists(&self, id: &CheckId) -> Result<TransactWriteItem, AwsError> {
        let condition = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(self.key(check_pk(id), SK_CHECK)))
            .condition_expression(CHECK_EXISTS)
            .build()?;
        Ok(TransactWriteItem::builder().condition_check(condition).build())
    }

    /// Puts one channel's evidence or verdict item, if the check exists.
    async fn put_channel_item(
        &self,
        id: &CheckId,
        sk: String,
        channel: Channel,
        body: AttributeValue,
    ) -> Result<(), AwsError> {
        let (updated_at, ttl) = self.stamps();
        let mut item = self.key(check_pk(id), &sk);
        item.insert("channel".into(), AttributeValue::S(channel.as_str().into()));
        item.insert("body".into(), body);
        item.insert("updated_at".into(), updated_at);
        item.insert(TTL.into(), ttl);
        ensure_fits(|| format!("{}/{sk}", check_pk(id)), &item)?;

        let put = Put::builder().table_name(&self.table).set_item(Some(item)).build()?;
        self.transact(
            id,
            vec![self.check_exists(id)?, TransactWriteItem::builder().put(put).build()],
        )
        .await
    }

    /// Runs a transaction about check `id`, again after a pause when contention cancelled it.
    async fn transact(&self, id: &CheckId, items: Vec<TransactWriteItem>) -> Result<(), AwsError> {
        let mut attempt = 1;
        loop {
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let Err(err) = sent else {
                return Ok(());
            };
            match transaction_failure(err, id) {
                TransactionFailure::Contended(error) if attempt < TRANSACTION_ATTEMPTS => {
                    debug!(attempt, %error, "transaction cancelled by contention; trying again");
                    tokio::time::sleep(contention_backoff(attempt)).await;
                    attempt += 1;
                }
                TransactionFailure::Contended(error) | TransactionFailure::Final(error) => return Err(error),
            }
        }
    }

    async fn get_item(&self, pk: String, sk: &str) -> Result<Option<Attributes>, AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| AwsError::from_sdk("DynamoDB.GetItem", err))?;
        Ok(output.item)
    }
}

/// RFC 3339 with as many fractional digits as needed, so a `DateTime<Utc>` round-trips exactly.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn parse_timestamp(item: &StoredItem<'_>, attribute: &str) -> Result<DateTime<Utc>, AwsError> {
    let raw = item.string(attribute)?;
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| AwsError::corrupt(&item.name, format!("`{attribute}` = `{raw}`: {err}")))
}

/// How a `TransactWriteItems` failed.
enum TransactionFailure {
    /// Cancelled because a concurrent transaction or throttling got in the way: worth another attempt now.
    Contended(AwsError),
    /// Anything else, already mapped: an unknown check, a fatal or an SDK-retried error.
    Final(AwsError),
}

/// A cancelled transaction whose guard on the check failed is an unknown check; conflicts and throttling are
/// contended; anything else is final.
fn transaction_failure(err: SdkError<TransactWriteItemsError>, id: &CheckId) -> TransactionFailure {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() else {
        return TransactionFailure::Final(AwsError::from_sdk("DynamoDB.TransactWriteItems", err));
    };
    let codes: Vec<&str> = cancelled
        .cancellation_reasons()
        .iter()
        .filter_map(|reason| reason.code())
        .collect();
    if codes.contains(&"ConditionalCheckFailed") {
        return TransactionFailure::Final(AwsError::UnknownCheck(id.clone()));
    }
    let contended = codes.iter().any(|code| RETRYABLE_CANCELLATIONS.contains(code));
    let error = AwsError::Service {
        operation: "DynamoDB.TransactWriteItems",
        code: Some(format!("TransactionCanceledException [{}]", codes.join(", "))),
        retryable: contended || is_retryable(&err),
        message: aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
    };
    if contended {
        TransactionFailure::Contended(error)
    } else {
        TransactionFailure::Final(error)
    }
}

/// The pause before another attempt at a contended transaction: doubling from 25 ms, with jitter so the writers
/// that collided do not collide again.
fn contention_backoff(attempt: u32) -> Duration {
    let base = CONTENTION_BACKOFF * 2u32.saturating_pow(attempt.saturating_sub(1));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.subsec_nanos())
        .unwrap_or_default();
    base + base.mul_f64(f64::from(nanos % 1_000) / 1_000.0)
}

#[async_trait]
impl CheckStore for DynamoStore {
    #[instrument(skip_all, fields(check_id = %check.id, table = %self.table))]
    async fn insert_check(&self, check: &Check) -> Result<(), StoreError> {
        let (updated_at, ttl) = self.stamps();
        let mut item = self.key(check_pk(&check.id), SK_CHECK);
        item.insert("request".into(), json_body("the check request", &check.request)?);
        item.insert("status".into(), AttributeValue::S(CheckStatus::Queued.as_str().into()));
        item.insert("received_at".into(), AttributeValue::S(timestamp(check.received_at)));
        item.insert("updated_at".into(), updated_at);
        if let Some(reference) = &check.request.reference {
            item.insert("reference".into(), AttributeValue::S(reference.clone()));
        }
        item.insert(TTL.into(), ttl);
        ensure_fits(|| format!("{}/{SK_CHECK}", check_pk(&check.id)), &item)?;

        let inserted = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match inserted {
            Ok(_) => Ok(()),
            // Already stored: a retried POST or a redelivered message. Leave it as it is.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|err| err.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(AwsError::from_sdk("DynamoDB.PutItem", err).into()),
        }
    }

    #[instrument(skip_all, fields(check_id = %id, table = %self.table))]
    async fn get_check(&self, id: &CheckId) -> Result<Option<CheckRecord>, StoreError> {
        let Some(attributes) = self.get_item(check_pk(id), SK_CHECK).await? else {
            return Ok(None);
        };
        let item = StoredItem::new(format!("{}/{SK_CHECK}", check_pk(id)), &attributes);
        let request: CheckRequest = item.json("request")?;
        let raw_status = item.string("status")?;
        let status = CheckStatus::parse(raw_status)
            .ok_or_else(|| AwsError::corrupt(&item.name, format!("`status` = `{raw_status}`")))?;
        let error = item.optional_string("error")?.map(str::to_string);
        let received_at = parse_timestamp(&item, "received_at")?;

        // `has_report` is set in the same transaction as the report item, so it is there unless the report's
        // own TTL ran out first (a later `set_status` refreshed only the check's).
        let report = if item.flag("has_report")? {
            match self.get_item(check_pk(id), SK_REPORT).await? {
                Some(attributes) => {
                    let report: Report =
                        StoredItem::new(format!("{}/{SK_REPORT}", check_pk(id)), &attributes).json("body")?;
                    Some(report)
                }
                None => {
                    warn!("the check says it has a report, but the report item is gone");
                    None
                }
            }
        } else {
            None
        };
        Ok(Some(CheckRecord {
            check: Check {
                id: id.clone(),
                request,
                received_at,
            },
            status,
            report,
            error,
        }))
    }

    #[instrument(skip_all, fields(check_id = %id, status = status.as_str(), table = %self.table))]
    async fn set_status(&self, id: &CheckId, status: CheckStatus, error: Option<&str>) -> Result<(), StoreError> {
        let (updated_at, ttl) = self.stamps();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(check_pk(id), SK_CHECK)))
            .condition_expression(CHECK_EXISTS)
            // `status`, `error` and `ttl` are DynamoDB reserved words; every name goes through a placeholder.
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#updated_at", "updated_at")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_names("#error", "error")
            .expression_attribute_values(":status", AttributeValue::S(status.as_str().into()))
            .expression_attribute_values(":updated_at", updated_at)
            .expression_attribute_values(":ttl", ttl);
        update = match error {
            Some(error) => update
                .update_expression("SET #status = :status, #updated_at = :updated_at, #ttl = :ttl, #error = :error")
                .expression_attribute_values(":error", AttributeValue::S(error.into())),
            None => {
                update.update_expression("SET #status = :status, #updated_at = :updated_at, #ttl = :ttl REMOVE #error")
            }
        };
        match update.send().await {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|err| err.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::UnknownCheck(id.clone()))
            }
            Err(err) => Err(AwsError::from_sdk("DynamoDB.UpdateItem", err).into()),
        }
    }

    #[instrument(skip_all, fields(check_id = %id, table = %self.table))]
    async fn claim(&self, id: &CheckId) -> Result<bool, StoreError> {
        let (updated_at, ttl) = self.stamps();
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(check_pk(id), SK_CHECK)))
            .condition_expression("attribute_exists(pk) AND #status = :queued")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#updated_at", "updated_at")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_names("#error", "error")
            .expression_attribute_values(":queued", AttributeValue::S(CheckStatus::Queued.as_str().into()))
            .expression_attribute_values(":running", AttributeValue::S(CheckStatus::Running.as_str().into()))
            .expression_attribute_values(":updated_at", updated_at)
            .expression_attribute_values(":ttl", ttl)
            .update_expression("SET #status = :running, #updated_at = :updated_at, #ttl = :ttl REMOVE #error")
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|err| err.is_conditional_check_failed_exception()) =>
            {
                // Not queued, or not there at all: only the second is an error.
                match self.get_check(id).await? {
                    Some(_) => Ok(false),
                    None => Err(StoreError::UnknownCheck(id.clone())),
                }
            }
            Err(err) => Err(AwsError::from_sdk("DynamoDB.UpdateItem", err).into()),
        }
    }

    #[instrument(skip_all, fields(check_id = %id, channel = %evidence.channel, table = %self.table))]
    async fn put_evidence(&self, id: &CheckId, evidence: Evidence) -> Result<(), StoreError> {
        let body = json_body("evidence", &evidence)?;
        self.put_channel_item(id, evidence_sk(evidence.channel), evidence.channel, body)
            .await?;
        Ok(())
    }

    #[instrument(skip_all, fields(check_id = %id, channel = %channel, table = %self.table))]
    async fn get_evidence(&self, id: &CheckId, channel: Channel) -> Result<Option<Evidence>, StoreError> {
        let sk = evidence_sk(channel);
        let Some(attributes) = self.get_item(check_pk(id), &sk).await? else {
            return Ok(None);
        };
        let evidence = StoredItem::new(format!("{}/{sk}", check_pk(id)), &attributes).json("body")?;
        Ok(Some(evidence))
    }

    #[instrument(skip_all, fields(check_id = %id, channel = %verdict.channel, table = %self.table))]
    async fn put_verdict(&self, id: &CheckId, verdict: ChannelVerdict) -> Result<(), StoreError> {
        let body = json_body("verdict", &verdict)?;
        self.put_channel_item(id, verdict_sk(verdict.channel), verdict.channel, body)
            .await?;
        Ok(())
    }

    /// The verdicts stored so far, in canonical channel order; none for an unknown check.
    #[instrument(skip_all, fields(check_id = %id, table = %self.table))]
    async fn get_verdicts(&self, id: &CheckId) -> Result<Vec<ChannelVerdict>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(check_pk(id)))
            .expression_attribute_values(":prefix", AttributeValue::S(VERDICT_PREFIX.into()))
            .consistent_read(true)
            .into_paginator()
            .send();
        let mut verdicts = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| AwsError::from_sdk("DynamoDB.Query", err))?;
            for attributes in page.items() {
                let name = format!("{}/{VERDICT_PREFIX}…", check_pk(id));
                verdicts.push(StoredItem::new(name, attributes).json::<ChannelVerdict>("body")?);
            }
        }
        verdicts.sort_by_key(|verdict| verdict.channel);
        Ok(verdicts)
    }

    #[instrument(skip_all, fields(check_id = %id, table = %self.table))]
    async fn put_report(&self, id: &CheckId, report: Report) -> Result<(), StoreError> {
        let (updated_at, ttl) = self.stamps();
        let mut item = self.key(check_pk(id), SK_REPORT);
        item.insert("body".into(), json_body("the report", &report)?);
        item.insert("updated_at".into(), updated_at.clone());
        item.insert(TTL.into(), ttl.clone());
        ensure_fits(|| format!("{}/{SK_REPORT}", check_pk(id)), &item)?;

        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(AwsError::from)?;
        let done = Update::builder()
            .table_name(&self.table)
            .set_key(Some(self.key(check_pk(id), SK_CHECK)))
            .condition_expression(CHECK_EXISTS)
            .update_expression(
                "SET #status = :done, #has_report = :yes, #updated_at = :updated_at, #ttl = :ttl REMOVE #error",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#has_report", "has_report")
            .expression_attribute_names("#updated_at", "updated_at")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_names("#error", "error")
            .expression_attribute_values(":done", AttributeValue::S(CheckStatus::Done.as_str().into()))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":updated_at", updated_at)
            .expression_attribute_values(":ttl", ttl)
            .build()
            .map_err(AwsError::from)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(done).build(),
        ];
        self.transact(id, items).await?;
        Ok(())
    }
}
