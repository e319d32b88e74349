//! Request bodies of the inference routes other than chat: parsed once, with errors that say
//! whether the body is not JSON or which field is wrong (and name it in `param`).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::gateway::GatewayError;

/// Parses `body` as `T`; `model`, when given, is the model named by the path (Azure-style
/// routes) and replaces any in the body.
pub fn parse<T: DeserializeOwned>(body: &[u8], model: Option<String>) -> Result<T, GatewayError> {
    let Some(model) = model else {
        let mut de = serde_json::Deserializer::from_slice(body);
        let parsed = serde_path_to_error::deserialize(&mut de).map_err(field_error)?;
        de.end().map_err(|e| GatewayError::InvalidJson(e.to_string()))?;
        return Ok(parsed);
    };
    let mut fields: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(GatewayError::invalid("the request body must be a JSON object", Some("request_body"))),
        Err(e) => return Err(GatewayError::InvalidJson(e.to_string())),
    };
    fields.insert("model".into(), Value::String(model));
    serde_path_to_error::deserialize(Value::Object(fields)).map_err(field_error)
}

fn field_error(e: serde_path_to_error::Error<serde_json::Error>) -> GatewayError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return GatewayError::InvalidJson(inner.to_string());
    }
    let text = inner.to_string();
    let missing = text.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    let param = path.split(['.', '[']).next().filter(|p| !p.is_empty() && *p != "?").or(missing).map(str::to_string);
    let message =
        if path == "." { format!("Invalid request: {text}") } else { format!("Invalid request: {path}: {text}") };
    GatewayError::InvalidRequest { message, param }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::embeddings::EmbeddingRequest;

    fn param(body: &[u8]) -> (String, Option<String>) {
        match parse::<EmbeddingRequest>(body, None) {
            Err(GatewayError::InvalidRequest { message, param }) => (message, param),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(param(br#"{"model":"m"}"#).1.as_deref(), Some("input"));
        assert_eq!(param(br#"{"input":"x"}"#).1.as_deref(), Some("model"));
        let (message, p) = param(br#"{"model":"m","input":[]}"#);
        assert_eq!(p.as_deref(), Some("input"));
        assert!(message.contains("must not be an empty array"), "{message}");
        assert_eq!(param(br#"{"model":"m","input":"x","dimensions":"a"}"#).1.as_deref(), Some("dimensions"));
        assert!(matches!(parse::<EmbeddingRequest>(b"{", None), Err(GatewayError::InvalidJson(_))));
        assert!(matches!(
            parse::<EmbeddingRequest>(b"[1]", Some("m".into())),
            Err(GatewayError::InvalidRequest { .. })
        ));
        let r: EmbeddingRequest = parse(br#"{"input":"x"}"#, Some("from-path".into())).unwrap();
        assert_eq!(r.model, "from-path");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::schema::completions::CompletionRequest;

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                "\\PC{0,8}".prop_map(Value::from),
            ];
            leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    proptest::collection::btree_map("\\PC{0,6}", inner, 0..3)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        fn clean(result: Result<(), GatewayError>) -> Result<(), TestCaseError> {
            match result {
                Ok(()) | Err(GatewayError::InvalidJson(_)) => Ok(()),
                Err(GatewayError::InvalidRequest { message, .. }) => {
                    prop_assert!(!message.is_empty());
                    Ok(())
                }
                Err(other) => Err(TestCaseError::fail(format!("{other:?}"))),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Any value in any field of either request: parsed, or a 400 — never a panic.
            #[test]
            fn any_field_value_parses_or_is_refused(
                field in proptest::sample::select(&["input", "prompt", "encoding_format", "dimensions", "stream", "max_tokens", "echo", "model"][..]),
                value in json_value(),
            ) {
                let mut body = serde_json::json!({"model": "m", "input": "x", "prompt": "p"});
                body[field] = value;
                let bytes = serde_json::to_vec(&body).unwrap();
                clean(parse::<EmbeddingRequest>(&bytes, None).map(|_| ()))?;
                clean(parse::<CompletionRequest>(&bytes, None).map(|_| ()))?;
            }

            #[test]
            fn any_bytes_parse_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
                clean(parse::<EmbeddingRequest>(&bytes, None).map(|_| ()))?;
                clean(parse::<CompletionRequest>(&bytes, Some("m".into())).map(|_| ()))?;
            }
        }
    }
}
