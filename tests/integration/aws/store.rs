//! The `CheckStore` contract, written once and run against `SqliteStore` and against `DynamoStore` on moto;
//! then what only the DynamoDB adapter has: the table it creates, its item encoding, its size limit.

use aws_sdk_dynamodb::types::{AttributeValue, BillingMode, KeyType, TimeToLiveStatus};
use shadowhunter_aws::{DynamoStore, create_table};
use shadowhunter_core::Channel;
use shadowhunter_core::check::{CheckId, CheckStatus};
use shadowhunter_core::ports::{CheckStore, StoreError};
use shadowhunter_core::verdict::Verdict;
use shadowhunter_local::store::SqliteStore;

use super::fixtures::{check, evidence, incompressible_evidence, large_evidence, report, request, verdict};
use super::moto;

/// A fresh embedded store.
fn sqlite() -> SqliteStore {
    SqliteStore::in_memory().expect("an in-memory SQLite store opens")
}

/// A fresh DynamoDB store: its own table on the shared moto server.
async fn dynamodb() -> DynamoStore {
    let (client, table) = moto::fresh_table("checks").await;
    DynamoStore::new(client, table)
}

contract_against_both!(
    sqlite, dynamodb;
    a_check_round_trips_with_its_request_and_arrival_time,
    an_unknown_check_reads_as_nothing,
    inserting_the_same_check_twice_changes_nothing,
    statuses_replace_each_other_and_a_failure_keeps_its_error,
    writes_for_an_unknown_check_are_refused_and_leave_nothing,
    evidence_is_upserted_per_channel,
    verdicts_are_upserted_per_channel_and_all_are_read_in_channel_order,
    concurrent_writes_for_every_channel_all_land,
    put_report_stores_the_report_and_marks_the_check_done,
    the_report_stays_when_the_status_changes_afterwards,
    evidence_larger_than_a_dynamodb_item_round_trips,
    a_queued_check_is_claimed_once,
);

/// Claims one after the other: moto does not serialise concurrent conditional writes (two racing claims can both
/// succeed there, which DynamoDB's conditional writes rule out), so the race itself is tested on SQLite alone
/// (`shadowhunter_local::store`'s `two_concurrent_claims_on_a_queued_check_one_wins`).
async fn a_queued_check_is_claimed_once(store: &dyn CheckStore) {
    let check = check("Claimed Ltd");
    store.insert_check(&check).await.unwrap();
    assert!(store.claim(&check.id).await.unwrap(), "a queued check is claimed");
    assert!(
        !store.claim(&check.id).await.unwrap(),
        "a redelivery does not claim a running check again"
    );
    let record = store.get_check(&check.id).await.unwrap().unwrap();
    assert_eq!(record.status, CheckStatus::Running);
    store.set_status(&check.id, CheckStatus::Done, None).await.unwrap();
    assert!(
        !store.claim(&check.id).await.unwrap(),
        "a finished check is not claimed again"
    );
    let unknown = CheckId::generate();
    assert!(matches!(store.claim(&unknown).await, Err(StoreError::UnknownCheck(_))));
}

async fn a_check_round_trips_with_its_request_and_arrival_time(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();

    let record = store.get_check(&check.id).await.unwrap().expect("stored");
    assert_eq!(
        record.check, check,
        "request, id and received_at (to the nanosecond) round-trip"
    );
    assert_eq!(record.status, CheckStatus::Queued);
    assert_eq!(record.report, None);
    assert_eq!(record.error, None);
}

async fn an_unknown_check_reads_as_nothing(store: &dyn CheckStore) {
    let unknown = CheckId::generate();
    assert!(store.get_check(&unknown).await.unwrap().is_none());
    assert_eq!(store.get_evidence(&unknown, Channel::Search).await.unwrap(), None);
    assert_eq!(store.get_verdicts(&unknown).await.unwrap(), Vec::new());
}

async fn inserting_the_same_check_twice_changes_nothing(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();
    store.set_status(&check.id, CheckStatus::Running, None).await.unwrap();

    let mut again = check.clone();
    again.request = request("Someone Else", None);
    store.insert_check(&again).await.expect("a repeated insert succeeds");

    let record = store.get_check(&check.id).await.unwrap().unwrap();
    assert_eq!(
        record.status,
        CheckStatus::Running,
        "a repeated insert must not reset the status"
    );
    assert_eq!(record.check, check, "a repeated insert must not replace the request");
}

async fn statuses_replace_each_other_and_a_failure_keeps_its_error(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();

    store.set_status(&check.id, CheckStatus::Running, None).await.unwrap();
    assert_eq!(
        store.get_check(&check.id).await.unwrap().unwrap().status,
        CheckStatus::Running
    );

    store
        .set_status(&check.id, CheckStatus::Failed, Some("provider exploded"))
        .await
        .unwrap();
    let record = store.get_check(&check.id).await.unwrap().unwrap();
    assert_eq!(record.status, CheckStatus::Failed);
    assert_eq!(record.error.as_deref(), Some("provider exploded"));

    store.set_status(&check.id, CheckStatus::Running, None).await.unwrap();
    let record = store.get_check(&check.id).await.unwrap().unwrap();
    assert_eq!(record.status, CheckStatus::Running);
    assert_eq!(record.error, None, "a status without an error clears the old one");
}

async fn writes_for_an_unknown_check_are_refused_and_leave_nothing(store: &dyn CheckStore) {
    let unknown = CheckId::generate();
    let refused = |err: StoreError| matches!(err, StoreError::UnknownCheck(ref id) if *id == unknown);

    let err = store
        .set_status(&unknown, CheckStatus::Running, None)
        .await
        .unwrap_err();
    assert!(refused(err));
    let err = store
        .put_evidence(&unknown, evidence(Channel::Search, "x"))
        .await
        .unwrap_err();
    assert!(refused(err));
    let err = store
        .put_verdict(&unknown, verdict(Channel::Search, Verdict::Consistent, "x"))
        .await
        .unwrap_err();
    assert!(refused(err));
    let stray = check("Acme Trading Ltd");
    let err = store.put_report(&unknown, report(&stray, &[])).await.unwrap_err();
    assert!(refused(err));

    assert!(store.get_check(&unknown).await.unwrap().is_none(), "no check appeared");
    assert_eq!(store.get_evidence(&unknown, Channel::Search).await.unwrap(), None);
    assert_eq!(store.get_verdicts(&unknown).await.unwrap(), Vec::new());
}

async fn evidence_is_upserted_per_channel(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();

    store
        .put_evidence(&check.id, evidence(Channel::Search, "first"))
        .await
        .unwrap();
    store
        .put_evidence(&check.id, evidence(Channel::Search, "second"))
        .await
        .unwrap();
    store
        .put_evidence(&check.id, evidence(Channel::Website, "site"))
        .await
        .unwrap();

    assert_eq!(
        store.get_evidence(&check.id, Channel::Search).await.unwrap(),
        Some(evidence(Channel::Search, "second"))
    );
    assert_eq!(
        store.get_evidence(&check.id, Channel::Website).await.unwrap(),
        Some(evidence(Channel::Website, "site"))
    );
    assert_eq!(store.get_evidence(&check.id, Channel::Customs).await.unwrap(), None);
}

async fn verdicts_are_upserted_per_channel_and_all_are_read_in_channel_order(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();
    // Evidence and the report share the check's partition; only verdicts may come back.
    store
        .put_evidence(&check.id, evidence(Channel::Search, "x"))
        .await
        .unwrap();

    store
        .put_verdict(&check.id, verdict(Channel::Website, Verdict::NotFound, "old"))
        .await
        .unwrap();
    for channel in Channel::ALL.into_iter().rev() {
        store
            .put_verdict(&check.id, verdict(channel, Verdict::Consistent, channel.as_str()))
            .await
            .unwrap();
    }
    store
        .put_verdict(&check.id, verdict(Channel::Website, Verdict::Inconsistent, "new"))
        .await
        .unwrap();

    let expected: Vec<_> = Channel::ALL
        .into_iter()
        .map(|channel| match channel {
            Channel::Website => verdict(channel, Verdict::Inconsistent, "new"),
            _ => verdict(channel, Verdict::Consistent, channel.as_str()),
        })
        .collect();
    assert_eq!(store.get_verdicts(&check.id).await.unwrap(), expected);
}

async fn concurrent_writes_for_every_channel_all_land(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();

    // The collectors and comparators of one check write at about the same time.
    let writes = Channel::ALL.into_iter().map(|channel| {
        let id = check.id.clone();
        async move {
            store.put_evidence(&id, evidence(channel, channel.as_str())).await?;
            store
                .put_verdict(&id, verdict(channel, Verdict::Consistent, channel.as_str()))
                .await
        }
    });
    for outcome in futures::future::join_all(writes).await {
        outcome.expect("every concurrent write lands");
    }

    for channel in Channel::ALL {
        assert_eq!(
            store.get_evidence(&check.id, channel).await.unwrap(),
            Some(evidence(channel, channel.as_str()))
        );
    }
    assert_eq!(store.get_verdicts(&check.id).await.unwrap().len(), Channel::ALL.len());
}

async fn put_report_stores_the_report_and_marks_the_check_done(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();
    store
        .set_status(&check.id, CheckStatus::Failed, Some("earlier attempt"))
        .await
        .unwrap();

    let report = report(&check, &[verdict(Channel::Search, Verdict::Consistent, "ok")]);
    store.put_report(&check.id, report.clone()).await.unwrap();
    store
        .put_report(&check.id, report.clone())
        .await
        .expect("a repeated report is fine");

    let record = store.get_check(&check.id).await.unwrap().unwrap();
    assert_eq!(record.status, CheckStatus::Done);
    assert_eq!(record.report, Some(report));
    assert_eq!(record.error, None, "a finished check carries no stale error");
}

async fn the_report_stays_when_the_status_changes_afterwards(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();
    let report = report(&check, &[verdict(Channel::Search, Verdict::Consistent, "ok")]);
    store.put_report(&check.id, report.clone()).await.unwrap();

    store
        .set_status(&check.id, CheckStatus::Failed, Some("a late failure handler"))
        .await
        .unwrap();
    let record = store.get_check(&check.id).await.unwrap().unwrap();
    assert_eq!(record.status, CheckStatus::Failed);
    assert_eq!(record.report, Some(report), "the stored report is still returned");
}

async fn evidence_larger_than_a_dynamodb_item_round_trips(store: &dyn CheckStore) {
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();
    let large = large_evidence(3_000);
    let raw = serde_json::to_vec(&large).unwrap().len();
    assert!(
        raw > 400 * 1024,
        "the evidence is {raw} bytes of JSON, more than one item holds"
    );

    store.put_evidence(&check.id, large.clone()).await.unwrap();
    assert_eq!(
        store.get_evidence(&check.id, Channel::Search).await.unwrap(),
        Some(large)
    );
}

#[tokio::test]
async fn dynamodb_refuses_evidence_that_stays_too_large_after_compression_with_a_clear_error() {
    let store = dynamodb().await;
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();

    let err = store
        .put_evidence(&check.id, incompressible_evidence(700 * 1024))
        .await
        .unwrap_err();
    let StoreError::Backend(message) = err else {
        panic!("a backend error, got {err:?}");
    };
    assert!(
        message.contains(&format!("CHECK#{}/EVIDENCE#search", check.id)),
        "{message}"
    );
    assert!(
        message.contains("gzip-compressed") && message.contains("409600"),
        "{message}"
    );
    assert_eq!(store.get_evidence(&check.id, Channel::Search).await.unwrap(), None);
}

#[tokio::test]
async fn dynamodb_creates_an_on_demand_table_with_ttl_and_creating_it_again_is_a_no_op() {
    let client = aws_sdk_dynamodb::Client::new(&moto::sdk().await);
    let table = moto::unique_name("checks");
    create_table(&client, &table).await.unwrap();
    create_table(&client, &table)
        .await
        .expect("creating an existing table is fine");

    let described = client.describe_table().table_name(&table).send().await.unwrap();
    let description = described.table().unwrap();
    let billing = description
        .billing_mode_summary()
        .and_then(|summary| summary.billing_mode());
    assert_eq!(billing, Some(&BillingMode::PayPerRequest));
    let keys: Vec<(&str, &KeyType)> = description
        .key_schema()
        .iter()
        .map(|key| (key.attribute_name(), key.key_type()))
        .collect();
    assert_eq!(keys, vec![("pk", &KeyType::Hash), ("sk", &KeyType::Range)]);

    let ttl = client.describe_time_to_live().table_name(&table).send().await.unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name(), Some("ttl"));
}

#[tokio::test]
async fn dynamodb_items_carry_a_ttl_and_gzip_bodies() {
    let store = dynamodb().await;
    let check = check("Acme Trading Ltd");
    store.insert_check(&check).await.unwrap();
    store
        .put_evidence(&check.id, evidence(Channel::Search, "x"))
        .await
        .unwrap();

    let client = aws_sdk_dynamodb::Client::new(&moto::sdk().await);
    let item = client
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("CHECK#{}", check.id)))
        .key("sk", AttributeValue::S("EVIDENCE#search".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the evidence item");
    let ttl: i64 = item["ttl"].as_n().unwrap().parse().unwrap();
    let in_30_days = chrono::Utc::now().timestamp() + 30 * 24 * 3600;
    assert!((ttl - in_30_days).abs() < 120, "ttl {ttl} is about 30 days ahead");
    let body = item["body"].as_b().unwrap().as_ref();
    assert_eq!(&body[..2], &[0x1f, 0x8b], "the body is gzip");
    assert_eq!(item["channel"].as_s().unwrap(), "search");
}

#[tokio::test]
async fn a_dynamodb_store_on_a_missing_table_fails_with_a_fatal_backend_error() {
    let client = aws_sdk_dynamodb::Client::new(&moto::sdk().await);
    let store = DynamoStore::new(client, moto::unique_name("missing"));
    let err = store.get_check(&CheckId::generate()).await.unwrap_err();
    let StoreError::Backend(message) = err else {
        panic!("a backend error, got {err:?}");
    };
    assert!(message.contains("DynamoDB.GetItem failed (fatal)"), "{message}");
    assert!(message.contains("ResourceNotFoundException"), "{message}");
}
