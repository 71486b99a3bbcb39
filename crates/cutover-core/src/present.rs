//! Optional request fields that may be left out but are never `null`: serde reads `null` into an
//! `Option` as if the field were absent, so a `PATCH {"enabled": null}` would ask for nothing
//! while looking like a request for something. The OpenAPI document types these fields without
//! `null`, and the server refuses it the same way (a 422 naming the expected type).

use serde::{Deserialize, Deserializer};

/// `#[serde(default, deserialize_with = "cutover_core::present::not_null")]`.
pub fn not_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "super::not_null")]
        enabled: Option<bool>,
    }

    #[test]
    fn absent_is_none_and_null_is_refused() {
        let absent: Patch = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.enabled, None);
        let set: Patch = serde_json::from_str(r#"{"enabled": false}"#).unwrap();
        assert_eq!(set.enabled, Some(false));
        let err = serde_json::from_str::<Patch>(r#"{"enabled": null}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type: null"), "{err}");
    }
}
