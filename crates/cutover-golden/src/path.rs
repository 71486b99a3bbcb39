//! Field paths into a JSON value, as expectations and invariants name them: `$` for the whole
//! value, keys joined by `.` (`route.policy`), and a number to index an array (`candidates.0`).
//! The comparison spec of cutover-core uses the same keys, so one name means one field everywhere.

use serde_json::Value;

/// A parsed path: the keys to follow from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath {
    text: String,
    keys: Vec<String>,
}

impl FieldPath {
    /// Parses `$`, `a`, `a.b`, `$.a.0`. `None` for an empty key (`a..b`, `a.`).
    pub(crate) fn parse(text: &str) -> Option<FieldPath> {
        let keys: Vec<String> = if text == "$" {
            Vec::new()
        } else {
            let body = text.strip_prefix("$.").unwrap_or(text);
            body.split('.').map(str::to_owned).collect()
        };
        if keys.iter().any(String::is_empty) {
            return None;
        }
        Some(FieldPath {
            text: text.to_owned(),
            keys,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The value at this path, `None` when any key is missing.
    pub(crate) fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let mut here = root;
        for key in &self.keys {
            here = match here {
                Value::Object(map) => map.get(key)?,
                Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(here)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn at(path: &str, v: &Value) -> Option<Value> {
        FieldPath::parse(path).unwrap().find(v).cloned()
    }

    #[test]
    fn paths_follow_keys_and_indexes() {
        let v = json!({"a": {"b": [10, {"c": true}]}, "x.y": 1});
        assert_eq!(at("$", &v), Some(v.clone()));
        assert_eq!(at("a.b.0", &v), Some(json!(10)));
        assert_eq!(at("$.a.b.1.c", &v), Some(json!(true)));
        assert_eq!(at("a.b.2", &v), None);
        assert_eq!(at("a.b.c", &v), None);
        assert_eq!(at("missing", &v), None);
        assert_eq!(at("a.b.0.deeper", &v), None);
    }

    #[test]
    fn empty_keys_are_refused() {
        for bad in ["", "a..b", "a.", ".a", "$."] {
            assert!(FieldPath::parse(bad).is_none(), "{bad}");
        }
    }
}
