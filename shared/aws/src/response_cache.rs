//! `DynamoResponseCache`: the durable provider-response cache as items of the check table (see [`crate::table`]).
//!
//! An answer is one item, `pk = RESPONSE#<SHA-256 of the key>`, `sk = RESPONSE`, with the key itself, the
//! gzip-compressed bytes, `expires_at` in epoch milliseconds and `ttl` = `expires_at` in epoch seconds (rounded
//! up). DynamoDB's TTL sweep deletes expired items within about two days, so `get` compares `expires_at` with the
//! clock and never answers an expired item. Reads are eventually consistent: a cache may lag a write by a second.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use shadowhunter_core::ports::{Clock, SystemClock};
use shadowhunter_providers::resilient::{ResponseCache, ResponseCacheError, StoredResponse};
use tracing::{instrument, warn};

use crate::codec::{Attributes, StoredItem, ensure_fits, gzip};
use crate::error::AwsError;
use crate::table::{PK, SK, SK_RESPONSE, TTL, response_pk};

/// The [`ResponseCache`] port over the check table.
#[derive(Clone)]
pub struct DynamoResponseCache {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

impl DynamoResponseCache {
    /// The cache in `table` (the check table; see [`crate::create_table`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Uses `clock` to decide what has expired.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn key(&self, key: &str) -> Attributes {
        Attributes::from([
            (PK.to_string(), AttributeValue::S(response_pk(key))),
            (SK.to_string(), AttributeValue::S(SK_RESPONSE.into())),
        ])
    }

    async fn read(&self, key: &str) -> Result<Option<StoredResponse>, AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.key(key)))
            .send()
            .await
            .map_err(|err| AwsError::from_sdk("DynamoDB.GetItem", err))?;
        let Some(attributes) = output.item else {
            return Ok(None);
        };
        let item = StoredItem::new(response_pk(key), &attributes);
        if item.string("key")? != key {
            // Two keys with one SHA-256: not expected in this universe, but never answer the wrong lookup.
            warn!(pk = %item.name, "a cached answer filed under another key shares this hash");
            return Ok(None);
        }
        let expires_ms = item.number("expires_at")?;
        if expires_ms <= self.clock.now().timestamp_millis() {
            return Ok(None);
        }
        let expires_at = DateTime::from_timestamp_millis(expires_ms)
            .ok_or_else(|| AwsError::corrupt(&item.name, format!("`expires_at` = {expires_ms}")))?;
        Ok(Some(StoredResponse {
            bytes: item.body("body")?,
            expires_at,
        }))
    }

    async fn write(&self, key: &str, bytes: &[u8], expires_at: DateTime<Utc>) -> Result<(), AwsError> {
        let expires_ms = expires_at.timestamp_millis();
        let mut item = self.key(key);
        item.insert("key".into(), AttributeValue::S(key.into()));
        item.insert("body".into(), AttributeValue::B(Blob::new(gzip(bytes))));
        item.insert("expires_at".into(), AttributeValue::N(expires_ms.to_string()));
        let ttl = expires_ms.div_euclid(1000) + i64::from(expires_ms.rem_euclid(1000) != 0);
        item.insert(TTL.into(), AttributeValue::N(ttl.to_string()));
        ensure_fits(|| format!("{}/{SK_RESPONSE}", response_pk(key)), &item)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| AwsError::from_sdk("DynamoDB.PutItem", err))?;
        Ok(())
    }
}

#[async_trait]
impl ResponseCache for DynamoResponseCache {
    #[instrument(skip_all, fields(table = %self.table))]
    async fn get(&self, key: &str) -> Result<Option<StoredResponse>, ResponseCacheError> {
        Ok(self.read(key).await?)
    }

    #[instrument(skip_all, fields(table = %self.table, bytes = bytes.len()))]
    async fn put(&self, key: &str, bytes: Vec<u8>, expires_at: DateTime<Utc>) -> Result<(), ResponseCacheError> {
        Ok(self.write(key, &bytes, expires_at).await?)
    }
}
