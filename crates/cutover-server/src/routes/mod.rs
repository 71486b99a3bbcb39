//! The route table: every route of a node declared once, with its method, path, the capability
//! it needs (and whether a retreat may overdraw the change budget), its handler and its
//! documentation. The router (`app.rs`), the paths of the OpenAPI document (`openapi/`) and the
//! role matrix `tests/routes_by_role.rs` checks are all derived from it.
//!
//! An operation's error statuses follow from the facts stated about its handler (`body`,
//! `store`, `audited`, `versioned`, ...) the way the extractors, the auth check and `ApiError`
//! produce them, so a route's statuses cannot drift from its inputs.

mod audit;
mod backup;
mod flags;
mod node;
mod ofrep;
mod overrides;
mod presets;
mod rollouts;
mod sdk;
mod tokens;
mod transfer;
mod verdicts;

mod route;

pub(crate) use route::Route;
pub use route::{Access, Example};

use crate::auth::Budget;

/// Every route, by area; the area is the operation's tag in the document.
pub(crate) fn areas() -> [(&'static str, Vec<Route>); 12] {
    [
        ("flags", flags::routes()),
        ("rollouts", rollouts::routes()),
        ("verdicts", verdicts::routes()),
        ("overrides", overrides::routes()),
        ("presets", presets::routes()),
        ("audit", audit::routes()),
        ("transfer", transfer::routes()),
        ("backup", backup::routes()),
        ("tokens", tokens::routes()),
        ("sdk", sdk::routes()),
        ("ofrep", ofrep::routes()),
        ("node", node::routes()),
    ]
}

/// What a route declares about access, for tests and tools outside the crate.
#[derive(Debug, Clone)]
pub struct DeclaredRoute {
    /// Lower case, as OpenAPI writes it.
    pub method: &'static str,
    /// The path template (`/api/v1/flags/{key}`).
    pub path: &'static str,
    pub access: Access,
    /// Whether a retreat still goes through once the token's change budget is spent.
    pub retreat_overdraws_budget: bool,
    /// A request that succeeds against the test fixture, when the path has parameters or the
    /// route needs a body (otherwise the path itself, without a body).
    pub example: Example,
}

/// Every route of a node, as declared.
pub fn declared() -> Vec<DeclaredRoute> {
    areas()
        .into_iter()
        .flat_map(|(_, routes)| routes)
        .map(|r| DeclaredRoute {
            method: r.method(),
            path: r.path(),
            access: r.access(),
            retreat_overdraws_budget: r.budget() == Budget::ExceptRetreats,
            example: r.example().unwrap_or(Example {
                path: r.path(),
                body: None,
            }),
        })
        .collect()
}
