//! `POST /api/now/table/incident`: create an incident the way the platform's defaults and
//! business rules would, and answer 201 with the whole record. The pieces every write shares
//! (header checks, reading the body, setting fields, the incident business rules) live here
//! too; [`super::update`] uses them for PATCH, PUT and DELETE.

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
use super::negotiate::{self, Format};
use super::options::{ReadOnlyWrites, TakenSysId};
use super::responses::{self, INSERT_DENIED, NO_RESOURCE, OPERATION_FAILED, set_header};
use super::store::{Database, Str, random_sys_id};
use super::table_api::{ApiVersion, Params, invalid_table};

/// `POST /api/now/table/{table}`.
pub(crate) async fn create_latest(
    State(shared): State<Arc<Shared>>,
    Path(table): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = create(&shared, &table, &uri, &headers, &body);
    negotiate::adapt(negotiate::format_or_json(&headers), response).await
}

/// `POST /api/now/{v1|v2}/table/{table}`.
pub(crate) async fn create_versioned(
    State(shared): State<Arc<Shared>>,
    Path((version, table)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = match ApiVersion::parse(&version) {
        Some(_) => create(&shared, &table, &uri, &headers, &body),
        None => responses::error(StatusCode::BAD_REQUEST, NO_RESOURCE, None),
    };
    negotiate::adapt(negotiate::format_or_json(&headers), response).await
}

pub(crate) fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The header checks of a write: Accept (and, with a body, Content-Type) present, Accept
/// satisfiable, body JSON. Returns the answer's format.
pub(crate) fn write_headers(
    method: &str,
    headers: &HeaderMap,
    with_body: bool,
) -> Result<Format, Box<Response>> {
    let accept = header_text(headers, header::ACCEPT);
    let content_type = header_text(headers, header::CONTENT_TYPE);
    if accept.is_none() || (with_body && content_type.is_none()) {
        let needs = if with_body {
            "an Accept and a Content-Type header"
        } else {
            "an Accept header"
        };
        return Err(Box::new(responses::error(
            StatusCode::BAD_REQUEST,
            "Missing required header",
            Some(&format!("{method} requests need {needs}")),
        )));
    }
    let format = negotiate::format(headers)?;
    if with_body
        && !content_type
            .unwrap_or("")
            .to_ascii_lowercase()
            .starts_with("application/json")
    {
        return Err(Box::new(responses::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            Some("The simulator reads application/json request bodies only"),
        )));
    }
    Ok(format)
}

/// The one record of a write body: an object, or the first object of a list.
pub(crate) fn body_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        // Only one record per request: the first of a list is taken, the rest ignored.
        Ok(Value::Array(items)) => match items.into_iter().next() {
            Some(Value::Object(map)) => Ok(map),
            _ => Err(Box::new(payload_error())),
        },
        _ => Err(Box::new(payload_error())),
    }
}

/// `YYYY-MM-DD HH:MM:SS` now, in UTC.
pub(crate) fn now_text() -> String {
    OffsetDateTime::now_utc()
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// True for 32 hexadecimal characters, the shape of a sys_id.
pub(crate) fn is_sys_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
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
    let format = match write_headers("POST", headers, true) {
        Ok(f) => f,
        Err(response) => return *response,
    };
    if !shared.acl.can_create(&shared.db(), t) {
        return responses::error(StatusCode::FORBIDDEN, OPERATION_FAILED, Some(INSERT_DENIED));
    }
    let object = match body_object(body) {
        Ok(o) => o,
        Err(response) => return *response,
    };
    let params = Params::parse(uri.query());
    let now = now_text();
    let mut db = shared.db_mut();
    let mut row = build_incident(&db, t, &object, &now, params.input_display_value, shared);
    db.incident_counter = db.incident_counter.saturating_add(1);
    let sys_id_col = db.column(t, "sys_id");
    let supplied = object
        .get("sys_id")
        .and_then(Value::as_str)
        .filter(|s| is_sys_id(s));
    if let (Some(col), Some(wanted)) = (sys_id_col, supplied) {
        if !db.sys_id_taken(wanted) {
            row[col] = Str::from(wanted);
        } else if shared.options.taken_sys_id == TakenSysId::Fail {
            // A primary-key collision fails in the database; the platform answers it like
            // any other failed insert, naming the record it tried to create.
            let number = db
                .column(t, "number")
                .map(|c| row[c].to_string())
                .unwrap_or_default();
            let detail = format!("Error during insert of {} ({number})", db.tables[t].name);
            return responses::error(StatusCode::FORBIDDEN, OPERATION_FAILED, Some(&detail));
        }
    }
    let id = db.insert(t, row);
    let sys_id = sys_id_col
        .map(|c| db.value(id, c).to_string())
        .unwrap_or_default();
    let base = shared.base_for(headers, uri);
    let location = format!("{base}/api/now/table/{table}/{sys_id}");
    let mut response = if no_response_body(headers) {
        let mut r = Response::new(axum::body::Body::empty());
        *r.status_mut() = StatusCode::CREATED;
        r
    } else {
        let body =
            params
                .renderer(shared, &db, &base, format)
                .single(t, id, params.fields.as_deref());
        negotiate::body(format, StatusCode::CREATED, body)
    };
    set_header(response.headers_mut(), header::LOCATION, &location);
    response
}

/// `X-no-response-body: true`.
pub(crate) fn no_response_body(headers: &HeaderMap) -> bool {
    header_text(
        headers,
        header::HeaderName::from_static("x-no-response-body"),
    )
    .is_some_and(|v| v.eq_ignore_ascii_case("true"))
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
    shared: &Shared,
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
    // On insert nothing is set yet, so read-only fields are written like the rest (the
    // platform only guards them against later changes).
    let given = apply_fields(db, t, &mut row, object, input_display_value, shared, false);
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
    business_rules(db, t, &mut row, &given);
    row
}

/// Write the body's fields into `row` the way the Table API does: unknown fields, `sys_*`
/// fields and the number are ignored, choice and reference display values are translated
/// with `sysparm_input_display_value`, strings are cut to their length, and (on updates)
/// read-only fields are left alone. Returns the fields that were set.
pub(crate) fn apply_fields(
    db: &Database,
    t: usize,
    row: &mut [Str],
    object: &serde_json::Map<String, Value>,
    input_display_value: bool,
    shared: &Shared,
    guard_read_only: bool,
) -> Vec<String> {
    let table = &db.tables[t];
    let mut given: Vec<String> = Vec::new();
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
        if guard_read_only
            && meta.read_only
            && shared.options.read_only_writes == ReadOnlyWrites::Ignore
        {
            continue;
        }
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
        if let Some(slot) = row.get_mut(col) {
            *slot = Str::from(text);
        }
        given.push(key.clone());
    }
    given
}

/// The incident business rules that keep a record consistent after fields were set:
/// state and incident_state move together, priority follows impact and urgency, closed and
/// canceled incidents are inactive.
pub(crate) fn business_rules(db: &Database, t: usize, row: &mut [Str], given: &[String]) {
    let table = &db.tables[t];
    let col = |name: &str| table.column_index.get(name).copied();
    let has = |name: &str| given.iter().any(|g| g == name);
    let value_of =
        |row: &[Str], name: &str| col(name).map(|c| row[c].to_string()).unwrap_or_default();
    if has("state") && !has("incident_state") {
        let state = value_of(row, "state");
        if let Some(c) = col("incident_state") {
            row[c] = Str::from(state);
        }
    } else if has("incident_state") && !has("state") {
        let state = value_of(row, "incident_state");
        if let Some(c) = col("state") {
            row[c] = Str::from(state);
        }
    }
    if let Some(p) = priority(&value_of(row, "impact"), &value_of(row, "urgency"))
        && let Some(c) = col("priority")
    {
        row[c] = Str::from(p.to_string());
    }
    if matches!(value_of(row, "state").as_str(), "7" | "8")
        && let Some(c) = col("active")
    {
        row[c] = Str::from("false");
    }
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
