//! The audit log: `/audit` a page at a time, `/audit/verify`, and the head.

use cutover_core::limits::AUDIT_PAGE_MAX;
use cutover_core::{Anchor, AuditEntry, GENESIS_HASH, VerifyReport};
use reqwest::Method;

use crate::http::bad_answer;
use crate::records::AuditQuery;
use crate::{AdminClient, ClientError};

/// The filter of a query as the route's parameters, without the cursor and the limit.
fn filter_params(query: &AuditQuery) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    if let Some(actor) = &query.actor {
        params.push(("actor", actor.clone()));
    }
    if let Some(flag) = &query.flag {
        params.push(("flag", flag.to_string()));
    }
    if let Some(action) = &query.action {
        params.push(("action", action.clone()));
    }
    if let Some(since) = query.since {
        params.push(("since", since.to_string()));
    }
    if let Some(until) = query.until {
        params.push(("until", until.to_string()));
    }
    if query.newest_first {
        params.push(("order", "newest".to_owned()));
    }
    params
}

impl AdminClient {
    /// `GET /audit`: one page as the server cuts it (at most `query.limit` entries, at most a
    /// page), and whether the server says more follow (its `Link` header).
    pub async fn audit_page(
        &self,
        query: &AuditQuery,
    ) -> Result<(Vec<AuditEntry>, bool), ClientError> {
        let mut params = filter_params(query);
        if let Some(limit) = query.limit {
            params.push(("limit", limit.to_string()));
        }
        if let Some(id) = query.after_id {
            params.push(("after_id", id.to_string()));
        }
        if let Some(id) = query.before_id {
            params.push(("before_id", id.to_string()));
        }
        let response = self
            .send(self.request(Method::GET, "/audit").query(&params))
            .await?;
        let more = response.headers().contains_key(reqwest::header::LINK);
        let page = response
            .json()
            .await
            .map_err(|e| bad_answer("audit query", e))?;
        Ok((page, more))
    }

    /// Every entry the query matches (at most its limit), read page by page: the cursor moves
    /// past the last entry of each page until the server has no more or the limit is met.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, ClientError> {
        let mut q = query.clone();
        let mut entries: Vec<AuditEntry> = Vec::new();
        loop {
            let wanted = query.limit.map_or(u64::MAX, |l| {
                u64::from(l).saturating_sub(entries.len() as u64)
            });
            if wanted == 0 {
                break;
            }
            q.limit = Some(
                u32::try_from(wanted.min(u64::from(AUDIT_PAGE_MAX))).unwrap_or(AUDIT_PAGE_MAX),
            );
            let (page, more) = self.audit_page(&q).await?;
            let Some(last) = page.last().map(|e| e.id) else {
                break;
            };
            entries.extend(page);
            if !more {
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

    /// `GET /audit/verify`: the server verifies with its own audit key, if it has one, and
    /// holds the log to `anchor` when one is given.
    pub async fn verify_audit(&self, anchor: Option<&Anchor>) -> Result<VerifyReport, ClientError> {
        let params: Vec<(&str, String)> = anchor
            .map(|a| ("expect_head", a.to_string()))
            .into_iter()
            .collect();
        let request = self.request(Method::GET, "/audit/verify").query(&params);
        self.json("audit verify", request).await
    }

    /// The newest entry's id and hash: the head as far as the API shows it (0 and the genesis
    /// hash for an empty log).
    pub async fn audit_head(&self) -> Result<(u64, String), ClientError> {
        let newest = self
            .audit(&AuditQuery {
                limit: Some(1),
                newest_first: true,
                ..AuditQuery::default()
            })
            .await?;
        Ok(newest
            .into_iter()
            .next()
            .map_or((0, GENESIS_HASH.to_owned()), |e| (e.id, e.hash)))
    }
}
