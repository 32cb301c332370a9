//! Byte-exact bodies and headers of the platform's answers.
//!
//! Bodies are written by hand rather than through a serializer because the key order of the
//! captured responses is part of what the simulator reproduces.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

/// The Content-Type of every JSON answer, exactly as the platform spells it.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// The token endpoint's one failure body, whatever the cause.
pub(crate) const TOKEN_FAILURE: &str =
    r#"{"error_description":"access_denied","error":"server_error"}"#;

pub(crate) const NOT_AUTHENTICATED: &str = "User Not Authenticated";
pub(crate) const AUTH_REQUIRED: &str = "Required to provide Auth information";
pub(crate) const INSUFFICIENT_RIGHTS: &str = "Insufficient rights to query records";
pub(crate) const FIELDS_NOT_READABLE: &str =
    "Field(s) present in the query do not have permission to be read";
pub(crate) const NOT_AUTHORIZED: &str = "User Not Authorized";
pub(crate) const UNSCOPED_API: &str = "Access to unscoped api is not allowed";
pub(crate) const NO_RECORD: &str = "No Record found";
pub(crate) const NO_RECORD_DETAIL: &str =
    "Record doesn't exist or ACL restricts the record retrieval";
pub(crate) const OPERATION_FAILED: &str = "Operation Failed";
pub(crate) const INSERT_DENIED: &str = "ACL Exception Insert Failed due to security constraints";
pub(crate) const UPDATE_DENIED: &str = "ACL Exception Update Failed due to security constraints";
pub(crate) const DELETE_DENIED: &str = "ACL Exception Delete Failed due to security constraints";
pub(crate) const RATE_LIMITED: &str = "Rate limit exceeded";
pub(crate) const NO_RESOURCE: &str = "Requested URI does not represent any resource";

/// Append `s` as a JSON string literal.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `{"error":{"message":…,"detail":…},"status":"failure"}`; `detail_first` swaps the two keys.
pub(crate) fn envelope(message: &str, detail: Option<&str>, detail_first: bool) -> String {
    let mut message_part = String::from("\"message\":");
    push_str(&mut message_part, message);
    let mut detail_part = String::from("\"detail\":");
    match detail {
        Some(d) => push_str(&mut detail_part, d),
        None => detail_part.push_str("null"),
    }
    let (a, b) = if detail_first {
        (detail_part, message_part)
    } else {
        (message_part, detail_part)
    };
    format!("{{\"error\":{{{a},{b}}},\"status\":\"failure\"}}")
}

/// A JSON answer with the platform's Content-Type.
pub(crate) fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// An error envelope (message first) with `status`.
pub(crate) fn error(status: StatusCode, message: &str, detail: Option<&str>) -> Response {
    json(status, envelope(message, detail, false))
}

/// Set a header from text that may not be a valid header value (then it is left out).
pub(crate) fn set_header(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// Add a header without replacing earlier ones of the same name (Set-Cookie).
pub(crate) fn append_header(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.append(name, v);
    }
}

/// A short random hex id (X-Transaction-ID, session cookies).
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(buf.as_mut_slice());
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_match_the_captured_bytes() {
        assert_eq!(
            envelope(NOT_AUTHENTICATED, Some(AUTH_REQUIRED), true),
            r#"{"error":{"detail":"Required to provide Auth information","message":"User Not Authenticated"},"status":"failure"}"#
        );
        assert_eq!(
            envelope("Invalid table not_a_real_class", None, false),
            r#"{"error":{"message":"Invalid table not_a_real_class","detail":null},"status":"failure"}"#
        );
        assert_eq!(
            envelope(NOT_AUTHORIZED, Some(UNSCOPED_API), false),
            r#"{"error":{"message":"User Not Authorized","detail":"Access to unscoped api is not allowed"},"status":"failure"}"#
        );
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        push_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }
}
