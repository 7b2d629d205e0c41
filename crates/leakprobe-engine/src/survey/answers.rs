//! What an answer holds, decided once for every check: content or not, the same object or not,
//! the values that identify it (JSON keys, business keys, labelled HTML fields) and whose it is.
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::LazyLock;

use leakprobe_detect::PiiType;
use regex::Regex;
use serde_json::Value;

use super::{KEYS, MAX_IDS};
use crate::client::Exchange;
use crate::context::ScanContext;

/// A 2xx answer with something in it: not the soft-404, not `{}`, `[]`, `null` or blank.
pub fn has_content(ctx: &ScanContext, ex: &Exchange) -> bool {
    if !ex.is_success() || ctx.soft404.is_not_found(ex) {
        return false;
    }
    let text = ex.text();
    let trimmed = text.trim();
    !matches!(trimmed, "" | "{}" | "[]" | "null" | "\"\"")
}

/// The body as JSON when it is an object or an array (parsed once per exchange).
pub fn json_body(ex: &Exchange) -> Option<Arc<Value>> {
    let first = ex.body.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    ex.json()
}

/// The object inside a single-key wrapper (`{"data": {…}}`), else the value itself.
pub fn unwrap(value: &Value) -> &Value {
    if let Value::Object(map) = value {
        if map.len() == 1 {
            if let Some((key, inner)) = map.iter().next() {
                if inner.is_object() && KEYS.wrappers.contains(&normalise(key).as_str()) {
                    return inner;
                }
            }
        }
    }
    value
}

/// Lower case, letters and digits only: `user_id`, `userId` and `User-ID` are one key.
pub fn normalise(key: &str) -> String {
    key.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// A short string or a number as text: what can be an identifier or a field worth comparing.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s.len() <= 256 => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn identifying_key(k: &str) -> bool {
    KEYS.identifying.contains(&k) || KEYS.business.contains(&k)
}

/// `(normalised key, value)` of the identifying fields at the top of an object (ids, e-mail,
/// username, business keys such as `account_number`).
pub fn identifying_values(value: &Value) -> Vec<(String, String)> {
    let Value::Object(map) = value else { return Vec::new() };
    map.iter()
        .filter_map(|(k, v)| {
            let k = normalise(k);
            identifying_key(&k).then_some(())?;
            Some((k, scalar(v)?))
        })
        .collect()
}

/// Id values anywhere in a body (`id`, `*_id`, `*Id`, `uuid`, business keys), shallow first.
pub fn nested_ids(value: &Value, depth: usize, out: &mut Vec<(String, String)>) {
    if depth > 3 || out.len() >= 2 * MAX_IDS {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let k = normalise(key);
                let named = k == "id" || k.ends_with("id") || k == "uuid" || KEYS.business.contains(&k.as_str());
                if named && !matches!(v, Value::Object(_) | Value::Array(_)) {
                    if let Some(text) = scalar(v).filter(|t| id_shaped(t)) {
                        out.push((k, text));
                    }
                }
            }
            for v in map.values() {
                nested_ids(v, depth + 1, out);
            }
        }
        Value::Array(items) => items.iter().take(20).for_each(|v| nested_ids(v, depth + 1, out)),
        _ => {}
    }
}

#[allow(clippy::unwrap_used)]
static HTML_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(?:dt|th)[^>]*>(.{1,120}?)</(?:dt|th)>\s*<(?:dd|td)[^>]*>(.{1,400}?)</(?:dd|td)>").unwrap()
});
#[allow(clippy::unwrap_used)]
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").unwrap());

/// A label of an HTML table or definition list as an identifying key: `E-mail address` is
/// `email`, `Account no.` is `accountno`.
fn label_key(label: &str) -> Option<String> {
    let k = normalise(label);
    if k.contains("email") {
        return Some("email".into());
    }
    if k == "user" || k == "username" || k == "login" {
        return Some("username".into());
    }
    let k = k.strip_suffix("address").filter(|s| !s.is_empty()).map_or(k.clone(), str::to_string);
    identifying_key(&k).then_some(k)
}

/// The identifying `(key, value)` pairs of an HTML page's tables (`<th>`/`<td>`) and definition
/// lists (`<dt>`/`<dd>`).
pub fn html_identifying(html: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        TAG.replace_all(s, "").replace("&amp;", "&").replace("&#64;", "@").replace("&lt;", "<").trim().to_string()
    };
    HTML_PAIR
        .captures_iter(html)
        .take(100)
        .filter_map(|c| {
            let key = label_key(&decode(&c[1]))?;
            let value = decode(&c[2]);
            (!value.is_empty() && value.len() <= 256).then_some((key, value))
        })
        .collect()
}

/// The identifying pairs of any answer: JSON at its top (unwrapped), or an HTML page's labels.
fn identifying_of(ex: &Exchange) -> Vec<(String, String)> {
    match json_body(ex) {
        Some(json) => identifying_values(unwrap(&json)),
        None if ex.is_html() => html_identifying(&ex.text()),
        None => Vec::new(),
    }
}

/// Plausible as an id in a path: digits, a UUID, or a short token without spaces, slashes or `@`.
pub fn id_shaped(value: &str) -> bool {
    (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// True when two answers carry the same object: identical bodies, or objects (JSON, or the labelled
/// fields of HTML pages) whose identifying fields present in both all agree.
pub fn same_object(a: &Exchange, b: &Exchange) -> bool {
    if a.body == b.body {
        return true;
    }
    let (x, y) = (identifying_of(a), identifying_of(b));
    let shared: Vec<bool> = x
        .iter()
        .filter_map(|(k, v)| y.iter().find(|(k2, _)| k2 == k).map(|(_, w)| w.eq_ignore_ascii_case(v)))
        .collect();
    !shared.is_empty() && shared.iter().all(|same| *same)
}

/// True when `other` carries the same data as `reference`: identical bodies, or JSON with the
/// same shape (keys) and the same identifying values.
pub fn same_data(reference: &Exchange, other: &Exchange) -> bool {
    if !other.is_success() || other.body.is_empty() {
        return false;
    }
    if reference.body == other.body {
        return true;
    }
    let (Some(a), Some(b)) = (json_body(reference), json_body(other)) else { return false };
    fn first(v: &Value) -> &Value {
        match v {
            Value::Array(items) => items.first().unwrap_or(&Value::Null),
            other => other,
        }
    }
    let (a, b) = (first(&a), first(&b));
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else { return false };
    let keys_match = a.keys().collect::<BTreeSet<_>>() == b.keys().collect::<BTreeSet<_>>();
    let ids_match =
        ["id", "user_id", "email", "username"].iter().any(|k| a.get(*k).is_some() && a.get(*k) == b.get(*k));
    keys_match && ids_match
}

/// True when two objects of one template differ beyond echoing their own ids.
pub fn differs(a: &Exchange, id_a: &str, b: &Exchange, id_b: &str) -> bool {
    let (la, lb) = (leaves(a, id_a), leaves(b, id_b));
    !la.is_empty() && !lb.is_empty() && la != lb
}

/// The body's `(path, value)` leaves, without those that only repeat the id the path asked for.
fn leaves(ex: &Exchange, id: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    match json_body(ex) {
        Some(json) => walk_leaves(&json, String::new(), id, &mut out),
        None => {
            let text = ex.text().replace(id, "{id}");
            out.insert((String::new(), text));
        }
    }
    out
}

fn walk_leaves(value: &Value, path: String, id: &str, out: &mut BTreeSet<(String, String)>) {
    if out.len() > 2_000 {
        return;
    }
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| walk_leaves(v, format!("{path}.{k}"), id, out)),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| walk_leaves(v, format!("{path}[{i}]"), id, out))
        }
        Value::Null => {}
        other => {
            let text = scalar(other).unwrap_or_else(|| other.to_string());
            if text != id {
                out.insert((path, text.replace(id, "{id}")));
            }
        }
    }
}

/// The body carries one of the identity's own identifying values where an owner would be named:
/// an e-mail or username anywhere identifying, an owner key (`user_id`, `owner`, `author`…), a
/// business key, or the object's own `id` in a collection of people. HTML pages count by their
/// labelled fields.
pub fn owned_by(ex: &Exchange, values: &BTreeSet<String>, template: &str) -> bool {
    if values.is_empty() {
        return false;
    }
    let pairs = match json_body(ex) {
        Some(json) => {
            let top = unwrap(&json);
            let mut pairs = identifying_values(top);
            if let Value::Object(map) = top {
                for (k, v) in map {
                    let k = normalise(k);
                    if KEYS.owner.contains(&k.as_str()) && !identifying_key(&k) {
                        pairs.extend(scalar(v).map(|s| (k, s)));
                    }
                }
            }
            pairs
        }
        None if ex.is_html() => html_identifying(&ex.text()),
        None => return false,
    };
    let people = crate::words::segments(template).iter().any(|s| KEYS.people.contains(&s.as_str()));
    pairs.iter().any(|(key, value)| {
        let telling = matches!(key.as_str(), "email" | "username" | "login" | "uuid")
            || KEYS.owner.contains(&key.as_str())
            || KEYS.business.contains(&key.as_str());
        values.contains(&value.to_ascii_lowercase()) && (telling || (key == "id" && people))
    })
}

/// Personal keys at the object's top level (an e-mail, a phone, an owner id), or labelled in an
/// HTML page.
pub fn is_personal(ex: &Exchange) -> bool {
    match json_body(ex) {
        Some(json) => {
            let Value::Object(map) = unwrap(&json) else { return false };
            map.iter().any(|(k, v)| !v.is_null() && KEYS.personal.contains(&normalise(k).as_str()))
        }
        None if ex.is_html() => html_identifying(&ex.text()).iter().any(|(k, _)| k == "email"),
        None => false,
    }
}

/// The kinds whose exposure alone makes a finding critical.
pub fn critical_pii(types: &[PiiType]) -> bool {
    use PiiType::*;
    types.iter().any(|t| matches!(t, Ssn | CreditCard | NationalId | PasswordHash | Password | Iban | PrivateKey))
}

/// `email: a***@p***.me, id: 1` — what identifies the object, redacted for the report.
pub fn identifying_summary(ctx: &ScanContext, ex: &Exchange) -> String {
    let parts: Vec<String> = identifying_of(ex)
        .into_iter()
        .take(3)
        .map(|(k, v)| match k.as_str() {
            "email" => format!("{k}: {}", ctx.redact(PiiType::Email, &v)),
            "iban" => format!("{k}: {}", ctx.redact(PiiType::Iban, &v)),
            _ => format!("{k}: {v}"),
        })
        .collect();
    if parts.is_empty() {
        format!("{} bytes", ex.body.len())
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Exchange {
        Exchange::for_test("/x", Some(status), body)
    }

    #[test]
    fn same_object_needs_agreeing_identifying_fields() {
        let alice = answer(200, r#"{"id": 1, "email": "alice@proton.me", "ssn": "524-71-3386"}"#);
        let alice_masked = answer(200, r#"{"data": {"id": 1, "email": "alice@proton.me", "ssn": "***"}}"#);
        let bob = answer(200, r#"{"id": 2, "email": "bob@fastmail.com"}"#);
        let anonymous_fields = answer(200, r#"{"title": "Spring", "items": []}"#);
        assert!(same_object(&alice, &alice_masked));
        assert!(!same_object(&alice, &bob));
        assert!(!same_object(&alice, &anonymous_fields), "nothing identifying in common");
    }

    #[test]
    fn id_echoes_and_identical_bodies_are_not_distinct_objects() {
        let seven = answer(200, r#"{"id": 7, "stock": null}"#);
        let eight = answer(200, r#"{"id": 8, "stock": null}"#);
        assert!(!differs(&seven, "7", &eight, "8"), "only the id differs");
        let featured = answer(200, r#"{"collection": "spring", "items": [{"sku": "A"}]}"#);
        assert!(!differs(&featured, "1", &featured, "2"));
        let alice = answer(200, r#"{"id": 1, "name": "Alice"}"#);
        let bob = answer(200, r#"{"id": 2, "name": "Bob"}"#);
        assert!(differs(&alice, "1", &bob, "2"));
    }

    #[test]
    fn ownership_needs_a_telling_key() {
        let values: BTreeSet<String> = ["1", "alice", "alice@proton.me"].into_iter().map(String::from).collect();
        let profile = answer(200, r#"{"id": 1, "email": "alice@proton.me"}"#);
        let order = answer(200, r#"{"id": 1, "total": "9.90"}"#);
        let own_order = answer(200, r#"{"id": 77, "user_id": 1}"#);
        let draft = answer(200, r#"{"id": 12, "author": "alice", "body": "…"}"#);
        assert!(owned_by(&profile, &values, "/api/users/{id}"));
        assert!(!owned_by(&order, &values, "/api/orders/{id}"), "an order whose own id happens to be 1");
        assert!(owned_by(&own_order, &values, "/api/orders/{id}"));
        assert!(owned_by(&draft, &values, "/api/posts/{id}/draft"), "an author field names the owner");
    }

    #[test]
    fn html_pages_name_their_owner_in_labelled_fields() {
        let page = "<html><nav>Signed in as bob</nav><dl><dt>Order no.</dt><dd>ORD-20417</dd>\
                    <dt>Customer</dt><dd>Alice Moreau</dd><dt>E-mail</dt><dd>alice.moreau@proton.me</dd></dl>\
                    <table><tr><th>Account number</th><td><b>ACC-10023</b></td></tr></table></html>";
        let pairs = html_identifying(page);
        assert!(pairs.contains(&("email".to_string(), "alice.moreau@proton.me".to_string())), "{pairs:?}");
        assert!(pairs.contains(&("orderno".to_string(), "ORD-20417".to_string())), "{pairs:?}");
        assert!(pairs.contains(&("accountnumber".to_string(), "ACC-10023".to_string())), "{pairs:?}");
        let mut ex = answer(200, page);
        ex.headers.insert("content-type", reqwest::header::HeaderValue::from_static("text/html"));
        let alice: BTreeSet<String> = ["alice.moreau@proton.me".to_string()].into();
        let bob: BTreeSet<String> = ["bob".to_string()].into();
        assert!(owned_by(&ex, &alice, "/orders/{id}"));
        assert!(!owned_by(&ex, &bob, "/orders/{id}"), "the navigation bar names the reader, not the owner");
    }

    #[test]
    fn business_keys_are_identifiers() {
        let v: Value = serde_json::json!({"data": {"userId": 7, "Email": "a@b.c", "name": "x"}});
        let mut ids = identifying_values(unwrap(&v));
        ids.sort();
        assert_eq!(ids, vec![("email".to_string(), "a@b.c".to_string()), ("userid".to_string(), "7".to_string())]);
        let accounts = serde_json::json!([{"account_number": "ACC-10023", "type": "checking"}]);
        let mut nested = Vec::new();
        nested_ids(&accounts, 0, &mut nested);
        assert_eq!(nested, vec![("accountnumber".to_string(), "ACC-10023".to_string())]);
    }
}
