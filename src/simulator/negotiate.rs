//! Content negotiation for the Table API: `Accept` picks JSON or the platform's XML shape
//! (`<response><result>…</result></response>`, one `<result>` per record of a list), and an
//! `Accept` that allows neither gets 406.
//!
//! A browser's `text/html,…,application/xml;q=0.9,*/*;q=0.8` therefore gets XML, as it does
//! from an instance.

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::responses::{self, JSON_CONTENT_TYPE};

/// The first bytes of every XML answer.
pub(crate) const XML_PROLOG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
/// The Content-Type of every XML answer.
pub(crate) const XML_CONTENT_TYPE: &str = "application/xml;charset=UTF-8";

/// Largest error body converted to XML (error envelopes are a few hundred bytes).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The shape of an answer's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

impl Format {
    /// The Content-Type header value for this shape.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON_CONTENT_TYPE,
            Format::Xml => XML_CONTENT_TYPE,
        }
    }
}

/// What one media range of `Accept` offers: the format it would pick and its weight.
fn range_format(range: &str) -> Option<(Option<Format>, f32)> {
    let mut parts = range.split(';').map(str::trim);
    let media = parts.next()?.to_ascii_lowercase();
    let mut q = 1.0_f32;
    for param in parts {
        if let Some(value) = param
            .strip_prefix("q=")
            .or_else(|| param.strip_prefix("Q="))
        {
            q = value.trim().parse().unwrap_or(0.0);
        }
    }
    let format = match media.as_str() {
        "application/json" | "application/*" | "*/*" => Some(Format::Json),
        "application/xml" | "text/xml" => Some(Format::Xml),
        "" => return None,
        _ => None,
    };
    Some((format, q))
}

/// The format `Accept` asks for: no header means JSON; among acceptable ranges the highest
/// weight wins, the earlier one on a tie. `None` when nothing acceptable is offered.
pub(crate) fn from_accept(accept: Option<&str>) -> Option<Format> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(Format::Json);
    };
    let mut best: Option<(Format, f32)> = None;
    for (format, q) in accept.split(',').filter_map(range_format) {
        let Some(format) = format else { continue };
        if q <= 0.0 {
            continue;
        }
        if best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((format, q));
        }
    }
    best.map(|(format, _)| format)
}

/// The format of a request, or the 406 to answer it with.
pub(crate) fn format(headers: &HeaderMap) -> Result<Format, Box<Response>> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    from_accept(accept).ok_or_else(|| {
        Box::new(responses::error(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable",
            Some("Supported response types: application/json, application/xml"),
        ))
    })
}

/// The format a request would get, JSON when its Accept is unusable (the 406 itself).
pub(crate) fn format_or_json(headers: &HeaderMap) -> Format {
    format(headers).unwrap_or(Format::Json)
}

/// Append XML-escaped text. Characters XML 1.0 cannot carry at all become U+FFFD.
pub(crate) fn push_xml_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => {
                out.push('\u{fffd}');
            }
            c => out.push(c),
        }
    }
}

/// `<name>text</name>`, or `<name/>` for an empty value.
pub(crate) fn xml_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    if text.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    push_xml_text(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The XML form of the error envelope: detail before message, as instances send it.
pub(crate) fn xml_envelope(message: &str, detail: Option<&str>) -> String {
    let mut out = String::from(XML_PROLOG);
    out.push_str("<response><error>");
    xml_element(&mut out, "detail", detail.unwrap_or(""));
    xml_element(&mut out, "message", message);
    out.push_str("</error><status>failure</status></response>");
    out
}

/// A body in `format` with its Content-Type.
pub(crate) fn body(format: Format, status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}

/// For an XML request, rewrite a JSON error envelope as XML (headers kept). Everything
/// else passes unchanged.
pub(crate) async fn adapt(format: Format, response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == JSON_CONTENT_TYPE.as_bytes());
    if format != Format::Xml || !is_json || response.status().as_u16() < 400 {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let parsed: Option<(String, Option<String>)> =
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| {
                let error = v.get("error")?;
                let message = error.get("message")?.as_str()?.to_string();
                let detail = error
                    .get("detail")
                    .and_then(|d| d.as_str())
                    .map(str::to_string);
                Some((message, detail))
            });
    let Some((message, detail)) = parsed else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(XML_CONTENT_TYPE),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(xml_envelope(&message, detail.as_deref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_json_or_xml() {
        assert_eq!(from_accept(None), Some(Format::Json));
        assert_eq!(from_accept(Some("application/json")), Some(Format::Json));
        assert_eq!(from_accept(Some("*/*")), Some(Format::Json));
        assert_eq!(from_accept(Some("application/xml")), Some(Format::Xml));
        assert_eq!(
            from_accept(Some("application/json;charset=utf-8")),
            Some(Format::Json)
        );
        assert_eq!(
            from_accept(Some(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
            )),
            Some(Format::Xml)
        );
        assert_eq!(
            from_accept(Some("application/xml;q=0.5, application/json")),
            Some(Format::Json)
        );
        assert_eq!(from_accept(Some("text/html")), None);
        assert_eq!(from_accept(Some("application/json;q=0")), None);
    }

    #[test]
    fn xml_text_is_escaped() {
        let mut out = String::new();
        xml_element(&mut out, "a", "x<y & \"z\"\u{1}");
        assert_eq!(out, "<a>x&lt;y &amp; &quot;z&quot;\u{fffd}</a>");
        let mut empty = String::new();
        xml_element(&mut empty, "b", "");
        assert_eq!(empty, "<b/>");
    }

    #[test]
    fn xml_envelope_puts_detail_first() {
        assert_eq!(
            xml_envelope("No Record found", Some("gone")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><error><detail>gone</detail>\
             <message>No Record found</message></error><status>failure</status></response>"
        );
    }
}
