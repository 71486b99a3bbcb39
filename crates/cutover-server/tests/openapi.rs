//! The API description: served without a token, OpenAPI 3.1, every route of the router in it
//! (checked by calling each documented operation and seeing the router knows it), every `$ref`
//! resolving, every guarded operation documenting 401 and 403.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use cutover_server::ServerConfig;
use serde_json::Value;

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(s) = x.as_str()
                {
                    out.push(s);
                }
                refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_describes_every_route() {
    let f = fixture(ServerConfig::default()).await;
    let answer = f.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(answer.status, 200);
    let doc = answer.body;
    assert_eq!(doc["openapi"], "3.1.0");

    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in &all {
        let pointer = r.strip_prefix('#').expect("local refs only");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }

    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let public = op.get("security") == Some(&serde_json::json!([]));
            if !public {
                for status in ["401", "403"] {
                    assert!(
                        op["responses"][status].is_object(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            assert!(
                op["description"].as_str().unwrap().contains("o"),
                "{method} {path}: who may call it"
            );
            // The router knows the operation: without a token a guarded route answers 401
            // (not 404 or 405), a public one anything but those.
            let concrete = path
                .replace("{key}", "checkout")
                .replace("{name}", "phase-1");
            let got = f.call(&method.to_uppercase(), &concrete, None, None).await;
            if public {
                assert!(
                    got.status != 404 && got.status != 405,
                    "{method} {path}: {}",
                    got.status
                );
            } else {
                assert_eq!(
                    got.status, 401,
                    "{method} {path} is not a guarded route of the router"
                );
            }
        }
    }
    assert!(operations >= 33, "{operations} operations documented");
}
