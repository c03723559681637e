//! The JSON schemas in `assets/`, loaded strict for tests: an object that lists every key it
//! requires among its properties refuses any other key, so output the schema does not
//! document fails. (An object that requires keys it does not list is described elsewhere,
//! as the investigation's attempts, each one checked as a report.)

use serde_json::Value;

/// The strict validator of `assets/NAME`.
pub fn validator(name: &str) -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    strict(&mut schema);
    jsonschema::validator_for(&schema).expect("valid schema")
}

/// Every error of `v` against `validator`, each with where it is.
pub fn errors(validator: &jsonschema::Validator, v: &Value) -> Vec<String> {
    validator
        .iter_errors(v)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}

fn strict(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let listed = |k: &Value| {
                k.as_str()
                    .is_some_and(|k| o.get("properties").is_some_and(|p| p.get(k).is_some()))
            };
            let complete = o.get("properties").is_some_and(Value::is_object)
                && o.get("required")
                    .and_then(Value::as_array)
                    .is_none_or(|r| r.iter().all(listed));
            if complete && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), false.into());
            }
            o.values_mut().for_each(strict);
        }
        Value::Array(a) => a.iter_mut().for_each(strict),
        _ => {}
    }
}
