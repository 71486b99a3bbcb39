//! The component schemas, by area.

mod audit;
mod flags;
mod guard;
mod metrics;

use serde_json::{Map, Value};

use audit::{audit_schemas, preset_schemas, token_schemas, verify_schemas};
use flags::{change_schemas, flag_schemas, scalar_schemas};
use guard::guard_schemas;
use metrics::{metric_schemas, ofrep_schemas, stream_schemas};

pub(super) fn all() -> Value {
    let mut all = Map::new();
    for part in [
        scalar_schemas(),
        flag_schemas(),
        preset_schemas(),
        audit_schemas(),
        token_schemas(),
        metric_schemas(),
        stream_schemas(),
        ofrep_schemas(),
    ] {
        if let Value::Object(part) = part {
            all.extend(part);
        }
    }
    all.extend(change_schemas());
    all.extend(verify_schemas());
    all.extend(guard_schemas());
    Value::Object(all)
}
