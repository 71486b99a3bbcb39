//! Who is connected: connection counts per client address and in all, and which connection gives
//! way when a limit is reached.
//!
//! A connection is *busy* while one of its requests is being answered (a change stream is busy for
//! as long as it lasts) and *idle* otherwise: before its first complete request head, while a
//! client dribbles a head in, and between keep-alive requests. When a new connection would pass a
//! limit, the oldest idle connection under that limit is closed to make room; only when every
//! connection under the limit is busy is the new one refused. Holding connections open without
//! finishing a request therefore reserves nothing: the next real request (an operator's kill
//! switch among them) takes the place of the oldest idle one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// How many connections a node keeps open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once, from everyone.
    pub total: usize,
    /// Connections open at once from one client address.
    pub per_ip: usize,
}

/// The shared state of one open connection.
#[derive(Debug, Default)]
pub(crate) struct ConnectionState {
    /// Requests being answered on this connection (a stream counts until it ends).
    in_flight: AtomicUsize,
    /// Told when the connection must close to make room for a newer one.
    evicted: Notify,
}

impl ConnectionState {
    pub(crate) fn evicted(&self) -> &Notify {
        &self.evicted
    }

    /// Marks a request as being answered until the returned guard drops.
    pub(crate) fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }
}

/// A request being answered; the connection is busy while any of these live.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<ConnectionState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Which limit refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    PerIp { ip: IpAddr, limit: usize },
    Total { limit: usize },
}

impl Refusal {
    pub(crate) fn message(&self) -> String {
        match self {
            Refusal::PerIp { ip, limit } => format!(
                "all {limit} connections allowed from {ip} are answering requests \
                 (--max-connections-per-ip); retry shortly"
            ),
            Refusal::Total { limit } => format!(
                "all {limit} connections this node allows are answering requests \
                 (--max-connections); retry shortly or use another node"
            ),
        }
    }
}

struct Entry {
    ip: IpAddr,
    state: Arc<ConnectionState>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    /// Every open connection by id; ids grow, so this is also the order they opened in.
    by_id: BTreeMap<u64, Entry>,
    by_ip: HashMap<IpAddr, BTreeSet<u64>>,
}

impl Open {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.by_id.remove(&id)?;
        crate::prometheus::connections_open(-1.0);
        if let Some(ids) = self.by_ip.get_mut(&entry.ip) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_ip.remove(&entry.ip);
            }
        }
        Some(entry)
    }

    /// Closes the oldest idle connection, from `ip` or from anyone; false when all are busy.
    fn evict_oldest_idle(&mut self, ip: Option<IpAddr>) -> bool {
        let victim = match ip {
            Some(ip) => self.by_ip.get(&ip).and_then(|ids| {
                ids.iter()
                    .copied()
                    .find(|id| self.by_id.get(id).is_some_and(|e| e.state.is_idle()))
            }),
            None => self
                .by_id
                .iter()
                .find(|(_, e)| e.state.is_idle())
                .map(|(id, _)| *id),
        };
        match victim.and_then(|id| self.remove(id)) {
            Some(entry) => {
                // A stored permit: the connection closes even if its task is not waiting yet.
                entry.state.evicted.notify_one();
                crate::prometheus::connection_evicted();
                true
            }
            None => false,
        }
    }
}

/// The open connections of a node.
pub(crate) struct Registry {
    limits: ConnectionLimits,
    open: Mutex<Open>,
}

/// A connection's place in the registry, given back when it drops.
pub(crate) struct Slot {
    registry: Arc<Registry>,
    id: u64,
    state: Arc<ConnectionState>,
}

impl Slot {
    pub(crate) fn state(&self) -> &Arc<ConnectionState> {
        &self.state
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Already gone when it was evicted.
        self.registry.lock().remove(self.id);
    }
}

impl Registry {
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Registry {
            limits: ConnectionLimits {
                total: limits.total.max(1),
                per_ip: limits.per_ip.max(1),
            },
            open: Mutex::new(Open::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a new connection from `ip`, closing the oldest idle one where a limit is reached.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let mut open = self.lock();
        let from_ip = open.by_ip.get(&ip).map_or(0, BTreeSet::len);
        if from_ip >= self.limits.per_ip && !open.evict_oldest_idle(Some(ip)) {
            return Err(Refusal::PerIp {
                ip,
                limit: self.limits.per_ip,
            });
        }
        if open.by_id.len() >= self.limits.total && !open.evict_oldest_idle(None) {
            return Err(Refusal::Total {
                limit: self.limits.total,
            });
        }
        let id = open.next_id;
        open.next_id += 1;
        let state = Arc::new(ConnectionState::default());
        open.by_id.insert(
            id,
            Entry {
                ip,
                state: state.clone(),
            },
        );
        open.by_ip.entry(ip).or_default().insert(id);
        crate::prometheus::connections_open(1.0);
        drop(open);
        Ok(Slot {
            registry: self.clone(),
            id,
            state,
        })
    }

    /// Connections open now.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.lock().by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn registry(total: usize, per_ip: usize) -> Arc<Registry> {
        Registry::new(ConnectionLimits { total, per_ip })
    }

    #[test]
    fn an_idle_connection_gives_way_to_a_new_one_from_the_same_address() {
        let r = registry(100, 2);
        let first = r.admit(ip(1)).unwrap();
        let _second = r.admit(ip(1)).unwrap();
        let _third = r.admit(ip(1)).unwrap();
        assert_eq!(r.open(), 2);
        // The oldest was told to close, and its place is already free.
        assert!(
            futures_util::FutureExt::now_or_never(first.state().evicted().notified()).is_some()
        );
    }

    #[test]
    fn busy_connections_are_never_evicted_and_a_full_house_refuses() {
        let r = registry(100, 2);
        let a = r.admit(ip(1)).unwrap();
        let b = r.admit(ip(1)).unwrap();
        let _busy_a = a.state().begin_request();
        let _busy_b = b.state().begin_request();
        assert_eq!(
            r.admit(ip(1)).err(),
            Some(Refusal::PerIp {
                ip: ip(1),
                limit: 2
            })
        );
        // Another address is not affected by this one's limit.
        assert!(r.admit(ip(2)).is_ok());
    }

    #[test]
    fn the_total_limit_evicts_the_oldest_idle_connection_of_anyone() {
        let r = registry(2, 10);
        let a = r.admit(ip(1)).unwrap();
        let _busy = a.state().begin_request();
        let b = r.admit(ip(2)).unwrap();
        let _c = r.admit(ip(3)).unwrap();
        assert_eq!(r.open(), 2);
        assert!(futures_util::FutureExt::now_or_never(b.state().evicted().notified()).is_some());
        assert!(futures_util::FutureExt::now_or_never(a.state().evicted().notified()).is_none());
    }

    #[test]
    fn a_finished_request_makes_its_connection_idle_again() {
        let r = registry(1, 1);
        let a = r.admit(ip(1)).unwrap();
        {
            let _busy = a.state().begin_request();
            assert!(r.admit(ip(1)).is_err());
        }
        assert!(r.admit(ip(1)).is_ok());
    }

    #[test]
    fn a_dropped_slot_frees_its_place() {
        let r = registry(1, 1);
        let a = r.admit(ip(1)).unwrap();
        let _busy = a.state().begin_request();
        drop(a);
        assert_eq!(r.open(), 0);
        assert!(r.admit(ip(1)).is_ok());
    }
}
