//! Holding requests and answers to the document: a validator per schema, and `Checker`, which
//! sends a request through the fixture and checks both sides.

use super::*;

pub(super) fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}\n{schema}"))
}

pub(super) fn problems(doc: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    validator(doc, schema)
        .iter_errors(instance)
        .map(|e| format!("{e} (at {})", e.instance_path))
        .collect()
}

/// The documented path a request goes to: the one its segments match, literal segments
/// preferred over `{parameters}`.
pub(super) fn template_of(doc: &Value, uri: &str) -> String {
    let path = uri.split('?').next().unwrap();
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p.starts_with('{') || p == s);
            fits.then(|| (parts.iter().filter(|p| !p.starts_with('{')).count(), t))
        })
        .max()
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| panic!("{uri} matches no documented path"))
}

/// Sends requests through the fixture's router and checks each against the document.
pub(super) struct Checker {
    pub(super) f: Fixture,
    pub(super) doc: Value,
    pub(super) failures: Vec<String>,
}

impl Checker {
    /// A request the server accepts must satisfy its request schema; the answer must be
    /// documented for its status and satisfy that schema.
    pub(super) async fn call(
        &mut self,
        role: Option<Role>,
        method: &str,
        uri: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
        expect: u16,
    ) -> Value {
        let what = format!("{method} {uri}");
        let answer = self
            .f
            .call_with(&method.to_uppercase(), uri, role, body, headers)
            .await;
        let status = answer.status.as_u16();
        if status != expect {
            self.failures
                .push(format!("{what}: {status}, not {expect}: {}", answer.text));
            return answer.body;
        }
        let template = template_of(&self.doc, uri);
        let op = deref(&self.doc, &self.doc["paths"][&template][method]).clone();
        if (200..300).contains(&status)
            && let Some(body) = body
        {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let request: Value = serde_json::from_str(body).unwrap();
            for p in problems(&self.doc, schema, &request) {
                self.failures.push(format!(
                    "{what}: the accepted request breaks its schema: {p}"
                ));
            }
        }
        let documented = deref(&self.doc, &op["responses"][status.to_string()]).clone();
        if !documented.is_object() {
            self.failures
                .push(format!("{what}: {status} is not documented"));
            return answer.body;
        }
        if let Some(schema) = documented["content"]["application/json"].get("schema") {
            for p in problems(&self.doc, schema, &answer.body) {
                self.failures.push(format!(
                    "{what}: the {status} answer breaks its schema: {p}"
                ));
            }
        }
        answer.body
    }

    pub(super) async fn ok(
        &mut self,
        role: Role,
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> Value {
        let expect = if method == "post" && ["/api/v1/flags", "/api/v1/tokens"].contains(&uri) {
            201
        } else {
            200
        };
        self.call(Some(role), method, uri, body, &[], expect).await
    }

    pub(super) async fn fails(
        &mut self,
        role: Role,
        method: &str,
        uri: &str,
        body: Option<&str>,
        status: u16,
    ) {
        self.call(Some(role), method, uri, body, &[], status).await;
    }

    pub(super) fn holds(&mut self, name: &str, instance: &Value, valid: bool) {
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        let found = problems(&self.doc, &schema, instance);
        if found.is_empty() != valid {
            self.failures.push(format!(
                "{name} {} {instance}: {found:?}",
                if valid { "refuses" } else { "accepts" }
            ));
        }
    }
}
