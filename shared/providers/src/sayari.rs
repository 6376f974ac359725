//! Customs channel: Sayari trade search over bills of lading (<https://documentation.sayari.com/api/api-reference/trade/search-shipments>).
//!
//! Wire format from Sayari's generated SDKs (sayari-analytics/sayari-go `generated/go/trade.go`,
//! sayari-python `src/sayari/trade/types/shipment.py`): `POST /v1/trade/search/shipments?limit=&offset=`
//! with body `{"q": …}` answers `{limit, offset, next, size: {count, qualifier}, data: [Shipment]}`.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use shadowhunter_core::ports::Provider;
use shadowhunter_core::{Channel, Finding, Lookup, ProviderError, Record};
use tokio::sync::Mutex;

use crate::config::Endpoint;
use crate::http::{HttpPolicy, send_json};

/// Shipments asked for per search; Sayari allows 1–100 per page.
const PAGE_SIZE: u32 = 100;
/// A token is renewed this long before Sayari says it expires, so an in-flight call never carries a stale one.
const TOKEN_EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Sayari trade-search adapter.
///
/// `SAYARI_API_KEY` is either a ready bearer token, or `client_id:client_secret`, which is exchanged at
/// `POST /oauth/token` (client-credentials grant, audience `sayari.com`) and cached until it expires.
pub struct SayariTrade {
    client: reqwest::Client,
    endpoint: Endpoint,
    policy: HttpPolicy,
    token: Mutex<Option<(String, Instant)>>,
}

impl SayariTrade {
    /// An adapter for the Sayari API at `endpoint` (base URL `https://api.sayari.com`).
    pub fn new(client: reqwest::Client, endpoint: Endpoint, policy: HttpPolicy) -> Self {
        Self {
            client,
            endpoint,
            policy,
            token: Mutex::new(None),
        }
    }

    async fn bearer_token(&self) -> Result<String, ProviderError> {
        let Some((client_id, client_secret)) = self.endpoint.api_key.split_once(':') else {
            return Ok(self.endpoint.api_key.clone());
        };
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && Instant::now() < *expires
        {
            return Ok(token.clone());
        }
        let url = self.endpoint.url("/oauth/token");
        let body = json!({
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": "sayari.com",
            "grant_type": "client_credentials",
        });
        let answer: Option<TokenResponse> = send_json(&self.policy, || self.client.post(&url).json(&body)).await?;
        let answer = answer.ok_or_else(|| ProviderError::Malformed {
            detail: "Sayari has no token endpoint at this base URL".into(),
        })?;
        let lifetime = Duration::from_secs(answer.expires_in).saturating_sub(TOKEN_EXPIRY_MARGIN);
        *cached = Some((answer.access_token.clone(), Instant::now() + lifetime));
        Ok(answer.access_token)
    }

    async fn shipments(&self, party: &str) -> Result<Vec<Finding>, ProviderError> {
        let query = phrase_query(party);
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let token = self.bearer_token().await?;
        let url = self.endpoint.url("/v1/trade/search/shipments");
        let limit = PAGE_SIZE.to_string();
        let body = json!({ "q": query });
        let answer: Option<ShipmentSearchResponse> = send_json(&self.policy, || {
            self.client
                .post(&url)
                .bearer_auth(&token)
                .query(&[("limit", limit.as_str()), ("offset", "0")])
                .json(&body)
        })
        .await?;
        let Some(answer) = answer else {
            return Ok(Vec::new());
        };
        let fetched_at = Utc::now();
        Ok(answer
            .data
            .into_iter()
            .map(|shipment| Finding {
                provider: "sayari".into(),
                source: if shipment.record.is_empty() {
                    shipment.id.clone()
                } else {
                    shipment.record.clone()
                },
                fetched_at,
                record: shipment.into_record(),
            })
            .collect())
    }
}

#[async_trait]
impl Provider for SayariTrade {
    fn channel(&self) -> Channel {
        Channel::Customs
    }

    fn name(&self) -> &'static str {
        "sayari"
    }

    #[tracing::instrument(skip(self), fields(provider = "sayari"))]
    async fn lookup(&self, lookup: &Lookup) -> Result<Vec<Finding>, ProviderError> {
        match lookup {
            Lookup::Shipments { party } => self.shipments(party).await,
            other => {
                tracing::warn!(lookup = %other.describe(), "sayari answers only shipment searches");
                Ok(Vec::new())
            }
        }
    }
}

/// The party name as an Elasticsearch simple-query-string phrase: its operator characters
/// (`+ - = & | > < ! ( ) { } [ ] ^ " ~ * ? : \ /`) become spaces, so a name like `A+B (HK) Ltd.` stays literal.
fn phrase_query(party: &str) -> String {
    let words: Vec<&str> = party
        .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == ',' || c == '\'' || c == '@'))
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() {
        String::new()
    } else {
        format!("\"{}\"", words.join(" "))
    }
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
    /// Seconds until the token expires.
    #[serde(default)]
    expires_in: u64,
}

/// Sayari's `ShipmentSearchResponse`; `data` is required, so JSON of another shape is rejected.
#[derive(Debug, Deserialize)]
struct ShipmentSearchResponse {
    data: Vec<Shipment>,
}

#[derive(Debug, Deserialize)]
struct Shipment {
    #[serde(default)]
    id: String,
    /// The record id, e.g. `4337bf42…/1001325059/1721001600000/0`: the finding's source.
    #[serde(default)]
    record: String,
    #[serde(default)]
    buyer: Vec<TradeEntity>,
    #[serde(default)]
    supplier: Vec<TradeEntity>,
    #[serde(default)]
    arrival_date: OneOrMany,
    #[serde(default)]
    departure_date: OneOrMany,
    #[serde(default)]
    arrival_country: Vec<String>,
    #[serde(default)]
    departure_country: Vec<String>,
    #[serde(default)]
    weight: Vec<Weight>,
    #[serde(default)]
    hs_codes: Vec<HsCodeInfo>,
    #[serde(default)]
    product_descriptions: Vec<String>,
}

/// Sayari's `SourceOrDestinationEntity`: a buyer (`receiver_of`) or supplier (`shipper_of`).
#[derive(Debug, Default, Deserialize)]
struct TradeEntity {
    #[serde(default)]
    names: Vec<String>,
    /// ISO 3166-1 alpha-3 codes, home country first.
    #[serde(default)]
    countries: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Weight {
    #[serde(default)]
    value: f64,
    /// `kilogram`, `pound`, `metric_ton`, …
    #[serde(default)]
    unit: String,
    /// `gross_weight` or `net_weight`.
    #[serde(default, rename = "type")]
    kind: String,
}

#[derive(Debug, Deserialize)]
struct HsCodeInfo {
    #[serde(default)]
    code: String,
    #[serde(default)]
    description: String,
}

/// Dates are a list in the current schema and a single string in older SDK versions; accept both.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(value) => vec![value.as_str()],
            OneOrMany::Many(values) => values.iter().map(String::as_str).collect(),
        }
    }
}

impl Shipment {
    fn into_record(self) -> Record {
        let supplier = self.supplier.first();
        let buyer = self.buyer.first();
        let party_name = |entity: Option<&TradeEntity>| {
            entity
                .and_then(|entity| entity.names.first())
                .cloned()
                .unwrap_or_default()
        };
        // The party's own country first; the port country only when the entity has none.
        let party_country = |entity: Option<&TradeEntity>, port: &[String]| {
            entity
                .into_iter()
                .flat_map(|entity| entity.countries.iter())
                .chain(port)
                .find_map(|code| alpha2(code))
        };
        let hs = self.hs_codes.iter().find(|hs| !hs.code.trim().is_empty());
        let description = if self.product_descriptions.iter().any(|text| !text.trim().is_empty()) {
            self.product_descriptions
                .iter()
                .map(|text| text.trim())
                .filter(|text| !text.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            hs.map(|hs| hs.description.clone()).unwrap_or_default()
        };
        // US bills of lading are dated on arrival; other sources only know the departure.
        let date = self
            .arrival_date
            .values()
            .into_iter()
            .chain(self.departure_date.values())
            .find_map(parse_date);
        Record::Shipment {
            date,
            shipper: party_name(supplier),
            shipper_country: party_country(supplier, &self.departure_country),
            consignee: party_name(buyer),
            consignee_country: party_country(buyer, &self.arrival_country),
            hs_code: hs.map(|hs| hs.code.trim().replace('.', "")),
            description,
            weight_kg: weight_kg(&self.weight),
        }
    }
}

/// `YYYY-MM-DD`, or `YYYY-MM` read as the month's first day (Sayari publishes some sources only to the month).
fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    let day = raw.get(..10).unwrap_or(raw);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("{}-01", raw.get(..7).unwrap_or(raw)), "%Y-%m-%d"))
        .ok()
}

/// The gross weight in kilograms if known, else the net weight.
fn weight_kg(weights: &[Weight]) -> Option<f64> {
    let in_kg = |weight: &Weight| {
        let factor = match weight.unit.trim().to_ascii_lowercase().as_str() {
            "kilogram" | "kilograms" | "kg" | "kgs" => 1.0,
            "pound" | "pounds" | "lb" | "lbs" => 0.453_592_37,
            "metric_ton" | "tonne" | "tonnes" | "t" | "mt" => 1000.0,
            "gram" | "grams" | "g" => 0.001,
            _ => return None,
        };
        (weight.value.is_finite() && weight.value > 0.0).then_some(weight.value * factor)
    };
    let of_kind = |kind: &str| weights.iter().filter(|weight| weight.kind == kind).find_map(in_kg);
    of_kind("gross_weight").or_else(|| weights.iter().find_map(in_kg))
}

/// The alpha-2 code of a Sayari country value (alpha-3 normally; alpha-2 or an English name tolerated).
fn alpha2(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    match code.len() {
        3 => shadowhunter_core::countries::alpha2_of_alpha3(&code).map(str::to_string),
        2 if shadowhunter_core::countries::name_of(&code).is_some() => Some(code),
        _ => shadowhunter_core::countries::code_of_name(raw).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shadowhunter_sandbox::{ProviderSlug, RunningSandbox, World};

    use super::*;
    use crate::test_support::{self, start, start_faulty, world};

    fn tea_world() -> World {
        world(json!({
            "customs": { "shipments": [
                { "date": "2025-09-14", "shipper": "HANGZHOU GREENLEAF TEA CO LTD", "shipper_country": "CN",
                  "consignee": "PACIFIC LEAF IMPORTS INC", "consignee_country": "US",
                  "hs_code": "090210", "description": "GREEN TEA IN PACKAGES NOT EXCEEDING 3KG", "weight_kg": 8400 },
                { "date": "2025-05-02", "shipper": "HANGZHOU GREENLEAF TEA CO., LTD.", "shipper_country": "CN",
                  "consignee": "TEEHAUS NORD GMBH", "consignee_country": "DE",
                  "hs_code": "090230", "description": "OOLONG TEA", "weight_kg": 2600 },
                { "date": "2024-01-10", "shipper": "NINGBO STEEL WIRE CO", "shipper_country": "CN",
                  "consignee": "PACIFIC LEAF IMPORTS INC", "consignee_country": "US",
                  "hs_code": "7217", "description": "STEEL WIRE" }
            ] }
        }))
    }

    fn adapter(sandbox: &RunningSandbox, key: &str) -> SayariTrade {
        test_support::adapter(SayariTrade::new, sandbox, ProviderSlug::Sayari, key)
    }

    async fn shipments(adapter: &SayariTrade, party: &str) -> Result<Vec<Finding>, ProviderError> {
        adapter.lookup(&Lookup::Shipments { party: party.into() }).await
    }

    async fn faulty(fault: &str) -> Result<Vec<Finding>, ProviderError> {
        let sandbox = start_faulty("customs", fault).await;
        shipments(&adapter(&sandbox, "test-key"), "Greenleaf").await
    }

    #[tokio::test]
    async fn shipments_of_the_party_as_shipper_are_found_through_punctuation_and_mapped_field_by_field() {
        let sandbox = start(tea_world()).await;
        let findings = shipments(&adapter(&sandbox, "test-key"), "Hangzhou Greenleaf Tea Co., Ltd.")
            .await
            .expect("search succeeds");

        assert_eq!(findings.len(), 2, "{findings:?}");
        assert!(
            findings
                .iter()
                .all(|finding| finding.provider == "sayari" && !finding.source.is_empty())
        );
        assert_eq!(
            findings[0].record,
            Record::Shipment {
                date: NaiveDate::from_ymd_opt(2025, 9, 14),
                shipper: "HANGZHOU GREENLEAF TEA CO LTD".into(),
                shipper_country: Some("CN".into()),
                consignee: "PACIFIC LEAF IMPORTS INC".into(),
                consignee_country: Some("US".into()),
                hs_code: Some("090210".into()),
                description: "GREEN TEA IN PACKAGES NOT EXCEEDING 3KG".into(),
                weight_kg: Some(8400.0),
            }
        );
        assert!(matches!(
            &findings[1].record,
            Record::Shipment { consignee_country: Some(country), .. } if country == "DE"
        ));
    }

    #[tokio::test]
    async fn shipments_of_the_party_as_consignee_are_found_too() {
        let sandbox = start(tea_world()).await;
        let findings = shipments(&adapter(&sandbox, "test-key"), "pacific leaf imports")
            .await
            .expect("search succeeds");
        assert_eq!(findings.len(), 2);
        assert!(
            matches!(&findings[1].record, Record::Shipment { weight_kg: None, hs_code: Some(hs), .. } if hs == "7217")
        );
    }

    #[tokio::test]
    async fn a_party_with_no_bills_of_lading_has_no_shipments() {
        let sandbox = start(tea_world()).await;
        let findings = shipments(&adapter(&sandbox, "test-key"), "Shenzhen Bright Future Trading")
            .await
            .expect("ok");
        assert!(findings.is_empty());
        let empty = start(World::default()).await;
        assert!(
            shipments(&adapter(&empty, "test-key"), "Greenleaf")
                .await
                .expect("ok")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn client_credentials_are_exchanged_for_a_bearer_token_first() {
        let sandbox = start(tea_world()).await;
        let adapter = adapter(&sandbox, "client-id:client-secret");
        let findings = shipments(&adapter, "Greenleaf").await.expect("search succeeds");
        assert_eq!(findings.len(), 2);
        assert!(adapter.token.lock().await.is_some(), "the token is cached");
    }

    #[tokio::test]
    async fn without_a_token_sayari_answers_401_and_lookup_is_unavailable() {
        let sandbox = start(tea_world()).await;
        assert_eq!(
            shipments(&adapter(&sandbox, ""), "Greenleaf").await,
            Err(ProviderError::Unavailable { status: 401 })
        );
    }

    test_support::fault_tests!();

    #[tokio::test]
    async fn lookups_of_other_channels_are_answered_with_nothing() {
        let sandbox = start(tea_world()).await;
        let findings = adapter(&sandbox, "test-key")
            .lookup(&Lookup::WebSearch {
                query: "Greenleaf".into(),
            })
            .await
            .expect("no error");
        assert!(findings.is_empty());
    }

    #[test]
    fn a_shipment_in_the_older_single_date_shape_with_pounds_still_maps() {
        let shipment: Shipment = serde_json::from_value(json!({
            "id": "S1", "type": "shipment", "record": "r/1",
            "supplier": [{ "id": "e1", "type": "shipper_of", "names": ["ERBE ELEKTROMEDIZIN GMBH"], "countries": ["DEU", "USA"] }],
            "buyer": [{ "id": "e2", "type": "receiver_of", "names": ["LLC ERBE"] }],
            "arrival_date": "2022-05", "arrival_country": ["RUS"],
            "weight": [{ "value": 1000.0, "unit": "pound", "type": "net_weight" }],
            "hs_codes": [{ "code": "8542.31", "description": "Processors" }],
            "product_descriptions": []
        }))
        .expect("parses");
        let Record::Shipment {
            date,
            shipper_country,
            consignee_country,
            hs_code,
            description,
            weight_kg,
            ..
        } = shipment.into_record()
        else {
            panic!("a shipment record");
        };
        assert_eq!(date, NaiveDate::from_ymd_opt(2022, 5, 1));
        assert_eq!(shipper_country.as_deref(), Some("DE"));
        assert_eq!(consignee_country.as_deref(), Some("RU"));
        assert_eq!(hs_code.as_deref(), Some("854231"));
        assert_eq!(description, "Processors");
        assert!((weight_kg.expect("weight") - 453.592_37).abs() < 1e-6);
    }

    #[test]
    fn party_names_become_one_literal_phrase() {
        assert_eq!(phrase_query("A+B (HK) Co., Ltd."), "\"A B HK Co., Ltd.\"");
        assert_eq!(phrase_query("  ***  "), "");
        assert_eq!(alpha2("CHN").as_deref(), Some("CN"));
        assert_eq!(alpha2("Germany").as_deref(), Some("DE"));
    }
}
