//! The audit log's query parameters and its paging, for [`Control::audit`] and
//! [`Control::audit_page`].
//!
//! [`Control::audit`]: cutover_api::Control::audit
//! [`Control::audit_page`]: cutover_api::Control::audit_page

use cutover_api::{AuditPage, AuditQuery, ControlError};
use cutover_core::AuditEntry;
use cutover_core::limits::AUDIT_PAGE_MAX;
use reqwest::Method;

use crate::http::{AdminClient, bad_answer};

/// A query as the route's parameters.
fn params(query: &AuditQuery) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    let mut add = |name: &'static str, value: Option<String>| {
        if let Some(v) = value {
            params.push((name, v));
        }
    };
    add("actor", query.actor.clone());
    add("flag", query.flag.as_ref().map(ToString::to_string));
    add("action", query.action.clone());
    add("since", query.since.map(|t| t.to_string()));
    add("until", query.until.map(|t| t.to_string()));
    add("order", query.newest_first.then(|| "newest".to_owned()));
    add("limit", query.limit.map(|l| l.to_string()));
    add("after_id", query.after_id.map(|id| id.to_string()));
    add("before_id", query.before_id.map(|id| id.to_string()));
    params
}

impl AdminClient {
    /// `GET /audit`: one page as the server cuts it, and whether its `Link` header says more
    /// follow.
    pub(crate) async fn get_audit_page(
        &self,
        query: &AuditQuery,
    ) -> Result<AuditPage, ControlError> {
        let request = self.request(Method::GET, "/audit").query(&params(query));
        let response = self.send(request).await?;
        let more = response.headers().contains_key(reqwest::header::LINK);
        let entries = response
            .json()
            .await
            .map_err(|e| bad_answer("audit query", e))?;
        Ok(AuditPage { entries, more })
    }

    /// `GET /audit/export`: every entry the query matches (at most its limit), oldest first
    /// unless `newest_first`, handed to `each` as the server streams them (JSON lines), so an
    /// export of any size holds one chunk in memory. Answers how many there were.
    pub async fn audit_export(
        &self,
        query: &AuditQuery,
        mut each: impl FnMut(AuditEntry) + Send,
    ) -> Result<u64, ControlError> {
        let request = self
            .request(Method::GET, "/audit/export")
            .query(&params(query));
        let mut response = self.send(request).await?;
        let mut pending: Vec<u8> = Vec::new();
        let mut count = 0;
        let mut take = |line: &[u8]| -> Result<(), ControlError> {
            if line.iter().all(u8::is_ascii_whitespace) {
                return Ok(());
            }
            let entry = serde_json::from_slice(line).map_err(|e| bad_answer("audit export", e))?;
            each(entry);
            count += 1;
            Ok(())
        };
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| bad_answer("audit export", e))?
        {
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                take(&line)?;
            }
        }
        take(&pending)?;
        Ok(count)
    }

    /// Every entry the query matches (at most its limit), read page by page: the cursor moves
    /// past the last entry of each page until the server has no more or the limit is met.
    pub(crate) async fn get_audit(
        &self,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEntry>, ControlError> {
        let mut q = query.clone();
        let mut entries: Vec<AuditEntry> = Vec::new();
        loop {
            let wanted = query.limit.map_or(u64::MAX, |l| {
                u64::from(l).saturating_sub(entries.len() as u64)
            });
            if wanted == 0 {
                break;
            }
            q.limit = Some(u32::try_from(wanted).map_or(AUDIT_PAGE_MAX, |w| w.min(AUDIT_PAGE_MAX)));
            let page = self.get_audit_page(&q).await?;
            let Some(last) = page.entries.last().map(|e| e.id) else {
                break;
            };
            entries.extend(page.entries);
            if !page.more {
                break;
            }
            if q.newest_first {
                q.before_id = Some(last);
            } else {
                q.after_id = Some(last);
            }
        }
        Ok(entries)
    }
}
