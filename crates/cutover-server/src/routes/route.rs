//! The declaration of one route: method, path, access, handler and documentation, stated once.

use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};
use std::borrow::Cow;

use cutover_core::Capability;
use serde_json::{Map, Value, json};

use crate::auth::Budget;
use crate::openapi::vocab::{Fail, OFREP_SPEC, answer, query, reference, roles_line};
use crate::state::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed: health, readiness, Prometheus, this API's description.
    Public,
    /// A token whose role allows the capability (`cutover_core::Role::allows`).
    Requires(Capability),
}

impl Access {
    /// The roles line of an operation's description, from `cutover_core::access`.
    fn says(self) -> String {
        match self {
            Access::Public => "No token needed.".to_owned(),
            Access::Requires(capability) => roles_line(capability),
        }
    }

    /// Mirrors `auth::requires`, which limits per token every request but a GET that needs one
    /// of these capabilities.
    fn rate_limited(self, method: &str) -> bool {
        method != "get"
            && matches!(
                self,
                Access::Requires(
                    Capability::Operate | Capability::Configure | Capability::ManageTokens
                )
            )
    }
}

/// A request that succeeds against the test fixture (`tests/common`): the flag `checkout`,
/// the preset `phase-1`, a token per role. `tests/routes_by_role.rs` sends it as each role.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The concrete path, with a query string when the route needs one.
    pub path: &'static str,
    pub body: Option<&'static str>,
}

/// One route: how it is served and how it is documented.
pub(crate) struct Route {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    notes: Vec<Cow<'static, str>>,
    access: Access,
    budget: Budget,
    handler: Option<MethodRouter<AppState>>,
    example: Option<Example>,
    params: Vec<Value>,
    /// The body's schema, and whether the body is required.
    body: Option<(Value, bool)>,
    ok: (u16, Value),
    fails: Vec<Fail>,
    /// Answers not in the `Error` shape (OFREP's own, 304); they replace a shared one of the
    /// same status.
    other: Vec<(u16, Value)>,
    ofrep: bool,
}

pub(crate) fn route(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    access: Access,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        id,
        summary,
        notes: Vec::new(),
        access,
        budget: Budget::Always,
        handler: None,
        example: None,
        params: Vec::new(),
        body: None,
        ok: (200, answer("Done.", None, &[])),
        fails: Vec::new(),
        other: Vec::new(),
        ofrep: false,
    }
}

fn method_filter(method: &str) -> MethodFilter {
    match method {
        "post" => MethodFilter::POST,
        "put" => MethodFilter::PUT,
        "patch" => MethodFilter::PATCH,
        "delete" => MethodFilter::DELETE,
        _ => MethodFilter::GET,
    }
}

impl Route {
    /// The handler that answers the route.
    pub(crate) fn serve<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.handler = Some(on(method_filter(self.method), handler));
        self
    }

    /// A change route that may carry a retreat, which still goes through once the token's
    /// change budget is spent (the handler judges the change; see [`Budget::ExceptRetreats`]).
    pub(crate) fn or_retreat(mut self) -> Self {
        self.budget = Budget::ExceptRetreats;
        self
    }

    pub(crate) fn sample(mut self, path: &'static str, body: Option<&'static str>) -> Self {
        self.example = Some(Example { path, body });
        self
    }

    pub(crate) fn notes(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.notes.push(text.into());
        self
    }

    pub(crate) fn ok(mut self, status: u16, response: Value) -> Self {
        self.ok = (status, response);
        self
    }

    pub(crate) fn fails(mut self, fails: &[Fail]) -> Self {
        self.fails.extend_from_slice(fails);
        self
    }

    pub(crate) fn param(mut self, param: Value) -> Self {
        self.params.push(param);
        self
    }

    /// Read through `admin::Params`: an unreadable query string is a 400.
    pub(crate) fn query(self, name: &str, schema: Value, description: &str) -> Self {
        self.param(query(name, schema, description))
            .fails(&[Fail::BadRequest])
    }

    /// Read through `admin::Body` (or as bytes): no body or bad JSON is a 400, JSON of another
    /// shape or with a refused value a 422, over 2 MiB a 413.
    pub(crate) fn body(mut self, schema: Value) -> Self {
        self.body = Some((schema, true));
        self.fails(&[Fail::BadRequest, Fail::Invalid, Fail::TooLarge])
    }

    /// Read as bytes by `admin::rollouts`: an empty body reads as `{}`; bad JSON is a 400, JSON
    /// of another shape or with a refused value a 422, over 2 MiB a 413.
    pub(crate) fn optional_body(mut self, schema: Value) -> Self {
        self.body = Some((schema, false));
        self.fails(&[Fail::BadRequest, Fail::Invalid, Fail::TooLarge])
    }

    /// Reads and writes the store: it may be down (503) or broken (500).
    pub(crate) fn store(self) -> Self {
        self.fails(&[Fail::ServerFailure, Fail::StoreUnavailable])
    }

    /// Writes an audit entry: the reason header is read, and refused when not text (400) or
    /// over its size limit (422).
    pub(crate) fn audited(self) -> Self {
        self.param(reference("parameters", "Reason"))
            .param(reference("parameters", "Force"))
            .fails(&[Fail::BadRequest, Fail::Invalid])
    }

    /// Names the flag version it expects through If-Match (or the body's expected_version).
    pub(crate) fn versioned(self) -> Self {
        self.param(reference("parameters", "IfMatch"))
            .fails(&[Fail::BadRequest, Fail::Conflict])
    }

    /// `{key}` through `admin::flag_key`: a key outside the alphabet is a 422.
    pub(crate) fn key(self) -> Self {
        self.param(reference("parameters", "FlagKey"))
            .fails(&[Fail::Invalid])
    }

    /// `{name}` checked like a key (preset and token names share the alphabet).
    pub(crate) fn name(self, param: &str) -> Self {
        self.param(reference("parameters", param))
            .fails(&[Fail::Invalid])
    }

    pub(crate) fn other(mut self, status: u16, response: Value) -> Self {
        self.other.push((status, response));
        self
    }

    pub(crate) fn ofrep(mut self) -> Self {
        self.ofrep = true;
        self
    }

    pub(crate) fn method(&self) -> &'static str {
        self.method
    }

    pub(crate) fn path(&self) -> &'static str {
        self.path
    }

    pub(crate) fn access(&self) -> Access {
        self.access
    }

    pub(crate) fn budget(&self) -> Budget {
        self.budget
    }

    pub(crate) fn example(&self) -> Option<Example> {
        self.example
    }

    /// The handler, behind the auth check its access names.
    pub(crate) fn into_handler(self, state: &AppState) -> Option<MethodRouter<AppState>> {
        let handler = self.handler?;
        Some(match self.access {
            Access::Public => handler,
            Access::Requires(capability) => {
                crate::auth::requires(state, capability, self.budget, handler)
            }
        })
    }

    /// The OpenAPI operation object.
    pub(crate) fn render(&self, tag: &str) -> Value {
        let mut fails = self.fails.clone();
        if self.access != Access::Public {
            fails.extend([Fail::Unauthorized, Fail::Forbidden]);
        }
        if self.access.rate_limited(self.method) {
            fails.push(Fail::RateLimited);
        }
        fails.sort_unstable();
        fails.dedup();
        let mut responses = Map::new();
        responses.insert(self.ok.0.to_string(), self.ok.1.clone());
        for fail in fails {
            responses.insert(
                fail.status().to_string(),
                reference("responses", &fail.name()),
            );
        }
        for (status, response) in &self.other {
            responses.insert(status.to_string(), response.clone());
        }
        let mut description = self.access.says();
        for note in &self.notes {
            description.push(' ');
            description.push_str(note);
        }
        let mut op = json!({
            "operationId": self.id,
            "summary": self.summary,
            "description": description,
            "tags": [tag],
            "responses": responses,
        });
        if !self.params.is_empty() {
            op["parameters"] = json!(self.params);
        }
        if let Some((body, required)) = &self.body {
            op["requestBody"] = json!({
                "required": required,
                "content": { "application/json": { "schema": body } },
            });
        }
        if self.access == Access::Public {
            op["security"] = json!([]);
        }
        if self.ofrep {
            op["externalDocs"] =
                json!({ "description": "The OFREP OpenAPI document", "url": OFREP_SPEC });
        }
        op
    }
}
