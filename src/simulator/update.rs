//! `PATCH`, `PUT` and `DELETE /api/now/[v1|v2/]table/{table}/{sys_id}`.
//!
//! PATCH and PUT behave alike on the Table API: the fields in the body change, the rest stay,
//! and the answer is the whole record in the shape GET uses. DELETE answers 204 without a
//! body. Later reads and queries see the change at once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

use super::app::Shared;
use super::guard;
use super::insert::{
    apply_fields, body_object, business_rules, no_response_body, now_text, write_headers,
};
use super::negotiate;
use super::responses::{self, DELETE_DENIED, NO_RESOURCE, OPERATION_FAILED, UPDATE_DENIED};
use super::store::{RecordId, Str};
use super::table_api::{ApiVersion, Params, invalid_table, no_record};

/// Which write a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Patch,
    Put,
    Delete,
}

impl Write {
    /// The write for a routed method (the router sends only PATCH, PUT and DELETE here).
    fn of(method: &Method) -> Write {
        match *method {
            Method::PUT => Write::Put,
            Method::DELETE => Write::Delete,
            _ => Write::Patch,
        }
    }

    fn method(self) -> &'static str {
        match self {
            Write::Patch => "PATCH",
            Write::Put => "PUT",
            Write::Delete => "DELETE",
        }
    }
}

/// The parts of a request every write handler passes on.
struct Request<'a> {
    table: &'a str,
    sys_id: &'a str,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

async fn run(
    shared: &Shared,
    write: Write,
    version: Option<&str>,
    request: Request<'_>,
) -> Response {
    let response = match version.map(ApiVersion::parse) {
        Some(None) => responses::error(StatusCode::BAD_REQUEST, NO_RESOURCE, None),
        _ => handle(shared, write, &request),
    };
    negotiate::adapt(negotiate::format_or_json(request.headers), response).await
}

/// `PATCH`, `PUT` or `DELETE /api/now/table/{table}/{sys_id}`.
pub(crate) async fn write_latest(
    State(shared): State<Arc<Shared>>,
    Path((table, sys_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request {
        table: &table,
        sys_id: &sys_id,
        uri: &uri,
        headers: &headers,
        body: &body,
    };
    run(&shared, Write::of(&method), None, request).await
}

/// `PATCH`, `PUT` or `DELETE /api/now/{v1|v2}/table/{table}/{sys_id}`.
pub(crate) async fn write_versioned(
    State(shared): State<Arc<Shared>>,
    Path((version, table, sys_id)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request {
        table: &table,
        sys_id: &sys_id,
        uri: &uri,
        headers: &headers,
        body: &body,
    };
    run(&shared, Write::of(&method), Some(&version), request).await
}

fn handle(shared: &Shared, write: Write, request: &Request<'_>) -> Response {
    let caller = match guard::check(shared, request.headers) {
        Ok(c) => c,
        Err(response) => return *response,
    };
    caller.finish(handle_body(shared, write, request))
}

/// The record a write addresses, or the answer when there is none the user may see.
fn find(shared: &Shared, table: usize, sys_id: &str) -> Result<RecordId, Box<Response>> {
    let db = shared.db();
    if !shared.acl.can_read_table(&db, table) {
        return Err(Box::new(no_record()));
    }
    db.find_sys_id(table, sys_id)
        .ok_or_else(|| Box::new(no_record()))
}

fn handle_body(shared: &Shared, write: Write, request: &Request<'_>) -> Response {
    let Some(t) = shared.db().table(request.table) else {
        return invalid_table(shared, request.table);
    };
    let format = match write_headers(write.method(), request.headers, write != Write::Delete) {
        Ok(f) => f,
        Err(response) => return *response,
    };
    let id = match find(shared, t, request.sys_id) {
        Ok(id) => id,
        Err(response) => return *response,
    };
    if write == Write::Delete {
        if !shared.acl.can_delete(&shared.db(), id.table) {
            return responses::error(StatusCode::FORBIDDEN, OPERATION_FAILED, Some(DELETE_DENIED));
        }
        shared.db_mut().delete(id);
        let mut response = Response::new(axum::body::Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        return response;
    }
    if !shared.acl.can_write(&shared.db(), id.table) {
        return responses::error(StatusCode::FORBIDDEN, OPERATION_FAILED, Some(UPDATE_DENIED));
    }
    let object = match body_object(request.body) {
        Ok(o) => o,
        Err(response) => return *response,
    };
    let params = Params::parse(request.uri.query());
    let mut db = shared.db_mut();
    let class = id.table;
    let mut row: Vec<Str> = db.row(id).to_vec();
    let before = row.clone();
    let given = apply_fields(
        &db,
        class,
        &mut row,
        &object,
        params.input_display_value,
        shared,
        true,
    );
    business_rules(&db, class, &mut row, &given);
    if row != before {
        let now = now_text();
        let col = |name: &str| db.column(class, name);
        let count = col("sys_mod_count")
            .and_then(|c| row[c].trim().parse::<u64>().ok())
            .unwrap_or(0);
        let stamps = [
            ("sys_mod_count", count.saturating_add(1).to_string()),
            ("sys_updated_on", now),
            ("sys_updated_by", db.user_name.to_string()),
        ];
        for (name, value) in stamps {
            if let Some(c) = col(name) {
                row[c] = Str::from(value);
            }
        }
    }
    for (column, (new, old)) in row.into_iter().zip(before).enumerate() {
        if new != old {
            db.set_value(id, column, new);
        }
    }
    if no_response_body(request.headers) {
        let mut response = Response::new(axum::body::Body::empty());
        *response.status_mut() = StatusCode::OK;
        return response;
    }
    let base = shared.base_for(request.headers, request.uri);
    let body = params
        .renderer(shared, &db, &base, format)
        .single(t, id, params.fields.as_deref());
    negotiate::body(format, StatusCode::OK, body)
}
