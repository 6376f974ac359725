//! Item encoding: gzip-compressed JSON bodies, typed attribute reads, and an item's size as DynamoDB counts it.

use std::collections::HashMap;
use std::io::{Read, Write};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AwsError;

/// DynamoDB's item size limit: 400 KB, attribute names included.
/// (docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html)
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// An item's attributes, as the SDK sends and returns them.
pub(crate) type Attributes = HashMap<String, AttributeValue>;

/// Gzip (RFC 1952) at the default level: JSON evidence shrinks 5–20x, and `zcat` reads it back.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4 + 64), Compression::default());
    encoder.write_all(bytes).expect("writing into a Vec cannot fail");
    encoder.finish().expect("writing into a Vec cannot fail")
}

pub(crate) fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// `value` as gzip-compressed JSON, ready for a Binary attribute.
pub(crate) fn json_body<T: Serialize>(what: &'static str, value: &T) -> Result<AttributeValue, AwsError> {
    let json = serde_json::to_vec(value).map_err(|source| AwsError::Encode { what, source })?;
    Ok(AttributeValue::B(Blob::new(gzip(&json))))
}

/// The item's size as DynamoDB counts it: every attribute name plus its value (strings in UTF-8 bytes,
/// binaries in raw bytes, numbers one byte per two digits plus one (an upper bound), booleans and nulls 1 byte, 3 bytes per list or map).
pub(crate) fn item_size(item: &Attributes) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number.len().div_ceil(2) + 1,
        AttributeValue::B(blob) => blob.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(items) => items.iter().map(String::len).sum(),
        AttributeValue::Ns(items) => items.iter().map(|number| number.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(items) => items.iter().map(|blob| blob.as_ref().len()).sum(),
        AttributeValue::L(items) => 3 + items.iter().map(|item| 1 + value_size(item)).sum::<usize>(),
        AttributeValue::M(fields) => {
            3 + fields
                .iter()
                .map(|(name, value)| 1 + name.len() + value_size(value))
                .sum::<usize>()
        }
        // Non-exhaustive enum: a future type is counted as large as it could be, never silently as zero.
        _ => MAX_ITEM_BYTES,
    }
}

/// Refuses an item DynamoDB would refuse, with a message that names the item and its size.
pub(crate) fn ensure_fits(item_name: impl FnOnce() -> String, item: &Attributes) -> Result<(), AwsError> {
    let bytes = item_size(item);
    if bytes > MAX_ITEM_BYTES {
        return Err(AwsError::ItemTooLarge {
            item: item_name(),
            bytes,
            limit: MAX_ITEM_BYTES,
        });
    }
    Ok(())
}

/// A read item with the name to report it by (`CHECK#chk_…/EVIDENCE#search`) when an attribute is off.
pub(crate) struct StoredItem<'a> {
    pub name: String,
    pub item: &'a Attributes,
}

impl<'a> StoredItem<'a> {
    pub(crate) fn new(name: String, item: &'a Attributes) -> Self {
        Self { name, item }
    }

    pub(crate) fn string(&self, attribute: &str) -> Result<&'a str, AwsError> {
        self.optional_string(attribute)?
            .ok_or_else(|| AwsError::corrupt(&self.name, format!("attribute `{attribute}` is missing")))
    }

    pub(crate) fn optional_string(&self, attribute: &str) -> Result<Option<&'a str>, AwsError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(text)) => Ok(Some(text)),
            Some(_) => Err(self.wrong_type(attribute, "S")),
        }
    }

    pub(crate) fn number(&self, attribute: &str) -> Result<i64, AwsError> {
        match self.item.get(attribute) {
            Some(AttributeValue::N(number)) => number
                .parse()
                .map_err(|_| AwsError::corrupt(&self.name, format!("attribute `{attribute}` = `{number}`"))),
            Some(_) => Err(self.wrong_type(attribute, "N")),
            None => Err(AwsError::corrupt(
                &self.name,
                format!("attribute `{attribute}` is missing"),
            )),
        }
    }

    pub(crate) fn flag(&self, attribute: &str) -> Result<bool, AwsError> {
        match self.item.get(attribute) {
            None => Ok(false),
            Some(AttributeValue::Bool(flag)) => Ok(*flag),
            Some(_) => Err(self.wrong_type(attribute, "BOOL")),
        }
    }

    /// The gzip-compressed bytes of a Binary attribute, decompressed.
    pub(crate) fn body(&self, attribute: &str) -> Result<Vec<u8>, AwsError> {
        match self.item.get(attribute) {
            Some(AttributeValue::B(blob)) => gunzip(blob.as_ref())
                .map_err(|err| AwsError::corrupt(&self.name, format!("attribute `{attribute}` is not gzip: {err}"))),
            Some(_) => Err(self.wrong_type(attribute, "B")),
            None => Err(AwsError::corrupt(
                &self.name,
                format!("attribute `{attribute}` is missing"),
            )),
        }
    }

    /// A gzip-compressed JSON body, parsed.
    pub(crate) fn json<T: DeserializeOwned>(&self, attribute: &str) -> Result<T, AwsError> {
        let bytes = self.body(attribute)?;
        serde_json::from_slice(&bytes)
            .map_err(|err| AwsError::corrupt(&self.name, format!("attribute `{attribute}` does not parse: {err}")))
    }

    fn wrong_type(&self, attribute: &str, expected: &str) -> AwsError {
        AwsError::corrupt(&self.name, format!("attribute `{attribute}` is not of type {expected}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_round_trips_and_shrinks_repetitive_json() {
        let json = serde_json::to_vec(&vec!["the same snippet, again and again"; 10_000]).unwrap();
        let packed = gzip(&json);
        assert!(packed.len() * 20 < json.len(), "{} → {}", json.len(), packed.len());
        assert_eq!(gunzip(&packed).unwrap(), json);
    }

    #[test]
    fn item_size_counts_names_and_values_as_dynamodb_does() {
        let item: Attributes = [
            ("pk".to_string(), AttributeValue::S("CHECK#x".into())),
            ("body".to_string(), AttributeValue::B(Blob::new(vec![0; 100]))),
            ("ttl".to_string(), AttributeValue::N("1700000000".into())),
            ("has_report".to_string(), AttributeValue::Bool(true)),
        ]
        .into_iter()
        .collect();
        assert_eq!(item_size(&item), (2 + 7) + (4 + 100) + (3 + 6) + (10 + 1));
    }

    #[test]
    fn an_item_over_400_kb_is_refused_with_its_name_and_size() {
        let item: Attributes = [(
            "body".to_string(),
            AttributeValue::B(Blob::new(vec![0; MAX_ITEM_BYTES])),
        )]
        .into_iter()
        .collect();
        let err = ensure_fits(|| "CHECK#chk_1/EVIDENCE#search".into(), &item).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("CHECK#chk_1/EVIDENCE#search"), "{message}");
        assert!(message.contains(&(MAX_ITEM_BYTES + 4).to_string()), "{message}");
    }

    #[test]
    fn a_body_that_is_not_gzip_reads_as_corrupt() {
        let item: Attributes = [("body".to_string(), AttributeValue::B(Blob::new(b"{}".to_vec())))]
            .into_iter()
            .collect();
        let err = StoredItem::new("REPORT".into(), &item)
            .json::<serde_json::Value>("body")
            .unwrap_err();
        assert!(matches!(err, AwsError::Corrupt { .. }), "{err}");
    }
}
