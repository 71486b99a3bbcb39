//! The client behind OpenFeature's own API: what application code using the `open-feature`
//! crate sees (value, variant, reason, metadata, error codes), with no call into cutover's API
//! after the provider is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cutover_sdk::Client;
use open_feature::{EvaluationContext, EvaluationErrorCode, EvaluationReason, OpenFeature};

#[tokio::test]
async fn openfeature_clients_get_cutover_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(
        &path,
        r#"{"flags": [
            {"key": "checkout-v2", "stage": "beta", "rollout_percent": 50,
             "overrides": [{"attribute": "email", "value": "qa@example.com", "variant": "new"}]},
            {"key": "search-v2", "stage": "production", "rollout_percent": 100, "killed": true}
        ]}"#,
    )
    .unwrap();
    let cutover = Client::offline(&path).unwrap();

    let mut api = OpenFeature::singleton_mut().await;
    api.set_provider(cutover.openfeature_provider()).await;
    let client = api.create_client();
    drop(api);

    // An override on a custom field.
    let qa = EvaluationContext::default()
        .with_targeting_key("user-1")
        .with_custom_field("email", "qa@example.com");
    let details = client
        .get_bool_details("checkout-v2", Some(&qa), None)
        .await
        .unwrap();
    assert!(details.value);
    assert_eq!(details.variant.as_deref(), Some("new"));
    assert_eq!(details.reason, Some(EvaluationReason::TargetingMatch));

    // A split on the targeting key: the same answer as the cutover client gives.
    let mut splits = 0;
    for i in 0..200 {
        let key = format!("user-{i}");
        let ctx = EvaluationContext::default().with_targeting_key(key.as_str());
        let details = client
            .get_bool_details("checkout-v2", Some(&ctx), None)
            .await
            .unwrap();
        assert_eq!(details.reason, Some(EvaluationReason::Split));
        let direct = cutover.is_new(
            "checkout-v2",
            &cutover_sdk::Context::new().with("targetingKey", &key),
        );
        assert_eq!(details.value, direct, "{key}");
        splits += usize::from(details.value);
    }
    assert!((60..140).contains(&splits), "{splits} of 200 at 50 %");

    // The kill switch, with metadata.
    let details = client
        .get_bool_details("search-v2", Some(&qa), None)
        .await
        .unwrap();
    assert!(!details.value);
    assert_eq!(details.reason, Some(EvaluationReason::Disabled));
    let metadata = format!("{:?}", details.flag_metadata);
    assert!(
        metadata.contains("kill_switch") && metadata.contains("flagVersion"),
        "{metadata}"
    );

    // Errors as OpenFeature codes them.
    let missing = client
        .get_bool_details("nope", Some(&qa), None)
        .await
        .unwrap_err();
    assert_eq!(missing.code, EvaluationErrorCode::FlagNotFound);
    let wrong_type = client
        .get_string_value("checkout-v2", Some(&qa), None)
        .await
        .unwrap_err();
    assert_eq!(wrong_type.code, EvaluationErrorCode::TypeMismatch);
    // The default value path of the API.
    assert!(
        !client
            .get_bool_value("nope", Some(&qa), None)
            .await
            .unwrap_or(false)
    );
}
