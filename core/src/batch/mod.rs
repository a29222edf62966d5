//! Checks and decisions that span a batch of VMs (files in one pre-commit run, a CI render):
//! two VMs with the same static address, MAC, FQDN or name will fight once they boot however
//! valid each manifest is on its own, and derived MACs and allocated addresses must be unique
//! across the whole batch.
//!
//! The [`Planner`] keeps only what those decisions need — the keys (name, FQDN, IP, MAC), each
//! with its VM and its line and column already computed, and the requests for derived MACs and
//! allocated addresses — so a front end can stream a batch of any size through it and drop
//! every document tree as soon as the document is analysed. Keys are partitioned by a scope
//! (one per batch by default; a repository configuration may give directories their own) so
//! that cross-file checks run within each scope.

pub mod alloc;
pub mod mac;
pub mod state;

use crate::diagnostic::{Code, Diagnostic, Related, Severity, Span};
use crate::ip::{parse_cidr, parse_mac};
use crate::model::{NetworkCatalog, VirtualMachine};
use crate::resolve::{
    Assigned, MacPolicy, Resolved, Source, derive_mac_key, derived_mac_source, find_catalog,
};
use alloc::{Allocator, Outcome, PoolId, Request};
use state::IpamState;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

/// A VM's number in its batch, in the order the front end added them.
pub type VmId = u32;
/// A file's number in its batch.
pub type FileId = u32;

/// Which value of a VM a key or finding is about: a compact stand-in for its field path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    /// The host name, from `spec.network.hostName` or (false) defaulted from metadata.name.
    HostName(bool),
    Address {
        iface: u8,
        index: u8,
    },
    Mac {
        iface: u8,
    },
    Interface {
        iface: u8,
    },
}

impl Field {
    pub fn path(self) -> String {
        match self {
            Field::Name | Field::HostName(false) => "metadata.name".into(),
            Field::HostName(true) => "spec.network.hostName".into(),
            Field::Address { iface, index } => {
                format!("spec.network.interfaces[{iface}].addresses[{index}]")
            }
            Field::Mac { iface } => format!("spec.network.interfaces[{iface}].macAddr"),
            Field::Interface { iface } => format!("spec.network.interfaces[{iface}]"),
        }
    }
}

/// Where a key sits: its VM, field, and the span of the value (without byte offsets, which
/// the front end recomputes from the text when it prints a snippet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub vm: VmId,
    pub field: Field,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Loc {
    fn new(vm: VmId, field: Field, s: Span) -> Loc {
        Loc {
            vm,
            field,
            line: s.line,
            column: s.column,
            end_line: s.end_line,
            end_column: s.end_column,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// `namespace/name`, lower case: the object identity and the output folder.
    Name(Box<str>),
    Fqdn(Box<str>),
    Ip(IpAddr),
    Mac([u8; 6]),
}

/// What one VM contributes to its batch; built by [`facts`].
#[derive(Debug, Clone, Default)]
pub struct VmFacts {
    /// `default` when the manifest has none, as kubectl places it.
    pub namespace: String,
    pub name: String,
    /// Resolved without errors: its values are checked for duplicates and it gets MACs and
    /// addresses. A VM with errors still keeps its explicit values out of others' hands.
    pub clean: bool,
    keys: Vec<(Key, Field, Span)>,
    explicit_macs: Vec<[u8; 6]>,
    static_addrs: Vec<IpAddr>,
    derive: Vec<(u8, String, Option<[u8; 6]>)>,
    alloc: Vec<AllocNeed>,
}

#[derive(Debug, Clone)]
struct AllocNeed {
    iface: u8,
    catalog: usize,
    ipv4: bool,
    key: String,
    network: String,
    at: Span,
}

impl VmFacts {
    /// The VM waits for addresses from the plan: render it only after [`Planner::finish`].
    pub fn needs_allocation(&self) -> bool {
        !self.alloc.is_empty()
    }
}

/// Extracts what the batch needs from one VM. `resolved` is the VM's provisional resolution
/// (`None` when it has errors); `locate` gives the span of a field path in its document.
pub fn facts(
    vm: &VirtualMachine,
    resolved: Option<&Resolved>,
    catalogs: &[NetworkCatalog],
    policy: MacPolicy,
    locate: &dyn Fn(&str) -> Span,
) -> VmFacts {
    let namespace = vm
        .metadata
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".into());
    let name = vm.name().to_string();
    let mut f = VmFacts {
        explicit_macs: vm
            .interfaces()
            .iter()
            .filter_map(|i| i.mac_addr.as_deref().and_then(parse_mac))
            .collect(),
        static_addrs: vm
            .interfaces()
            .iter()
            .flat_map(|i| i.addresses.iter())
            .filter_map(|a| parse_cidr(a).ok().map(|c| c.addr))
            .collect(),
        clean: resolved.is_some(),
        ..VmFacts::default()
    };
    let Some(r) = resolved else {
        f.namespace = namespace;
        f.name = name;
        return f;
    };
    let ident = format!("{namespace}/{name}").to_lowercase();
    f.keys.push((
        Key::Name(ident.into()),
        Field::Name,
        locate("metadata.name"),
    ));
    let host = Field::HostName(matches!(r.host_name.source, Source::Global(_)));
    f.keys.push((
        Key::Fqdn(r.fqdn.to_lowercase().into()),
        host,
        locate(&host.path()),
    ));
    let specs = vm.interfaces();
    for i in &r.interfaces {
        let iface = u8::try_from(i.index).unwrap_or(u8::MAX);
        for a in &i.addresses {
            if let Source::Interface(p) = &a.source {
                let index = p
                    .rsplit_once('[')
                    .and_then(|(_, n)| n.trim_end_matches(']').parse().ok())
                    .unwrap_or(0);
                let field = Field::Address { iface, index };
                f.keys.push((Key::Ip(a.value.addr), field, locate(p)));
            }
        }
        if let Some(m) = &i.mac {
            match &m.source {
                Source::Interface(p) => {
                    if let Some(mac) = parse_mac(&m.value) {
                        f.keys
                            .push((Key::Mac(mac), Field::Mac { iface }, locate(p)));
                    }
                }
                Source::Derived(_) if policy == MacPolicy::Derive => {
                    let key = derive_mac_key(Some(&namespace), &name, &i.name);
                    f.derive.push((iface, key, parse_mac(&m.value)));
                }
                _ => {}
            }
        }
        let Some(cat) = specs
            .get(i.index)
            .and_then(|s| find_catalog(catalogs, vm, s))
        else {
            continue;
        };
        let Some(ci) = catalogs.iter().position(|c| std::ptr::eq(c, cat)) else {
            continue;
        };
        for (ipv4, dhcp) in [(true, i.dhcp4.value), (false, i.dhcp6.value)] {
            let has = i.addresses.iter().any(|a| a.value.is_ipv4() == ipv4);
            let ranged = cat.spec.subnets.iter().any(|s| {
                !s.ranges.is_empty() && parse_cidr(&s.cidr).is_ok_and(|c| c.is_ipv4() == ipv4)
            });
            if !dhcp && !has && ranged {
                let path = Field::Interface { iface }.path();
                f.alloc.push(AllocNeed {
                    iface,
                    catalog: ci,
                    ipv4,
                    key: format!("{namespace}/{name}/{}", i.name),
                    network: cat.metadata.name.clone().unwrap_or_default(),
                    at: locate(&path),
                });
            }
        }
    }
    f.namespace = namespace;
    f.name = name;
    f
}

#[derive(Debug, Clone)]
struct VmRec {
    file: FileId,
    document: u32,
    /// `namespace/name` as written (namespace defaulted).
    ident: Box<str>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    first: Loc,
    /// Index into `dups` once a second location shows up.
    dups: u32,
}

const NO_DUPS: u32 = u32::MAX;

#[derive(Debug)]
struct DeriveReq {
    vm: VmId,
    iface: u8,
    key: Box<str>,
    provisional: Option<[u8; 6]>,
}

#[derive(Debug)]
struct AllocReq {
    vm: VmId,
    iface: u8,
    pool: PoolId,
    ipv4: bool,
    key: Box<str>,
    network: Box<str>,
    at: Loc,
}

/// Collects a batch's facts, then decides: duplicates, derived MACs, allocated addresses.
#[derive(Debug)]
pub struct Planner {
    policy: MacPolicy,
    allocator: Allocator,
    files: Vec<Box<str>>,
    file_scope: Vec<u16>,
    scopes: Vec<Box<str>>,
    vms: Vec<VmRec>,
    index: HashMap<(u16, Key), Slot>,
    dups: Vec<Vec<Loc>>,
    explicit_macs: HashSet<[u8; 6]>,
    derive: Vec<DeriveReq>,
    alloc: Vec<AllocReq>,
    /// VMs that asked for an address (even one no pool can serve): always re-resolved.
    waiting: HashSet<VmId>,
    incomplete: bool,
}

impl Planner {
    pub fn new(catalogs: &[NetworkCatalog], policy: MacPolicy) -> Planner {
        Planner {
            policy,
            allocator: Allocator::new(catalogs),
            files: Vec::new(),
            file_scope: Vec::new(),
            scopes: Vec::new(),
            vms: Vec::new(),
            index: HashMap::new(),
            dups: Vec::new(),
            explicit_macs: HashSet::new(),
            derive: Vec::new(),
            alloc: Vec::new(),
            waiting: HashSet::new(),
            incomplete: false,
        }
    }

    /// Registers a file; `scope` partitions the cross-file checks (use one string for the
    /// whole batch unless a configuration says otherwise).
    pub fn add_file(&mut self, name: &str, scope: &str) -> FileId {
        let s = match self.scopes.iter().position(|x| &**x == scope) {
            Some(i) => i,
            None => {
                self.scopes.push(scope.into());
                self.scopes.len() - 1
            }
        };
        self.files.push(name.into());
        self.file_scope.push(u16::try_from(s).unwrap_or(u16::MAX));
        FileId::try_from(self.files.len() - 1).unwrap_or(FileId::MAX)
    }

    /// A file could not be read or parsed: the VMs in it are unknown, so `--ipam-state`
    /// releases nothing this run.
    pub fn mark_incomplete(&mut self) {
        self.incomplete = true;
    }

    pub fn file_name(&self, f: FileId) -> &str {
        self.files.get(f as usize).map(|s| &**s).unwrap_or("-")
    }

    pub fn add_vm(&mut self, file: FileId, document: usize, facts: VmFacts) -> VmId {
        let vm = VmId::try_from(self.vms.len()).unwrap_or(VmId::MAX);
        let scope = self.file_scope.get(file as usize).copied().unwrap_or(0);
        self.vms.push(VmRec {
            file,
            document: u32::try_from(document).unwrap_or(u32::MAX),
            ident: format!("{}/{}", facts.namespace, facts.name).into(),
        });
        self.explicit_macs.extend(facts.explicit_macs);
        if !self.allocator.is_empty() {
            for a in facts.static_addrs {
                self.allocator.mark_used(a);
            }
        }
        for (key, field, span) in facts.keys {
            let loc = Loc::new(vm, field, span);
            match self.index.entry((scope, key)) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(Slot {
                        first: loc,
                        dups: NO_DUPS,
                    });
                }
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    let slot = e.get_mut();
                    if slot.dups == NO_DUPS {
                        slot.dups = u32::try_from(self.dups.len()).unwrap_or(NO_DUPS);
                        self.dups.push(vec![slot.first]);
                    }
                    if let Some(d) = self.dups.get_mut(slot.dups as usize) {
                        d.push(loc);
                    }
                }
            }
        }
        for (iface, key, provisional) in facts.derive {
            self.derive.push(DeriveReq {
                vm,
                iface,
                key: key.into(),
                provisional,
            });
        }
        if !facts.alloc.is_empty() {
            self.waiting.insert(vm);
        }
        for a in facts.alloc {
            let Some(pool) = self.allocator.pool(a.catalog, a.ipv4) else {
                continue;
            };
            self.alloc.push(AllocReq {
                vm,
                iface: a.iface,
                pool,
                ipv4: a.ipv4,
                key: a.key.into(),
                network: a.network.into(),
                at: Loc::new(vm, Field::Interface { iface: a.iface }, a.at),
            });
        }
        vm
    }

    fn describe(&self, vm: VmId) -> String {
        match self.vms.get(vm as usize) {
            // One text (the browser, compile_str) has no file name to give.
            Some(r) => match self.file_name(r.file) {
                "" => format!("{} (document {})", r.ident, r.document + 1),
                file => format!("{} ({file}, document {})", r.ident, r.document + 1),
            },
            None => String::new(),
        }
    }

    fn diagnostic_at(&self, loc: &Loc, d: Diagnostic) -> Diagnostic {
        let mut d = d;
        d.file = self
            .vms
            .get(loc.vm as usize)
            .map(|r| self.file_name(r.file).to_string());
        d.line = Some(loc.line);
        d.column = Some(loc.column);
        d.end_line = Some(loc.end_line);
        d.end_column = Some(loc.end_column);
        d
    }

    fn duplicate_findings(&self, out: &mut Vec<(VmId, Diagnostic)>) {
        let mut groups: Vec<(&Key, &Vec<Loc>)> = self
            .index
            .iter()
            .filter(|(_, s)| s.dups != NO_DUPS)
            .filter_map(|((_, k), s)| Some((k, self.dups.get(s.dups as usize)?)))
            .collect();
        groups.sort_by_key(|(_, locs)| locs.first().map(|l| (l.vm, l.line, l.column)));
        for (key, locs) in groups {
            for (i, here) in locs.iter().enumerate() {
                let others: Vec<&Loc> = locs
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, l)| l)
                    .collect();
                const SHOWN: usize = 5;
                let mut list: Vec<String> = others
                    .iter()
                    .take(SHOWN)
                    .map(|l| self.describe(l.vm))
                    .collect();
                if others.len() > SHOWN {
                    list.push(format!("{} more", others.len() - SHOWN));
                }
                let list = list.join(", ");
                let path = here.field.path();
                let d = match key {
                    Key::Name(_) => Diagnostic::new(
                        Code::DuplicateInBatch,
                        path,
                        format!(
                            "VirtualMachine {} is also defined by {list}",
                            self.vms
                                .get(here.vm as usize)
                                .map(|r| &*r.ident)
                                .unwrap_or("")
                        ),
                    )
                    .with_help(
                        "one namespace/name is one object and one output folder (an empty namespace is `default`, as kubectl reads it; case is ignored because output folders may live on a case-insensitive file system)",
                    ),
                    Key::Ip(ip) => Diagnostic::invalid(
                        Code::DuplicateInBatch,
                        path,
                        &ip.to_string(),
                        &format!("address {ip} is also assigned to {list}"),
                    ),
                    Key::Mac(m) => Diagnostic::invalid(
                        Code::DuplicateInBatch,
                        path,
                        &crate::ip::format_mac(m),
                        &format!("MAC address is also used by {list}"),
                    ),
                    Key::Fqdn(f) => Diagnostic::invalid(
                        Code::DuplicateHostNameInBatch,
                        path,
                        f,
                        &format!("host name is also used by {list}"),
                    ),
                };
                let mut d = self.diagnostic_at(here, d);
                d.related = others
                    .iter()
                    .map(|l| Related {
                        file: self
                            .vms
                            .get(l.vm as usize)
                            .map(|r| self.file_name(r.file).to_string()),
                        path: l.field.path(),
                        line: Some(l.line),
                        column: Some(l.column),
                        end_line: Some(l.end_line),
                        end_column: Some(l.end_column),
                        message: format!("also here: {}", self.describe(l.vm)),
                    })
                    .collect();
                out.push((here.vm, d));
            }
        }
    }

    /// Decides everything. `state` is the previous run's `--ipam-state`, if any.
    pub fn finish(self, state: Option<&IpamState>) -> Plan {
        let mut findings = Vec::new();
        self.duplicate_findings(&mut findings);
        let present: HashSet<&str> = self.vms.iter().map(|v| &*v.ident).collect();
        let keep = |key: &str| self.incomplete || present.contains(state::vm_of(key));
        let empty = IpamState::default();
        let old = state.unwrap_or(&empty);
        let mut new_state = IpamState::default();
        let mut assigned: HashMap<VmId, Assigned> = HashMap::new();
        let mut changed: HashSet<VmId> = self.waiting.clone();

        // Derived MACs: remembered ones first, then rounds for the rest.
        let mut taken = self.explicit_macs.clone();
        let requested: HashMap<&str, usize> = self
            .derive
            .iter()
            .enumerate()
            .map(|(i, d)| (&*d.key, i))
            .collect();
        let mut mac_of: Vec<Option<([u8; 6], Source)>> = vec![None; self.derive.len()];
        for (key, value) in &old.macs {
            let Some(m) = parse_mac(value) else { continue };
            if !keep(key) || self.explicit_macs.contains(&m) || taken.contains(&m) {
                continue;
            }
            taken.insert(m);
            new_state.macs.insert(key.clone(), value.clone());
            if let Some(&i) = requested.get(key.as_str()) {
                mac_of[i] = Some((
                    m,
                    Source::Derived(format!(
                        "--mac-policy derive, kept by --ipam-state for \"{key}\""
                    )),
                ));
            }
        }
        let open: Vec<usize> = (0..self.derive.len())
            .filter(|i| mac_of[*i].is_none())
            .collect();
        let keys: Vec<&str> = open.iter().map(|&i| &*self.derive[i].key).collect();
        for (&i, (m, how)) in open.iter().zip(mac::assign(&keys, &taken)) {
            mac_of[i] = Some((m, derived_mac_source(&self.derive[i].key, how)));
        }
        for (d, m) in self.derive.iter().zip(mac_of) {
            let Some((m, why)) = m else { continue };
            new_state
                .macs
                .insert(d.key.to_string(), crate::ip::format_mac(&m));
            if d.provisional != Some(m) {
                changed.insert(d.vm);
            }
            assigned
                .entry(d.vm)
                .or_default()
                .macs
                .push((usize::from(d.iface), m, why));
        }

        // Addresses: remembered ones stay reserved while their VM exists.
        let mut allocator = self.allocator.clone();
        let wanted: HashSet<(&str, &str)> =
            self.alloc.iter().map(|a| (&*a.key, &*a.network)).collect();
        let mut pinned: HashMap<(&str, &str, bool), IpAddr> = HashMap::new();
        for (key, list) in &old.addresses {
            if !keep(key) {
                continue;
            }
            for a in list {
                let Ok(c) = parse_cidr(&a.address) else {
                    continue;
                };
                if wanted.contains(&(key.as_str(), a.network.as_str())) {
                    pinned.insert((key, &a.network, c.is_ipv4()), c.addr);
                } else {
                    allocator.mark_used(c.addr);
                    new_state
                        .addresses
                        .entry(key.clone())
                        .or_default()
                        .push(a.clone());
                }
            }
        }
        let requests: Vec<Request> = self
            .alloc
            .iter()
            .map(|a| Request {
                pool: a.pool,
                key: a.key.to_string(),
                pinned: pinned.get(&(&*a.key, &*a.network, a.ipv4)).copied(),
            })
            .collect();
        let mut blocked: HashSet<VmId> = HashSet::new();
        for (a, o) in self.alloc.iter().zip(allocator.allocate(&requests)) {
            match o {
                Outcome::Allocated { address, pool } => {
                    new_state
                        .addresses
                        .entry(a.key.to_string())
                        .or_default()
                        .push(state::Address {
                            network: a.network.to_string(),
                            address: address.to_string(),
                        });
                    changed.insert(a.vm);
                    assigned.entry(a.vm).or_default().addresses.push((
                        usize::from(a.iface),
                        address,
                        Source::Allocated(pool),
                    ));
                }
                Outcome::Exhausted {
                    network,
                    subnet,
                    ranges,
                    asked,
                    free,
                } => {
                    let fam = if a.ipv4 { "IPv4" } else { "IPv6" };
                    let d = Diagnostic::new(
                        Code::Allocation,
                        a.at.field.path(),
                        format!(
                            "no free {fam} address on network {network}, subnet {subnet} (range {ranges}): the batch asks for {asked} address{}, {free} {} free",
                            if asked == 1 { "" } else { "es" },
                            if free == 1 { "is" } else { "are" },
                        ),
                    )
                    .with_help("widen the network's ranges, free addresses, or give this interface a static address or DHCP");
                    findings.push((a.vm, self.diagnostic_at(&a.at, d)));
                }
            }
        }
        for list in new_state.addresses.values_mut() {
            list.sort_by(|a, b| (&a.network, &a.address).cmp(&(&b.network, &b.address)));
        }
        // Entries of VMs that are gone are released; when the batch is incomplete nothing is.
        if self.incomplete {
            for (k, v) in &old.macs {
                new_state.macs.entry(k.clone()).or_insert_with(|| v.clone());
            }
            for (k, v) in &old.addresses {
                new_state
                    .addresses
                    .entry(k.clone())
                    .or_insert_with(|| v.clone());
            }
        }
        for (vm, d) in &findings {
            if d.severity == Severity::Error {
                blocked.insert(*vm);
            }
        }
        findings.sort_by_key(|(vm, d)| (*vm, d.line, d.column));
        let origins = self.vms.iter().map(|v| (v.file, v.document)).collect();
        Plan {
            findings,
            assigned,
            changed,
            blocked,
            state: new_state,
            origins,
            policy: self.policy,
        }
    }
}

/// What a batch decided.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Cross-file findings with file, line and column set (no byte range), by VM.
    pub findings: Vec<(VmId, Diagnostic)>,
    assigned: HashMap<VmId, Assigned>,
    /// VMs whose values differ from their provisional resolution (re-resolve them).
    pub changed: HashSet<VmId>,
    /// VMs with an error finding: they get no artifacts.
    pub blocked: HashSet<VmId>,
    /// The `--ipam-state` to write.
    pub state: IpamState,
    origins: Vec<(FileId, u32)>,
    pub policy: MacPolicy,
}

impl Plan {
    pub fn assigned(&self, vm: VmId) -> Option<&Assigned> {
        self.assigned.get(&vm)
    }

    /// File and document index of a VM.
    pub fn origin(&self, vm: VmId) -> Option<(FileId, usize)> {
        self.origins
            .get(vm as usize)
            .map(|(f, d)| (*f, *d as usize))
    }

    /// Findings grouped by file, in VM order.
    pub fn findings_by_file(&self) -> BTreeMap<FileId, Vec<&Diagnostic>> {
        let mut m: BTreeMap<FileId, Vec<&Diagnostic>> = BTreeMap::new();
        for (vm, d) in &self.findings {
            if let Some((f, _)) = self.origin(*vm) {
                m.entry(f).or_default().push(d);
            }
        }
        m
    }
}
