//! `GET /api/now/[v1|v2/]table/{table}[/{sys_id}]`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, Uri, header};
use axum::response::Response;

use super::app::Shared;
use super::filter::Compiled;
use super::guard;
use super::negotiate::{self, Format};
use super::options::{InvalidTableDetail, SysTableDenial, UnknownQueryField};
use super::query::{self, Condition, Operator};
use super::render::{DisplayMode, Renderer};
use super::responses::{
    self, FIELDS_NOT_READABLE, INSUFFICIENT_RIGHTS, NO_RECORD, NO_RECORD_DETAIL, NO_RESOURCE,
    NOT_AUTHORIZED, set_header,
};
use super::store::{Database, DenialKind};

/// Default and documented `sysparm_limit`.
const DEFAULT_LIMIT: usize = 10_000;

/// Which URL form was used: v1 answers an empty result with 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiVersion {
    Latest,
    V1,
    V2,
}

impl ApiVersion {
    /// `v1` / `v2`; anything else is not an API.
    pub fn parse(text: &str) -> Option<ApiVersion> {
        match text {
            "v1" => Some(ApiVersion::V1),
            "v2" => Some(ApiVersion::V2),
            _ => None,
        }
    }
}

/// The query string of a Table API request.
#[derive(Debug, Default)]
pub(crate) struct Params {
    /// Raw `key=value` pieces other than sysparm_offset and sysparm_limit, for `Link`.
    kept: Vec<String>,
    pub query: String,
    pub fields: Option<String>,
    pub limit: usize,
    pub offset: usize,
    pub display: Option<String>,
    pub exclude_links: bool,
    pub no_count: bool,
    pub suppress_pagination: bool,
    pub input_display_value: bool,
    /// `name=value` pairs that filter like `sysparm_query=name=value`.
    pub filters: Vec<(String, String)>,
}

fn is_true(value: &str) -> bool {
    value.eq_ignore_ascii_case("true")
}

impl Params {
    /// The renderer for a request with these parameters (display mode, reference links).
    pub fn renderer<'a>(
        &self,
        shared: &'a Shared,
        db: &'a Database,
        base: &'a str,
        format: Format,
    ) -> Renderer<'a> {
        Renderer {
            db,
            acl: &shared.acl,
            options: &shared.options,
            base,
            mode: DisplayMode::parse(self.display.as_deref()),
            exclude_links: self.exclude_links,
            format,
        }
    }

    /// Read a raw query string (first occurrence of a parameter wins).
    pub fn parse(raw: Option<&str>) -> Params {
        let mut p = Params {
            limit: DEFAULT_LIMIT,
            ..Params::default()
        };
        let mut seen: Vec<String> = Vec::new();
        for piece in raw.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
            let Some((key, value)) = url::form_urlencoded::parse(piece.as_bytes()).next() else {
                continue;
            };
            let (key, value) = (key.into_owned(), value.into_owned());
            if key != "sysparm_offset" && key != "sysparm_limit" {
                p.kept.push(piece.to_string());
            }
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            match key.as_str() {
                "sysparm_query" => p.query = value,
                "sysparm_fields" => p.fields = Some(value),
                "sysparm_limit" => {
                    if let Ok(n) = value.trim().parse::<usize>() {
                        p.limit = n;
                    }
                }
                "sysparm_offset" => p.offset = value.trim().parse().unwrap_or(0),
                "sysparm_display_value" => p.display = Some(value),
                "sysparm_exclude_reference_link" => p.exclude_links = is_true(&value),
                "sysparm_no_count" => p.no_count = is_true(&value),
                "sysparm_suppress_pagination_header" => p.suppress_pagination = is_true(&value),
                "sysparm_input_display_value" => p.input_display_value = is_true(&value),
                k if k.starts_with("sysparm_") => {}
                _ => p.filters.push((key, value)),
            }
        }
        p
    }

    /// The `Link` header: first, prev, next, last, with the original parameters repeated and
    /// sysparm_offset and sysparm_limit appended last.
    pub fn link_header(&self, base: &str, path: &str, total: usize) -> Option<String> {
        let limit = self.limit;
        if self.suppress_pagination || limit == 0 || (total <= limit && self.offset == 0) {
            return None;
        }
        let url = |offset: usize| {
            let mut query = self.kept.join("&");
            if !query.is_empty() {
                query.push('&');
            }
            format!("<{base}{path}?{query}sysparm_offset={offset}&sysparm_limit={limit}>")
        };
        let mut links = vec![format!("{};rel=\"first\"", url(0))];
        if self.offset > 0 {
            links.push(format!(
                "{};rel=\"prev\"",
                url(self.offset.saturating_sub(limit))
            ));
        }
        if self.offset.saturating_add(limit) < total {
            links.push(format!(
                "{};rel=\"next\"",
                url(self.offset.saturating_add(limit))
            ));
        }
        if !self.no_count {
            let last = total.saturating_sub(1) / limit * limit;
            links.push(format!("{};rel=\"last\"", url(last)));
        }
        Some(links.join(","))
    }
}

/// 400 "Invalid table X".
pub(crate) fn invalid_table(shared: &Shared, table: &str) -> Response {
    let detail = match shared.options.invalid_table_detail {
        InvalidTableDetail::Null => None,
        InvalidTableDetail::DoesNotExist => Some(format!("Table {table} does not exist")),
    };
    responses::error(
        StatusCode::BAD_REQUEST,
        &format!("Invalid table {table}"),
        detail.as_deref(),
    )
}

/// The 403 of a table-level read denial.
fn table_forbidden(shared: &Shared, table: &str) -> Response {
    match shared.options.sys_table_denial {
        SysTableDenial::InsufficientRights => {
            responses::error(StatusCode::FORBIDDEN, INSUFFICIENT_RIGHTS, None)
        }
        SysTableDenial::UserNotAuthorized => responses::error(
            StatusCode::FORBIDDEN,
            NOT_AUTHORIZED,
            Some(&format!("User is unauthorized to access table: {table}")),
        ),
    }
}

/// 400 for a platform operator the simulator cannot evaluate: a wrong answer would be worse
/// than none.
fn unsupported_operator(condition: &str) -> Response {
    let shown: String = condition.chars().take(120).collect();
    responses::error(
        StatusCode::BAD_REQUEST,
        "Unsupported query operator",
        Some(&format!(
            "The snow-connect simulator does not evaluate the condition {shown:?} \
             (DATEPART, MORETHAN, LESSTHAN, DYNAMIC, IN_HIERARCHY, INSTANCEOF, RELATIVEEE and \
             the change operators); a real instance does"
        )),
    )
}

fn fields_forbidden() -> Response {
    responses::error(
        StatusCode::FORBIDDEN,
        INSUFFICIENT_RIGHTS,
        Some(FIELDS_NOT_READABLE),
    )
}

/// 404 "No Record found".
pub(crate) fn no_record() -> Response {
    responses::error(StatusCode::NOT_FOUND, NO_RECORD, Some(NO_RECORD_DETAIL))
}

/// `GET /api/now/table/{table}`.
pub(crate) async fn list_latest(
    State(shared): State<Arc<Shared>>,
    Path(table): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let response = list(&shared, ApiVersion::Latest, &table, &uri, &headers);
    negotiate::adapt(negotiate::format_or_json(&headers), response).await
}

/// `GET /api/now/{v1|v2}/table/{table}`.
pub(crate) async fn list_versioned(
    State(shared): State<Arc<Shared>>,
    Path((version, table)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let response = match ApiVersion::parse(&version) {
        Some(v) => list(&shared, v, &table, &uri, &headers),
        None => responses::error(StatusCode::BAD_REQUEST, NO_RESOURCE, None),
    };
    negotiate::adapt(negotiate::format_or_json(&headers), response).await
}

/// `GET /api/now/table/{table}/{sys_id}`.
pub(crate) async fn get_latest(
    State(shared): State<Arc<Shared>>,
    Path((table, sys_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let response = get_one(&shared, &table, &sys_id, &uri, &headers);
    negotiate::adapt(negotiate::format_or_json(&headers), response).await
}

/// `GET /api/now/{v1|v2}/table/{table}/{sys_id}`.
pub(crate) async fn get_versioned(
    State(shared): State<Arc<Shared>>,
    Path((version, table, sys_id)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let response = match ApiVersion::parse(&version) {
        Some(_) => get_one(&shared, &table, &sys_id, &uri, &headers),
        None => responses::error(StatusCode::BAD_REQUEST, NO_RESOURCE, None),
    };
    negotiate::adapt(negotiate::format_or_json(&headers), response).await
}

fn list(
    shared: &Shared,
    version: ApiVersion,
    table: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let caller = match guard::check(shared, headers) {
        Ok(c) => c,
        Err(response) => return *response,
    };
    let format = match negotiate::format(headers) {
        Ok(f) => f,
        Err(response) => return caller.finish(*response),
    };
    caller.finish(list_body(shared, version, table, uri, headers, format))
}

fn list_body(
    shared: &Shared,
    version: ApiVersion,
    table: &str,
    uri: &Uri,
    headers: &HeaderMap,
    format: Format,
) -> Response {
    let db = shared.db();
    let Some(t) = db.table(table) else {
        return invalid_table(shared, table);
    };
    let params = Params::parse(uri.query());
    let readable = shared.acl.can_read_table(&db, t);
    if !readable && shared.acl.denial_kind(&db, t) == DenialKind::Forbidden {
        return table_forbidden(shared, table);
    }
    let mut parsed = query::parse(&params.query);
    for (field, value) in &params.filters {
        parsed.and_everywhere(Condition {
            field: field.clone(),
            op: Operator::Eq,
            value: value.clone(),
        });
    }
    let compiled = Compiled::new(&db, t, &parsed);
    if let Some(first) = compiled.unsupported.first() {
        return unsupported_operator(first);
    }
    let unknown_policy = shared.options.unknown_query_field;
    if !compiled.unknown.is_empty() {
        // The platform drops these pieces without a word; the simulator at least says so in
        // its log, since a dropped condition widens the result. Only the count: query text
        // may carry anything, and logs never hold request data.
        tracing::warn!(
            target: "snow_connect::simulator",
            dropped = compiled.unknown.len(),
            policy = ?unknown_policy,
            "query pieces with an unknown field or operator"
        );
    }
    if !compiled.unknown.is_empty() && unknown_policy == UnknownQueryField::Forbidden {
        return fields_forbidden();
    }
    let base = shared.base_for(headers, uri);
    let renderer = params.renderer(shared, &db, &base, format);
    if readable
        && compiled
            .condition_paths()
            .any(|p| !renderer.path_readable(p))
    {
        return fields_forbidden();
    }
    let matched = if !compiled.unknown.is_empty() && unknown_policy == UnknownQueryField::NoRows {
        Vec::new()
    } else {
        compiled.run(&db, t)
    };
    let total = matched.len();
    // The limit applies before row ACLs, so a denied table still "uses up" its page.
    let page: Vec<_> = if readable {
        matched
            .into_iter()
            .skip(params.offset)
            .take(params.limit)
            .collect()
    } else {
        Vec::new()
    };
    if version == ApiVersion::V1 && page.is_empty() {
        return responses::error(StatusCode::NOT_FOUND, NO_RECORD, Some("Records not found"));
    }
    let fields = renderer.select(t, params.fields.as_deref());
    let mut response = negotiate::body(format, StatusCode::OK, renderer.list(&page, &fields));
    let response_headers = response.headers_mut();
    if !params.no_count {
        set_header(
            response_headers,
            HeaderName::from_static("x-total-count"),
            &total.to_string(),
        );
    }
    if let Some(link) = params.link_header(&base, uri.path(), total) {
        set_header(response_headers, header::LINK, &link);
    }
    response
}

fn get_one(shared: &Shared, table: &str, sys_id: &str, uri: &Uri, headers: &HeaderMap) -> Response {
    let caller = match guard::check(shared, headers) {
        Ok(c) => c,
        Err(response) => return *response,
    };
    let format = match negotiate::format(headers) {
        Ok(f) => f,
        Err(response) => return caller.finish(*response),
    };
    let db = shared.db();
    let Some(t) = db.table(table) else {
        return caller.finish(invalid_table(shared, table));
    };
    if !shared.acl.can_read_table(&db, t) {
        let response = match shared.acl.denial_kind(&db, t) {
            DenialKind::Forbidden => table_forbidden(shared, table),
            DenialKind::Empty => no_record(),
        };
        return caller.finish(response);
    }
    let Some(id) = db.find_sys_id(t, sys_id) else {
        return caller.finish(no_record());
    };
    let params = Params::parse(uri.query());
    let base = shared.base_for(headers, uri);
    let body = params
        .renderer(shared, &db, &base, format)
        .single(t, id, params.fields.as_deref());
    caller.finish(negotiate::body(format, StatusCode::OK, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_read_every_sysparm() {
        let p = Params::parse(Some(
            "sysparm_query=nameINincident%2Ctask%5EelementISNOTEMPTY&sysparm_fields=name,element\
             &sysparm_limit=5&sysparm_offset=10&sysparm_display_value=all\
             &sysparm_exclude_reference_link=true&sysparm_no_count=true\
             &sysparm_suppress_pagination_header=false&active=true",
        ));
        assert_eq!(p.query, "nameINincident,task^elementISNOTEMPTY");
        assert_eq!(p.fields.as_deref(), Some("name,element"));
        assert_eq!((p.limit, p.offset), (5, 10));
        assert_eq!(p.display.as_deref(), Some("all"));
        assert!(p.exclude_links && p.no_count && !p.suppress_pagination);
        assert_eq!(p.filters, vec![("active".to_string(), "true".to_string())]);
    }

    #[test]
    fn bad_numbers_fall_back_to_defaults() {
        let p = Params::parse(Some("sysparm_limit=lots&sysparm_offset=-3"));
        assert_eq!((p.limit, p.offset), (DEFAULT_LIMIT, 0));
    }

    #[test]
    fn link_header_matches_the_captured_format() {
        let p = Params::parse(Some("sysparm_query=active%3Dtrue&sysparm_limit=10000"));
        let link = p.link_header(
            "https://x.service-now.com",
            "/api/now/table/cmdb_ci_server",
            28124,
        );
        let q = "sysparm_query=active%3Dtrue";
        let base = "https://x.service-now.com/api/now/table/cmdb_ci_server";
        assert_eq!(
            link.as_deref(),
            Some(
                format!(
                    "<{base}?{q}&sysparm_offset=0&sysparm_limit=10000>;rel=\"first\",\
                     <{base}?{q}&sysparm_offset=10000&sysparm_limit=10000>;rel=\"next\",\
                     <{base}?{q}&sysparm_offset=20000&sysparm_limit=10000>;rel=\"last\""
                )
                .as_str()
            )
        );
    }

    #[test]
    fn link_header_middle_page_and_single_page() {
        let p = Params::parse(Some("sysparm_offset=2&sysparm_limit=2"));
        let link = p.link_header("http://h", "/api/now/table/incident", 5);
        assert_eq!(
            link.as_deref(),
            Some(
                "<http://h/api/now/table/incident?sysparm_offset=0&sysparm_limit=2>;rel=\"first\",\
                 <http://h/api/now/table/incident?sysparm_offset=0&sysparm_limit=2>;rel=\"prev\",\
                 <http://h/api/now/table/incident?sysparm_offset=4&sysparm_limit=2>;rel=\"next\",\
                 <http://h/api/now/table/incident?sysparm_offset=4&sysparm_limit=2>;rel=\"last\""
            )
        );
        let single = Params::parse(Some("sysparm_limit=10"));
        assert_eq!(single.link_header("http://h", "/x", 5), None);
        let suppressed = Params::parse(Some(
            "sysparm_limit=1&sysparm_suppress_pagination_header=true",
        ));
        assert_eq!(suppressed.link_header("http://h", "/x", 5), None);
    }
}
