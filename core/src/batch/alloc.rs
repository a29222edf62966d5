//! IP allocation from the network catalog (design §2, seed 003: Cloudpods' subnet model).
//!
//! A catalog subnet may list `ranges` to allocate from. An interface on that network with no
//! address of the family and DHCP off gets the lowest free address of the ranges. "Free" is
//! decided for the whole batch and for the subnet, not the network: a subnet may be shared by
//! several networks (port groups), so a static address or a reservation on any of them is
//! taken for all. Requests are served in the order of their key (`namespace/name/interface`),
//! so the outcome never depends on file order or thread count.

use super::addrset::AddrSet;
use crate::diagnostic::{Code, Diagnostic};
use crate::ip::{Cidr, parse_cidr, parse_ip};
use crate::model::NetworkCatalog;
use std::collections::HashMap;
use std::net::IpAddr;

/// `A-B` (inclusive, spaces allowed around the dash) or a single address, inside `subnet`.
pub fn parse_range(s: &str, subnet: &Cidr) -> Result<(u128, u128), String> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (s.trim(), s.trim()),
    };
    let (Some(a), Some(b)) = (parse_ip(a), parse_ip(b)) else {
        return Err(format!(
            "{s:?} is not an address range like 10.0.0.10-10.0.0.200"
        ));
    };
    if !subnet.contains(a) || !subnet.contains(b) {
        return Err(format!("range {s} is not inside subnet {subnet}"));
    }
    let (x, y) = (Cidr::bits(a), Cidr::bits(b));
    if x > y {
        return Err(format!("range {s} ends before it starts"));
    }
    Ok((x, y))
}

/// Findings about the allocation ranges of one catalog document (paths from its root).
pub fn check_catalog(cat: &NetworkCatalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, s) in cat.spec.subnets.iter().enumerate() {
        let Ok(subnet) = parse_cidr(&s.cidr) else {
            continue;
        };
        for (j, r) in s.ranges.iter().enumerate() {
            if let Err(e) = parse_range(r, &subnet) {
                out.push(Diagnostic::invalid(
                    Code::Allocation,
                    format!("spec.subnets[{i}].ranges[{j}]"),
                    r,
                    &e,
                ));
            }
        }
    }
    out
}

/// The ranges of one network on one subnet.
#[derive(Debug, Clone)]
struct Pool {
    network: String,
    subnet: Cidr,
    ranges: Vec<(u128, u128)>,
    /// Lowest address not yet known to be used: allocation only ever adds addresses, and
    /// requests are served lowest first, so the search never goes back.
    cursor: u128,
    range_idx: usize,
}

impl Pool {
    fn describe(&self) -> String {
        format!(
            "{} {} range {}",
            self.network,
            self.subnet.network_cidr(),
            self.ranges_text()
        )
    }

    fn ranges_text(&self) -> String {
        let r: Vec<String> = self
            .ranges
            .iter()
            .map(|(a, b)| {
                let a = self.subnet.with_bits(*a);
                let b = self.subnet.with_bits(*b);
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        r.join(",")
    }
}

/// Where an allocated address came from, and where a failed one would have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The address with the subnet's prefix, its pool (see [`Allocator::describe`]), and
    /// whether `--ipam-state` kept it. The pool is described once, not per address: a fleet
    /// allocates hundreds of thousands of addresses from a handful of pools.
    Allocated {
        address: Cidr,
        pool: PoolId,
        kept: bool,
    },
    /// Boxed: a fleet gets hundreds of thousands of outcomes, nearly all `Allocated`, and
    /// the unboxed strings and `u128` made every one of them 112 bytes (14 MB at 100k VMs).
    Exhausted(Box<Exhausted>),
}

/// No free address for a request: what the finding names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exhausted {
    pub network: String,
    pub subnet: String,
    pub ranges: String,
    pub asked: usize,
    pub free: u128,
}

/// One interface asking for an address.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The request's position in its batch: what identifies it between the passes.
    pub index: u32,
    pub pool: PoolId,
    /// `namespace/name/interface`: the order in which requests are served.
    pub key: &'a str,
    /// The address `--ipam-state` remembers for this interface.
    pub pinned: Option<IpAddr>,
}

/// The requests of a batch as [`Allocator::allocate_each`] reads them: in the order they are
/// served, as often as it needs (three times). The planner answers from its own tables, in
/// memory or merged from sorted runs on disk, so a fleet's requests are never all in one
/// vector.
pub trait Requests {
    /// The front end's own record of a request, handed back with its outcome.
    type Item;
    /// Visits every request once, by key and then by position.
    fn each(&self, f: &mut dyn FnMut(&Request<'_>, &Self::Item));
}

/// Requests in a slice, their positions in it as their indices (tests).
#[cfg(test)]
impl Requests for [Request<'_>] {
    type Item = usize;
    fn each(&self, f: &mut dyn FnMut(&Request<'_>, &usize)) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| (self[i].key, i));
        for i in order {
            let r = Request {
                index: u32::try_from(i).unwrap_or(u32::MAX),
                ..self[i].clone()
            };
            f(&r, &i);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolId(u32);

impl PoolId {
    pub(crate) fn from_index(i: usize) -> PoolId {
        PoolId(u32::try_from(i).unwrap_or(u32::MAX))
    }

    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// Every pool of a batch's catalogs and the addresses already in use on their subnets.
#[derive(Debug, Clone, Default)]
pub struct Allocator {
    pools: Vec<Pool>,
    /// Per subnet (network address and prefix) that a pool allocates from: the used
    /// addresses within its pools' ranges.
    used: HashMap<Cidr, AddrSet>,
    /// Pools by (catalog index, IPv4?).
    by_catalog: HashMap<(usize, bool), PoolId>,
}

impl Allocator {
    pub fn new(catalogs: &[NetworkCatalog]) -> Self {
        let mut a = Allocator::default();
        let mut marks: Vec<(Cidr, u128)> = Vec::new();
        for (ci, c) in catalogs.iter().enumerate() {
            for s in &c.spec.subnets {
                let Ok(subnet) = parse_cidr(&s.cidr) else {
                    continue;
                };
                let key = subnet.canonical();
                // Never hand out the network or broadcast address, a gateway or a reservation
                // (marked once every pool's window is known, below).
                marks.push((key, Cidr::bits(subnet.network())));
                if let Some(b) = subnet.broadcast() {
                    marks.push((key, Cidr::bits(b)));
                }
                for r in s.reserved.iter().chain(s.gateway.iter()) {
                    if let Some(ip) = parse_ip(r).filter(|ip| subnet.contains(*ip)) {
                        marks.push((key, Cidr::bits(ip)));
                    }
                }
                let ranges: Vec<(u128, u128)> = s
                    .ranges
                    .iter()
                    .filter_map(|r| parse_range(r, &subnet).ok())
                    .collect();
                if ranges.is_empty() || a.by_catalog.contains_key(&(ci, subnet.is_ipv4())) {
                    continue;
                }
                let mut ranges = ranges;
                ranges.sort_unstable();
                let cursor = ranges.first().map(|r| r.0).unwrap_or(0);
                a.by_catalog
                    .insert((ci, subnet.is_ipv4()), PoolId::from_index(a.pools.len()));
                a.pools.push(Pool {
                    network: c.metadata.name.clone().unwrap_or_default(),
                    subnet: key,
                    ranges,
                    cursor,
                    range_idx: 0,
                });
            }
        }
        // Each subnet's window: from its pools' lowest range start to their highest end (a
        // list, not a map: a batch has a handful of subnets).
        let mut windows: Vec<(Cidr, u128, u128)> = Vec::new();
        for p in &a.pools {
            let lo = p.ranges.iter().map(|r| r.0).min().unwrap_or(0);
            let hi = p.ranges.iter().map(|r| r.1).max().unwrap_or(0);
            match windows.iter_mut().find(|w| w.0 == p.subnet) {
                Some(w) => *w = (w.0, w.1.min(lo), w.2.max(hi)),
                None => windows.push((p.subnet, lo, hi)),
            }
        }
        for (subnet, lo, hi) in windows {
            a.used.insert(subnet, AddrSet::new(lo, hi));
        }
        for (subnet, bits) in marks {
            if let Some(u) = a.used.get_mut(&subnet) {
                u.insert(bits);
            }
        }
        a
    }

    /// What provenance says about an address from `pool` ("net-a 10.0.0.0/24 range
    /// 10.0.0.10-10.0.0.200").
    pub fn describe(&self, pool: PoolId, kept: bool) -> String {
        let desc = self
            .pools
            .get(pool.index())
            .map(Pool::describe)
            .unwrap_or_default();
        if kept {
            format!("{desc}, kept by --ipam-state")
        } else {
            desc
        }
    }

    /// The network (catalog name) of a pool.
    pub fn network(&self, pool: PoolId) -> &str {
        self.pools
            .get(pool.index())
            .map(|p| p.network.as_str())
            .unwrap_or("")
    }

    /// The pool of catalog `catalog` (its index in the batch's catalogs) for a family.
    pub fn pool(&self, catalog: usize, ipv4: bool) -> Option<PoolId> {
        self.by_catalog.get(&(catalog, ipv4)).copied()
    }

    /// How many pools there are (their ids are `0..len`).
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    /// Whether any catalog subnet allocates; when none does, nothing needs recording.
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// Marks an address as used on every subnet that holds it (a static address, a
    /// remembered allocation).
    pub fn mark_used(&mut self, ip: IpAddr) {
        for (subnet, set) in self.used.iter_mut() {
            if subnet.contains(ip) {
                set.insert(Cidr::bits(ip));
            }
        }
    }

    fn in_ranges(&self, p: PoolId, ip: IpAddr) -> bool {
        let Some(pool) = self.pools.get(p.index()) else {
            return false;
        };
        let b = Cidr::bits(ip);
        pool.subnet.contains(ip) && pool.ranges.iter().any(|(x, y)| (*x..=*y).contains(&b))
    }

    fn free_count(&self, p: PoolId) -> u128 {
        let Some(pool) = self.pools.get(p.index()) else {
            return 0;
        };
        let used = self.used.get(&pool.subnet);
        pool.ranges
            .iter()
            .map(|(x, y)| {
                let size = y - x + 1;
                size.saturating_sub(used.map_or(0, |u| u.count(*x, *y)))
            })
            .sum()
    }

    fn next_free(&mut self, p: PoolId) -> Option<u128> {
        let pool = self.pools.get_mut(p.index())?;
        let used = self.used.get_mut(&pool.subnet)?;
        while let Some(&(lo, hi)) = pool.ranges.get(pool.range_idx) {
            let c = pool.cursor.max(lo);
            if c > hi {
                pool.range_idx += 1;
                continue;
            }
            // Skip the used addresses from the cursor on (each is stepped over once).
            if let Some(c) = used.first_free(c, hi) {
                used.insert(c);
                pool.cursor = c + 1;
                return Some(c);
            }
            pool.range_idx += 1;
            pool.cursor = pool.ranges.get(pool.range_idx).map(|r| r.0).unwrap_or(0);
        }
        None
    }

    /// [`Allocator::allocate_each`] with the outcomes in the order of `requests` (tests).
    #[cfg(test)]
    pub fn allocate(&mut self, requests: &[Request<'_>]) -> Vec<Outcome> {
        let mut out: Vec<Option<Outcome>> = vec![None; requests.len()];
        self.allocate_each(requests, &mut |_, i, o| {
            if let Some(slot) = out.get_mut(*i) {
                *slot = Some(o);
            }
        });
        out.into_iter().map(Option::unwrap).collect()
    }

    /// Serves every request: remembered addresses first (when still valid and free), then
    /// the lowest free address, in key order. Each outcome goes to `done` with its request,
    /// in the order they are decided: the planner keeps only what it needs of each, so a
    /// fleet's outcomes never stand in one vector next to the addresses made of them.
    pub fn allocate_each<R: Requests + ?Sized>(
        &mut self,
        requests: &R,
        done: &mut dyn FnMut(&Request<'_>, &R::Item, Outcome),
    ) {
        // Requests a remembered address served, by index (one bit each).
        let mut served = super::VmSet::default();
        requests.each(&mut |r, item| {
            let Some(ip) = r.pinned else {
                return;
            };
            let Some(pool) = self.pools.get(r.pool.index()) else {
                return;
            };
            let subnet = pool.subnet;
            let taken = self
                .used
                .get(&subnet)
                .is_some_and(|u| u.contains(Cidr::bits(ip)));
            if self.in_ranges(r.pool, ip) && !taken {
                if let Some(u) = self.used.get_mut(&subnet) {
                    u.insert(Cidr::bits(ip));
                }
                served.insert(r.index);
                done(r, item, self.allocated(r.pool, ip, true));
            }
        });
        let mut asked: HashMap<PoolId, usize> = HashMap::new();
        requests.each(&mut |r, _| {
            if !served.contains(&r.index) {
                *asked.entry(r.pool).or_default() += 1;
            }
        });
        let free: HashMap<PoolId, u128> = asked.keys().map(|p| (*p, self.free_count(*p))).collect();
        requests.each(&mut |r, item| {
            if served.contains(&r.index) {
                return;
            }
            let p = r.pool;
            let o = match self.next_free(p) {
                Some(b) => {
                    let ip = self
                        .pools
                        .get(p.index())
                        .map(|pool| pool.subnet.with_bits(b))
                        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
                    self.allocated(p, ip, false)
                }
                None => {
                    let pool = self.pools.get(p.index());
                    Outcome::Exhausted(Box::new(Exhausted {
                        network: pool.map(|x| x.network.clone()).unwrap_or_default(),
                        subnet: pool.map(|x| x.subnet.network_cidr()).unwrap_or_default(),
                        ranges: pool.map(|x| x.ranges_text()).unwrap_or_default(),
                        asked: asked.get(&p).copied().unwrap_or(0),
                        free: free.get(&p).copied().unwrap_or(0),
                    }))
                }
            };
            done(r, item, o);
        });
    }

    fn allocated(&self, p: PoolId, ip: IpAddr, kept: bool) -> Outcome {
        let prefix = self
            .pools
            .get(p.index())
            .map(|x| x.subnet.prefix)
            .unwrap_or(32);
        Outcome::Allocated {
            address: Cidr { addr: ip, prefix },
            pool: p,
            kept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{NetworkCatalogSpec, Subnet};

    fn cat(name: &str, cidr: &str, gw: &str, ranges: &[&str], reserved: &[&str]) -> NetworkCatalog {
        NetworkCatalog {
            api_version: "guestnet.dev/v1alpha1".into(),
            kind: "Network".into(),
            metadata: crate::model::ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            spec: NetworkCatalogSpec {
                subnets: vec![Subnet {
                    cidr: cidr.into(),
                    gateway: Some(gw.into()),
                    reserved: reserved.iter().map(|s| s.to_string()).collect(),
                    ranges: ranges.iter().map(|s| s.to_string()).collect(),
                }],
                ..Default::default()
            },
        }
    }

    fn req<'a>(a: &Allocator, cat: usize, key: &'a str) -> Request<'a> {
        Request {
            index: 0,
            pool: a.pool(cat, true).unwrap(),
            key,
            pinned: None,
        }
    }

    fn addr(o: &Outcome) -> String {
        match o {
            Outcome::Allocated { address, .. } => address.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn lowest_free_skips_reserved_gateway_statics_and_the_shared_subnet() {
        let cats = vec![
            cat(
                "net-a",
                "10.0.0.0/24",
                "10.0.0.10",
                &["10.0.0.10-10.0.0.20"],
                &["10.0.0.11"],
            ),
            // Another port group on the same subnet, with its own range and reservation.
            cat(
                "net-b",
                "10.0.0.0/24",
                "10.0.0.10",
                &["10.0.0.12-10.0.0.30"],
                &["10.0.0.13"],
            ),
        ];
        let mut a = Allocator::new(&cats);
        a.mark_used("10.0.0.12".parse().unwrap()); // another VM's static address
        let reqs = [
            req(&a, 0, "ns/b/eth0"),
            req(&a, 1, "ns/c/eth0"),
            req(&a, 0, "ns/a/eth0"),
        ];
        let got: Vec<String> = a.allocate(&reqs[..]).iter().map(addr).collect();
        // Served in key order: ns/a (net-a) .14, ns/b (net-a) .15, ns/c (net-b) .16.
        assert_eq!(got, vec!["10.0.0.15/24", "10.0.0.16/24", "10.0.0.14/24"]);
    }

    #[test]
    fn exhausted_names_network_subnet_and_count() {
        let cats = vec![cat(
            "net-a",
            "10.0.0.0/24",
            "10.0.0.1",
            &["10.0.0.10-10.0.0.12"],
            &[],
        )];
        let mut a = Allocator::new(&cats);
        let keys: Vec<String> = (0..5).map(|i| format!("ns/vm{i}/eth0")).collect();
        let reqs: Vec<Request> = keys.iter().map(|k| req(&a, 0, k)).collect();
        let got = a.allocate(&reqs[..]);
        assert_eq!(addr(&got[2]), "10.0.0.12/24");
        match &got[3] {
            Outcome::Exhausted(e) => {
                assert_eq!(e.network, "net-a");
                assert!(e.subnet.contains("10.0.0.0/24"), "{}", e.subnet);
                assert_eq!((e.asked, e.free), (5, 3));
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn pinned_addresses_are_kept_when_valid() {
        let cats = vec![cat(
            "net-a",
            "10.0.0.0/24",
            "10.0.0.1",
            &["10.0.0.10-10.0.0.20"],
            &[],
        )];
        let mut a = Allocator::new(&cats);
        let mut r1 = req(&a, 0, "ns/z/eth0");
        r1.pinned = Some("10.0.0.10".parse().unwrap());
        let r2 = req(&a, 0, "ns/a/eth0");
        let mut r3 = req(&a, 0, "ns/y/eth0");
        r3.pinned = Some("10.0.0.99".parse().unwrap()); // outside the range: re-allocated
        let got: Vec<String> = a.allocate(&[r1, r2, r3][..]).iter().map(addr).collect();
        assert_eq!(got, vec!["10.0.0.10/24", "10.0.0.11/24", "10.0.0.12/24"]);
    }

    #[test]
    fn ranges_are_checked() {
        let c = cat(
            "n",
            "10.0.0.0/24",
            "10.0.0.1",
            &["10.0.0.5-10.0.1.5", "x", "10.0.0.9-10.0.0.3", "10.0.0.7"],
            &[],
        );
        let d = check_catalog(&c);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[0].path, "spec.subnets[0].ranges[0]");
    }
}
