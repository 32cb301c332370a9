//! `POST /api/now/table/incident`: create an incident the way the platform's defaults and
//! business rules would, and answer 201 with the whole record.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::format_description;

use super::app::Shared;
use super::dataset::json_text;
use super::guard;
use super::responses::{self, INSERT_DENIED, NO_RESOURCE, OPERATION_FAILED, set_header};
use super::store::{Database, Str, random_sys_id};
use super::table_api::{ApiVersion, Params, invalid_table};

/// The only table the integration user creates records in.
const CREATABLE: &str = "incident";

/// `POST /api/now/table/{table}`.
pub(crate) async fn create_latest(
    State(shared): State<Arc<Shared>>,
    Path(table): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    create(&shared, &table, &uri, &headers, &body)
}

/// `POST /api/now/{v1|v2}/table/{table}`.
pub(crate) async fn create_versioned(
    State(shared): State<Arc<Shared>>,
    Path((version, table)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match ApiVersion::parse(&version) {
        Some(_) => create(&shared, &table, &uri, &headers, &body),
        None => responses::error(StatusCode::BAD_REQUEST, NO_RESOURCE, None),
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn create(shared: &Shared, table: &str, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    let caller = match guard::check(shared, headers) {
        Ok(c) => c,
        Err(response) => return *response,
    };
    caller.finish(create_body(shared, table, uri, headers, body))
}

fn create_body(
    shared: &Shared,
    table: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let t = {
        let db = shared.db();
        match db.table(table) {
            Some(t) => t,
            None => return invalid_table(shared, table),
        }
    };
    let accept = header_text(headers, header::ACCEPT);
    let content_type = header_text(headers, header::CONTENT_TYPE);
    let (Some(accept), Some(content_type)) = (accept, content_type) else {
        return responses::error(
            StatusCode::BAD_REQUEST,
            "Missing required header",
            Some("POST requests need both an Accept and a Content-Type header"),
        );
    };
    let accept = accept.to_ascii_lowercase();
    if !(accept.contains("json") || accept.contains("*/*") || accept.contains("application/*")) {
        return responses::error(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable",
            Some("The simulator answers application/json only"),
        );
    }
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return responses::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            Some("The body must be application/json"),
        );
    }
    {
        let db = shared.db();
        if db.tables[t].name.as_ref() != CREATABLE || !shared.acl.can_create(&db, t) {
            return responses::error(StatusCode::FORBIDDEN, OPERATION_FAILED, Some(INSERT_DENIED));
        }
    }
    let object = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        // Only one record per POST: the first of a list is taken, the rest ignored.
        Ok(Value::Array(items)) => match items.into_iter().next() {
            Some(Value::Object(map)) => map,
            _ => return payload_error(),
        },
        _ => return payload_error(),
    };
    let params = Params::parse(uri.query());
    let now = OffsetDateTime::now_utc()
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    let mut db = shared.db_mut();
    let row = build_incident(&db, t, &object, &now, params.input_display_value);
    db.incident_counter = db.incident_counter.saturating_add(1);
    let id = db.insert(t, row);
    let sys_id = db
        .column(t, "sys_id")
        .map(|c| db.value(id, c).to_string())
        .unwrap_or_default();
    let base = shared.base_for(headers, uri);
    let location = format!("{base}/api/now/table/{table}/{sys_id}");
    let no_body = header_text(
        headers,
        header::HeaderName::from_static("x-no-response-body"),
    )
    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut response = if no_body {
        let mut r = Response::new(axum::body::Body::empty());
        *r.status_mut() = StatusCode::CREATED;
        r
    } else {
        let body = params
            .renderer(shared, &db, &base)
            .single(t, id, params.fields.as_deref());
        responses::json(StatusCode::CREATED, body)
    };
    set_header(response.headers_mut(), header::LOCATION, &location);
    response
}

fn payload_error() -> Response {
    responses::error(
        StatusCode::BAD_REQUEST,
        "Exception while reading request",
        Some("The payload is not valid JSON."),
    )
}

/// Priority from the OOB impact × urgency lookup: 1/1→1 … 3/3→5.
pub(crate) fn priority(impact: &str, urgency: &str) -> Option<u8> {
    let i: u8 = impact.trim().parse().ok()?;
    let u: u8 = urgency.trim().parse().ok()?;
    ((1..=3).contains(&i) && (1..=3).contains(&u)).then(|| i + u - 1)
}

fn build_incident(
    db: &Database,
    t: usize,
    object: &serde_json::Map<String, Value>,
    now: &str,
    input_display_value: bool,
) -> Vec<Str> {
    let table = &db.tables[t];
    let number = format!("INC{:07}", db.incident_counter.saturating_add(1));
    let mut row: Vec<Str> = table
        .columns
        .iter()
        .map(|c| match &*c.default_value {
            "javascript:gs.getUserID()" => db.user_sys_id.clone(),
            "javascript:gs.nowDateTime()" => Str::from(now),
            "javascript:getNextObjNumberPadded();" => Str::from(number.as_str()),
            d if d.starts_with("javascript:") => Str::from(""),
            _ => c.default_value.clone(),
        })
        .collect();
    let mut given: Vec<&str> = Vec::new();
    for (key, value) in object {
        // System columns and the number are the platform's to set.
        if key.starts_with("sys_") || key == "number" {
            continue;
        }
        let (Some(col), Some(text)) = (
            table.column_index.get(key.as_str()).copied(),
            json_text(value),
        ) else {
            continue;
        };
        let meta = &table.columns[col];
        let mut text = text;
        if meta.choice > 0
            && input_display_value
            && let Some(list) = db.choices_for(t, &meta.element)
            && let Some((v, _)) = list.iter().find(|(_, label)| **label == *text)
        {
            text = v.to_string();
        }
        if meta.is_reference() && !text.is_empty() && db.follow(t, col, &text).is_none() {
            text = resolve_by_display(db, meta.reference, &text).unwrap_or(text);
        }
        if &*meta.internal_type == "string" {
            text = text.chars().take(meta.max_length as usize).collect();
        }
        row[col] = Str::from(text);
        given.push(key.as_str());
    }
    let col = |name: &str| table.column_index.get(name).copied();
    let mut set = |name: &str, value: &str| {
        if let Some(c) = col(name) {
            row[c] = Str::from(value);
        }
    };
    set("sys_id", &random_sys_id());
    set("number", &number);
    set("task_effective_number", &number);
    set("sys_class_name", &table.name);
    set("sys_created_on", now);
    set("sys_updated_on", now);
    set("sys_created_by", &db.user_name);
    set("sys_updated_by", &db.user_name);
    set("sys_mod_count", "0");
    set("sys_domain", "global");
    set("sys_domain_path", "/");
    // The state and incident_state business rule keeps the two in step.
    let value_of =
        |row: &Vec<Str>, name: &str| col(name).map(|c| row[c].to_string()).unwrap_or_default();
    if given.contains(&"state") && !given.contains(&"incident_state") {
        let state = value_of(&row, "state");
        if let Some(c) = col("incident_state") {
            row[c] = Str::from(state);
        }
    } else if given.contains(&"incident_state") && !given.contains(&"state") {
        let state = value_of(&row, "incident_state");
        if let Some(c) = col("state") {
            row[c] = Str::from(state);
        }
    }
    if let Some(p) = priority(&value_of(&row, "impact"), &value_of(&row, "urgency"))
        && let Some(c) = col("priority")
    {
        row[c] = Str::from(p.to_string());
    }
    if matches!(value_of(&row, "state").as_str(), "7" | "8")
        && let Some(c) = col("active")
    {
        row[c] = Str::from("false");
    }
    row
}

/// The key of the record in `target` whose display value is `text` (the platform's fallback
/// when a reference is given something that is not a sys_id).
fn resolve_by_display(db: &Database, target: Option<usize>, text: &str) -> Option<String> {
    let target = target?;
    let display = db.tables.get(target)?.display?;
    let sys_id = db.column(target, "sys_id")?;
    db.records_of(target)
        .into_iter()
        .find(|id| db.value(*id, display) == text)
        .map(|id| db.value(id, sys_id).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_matrix() {
        let expected = [
            ("1", "1", 1),
            ("1", "2", 2),
            ("2", "1", 2),
            ("1", "3", 3),
            ("2", "2", 3),
            ("3", "1", 3),
            ("2", "3", 4),
            ("3", "2", 4),
            ("3", "3", 5),
        ];
        for (i, u, p) in expected {
            assert_eq!(priority(i, u), Some(p), "impact {i} urgency {u}");
        }
        assert_eq!(priority("4", "1"), None);
        assert_eq!(priority("", "1"), None);
    }
}
