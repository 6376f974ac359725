//! The `ResponseCache` contract, run against `SqliteResponseCache` and against `DynamoResponseCache` on moto.

use chrono::{DateTime, Utc};
use shadowhunter_aws::DynamoResponseCache;
use shadowhunter_local::response_cache::SqliteResponseCache;
use shadowhunter_local::store::SqliteStore;
use shadowhunter_providers::resilient::ResponseCache;

use super::moto;

fn sqlite() -> SqliteResponseCache {
    SqliteResponseCache::open(&SqliteStore::in_memory().expect("an in-memory store opens")).expect("the cache opens")
}

async fn dynamodb() -> DynamoResponseCache {
    let (client, table) = moto::fresh_table("cache").await;
    DynamoResponseCache::new(client, table)
}

contract_against_both!(
    sqlite, dynamodb;
    a_filed_answer_is_read_back_with_its_expiry,
    an_expired_answer_is_a_miss,
    a_second_put_replaces_the_answer,
    keys_of_any_length_and_character_are_kept_apart,
);

fn in_hours(hours: i64) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::hours(hours)
}

async fn a_filed_answer_is_read_back_with_its_expiry(cache: &dyn ResponseCache) {
    assert_eq!(
        cache.get("brave\u{1f}\u{1f}acme").await.unwrap(),
        None,
        "nothing filed yet"
    );
    let expires_at = in_hours(24);
    cache
        .put("brave\u{1f}\u{1f}acme", br#"[{"title":"Acme"}]"#.to_vec(), expires_at)
        .await
        .unwrap();
    let stored = cache.get("brave\u{1f}\u{1f}acme").await.unwrap().expect("filed");
    assert_eq!(stored.bytes, br#"[{"title":"Acme"}]"#);
    assert_eq!(stored.expires_at.timestamp_millis(), expires_at.timestamp_millis());
}

async fn an_expired_answer_is_a_miss(cache: &dyn ResponseCache) {
    cache.put("stale", b"[1]".to_vec(), in_hours(-1)).await.unwrap();
    assert_eq!(
        cache.get("stale").await.unwrap(),
        None,
        "expired, though no sweeper ran"
    );
}

async fn a_second_put_replaces_the_answer(cache: &dyn ResponseCache) {
    cache.put("k", b"[1]".to_vec(), in_hours(1)).await.unwrap();
    let later = in_hours(48);
    cache.put("k", b"[2]".to_vec(), later).await.unwrap();
    let stored = cache.get("k").await.unwrap().expect("filed");
    assert_eq!(stored.bytes, b"[2]");
    assert_eq!(stored.expires_at.timestamp_millis(), later.timestamp_millis());

    cache.put("k", b"[3]".to_vec(), in_hours(-1)).await.unwrap();
    assert_eq!(
        cache.get("k").await.unwrap(),
        None,
        "an expired overwrite hides the old answer"
    );
}

async fn keys_of_any_length_and_character_are_kept_apart(cache: &dyn ResponseCache) {
    // Longer than DynamoDB's 2,048-byte partition key, and differing only at the end.
    let long = format!(
        "crawler\u{1f}\u{1f}{}",
        "{\"url\":\"https://acme.example/ünïcødé\"}".repeat(100)
    );
    let other = format!("{long}!");
    cache.put(&long, b"long".to_vec(), in_hours(1)).await.unwrap();
    cache.put(&other, b"other".to_vec(), in_hours(1)).await.unwrap();
    assert_eq!(cache.get(&long).await.unwrap().unwrap().bytes, b"long");
    assert_eq!(cache.get(&other).await.unwrap().unwrap().bytes, b"other");
}
