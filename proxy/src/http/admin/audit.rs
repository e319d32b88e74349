//! `/audit`: the audit log (LiteLLM's routes), for admins and proxy_admin_viewers; and the
//! middleware that runs every admin request inside the audit log's context.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::{Params, Reader};
use crate::admin::AdminError;
use crate::admin::audit::{self, AuditColumn, AuditEntry, AuditFilter, AuditPage};
use crate::http::AppState;
use crate::http::error::ErrorBody as ErrorResponse;

/// Runs an admin request inside the audit log's context (see `crate::admin::audit`): who the
/// `LiteLLM-Changed-By` header names now, the caller once `Caller` has authenticated it.
pub async fn scope(request: Request, next: Next) -> Response {
    let changed_by = request.headers().get(audit::CHANGED_BY_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    audit::within(audit::Context::new(changed_by), next.run(request)).await
}

#[utoipa::path(get, path = "/audit", tag = "audit", summary = "The audit log: who changed what, newest first", params(("page" = Option<usize>, Query, description = "From 1"), ("page_size" = Option<usize>, Query, description = "1 to 100, default 10"), ("changed_by" = Option<String>, Query), ("changed_by_api_key" = Option<String>, Query, description = "The caller's key hash"), ("action" = Option<String>, Query, description = "created, updated, deleted, rotated, blocked, unblocked"), ("table_name" = Option<String>, Query, description = "LiteLLM_VerificationToken, LiteLLM_TeamTable, ..."), ("object_id" = Option<String>, Query), ("start_date" = Option<String>, Query, description = "YYYY-MM-DD or ISO 8601"), ("end_date" = Option<String>, Query, description = "YYYY-MM-DD (the whole day) or ISO 8601"), ("sort_by" = Option<String>, Query, description = "updated_at (default), changed_by, action, table_name or object_id"), ("sort_order" = Option<String>, Query, description = "desc (default) or asc")), responses((status = 200, body = AuditPage), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<AuditPage>, AdminError> {
    let p = Params(query);
    let sort_by = match p.text("sort_by") {
        None => None,
        Some(name) => Some(AuditColumn::parse(&name).ok_or_else(|| {
            AdminError::invalid(
                format!("sort_by must be one of updated_at, changed_by, action, table_name, object_id, not '{name}'"),
                Some("sort_by"),
            )
        })?),
    };
    let ascending = match p.text("sort_order").map(|o| o.to_ascii_lowercase()).as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(AdminError::invalid("sort_order must be asc or desc", Some("sort_order"))),
    };
    let filter = AuditFilter {
        changed_by: p.text("changed_by"),
        changed_by_api_key: p.text("changed_by_api_key"),
        action: p.text("action"),
        table_name: p.text("table_name"),
        object_id: p.text("object_id"),
        start: p.text("start_date"),
        // A bare date ends after the whole day: "T~" sorts after every time of that day.
        end: p.text("end_date").map(|d| if d.len() == 10 { format!("{d}T~") } else { d }),
        sort_by,
        ascending,
    };
    Ok(Json(audit::list(&state.admin, &filter, p.number("page", 1), p.number("page_size", 10)).await?))
}

#[utoipa::path(get, path = "/audit/{id}", tag = "audit", summary = "One entry of the audit log", params(("id" = String, Path)), responses((status = 200, body = AuditEntry), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn get(
    State(state): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Result<Json<AuditEntry>, AdminError> {
    Ok(Json(audit::get(&state.admin, &id).await?))
}
