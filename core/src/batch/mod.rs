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

mod addrset;
pub mod alloc;
#[cfg(feature = "spill")]
mod extsort;
pub mod mac;
mod pages;
#[cfg(feature = "spill")]
mod recordlog;
#[cfg(feature = "spill")]
pub mod spill;
pub mod state;
mod vmset;

use crate::diagnostic::{Code, Diagnostic, Related, Severity, Span};
use crate::ip::{Cidr, parse_cidr, parse_mac};
use crate::model::{NetworkCatalog, VirtualMachine};
use crate::resolve::{
    Assigned, AssignedMac, MacPolicy, Resolved, Source, derive_mac_key, find_catalog,
};
use alloc::{Allocator, Outcome, PoolId};
#[cfg(feature = "spill")]
use pages::Pages;
pub use pages::{Arena, Text};
use state::IpamState;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
pub use vmset::VmSet;

/// Fleet-size batches (the CLI) keep the planner's tables in pages; the browser plans one
/// text and keeps plain vectors, which cost no code in its size budget.
#[cfg(not(feature = "spill"))]
type Pages<T> = Vec<T>;

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
                    at: locate(&path),
                });
            }
        }
    }
    f.namespace = namespace;
    f.name = name;
    f
}

/// What kind of value a key is; part of the key, so an IPv4 address never equals an IPv6
/// one and a name never equals an FQDN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    Fqdn,
    Ip4,
    Ip6,
    Mac,
}

/// A key as the index keeps it: fixed size, so the index is a flat vector (grouped once at
/// the end, see `Planner::duplicate_groups`; beyond a buffer it goes to a store, see
/// `spill`), not a hash table of boxed strings (which cost ~70 bytes per key at fleet
/// size). Addresses and MACs are stored exactly. Names and FQDNs are stored as a 64-bit hash
/// that only groups candidates: a group is split again by the exact strings its VMs keep, so
/// a hash collision can never report a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed {
    scope: u16,
    kind: Kind,
    value: [u8; 16],
}

impl Packed {
    fn new(scope: u16, key: &Key) -> Packed {
        let mut value = [0u8; 16];
        let kind = match key {
            Key::Name(s) | Key::Fqdn(s) => {
                let h = mac::fnv1a64(&[s.as_bytes()]).to_be_bytes();
                if let Some(v) = value.get_mut(..8) {
                    v.copy_from_slice(&h);
                }
                if matches!(key, Key::Name(_)) {
                    Kind::Name
                } else {
                    Kind::Fqdn
                }
            }
            Key::Ip(IpAddr::V4(a)) => {
                if let Some(v) = value.get_mut(..4) {
                    v.copy_from_slice(&a.octets());
                }
                Kind::Ip4
            }
            Key::Ip(IpAddr::V6(a)) => {
                value = a.octets();
                Kind::Ip6
            }
            Key::Mac(m) => {
                if let Some(v) = value.get_mut(..6) {
                    v.copy_from_slice(m);
                }
                Kind::Mac
            }
        };
        Packed { scope, kind, value }
    }

    fn hash32(&self) -> u32 {
        let h = mac::fnv1a64(&[&self.scope.to_be_bytes(), &[self.kind as u8], &self.value]);
        u32::try_from((h ^ (h >> 32)) & 0xffff_ffff).unwrap_or(0)
    }

    /// The address or MAC back from its bytes (names come from the VM records).
    fn ip(&self) -> Option<IpAddr> {
        match self.kind {
            Kind::Ip4 => {
                let [a, b, c, d, ..] = self.value;
                Some(IpAddr::from([a, b, c, d]))
            }
            Kind::Ip6 => Some(IpAddr::from(self.value)),
            _ => None,
        }
    }

    fn mac(&self) -> [u8; 6] {
        let [a, b, c, d, e, f, ..] = self.value;
        [a, b, c, d, e, f]
    }
}

/// One occurrence of a key.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Packed,
    loc: Loc,
}

/// A NIC asking for a derived MAC; its key (`namespace/name/interface`) is kept beside it.
#[derive(Debug)]
struct DeriveReq {
    vm: VmId,
    iface: u8,
    /// The MAC the VM's own resolution gave it: the plan changes the VM when it differs.
    provisional: Option<[u8; 6]>,
}

impl DeriveReq {
    /// The request as the run store keeps it (feature `spill`).
    #[cfg(feature = "spill")]
    fn encode(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        if let Some(x) = b.get_mut(..4) {
            x.copy_from_slice(&self.vm.to_le_bytes());
        }
        if let Some(x) = b.get_mut(4..6) {
            x.copy_from_slice(&[self.iface, u8::from(self.provisional.is_some())]);
        }
        if let (Some(x), Some(m)) = (b.get_mut(6..12), self.provisional) {
            x.copy_from_slice(&m);
        }
        b
    }

    #[cfg(feature = "spill")]
    fn decode(b: &[u8]) -> Option<DeriveReq> {
        let mac: [u8; 6] = b.get(6..12)?.try_into().ok()?;
        Some(DeriveReq {
            vm: u32::from_le_bytes(b.get(..4)?.try_into().ok()?),
            iface: *b.get(4)?,
            provisional: (*b.get(5)? != 0).then_some(mac),
        })
    }
}

/// 24 bytes and its key (`namespace/name/interface`), kept beside it: a fleet has more of
/// these than VMs (one per interface that asks), so the location keeps only its line and
/// columns (its VM and field are this request's).
#[derive(Debug)]
struct AllocReq {
    vm: VmId,
    at: [u32; 4],
    pool: u16,
    iface: u8,
    ipv4: bool,
}

impl AllocReq {
    /// The request as the run store keeps it (feature `spill`).
    #[cfg(feature = "spill")]
    fn encode(&self) -> [u8; 24] {
        let mut b = [0u8; 24];
        let mut put = |i: usize, v: u32| {
            if let Some(x) = b.get_mut(i..i + 4) {
                x.copy_from_slice(&v.to_le_bytes());
            }
        };
        put(0, self.vm);
        for (k, v) in self.at.iter().enumerate() {
            put(4 + 4 * k, *v);
        }
        put(20, u32::from(self.pool));
        if let Some(x) = b.get_mut(22..24) {
            x.copy_from_slice(&[self.iface, u8::from(self.ipv4)]);
        }
        b
    }

    #[cfg(feature = "spill")]
    fn decode(b: &[u8]) -> Option<AllocReq> {
        let u32_at = |i: usize| Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?));
        Some(AllocReq {
            vm: u32_at(0)?,
            at: [u32_at(4)?, u32_at(8)?, u32_at(12)?, u32_at(16)?],
            pool: u16::from_le_bytes(b.get(20..22)?.try_into().ok()?),
            iface: *b.get(22)?,
            ipv4: *b.get(23)? != 0,
        })
    }

    fn pool(&self) -> PoolId {
        PoolId::from_index(usize::from(self.pool))
    }

    fn loc(&self) -> Loc {
        let [line, column, end_line, end_column] = self.at;
        Loc {
            vm: self.vm,
            field: Field::Interface { iface: self.iface },
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// Names a file by its id (see [`Planner::name_files`]).
pub type Namer = Box<dyn Fn(FileId) -> String + Send + Sync>;

struct FileNamer(Namer);

impl std::fmt::Debug for FileNamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileNamer")
    }
}

/// Collects a batch's facts, then decides: duplicates, derived MACs, allocated addresses.
#[derive(Debug)]
pub struct Planner {
    policy: MacPolicy,
    allocator: Allocator,
    /// Each file's scope (an index into `scopes`).
    files: Pages<u16>,
    /// File names given to [`Planner::add_file`], by file; a front end that keeps its own
    /// names (the CLI, 100,000 paths) names them through [`Planner::name_files`] instead.
    names: Pages<Text>,
    namer: Option<FileNamer>,
    scopes: Vec<Box<str>>,
    /// Each VM's file and document (the plan keeps them: the late pass finds VMs by them).
    origins: Pages<(FileId, u32)>,
    /// Each VM's `namespace/name` as written (namespace defaulted) and lower-case FQDN
    /// (empty for a VM with errors, which has no keys): in the arena for one text, in the
    /// run store for a fleet, whose findings name only a few VMs.
    #[cfg(not(feature = "spill"))]
    vm_texts: Pages<(Text, Text)>,
    #[cfg(feature = "spill")]
    vm_texts: recordlog::RecordLog,
    entries: Vec<Entry>,
    /// Every MAC a spec sets, 6 bytes each: a set is made of them only when MACs are derived
    /// or remembered (validation of a fleet does neither, and the set cost 2.5 MB at 100k).
    explicit_macs: Pages<[u8; 6]>,
    /// Every file name, VM identity, FQDN and request key (`namespace/name/interface`), back
    /// to back in fixed-size pages: a fleet's strings in a few large buffers instead of a few
    /// allocations per VM, which also spared glibc's malloc the fragmentation that made it
    /// slower per file as a batch grew.
    arena: Arena,
    /// Derived-MAC requests, read in the order of their key: sorted in memory for one
    /// text, in sorted runs on the run store for a fleet.
    #[cfg(not(feature = "spill"))]
    derive: Pages<(DeriveReq, Text)>,
    #[cfg(feature = "spill")]
    derive: extsort::ExternalSort,
    /// Allocation requests, served in the order of their key: sorted in memory for one text,
    /// in sorted runs on the run store for a fleet.
    #[cfg(not(feature = "spill"))]
    alloc: Pages<(AllocReq, Text)>,
    #[cfg(feature = "spill")]
    alloc: extsort::ExternalSort,
    /// VMs that asked for an address (even one no pool can serve): always re-resolved.
    waiting: VmSet,
    incomplete: bool,
    record_state: bool,
    /// Where the key index, the VM texts and the allocation requests go beyond their
    /// buffers (without one they stay in memory).
    #[cfg(feature = "spill")]
    store: Option<Box<dyn spill::RunStore>>,
    /// The key index's runs, once `entries` holds [`spill::BUFFER`] of them.
    #[cfg(feature = "spill")]
    spill: spill::Spill,
}

impl Planner {
    pub fn new(catalogs: &[NetworkCatalog], policy: MacPolicy) -> Planner {
        Planner {
            policy,
            allocator: Allocator::new(catalogs),
            files: Pages::new(),
            names: Pages::new(),
            namer: None,
            scopes: Vec::new(),
            origins: Pages::new(),
            vm_texts: Default::default(),
            entries: Vec::new(),
            explicit_macs: Pages::new(),
            arena: Arena::default(),
            derive: Default::default(),
            alloc: Default::default(),
            waiting: VmSet::default(),
            incomplete: false,
            record_state: false,
            #[cfg(feature = "spill")]
            store: None,
            #[cfg(feature = "spill")]
            spill: spill::Spill::default(),
        }
    }

    /// Keeps the key index, the VM texts and the allocation requests in `store` beyond
    /// bounded buffers (see [`spill`]): a batch's memory then no longer grows with ~400
    /// bytes of keys, texts and requests per VM.
    #[cfg(feature = "spill")]
    pub fn spill_to(&mut self, store: Box<dyn spill::RunStore>) {
        self.store = Some(store);
    }

    /// Why the run store failed, if it did: the batch cannot be trusted then (a write
    /// failure only costs memory; this is a failure to read back).
    #[cfg(feature = "spill")]
    pub fn spill_error(&self) -> Option<&str> {
        self.spill
            .error
            .as_deref()
            .or(self.vm_texts.error.get().map(String::as_str))
    }

    #[cfg(feature = "spill")]
    fn store(&self) -> Option<&dyn spill::RunStore> {
        self.store.as_deref()
    }

    fn push_vm_texts(&mut self, ident: &str, fqdn: &str) {
        #[cfg(not(feature = "spill"))]
        {
            let t = (self.intern(ident), self.intern(fqdn));
            self.vm_texts.push(t);
        }
        #[cfg(feature = "spill")]
        {
            let mut rec = Vec::with_capacity(4 + ident.len() + fqdn.len());
            rec.extend_from_slice(&u32::try_from(ident.len()).unwrap_or(0).to_le_bytes());
            rec.extend_from_slice(ident.as_bytes());
            rec.extend_from_slice(fqdn.as_bytes());
            self.vm_texts.push(&rec, store_mut(&mut self.store));
        }
    }

    /// A VM's identity (`namespace/name`) and FQDN ("" when unknown).
    fn vm_texts(&self, vm: VmId) -> (String, String) {
        #[cfg(not(feature = "spill"))]
        {
            self.vm_texts
                .get(vm as usize)
                .map(|(i, f)| (self.text(*i).to_string(), self.text(*f).to_string()))
                .unwrap_or_default()
        }
        #[cfg(feature = "spill")]
        {
            self.vm_texts
                .get(vm, self.store(), split_vm_texts)
                .flatten()
                .unwrap_or_default()
        }
    }

    /// Every VM's identity, in VM order.
    fn each_ident(&self, f: &mut dyn FnMut(&str)) {
        #[cfg(not(feature = "spill"))]
        for (i, _) in self.vm_texts.iter() {
            f(self.text(*i));
        }
        #[cfg(feature = "spill")]
        self.vm_texts.each(self.store(), &mut |r| {
            if let Some((i, _)) = split_vm_texts(r) {
                f(&i);
            }
        });
    }

    /// Keeps a derived-MAC request with its key (`namespace/name/interface`).
    fn push_derive(&mut self, req: DeriveReq, key: &str) {
        #[cfg(not(feature = "spill"))]
        self.derive.push((req, self.arena.intern(key)));
        #[cfg(feature = "spill")]
        self.derive
            .push(key.as_bytes(), &req.encode(), store_mut(&mut self.store));
    }

    /// Visits every derived-MAC request in key order (ties by number), with its number (the
    /// order it was added: VM order) and key. Returns why the run store failed, if it did.
    fn derive_each(&self, f: &mut dyn FnMut(usize, &str, &DeriveReq)) -> Option<String> {
        #[cfg(not(feature = "spill"))]
        return each_by_key(&self.derive, &self.arena, f);
        #[cfg(feature = "spill")]
        return each_decoded(
            &self.derive,
            self.store(),
            "derived-MAC",
            DeriveReq::decode,
            f,
        );
    }

    /// [`Planner::push_derive`] for an allocation request.
    fn push_alloc(&mut self, req: AllocReq, key: &str) {
        #[cfg(not(feature = "spill"))]
        self.alloc.push((req, self.arena.intern(key)));
        #[cfg(feature = "spill")]
        self.alloc
            .push(key.as_bytes(), &req.encode(), store_mut(&mut self.store));
    }

    /// [`Planner::derive_each`] for the allocation requests.
    fn alloc_each(&self, f: &mut dyn FnMut(usize, &str, &AllocReq)) -> Option<String> {
        #[cfg(not(feature = "spill"))]
        return each_by_key(&self.alloc, &self.arena, f);
        #[cfg(feature = "spill")]
        return each_decoded(&self.alloc, self.store(), "allocation", AllocReq::decode, f);
    }

    fn alloc_len(&self) -> usize {
        self.alloc.len()
    }

    /// Makes [`Planner::finish`] fill [`Plan::state`] (for `--ipam-state`); without it the
    /// plan does not hold a second copy of every derived MAC and allocated address.
    pub fn record_state(&mut self) {
        self.record_state = true;
    }

    /// Registers a file; `scope` partitions the cross-file checks (use one string for the
    /// whole batch unless a configuration says otherwise).
    pub fn add_file(&mut self, name: &str, scope: &str) -> FileId {
        let id = self.add_unnamed_file(scope);
        let name = self.intern(name);
        // Files added unnamed before this one keep asking the namer.
        while self.names.len() < id as usize {
            self.names.push(Text::EMPTY);
        }
        self.names.push(name);
        id
    }

    /// Registers a file whose name [`Planner::name_files`] gives when a finding needs it.
    pub fn add_unnamed_file(&mut self, scope: &str) -> FileId {
        let s = match self.scopes.iter().position(|x| &**x == scope) {
            Some(i) => i,
            None => {
                self.scopes.push(scope.into());
                self.scopes.len() - 1
            }
        };
        self.files.push(u16::try_from(s).unwrap_or(u16::MAX));
        FileId::try_from(self.files.len() - 1).unwrap_or(FileId::MAX)
    }

    /// How the files of [`Planner::add_unnamed_file`] are named: only the files that
    /// findings name are asked for.
    pub fn name_files(&mut self, namer: Namer) {
        self.namer = Some(FileNamer(namer));
    }

    /// A file could not be read or parsed: the VMs in it are unknown, so `--ipam-state`
    /// releases nothing this run.
    pub fn mark_incomplete(&mut self) {
        self.incomplete = true;
    }

    pub fn file_name(&self, f: FileId) -> std::borrow::Cow<'_, str> {
        match (self.names.get(f as usize), &self.namer) {
            (Some(t), Some(n)) if *t == Text::EMPTY => (n.0)(f).into(),
            (Some(t), _) => self.text(*t).into(),
            (None, Some(n)) => (n.0)(f).into(),
            (None, None) => "-".into(),
        }
    }

    fn intern(&mut self, s: &str) -> Text {
        self.arena.intern(s)
    }

    fn text(&self, t: Text) -> &str {
        self.arena.get(t)
    }

    pub fn add_vm(&mut self, file: FileId, document: usize, facts: VmFacts) -> VmId {
        let vm = VmId::try_from(self.origins.len()).unwrap_or(VmId::MAX);
        let scope = self.files.get(file as usize).copied().unwrap_or(0);
        let mut fqdn = "";
        for (key, field, span) in &facts.keys {
            if let Key::Fqdn(f) = key {
                fqdn = f;
            }
            self.entries.push(Entry {
                key: Packed::new(scope, key),
                loc: Loc::new(vm, *field, *span),
            });
        }
        #[cfg(feature = "spill")]
        if self.entries.len() >= spill::BUFFER
            && let Some(st) = &mut self.store
        {
            self.spill.write(st.as_mut(), &mut self.entries);
        }
        self.push_vm_texts(&format!("{}/{}", facts.namespace, facts.name), fqdn);
        self.origins
            .push((file, u32::try_from(document).unwrap_or(u32::MAX)));
        for m in facts.explicit_macs {
            self.explicit_macs.push(m);
        }
        if !self.allocator.is_empty() {
            for a in facts.static_addrs {
                self.allocator.mark_used(a);
            }
        }
        for (iface, key, provisional) in facts.derive {
            let req = DeriveReq {
                vm,
                iface,
                provisional,
            };
            self.push_derive(req, &key);
        }
        if !facts.alloc.is_empty() {
            self.waiting.insert(vm);
        }
        for a in facts.alloc {
            let Some(pool) = self
                .allocator
                .pool(a.catalog, a.ipv4)
                .and_then(|p| u16::try_from(p.index()).ok())
            else {
                continue;
            };
            let req = AllocReq {
                vm,
                iface: a.iface,
                pool,
                ipv4: a.ipv4,
                at: [a.at.line, a.at.column, a.at.end_line, a.at.end_column],
            };
            self.push_alloc(req, &a.key);
        }
        vm
    }

    fn describe(&self, vm: VmId) -> String {
        match self.origins.get(vm as usize) {
            // One text (the browser, compile_str) has no file name to give.
            Some((file, document)) => {
                let (ident, _) = self.vm_texts(vm);
                match &*self.file_name(*file) {
                    "" => format!("{ident} (document {})", document + 1),
                    file => format!("{ident} ({file}, document {})", document + 1),
                }
            }
            None => String::new(),
        }
    }

    fn vm_file_name(&self, vm: VmId) -> Option<String> {
        self.origins
            .get(vm as usize)
            .map(|(f, _)| self.file_name(*f).to_string())
    }

    fn diagnostic_at(&self, loc: &Loc, d: Diagnostic) -> Diagnostic {
        let mut d = d;
        d.file = self.vm_file_name(loc.vm);
        d.line = Some(loc.line);
        d.column = Some(loc.column);
        d.end_line = Some(loc.end_line);
        d.end_column = Some(loc.end_column);
        d
    }

    /// The exact string a name or FQDN key of `vm` stands for.
    fn exact(&self, kind: Kind, vm: VmId) -> String {
        match kind {
            Kind::Name => self.vm_texts(vm).0.to_lowercase(),
            Kind::Fqdn => self.vm_texts(vm).1,
            _ => String::new(),
        }
    }

    /// Groups of two or more locations that hold one value, each group in VM order (the
    /// groups in the order of their keys' hashes: deterministic, not meaningful).
    fn duplicate_groups(&mut self) -> Vec<(Packed, Vec<Loc>)> {
        let entries = std::mem::take(&mut self.entries);
        let mut groups: Vec<(Packed, Vec<Loc>)> = Vec::new();
        #[cfg(feature = "spill")]
        if self.spill.is_used() {
            // One partition at a time: what was written, then what is still in memory (added
            // later), so each partition is in the order entries were added. The tail's
            // partitions are computed once, not once per partition.
            let mut sp = std::mem::take(&mut self.spill);
            let tail: Vec<usize> = entries.iter().map(spill::part_of).collect();
            let mut part = Vec::new();
            for p in 0..spill::PARTS {
                if let Some(st) = self.store() {
                    sp.read(st, p, &mut part);
                }
                part.extend(
                    entries
                        .iter()
                        .zip(&tail)
                        .filter(|(_, q)| **q == p)
                        .map(|(e, _)| *e),
                );
                self.group(&part, &mut groups);
            }
            self.spill = sp;
            return groups;
        }
        self.group(&entries, &mut groups);
        groups
    }

    /// The duplicate groups among `entries` (see [`Planner::duplicate_groups`]).
    fn group(&self, entries: &[Entry], groups: &mut Vec<(Packed, Vec<Loc>)>) {
        // Entries ordered by a 32-bit hash of their key, then by position (VM order). Packed
        // into `Option<i64>` on purpose: core already sorts that type, and a sort of any new
        // element type costs the browser module ~3 KB gzip (its startup budget is 400 KB).
        let mut order: Vec<Option<i64>> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let i = i64::try_from(i).unwrap_or(i64::MAX) & 0x7fff_ffff;
                Some((i64::from(e.key.hash32()) << 31) | i)
            })
            .collect();
        order.sort();
        let at = |o: &Option<i64>| {
            let v = o.unwrap_or(0);
            (
                v >> 31,
                usize::try_from(v & 0x7fff_ffff).unwrap_or(usize::MAX),
            )
        };
        for run in order.chunk_by(|a, b| at(a).0 == at(b).0) {
            if run.len() < 2 {
                continue;
            }
            // The hash only grouped candidates: split by the exact key (and, for names and
            // FQDNs, whose keys are hashes too, by the exact string).
            let mut exact: Vec<(Packed, String, Vec<Loc>)> = Vec::new();
            for o in run {
                let Some(e) = entries.get(at(o).1) else {
                    continue;
                };
                let s = self.exact(e.key.kind, e.loc.vm);
                match exact.iter_mut().find(|(k, x, _)| *k == e.key && *x == s) {
                    Some((_, _, locs)) => locs.push(e.loc),
                    None => exact.push((e.key, s, vec![e.loc])),
                }
            }
            groups.extend(
                exact
                    .into_iter()
                    .filter(|(_, _, l)| l.len() > 1)
                    .map(|(k, _, l)| (k, l)),
            );
        }
        // No sort by position here: `finish` sorts the findings by VM and position.
    }

    fn duplicate_findings(&mut self, out: &mut Vec<(VmId, Diagnostic)>) {
        for (key, locs) in self.duplicate_groups() {
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
                let d = match key.kind {
                    Kind::Name => Diagnostic::new(
                        Code::DuplicateInBatch,
                        path,
                        format!(
                            "VirtualMachine {} is also defined by {list}",
                            self.vm_texts(here.vm).0
                        ),
                    )
                    .with_help(
                        "one namespace/name is one object and one output folder (an empty namespace is `default`, as kubectl reads it; case is ignored because output folders may live on a case-insensitive file system)",
                    ),
                    Kind::Ip4 | Kind::Ip6 => {
                        let ip = key.ip().map(|i| i.to_string()).unwrap_or_default();
                        Diagnostic::invalid(
                            Code::DuplicateInBatch,
                            path,
                            &ip,
                            &format!("address {ip} is also assigned to {list}"),
                        )
                    }
                    Kind::Mac => Diagnostic::invalid(
                        Code::DuplicateInBatch,
                        path,
                        &crate::ip::format_mac(&key.mac()),
                        &format!("MAC address is also used by {list}"),
                    ),
                    Kind::Fqdn => Diagnostic::invalid(
                        Code::DuplicateHostNameInBatch,
                        path,
                        &self.exact(Kind::Fqdn, here.vm),
                        &format!("host name is also used by {list}"),
                    ),
                };
                let mut d = self.diagnostic_at(here, d);
                d.related = others
                    .iter()
                    .map(|l| Related {
                        file: self.vm_file_name(l.vm),
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
    pub fn finish(mut self, state: Option<&IpamState>) -> Plan {
        let mut findings = Vec::new();
        self.duplicate_findings(&mut findings);
        // Moved out, not copied: nothing reads them from the planner after this.
        let mut changed = std::mem::take(&mut self.waiting);
        let mut allocator = std::mem::take(&mut self.allocator);
        let empty = IpamState::default();
        let old = state.unwrap_or(&empty);
        let remembers = !old.macs.is_empty() || !old.addresses.is_empty();
        let explicit = std::mem::take(&mut self.explicit_macs);
        let mut taken = mac::MacSet::default();
        if !self.derive.is_empty() || !old.macs.is_empty() {
            for m in explicit.iter() {
                taken.insert(*m);
            }
        }
        drop(explicit);
        let mut present: HashSet<String> = HashSet::new();
        if remembers && !self.incomplete {
            self.each_ident(&mut |i| {
                present.insert(i.to_string());
            });
        }
        let keep = |key: &str| self.incomplete || present.contains(state::vm_of(key));
        let record = self.record_state;
        let mut new_state = IpamState::default();

        // Derived MACs: remembered ones first, then rounds for the rest (every explicit MAC
        // is taken from the start). The requests are read in key order, twice, and what
        // stays in between is by rank (the r-th smallest key): each key's FNV state (8
        // bytes), its request's number and the result (4 bytes each). A remembered MAC,
        // which a hand-edited state may put anywhere, is kept by rank in `kept` (empty
        // without a state).
        let mut remembered: HashMap<&str, [u8; 6]> = HashMap::new();
        for (key, value) in &old.macs {
            let Some(m) = parse_mac(value) else { continue };
            if !keep(key) || taken.contains(&m) {
                continue;
            }
            taken.insert(m);
            if record {
                new_state.macs.insert(key.clone(), value.clone());
            }
            remembered.insert(key, m);
        }
        let mut numbers: Vec<u32> = Vec::new();
        let mut states: Vec<u64> = Vec::new();
        let mut kept: Vec<Option<[u8; 6]>> = Vec::new();
        let mut read_error = self.derive_each(&mut |n, key, _| {
            numbers.push(u32::try_from(n).unwrap_or(u32::MAX));
            states.push(mac::key_state(key));
            if !remembered.is_empty() {
                kept.push(remembered.get(key).copied());
            }
        });
        drop(remembered);
        let derived = mac::assign_ranked(
            states.len(),
            &|r| states.get(r).copied().unwrap_or(0),
            &|r| kept.get(r).is_some_and(Option::is_some),
            &mut taken,
        );
        drop(states);
        drop(taken);
        // Each request's rank, by number.
        let mut rank_of: Vec<u32> = vec![u32::MAX; numbers.len()];
        for (r, n) in numbers.iter().enumerate() {
            if let Some(x) = rank_of.get_mut(*n as usize) {
                *x = u32::try_from(r).unwrap_or(u32::MAX);
            }
        }
        drop(numbers);
        let mac_of = |r: usize| -> Option<([u8; 6], AssignedMac)> {
            match kept.get(r).copied().flatten() {
                Some(m) => Some((m, AssignedMac::Kept)),
                None => derived
                    .get(r)
                    .filter(|d| !d.is_none())
                    .map(|d| (d.mac(), AssignedMac::Derived(d.how()))),
            }
        };
        // Second reading: the state, the VMs whose MACs changed, and each request's MAC by
        // number, which is VM order (`Plan::assigned` looks VMs up in it).
        let unassigned = MacAssigned {
            vm: VmId::MAX,
            iface: 0,
            mac: [0; 6],
            why: u8::MAX,
        };
        let mut macs: Vec<MacAssigned> = vec![unassigned; rank_of.len()];
        let second = self.derive_each(&mut |n, key, d| {
            let Some(r) = rank_of.get(n) else { return };
            let Some((m, why)) = mac_of(*r as usize) else {
                return;
            };
            if record {
                new_state
                    .macs
                    .insert(key.to_string(), crate::ip::format_mac(&m));
            }
            if d.provisional != Some(m) {
                changed.insert(d.vm);
            }
            if let Some(slot) = macs.get_mut(n) {
                *slot = MacAssigned {
                    vm: d.vm,
                    iface: d.iface,
                    mac: m,
                    why: MacAssigned::pack(why),
                };
            }
        });
        read_error = read_error.or(second);
        drop(rank_of);
        drop(derived);
        drop(kept);

        // Addresses: remembered ones stay reserved while their VM exists.
        let networks: Vec<String> = (0..allocator.len())
            .map(|p| allocator.network(PoolId::from_index(p)).to_string())
            .collect();
        let network = |p: PoolId| networks.get(p.index()).map_or("", String::as_str);
        let mut pinned: HashMap<(&str, &str, bool), IpAddr> = HashMap::new();
        if !old.addresses.is_empty() {
            // The (key, network) pairs asked for again: only those the state names.
            let mut wanted: HashSet<(String, String)> = HashSet::new();
            let view = AllocView {
                planner: &self,
                pinned: &pinned,
                networks: &networks,
                error: std::sync::OnceLock::new(),
            };
            alloc::Requests::each(&view, &mut |r, a| {
                if old.addresses.contains_key(r.key) {
                    wanted.insert((r.key.to_string(), network(a.pool()).to_string()));
                }
            });
            read_error = read_error.or(view.error.into_inner());
            for (key, list) in &old.addresses {
                if !keep(key) {
                    continue;
                }
                for a in list {
                    let Ok(c) = parse_cidr(&a.address) else {
                        continue;
                    };
                    if wanted.contains(&(key.clone(), a.network.clone())) {
                        pinned.insert((key, &a.network, c.is_ipv4()), c.addr);
                    } else {
                        allocator.mark_used(c.addr);
                        if record {
                            new_state
                                .addresses
                                .entry(key.clone())
                                .or_default()
                                .push(a.clone());
                        }
                    }
                }
            }
        }
        // Each outcome goes straight to its request's slot (requests are in VM order, so
        // the slots are too); slots of exhausted requests are dropped after.
        let unfilled = AddrAssigned {
            vm: VmId::MAX,
            address: Cidr {
                addr: IpAddr::from([0, 0, 0, 0]),
                prefix: 0,
            },
            pool: 0,
            iface: 0,
            kept: false,
        };
        let mut addrs: Vec<AddrAssigned> = vec![unfilled; self.alloc_len()];
        let view = AllocView {
            planner: &self,
            pinned: &pinned,
            networks: &networks,
            error: std::sync::OnceLock::new(),
        };
        allocator.allocate_each(&view, &mut |r, a, o| {
            match o {
                Outcome::Allocated {
                    address,
                    pool,
                    kept,
                } => {
                    if record {
                        new_state
                            .addresses
                            .entry(r.key.to_string())
                            .or_default()
                            .push(state::Address {
                                network: network(a.pool()).to_string(),
                                address: address.to_string(),
                            });
                    }
                    changed.insert(a.vm);
                    if let Some(slot) = addrs.get_mut(r.index as usize) {
                        *slot = AddrAssigned {
                            vm: a.vm,
                            iface: a.iface,
                            address,
                            pool: u16::try_from(pool.index()).unwrap_or(u16::MAX),
                            kept,
                        };
                    }
                }
                Outcome::Exhausted(e) => {
                    let alloc::Exhausted {
                        network,
                        subnet,
                        ranges,
                        asked,
                        free,
                    } = *e;
                    let fam = if a.ipv4 { "IPv4" } else { "IPv6" };
                    let d = Diagnostic::new(
                        Code::Allocation,
                        a.loc().field.path(),
                        format!(
                            "no free {fam} address on network {network}, subnet {subnet} (range {ranges}): the batch asks for {asked} address{}, {free} {} free",
                            if asked == 1 { "" } else { "es" },
                            if free == 1 { "is" } else { "are" },
                        ),
                    )
                    .with_help("widen the network's ranges, free addresses, or give this interface a static address or DHCP");
                    findings.push((a.vm, self.diagnostic_at(&a.loc(), d)));
                }
            }
        });
        let read_error = read_error.or(view.error.into_inner());
        addrs.retain(|a| a.vm != VmId::MAX);
        // Only the VMs the second pass re-resolves need their values from the plan.
        macs.retain(|m| m.vm != VmId::MAX && changed.contains(&m.vm));
        // Both are in VM order already (requests are added VM by VM, ids ascending), which
        // `Plan::assigned` relies on: no sort (two more sort instances cost the browser
        // module 3 KB).
        for list in new_state.addresses.values_mut() {
            list.sort_by(|a, b| (&a.network, &a.address).cmp(&(&b.network, &b.address)));
        }
        // Entries of VMs that are gone are released; when the batch is incomplete nothing is.
        if self.incomplete && record {
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
        // One text's requests are in memory: nothing to fail reading (a fleet's failure
        // goes into `Plan::spill_error` below, and the front end fails the batch).
        #[cfg(not(feature = "spill"))]
        let _ = read_error;
        let mut blocked = VmSet::default();
        for (vm, d) in &findings {
            if d.severity == Severity::Error {
                blocked.insert(*vm);
            }
        }
        findings.sort_by_key(|(vm, d)| (*vm, d.line, d.column));
        let origins = self.origins.to_vec();
        let pools = (0..allocator.len())
            .map(|p| {
                let p = alloc::PoolId::from_index(p);
                (allocator.describe(p, false), allocator.describe(p, true))
            })
            .collect();
        Plan {
            findings,
            macs,
            addrs,
            pools,
            changed,
            blocked,
            state: new_state,
            origins,
            policy: self.policy,
            #[cfg(feature = "spill")]
            spill_error: self.spill_error().map(str::to_string).or(read_error),
        }
    }
}

/// The planner's allocation requests as the allocator reads them (see [`alloc::Requests`]).
struct AllocView<'a> {
    planner: &'a Planner,
    pinned: &'a HashMap<(&'a str, &'a str, bool), IpAddr>,
    networks: &'a [String],
    /// The first failure to read the requests back from the run store.
    #[cfg_attr(not(feature = "spill"), allow(dead_code))]
    error: std::sync::OnceLock<String>,
}

impl AllocView<'_> {
    fn request<'k>(&self, index: usize, a: &AllocReq, key: &'k str) -> alloc::Request<'k> {
        let pinned = if self.pinned.is_empty() {
            None
        } else {
            let network = self
                .networks
                .get(usize::from(a.pool))
                .map_or("", String::as_str);
            self.pinned.get(&(key, network, a.ipv4)).copied()
        };
        alloc::Request {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            pool: a.pool(),
            key,
            pinned,
        }
    }
}

impl alloc::Requests for AllocView<'_> {
    type Item = AllocReq;

    fn each(&self, f: &mut dyn FnMut(&alloc::Request<'_>, &AllocReq)) {
        let failed = self
            .planner
            .alloc_each(&mut |n, key, a| f(&self.request(n, a, key), a));
        if let Some(e) = failed {
            let _ = self.error.set(e);
        }
    }
}

/// Requests kept beside their keys, visited in key order (ties by number: the order they
/// were added) with their number and key: one text's tables (the browser).
#[cfg(not(feature = "spill"))]
fn each_by_key<T>(
    reqs: &Pages<(T, Text)>,
    arena: &Arena,
    f: &mut dyn FnMut(usize, &str, &T),
) -> Option<String> {
    let key = |i: usize| reqs.get(i).map_or("", |(_, k)| arena.get(*k));
    for i in mac::key_order(reqs.len(), &key, &|_| false) {
        if let Some((r, k)) = reqs.get(i as usize) {
            f(i as usize, arena.get(*k), r);
        }
    }
    None
}

/// [`each_by_key`] for a fleet: the requests merged from their sorted runs and decoded.
/// Returns why they could not be read back (a run, or a damaged `what` request).
#[cfg(feature = "spill")]
fn each_decoded<T>(
    reqs: &extsort::ExternalSort,
    store: Option<&dyn spill::RunStore>,
    what: &str,
    decode: fn(&[u8]) -> Option<T>,
    f: &mut dyn FnMut(usize, &str, &T),
) -> Option<String> {
    let mut damaged = None;
    let read = reqs.each(store, &mut |n, key, payload| match (
        std::str::from_utf8(key),
        decode(payload),
    ) {
        (Ok(key), Some(r)) => f(n as usize, key, &r),
        _ => damaged = Some(format!("a {what} request on the store is damaged")),
    });
    read.err().or(damaged)
}

/// The planner's run store as its tables write to it (a field, so that the tables beside it
/// can be borrowed at the same time).
#[cfg(feature = "spill")]
fn store_mut(store: &mut Option<Box<dyn spill::RunStore>>) -> Option<&mut dyn spill::RunStore> {
    match store {
        Some(s) => Some(s.as_mut()),
        None => None,
    }
}

/// A VM's identity and FQDN from its record in the run store.
#[cfg(feature = "spill")]
fn split_vm_texts(r: &[u8]) -> Option<(String, String)> {
    let n = u32::from_le_bytes(r.get(..4)?.try_into().ok()?) as usize;
    let ident = std::str::from_utf8(r.get(4..4 + n)?).ok()?;
    let fqdn = std::str::from_utf8(r.get(4 + n..)?).ok()?;
    Some((ident.to_string(), fqdn.to_string()))
}

/// 12 bytes: one per derived MAC of a VM the late pass redoes (the key of its provenance is
/// the resolution's to compose, see [`AssignedMac`]).
#[derive(Debug, Clone, Copy)]
struct MacAssigned {
    vm: VmId,
    iface: u8,
    mac: [u8; 6],
    /// [`AssignedMac`] in a byte: the round, [`mac::ROUNDS`] for a probe, `u8::MAX` when
    /// `--ipam-state` kept it.
    why: u8,
}

impl MacAssigned {
    fn pack(why: AssignedMac) -> u8 {
        match why {
            AssignedMac::Kept => u8::MAX,
            AssignedMac::Derived(mac::How::Round(k)) => u8::try_from(k).unwrap_or(u8::MAX - 1),
            AssignedMac::Derived(mac::How::Probe) => u8::try_from(mac::ROUNDS).unwrap_or(0),
        }
    }

    fn why(self) -> AssignedMac {
        match self.why {
            u8::MAX => AssignedMac::Kept,
            k if u32::from(k) < mac::ROUNDS => AssignedMac::Derived(mac::How::Round(u32::from(k))),
            _ => AssignedMac::Derived(mac::How::Probe),
        }
    }
}

/// 28 bytes: one per allocated address, kept until the late pass.
#[derive(Debug, Clone)]
struct AddrAssigned {
    vm: VmId,
    address: Cidr,
    pool: u16,
    iface: u8,
    kept: bool,
}

/// The run of `items` (sorted by `key`) whose key is `k`: how the plan's per-VM assignments
/// and a front end's per-file work lists are looked up without a map.
pub fn run_of<T, K: Ord>(items: &[T], k: K, key: impl Fn(&T) -> K) -> &[T] {
    let a = items.partition_point(|x| key(x) < k);
    let b = items.partition_point(|x| key(x) <= k);
    items.get(a..b).unwrap_or_default()
}

/// What a batch decided.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Cross-file findings with file, line and column set (no byte range), by VM.
    pub findings: Vec<(VmId, Diagnostic)>,
    /// Derived MACs and allocated addresses of the changed VMs, by VM; their provenance is
    /// written out only when [`Plan::assigned`] asks.
    macs: Vec<MacAssigned>,
    addrs: Vec<AddrAssigned>,
    /// Each pool's description, as allocated and as kept by `--ipam-state`.
    pools: Vec<(String, String)>,
    /// VMs whose values differ from their provisional resolution (re-resolve them).
    pub changed: VmSet,
    /// VMs with an error finding: they get no artifacts.
    pub blocked: VmSet,
    /// The `--ipam-state` to write (filled when the planner was asked to record it).
    pub state: IpamState,
    origins: Vec<(FileId, u32)>,
    pub policy: MacPolicy,
    /// The key index could not be read back from its store: the duplicate check is
    /// incomplete, and the front end must fail the batch.
    #[cfg(feature = "spill")]
    pub spill_error: Option<String>,
}

impl Plan {
    /// The MACs and addresses the batch gave a VM it changed, with their provenance.
    pub fn assigned(&self, vm: VmId) -> Option<Assigned> {
        let m = run_of(&self.macs, vm, |x| x.vm);
        let ad = run_of(&self.addrs, vm, |x| x.vm);
        if m.is_empty() && ad.is_empty() {
            return None;
        }
        Some(Assigned {
            macs: m
                .iter()
                .map(|x| (usize::from(x.iface), x.mac, x.why()))
                .collect(),
            addresses: ad
                .iter()
                .map(|x| {
                    let from = self
                        .pools
                        .get(usize::from(x.pool))
                        .map(|(a, k)| if x.kept { k.clone() } else { a.clone() })
                        .unwrap_or_default();
                    (usize::from(x.iface), x.address, Source::Allocated(from))
                })
                .collect(),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32) -> Span {
        Span {
            line,
            column: 3,
            end_line: line,
            end_column: 9,
            start: 0,
            end: 0,
        }
    }

    fn vm(ns: &str, name: &str, fqdn: &str, keys: Vec<(Key, Field, Span)>) -> VmFacts {
        let mut all = vec![
            (
                Key::Name(format!("{ns}/{name}").to_lowercase().into()),
                Field::Name,
                at(1),
            ),
            (Key::Fqdn(fqdn.into()), Field::HostName(false), at(2)),
        ];
        all.extend(keys);
        VmFacts {
            namespace: ns.into(),
            name: name.into(),
            clean: true,
            keys: all,
            ..VmFacts::default()
        }
    }

    fn ip(s: &str) -> Key {
        Key::Ip(s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])))
    }

    fn addr(iface: u8) -> Field {
        Field::Address { iface, index: 0 }
    }

    /// (code, file, line, message) of every finding, in plan order.
    fn findings(p: &Plan) -> Vec<(String, String, u32, String)> {
        p.findings
            .iter()
            .map(|(_, d)| {
                (
                    d.code.as_str().to_string(),
                    d.file.clone().unwrap_or_default(),
                    d.line.unwrap_or(0),
                    d.message.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn files_named_by_the_planner_or_by_the_front_end_keep_their_own_names() {
        let mut p = Planner::new(&[], MacPolicy::default());
        let a = p.add_unnamed_file("");
        let b = p.add_file("b.yaml", "");
        let c = p.add_unnamed_file("");
        assert_eq!(p.file_name(a), "", "no namer yet: no name");
        p.name_files(Box::new(|f| format!("walked-{f}.yaml")));
        assert_eq!(p.file_name(a), "walked-0.yaml");
        assert_eq!(p.file_name(b), "b.yaml");
        assert_eq!(p.file_name(c), "walked-2.yaml");
    }

    #[test]
    fn a_duplicate_is_reported_at_every_place_and_names_the_others() {
        let mut p = Planner::new(&[], MacPolicy::default());
        let a = p.add_file("a.yaml", "");
        let b = p.add_file("b.yaml", "");
        let c = p.add_file("c.yaml", "");
        p.add_vm(
            a,
            0,
            vm(
                "ns",
                "one",
                "one.example",
                vec![(ip("10.0.0.5"), addr(0), at(9))],
            ),
        );
        p.add_vm(
            b,
            0,
            vm(
                "ns",
                "two",
                "two.example",
                vec![(ip("10.0.0.5"), addr(1), at(12))],
            ),
        );
        // The same address in IPv6 notation is another address; another scope is another batch.
        p.add_vm(
            c,
            0,
            vm(
                "ns",
                "three",
                "three.example",
                vec![(ip("::ffff:10.0.0.5"), addr(0), at(9))],
            ),
        );
        let got = findings(&p.finish(None));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].1.as_str(), got[0].2), ("a.yaml", 9));
        assert_eq!((got[1].1.as_str(), got[1].2), ("b.yaml", 12));
        assert!(got[0].3.contains("ns/two (b.yaml, document 1)"), "{got:?}");
        assert!(got[1].3.contains("ns/one (a.yaml, document 1)"), "{got:?}");
        assert!(
            got.iter()
                .all(|g| g.0 == "GN206" && g.3.contains("10.0.0.5"))
        );
    }

    #[test]
    fn names_ignore_case_fqdns_and_macs_are_exact_and_scopes_are_apart() {
        let mut p = Planner::new(&[], MacPolicy::default());
        let a = p.add_file("a.yaml", "");
        let b = p.add_file("b.yaml", "");
        let other = p.add_file("other/c.yaml", "other");
        let mac = Key::Mac([0, 0x50, 0x56, 1, 2, 3]);
        p.add_vm(
            a,
            0,
            vm(
                "ns",
                "Web",
                "web.example",
                vec![(mac.clone(), Field::Mac { iface: 0 }, at(7))],
            ),
        );
        p.add_vm(b, 1, vm("ns", "web", "web.example", vec![]));
        p.add_vm(
            other,
            0,
            vm(
                "ns",
                "web",
                "web.example",
                vec![(mac, Field::Mac { iface: 0 }, at(7))],
            ),
        );
        let got = findings(&p.finish(None));
        let codes: Vec<(&str, &str, u32)> = got
            .iter()
            .map(|g| (g.0.as_str(), g.1.as_str(), g.2))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("GN206", "a.yaml", 1),
                ("GN219", "a.yaml", 2),
                ("GN206", "b.yaml", 1),
                ("GN219", "b.yaml", 2)
            ],
            "{got:?}"
        );
        assert!(got[1].3.contains("document 2"), "{got:?}");
    }

    #[test]
    fn distinct_names_are_never_duplicates_at_fleet_size() {
        let mut p = Planner::new(&[], MacPolicy::default());
        let f = p.add_file("fleet.yaml", "");
        for i in 0..50_000u32 {
            let [_, x, y, z] = i.to_be_bytes();
            let keys = vec![(ip(&format!("10.{x}.{y}.{z}")), addr(0), at(9))];
            p.add_vm(
                f,
                i as usize,
                vm("ns", &format!("vm-{i}"), &format!("vm-{i}.example"), keys),
            );
        }
        assert!(p.finish(None).findings.is_empty());
    }

    /// A batch of 40,000 VMs (160,000 keys, so the index is written out twice) with
    /// duplicates of every kind, some within one buffer and some across buffers.
    #[cfg(feature = "spill")]
    fn fleet_with_duplicates(p: &mut Planner) {
        let files: Vec<FileId> = (0..30)
            .map(|i| p.add_file(&format!("f{i}.yaml"), if i % 7 == 0 { "s" } else { "" }))
            .collect();
        for i in 0..40_000u32 {
            // Every 997th VM reuses an address from far back, every 1,009th a name (in another
            // case), every 1,013th an FQDN and every 1,019th a MAC.
            let n = if i % 997 == 5 { i / 3 } else { i };
            let [_, x, y, z] = n.to_be_bytes();
            let name = if i % 1009 == 7 {
                format!("VM-{}", i - 7)
            } else {
                format!("vm-{i}")
            };
            let fqdn = if i % 1013 == 11 {
                "shared.example".to_string()
            } else {
                format!("vm-{i}.example")
            };
            let m = if i % 1019 == 13 { 0 } else { i };
            let [_, a, b, c] = m.to_be_bytes();
            let keys = vec![
                (ip(&format!("10.{x}.{y}.{z}")), addr(0), at(9)),
                (
                    Key::Mac([0, 0x50, 0x56, a, b, c]),
                    Field::Mac { iface: 0 },
                    at(10),
                ),
            ];
            let f = files[(i % 30) as usize];
            p.add_vm(f, (i / 30) as usize, vm("ns", &name, &fqdn, keys));
        }
    }

    #[cfg(feature = "spill")]
    #[test]
    fn an_index_written_out_finds_exactly_what_one_in_memory_finds() {
        let mut kept = Planner::new(&[], MacPolicy::default());
        fleet_with_duplicates(&mut kept);
        let want = findings(&kept.finish(None));
        assert!(want.len() > 100, "{}", want.len());
        // The store takes the VM texts' 4 KB blocks too: 200 appends fail in the second
        // write of the index.
        for fail_after in [None, Some(200)] {
            let mut p = Planner::new(&[], MacPolicy::default());
            p.spill_to(Box::new(spill::MemStore {
                fail_after,
                ..spill::MemStore::default()
            }));
            fleet_with_duplicates(&mut p);
            let sp = &p.spill;
            assert!(sp.is_used());
            assert_eq!(sp.write_error.is_some(), fail_after.is_some());
            // Only part of the index stayed in memory (more after a write failure).
            assert!(p.entries.len() < spill::BUFFER || fail_after.is_some());
            assert_eq!(p.entries.len() > spill::BUFFER, fail_after.is_some());
            assert_eq!(findings(&p.finish(None)), want, "fail_after {fail_after:?}");
        }
    }

    /// A /16 with a range of 65,521 addresses, and a /24 that only has 100.
    #[cfg(feature = "spill")]
    fn catalogs() -> Vec<NetworkCatalog> {
        let cat = |name: &str, cidr: &str, range: &str| NetworkCatalog {
            api_version: "guestnet.dev/v1alpha1".into(),
            kind: "Network".into(),
            metadata: crate::model::ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            spec: crate::model::catalog::NetworkCatalogSpec {
                subnets: vec![crate::model::catalog::Subnet {
                    cidr: cidr.into(),
                    ranges: vec![range.into()],
                    ..Default::default()
                }],
                ..Default::default()
            },
        };
        vec![
            cat("big", "10.1.0.0/16", "10.1.0.10-10.1.255.250"),
            cat("small", "10.2.0.0/24", "10.2.0.1-10.2.0.100"),
        ]
    }

    /// 40,000 VMs in an order unrelated to their keys, most asking the big network for an
    /// address and every 97th the small one (which runs out); every 500th has a static
    /// address inside the big range, which allocation must skip.
    #[cfg(feature = "spill")]
    fn fleet_with_requests(p: &mut Planner) -> Vec<VmId> {
        let f = p.add_file("fleet.yaml", "");
        (0..40_000u32)
            .map(|i| {
                let n = i.wrapping_mul(2_654_435_761) % 1_000_003;
                let name = format!("vm-{n}");
                let mut v = vm("ns", &name, &format!("{name}.example"), Vec::new());
                if i % 500 == 0 {
                    let [_, _, x, y] = (10 + i / 500).to_be_bytes();
                    v.static_addrs.push(IpAddr::from([10, 1, x, y]));
                }
                v.alloc.push(AllocNeed {
                    iface: 1,
                    catalog: usize::from(i % 97 == 0),
                    ipv4: true,
                    key: format!("ns/{name}/eth1"),
                    at: at(20),
                });
                // Two NICs with derived MACs; the VM's own resolution gave most of them
                // their first candidate, some none.
                for iface in [0u8, 2] {
                    let key = format!("ns/{name}/eth{iface}");
                    let provisional = (i % 13 != 0).then(|| mac::candidate(&key, 0));
                    v.derive.push((iface, key, provisional));
                }
                p.add_vm(f, i as usize, v)
            })
            .collect()
    }

    /// Everything the plan gave each VM, whether it changed, and the state it recorded.
    #[cfg(feature = "spill")]
    fn given(plan: &Plan, ids: &[VmId]) -> (Vec<Option<Assigned>>, Vec<bool>, String) {
        (
            ids.iter().map(|id| plan.assigned(*id)).collect(),
            ids.iter().map(|id| plan.changed.contains(id)).collect(),
            plan.state.to_json(),
        )
    }

    #[cfg(feature = "spill")]
    fn addresses(plan: &Plan, ids: &[VmId]) -> Vec<Option<String>> {
        ids.iter()
            .map(|id| {
                plan.assigned(*id)
                    .and_then(|a| a.addresses.first().map(|x| format!("{} {}", x.1, x.2)))
            })
            .collect()
    }

    #[cfg(feature = "spill")]
    proptest::proptest! {
        /// Requests and VM texts read back from a damaged store decode or are refused, and
        /// what decodes round-trips through its encoding.
        #[test]
        fn stored_requests_decode_or_are_refused(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            if let Some(a) = AllocReq::decode(&bytes) {
                let e = a.encode();
                proptest::prop_assert_eq!(AllocReq::decode(&e).map(|b| b.encode()), Some(e));
                proptest::prop_assert_eq!(e.get(..22), bytes.get(..22));
            }
            if let Some(d) = DeriveReq::decode(&bytes) {
                let e = d.encode();
                proptest::prop_assert_eq!(DeriveReq::decode(&e).map(|b| b.encode()), Some(e));
                proptest::prop_assert_eq!(e.get(..5), bytes.get(..5));
            }
            let _ = split_vm_texts(&bytes);
        }
    }

    #[cfg(feature = "spill")]
    #[test]
    fn requests_sorted_on_the_store_get_exactly_the_addresses_and_macs_of_a_sort_in_memory() {
        let cats = catalogs();
        // A state that remembers MACs for some NICs: one that is free (kept), one that a
        // VM's first candidate also wants (kept, the VM moves), one of a VM that is gone.
        let mut old = IpamState::default();
        let name = |i: u32| format!("vm-{}", i.wrapping_mul(2_654_435_761) % 1_000_003);
        old.macs
            .insert(format!("ns/{}/eth0", name(5)), "00:50:56:3f:00:01".into());
        let wanted = mac::candidate(&format!("ns/{}/eth2", name(6)), 0);
        old.macs.insert(
            format!("ns/{}/eth0", name(7)),
            crate::ip::format_mac(&wanted),
        );
        old.macs
            .insert("ns/gone/eth0".into(), "00:50:56:3f:00:02".into());
        let mut kept = Planner::new(&cats, MacPolicy::Derive);
        kept.record_state();
        let ids = fleet_with_requests(&mut kept);
        let plan = kept.finish(Some(&old));
        let want = addresses(&plan, &ids);
        let want_given = given(&plan, &ids);
        let want_findings = findings(&plan);
        let macs_of = |i: usize| want_given.0[i].clone().unwrap_or_default().macs;
        assert_eq!(
            macs_of(5)[0],
            (0, [0, 0x50, 0x56, 0x3f, 0, 1], AssignedMac::Kept)
        );
        assert_eq!(macs_of(7)[0], (0, wanted, AssignedMac::Kept));
        assert_eq!(macs_of(6)[1].0, 2);
        assert_ne!(
            macs_of(6)[1].1,
            wanted,
            "the remembered MAC was taken first"
        );
        assert!(
            !want_given.2.contains("ns/gone/"),
            "a gone VM's MAC is released"
        );
        let derived: usize = want_given.0.iter().flatten().map(|a| a.macs.len()).sum();
        assert_eq!(derived, 80_000, "every changed VM has both MACs");
        // The lowest key gets the lowest address; the small network runs out after 100.
        let lowest = (0..40_000u32)
            .filter(|i| i % 97 != 0)
            .min_by_key(|i| format!("ns/vm-{}/eth1", i.wrapping_mul(2_654_435_761) % 1_000_003))
            .unwrap();
        assert!(
            // 10.1.0.10-89 are other VMs' static addresses.
            want[lowest as usize]
                .as_deref()
                .unwrap()
                .starts_with("10.1.0.90/16"),
            "{:?}",
            want[lowest as usize]
        );
        assert_eq!(want.iter().filter(|a| a.is_none()).count(), 413 - 100);
        assert_eq!(want_findings.len(), 413 - 100, "{want_findings:?}");
        assert!(
            want.iter().flatten().all(|a| !a.starts_with("10.1.0.11/")),
            "a static address was allocated"
        );
        for fail_after in [None, Some(0), Some(3), Some(40)] {
            let mut p = Planner::new(&cats, MacPolicy::Derive);
            p.record_state();
            p.spill_to(Box::new(spill::MemStore {
                fail_after,
                ..spill::MemStore::default()
            }));
            let ids = fleet_with_requests(&mut p);
            let plan = p.finish(Some(&old));
            assert_eq!(plan.spill_error, None);
            assert_eq!(addresses(&plan, &ids), want, "fail_after {fail_after:?}");
            assert!(
                given(&plan, &ids) == want_given,
                "fail_after {fail_after:?}"
            );
            assert_eq!(findings(&plan), want_findings, "fail_after {fail_after:?}");
        }
    }

    #[test]
    fn the_state_is_recorded_only_when_asked() {
        let facts = |name: &str| VmFacts {
            namespace: "ns".into(),
            name: name.into(),
            clean: true,
            derive: vec![(0, format!("ns/{name}/eth0"), None)],
            ..VmFacts::default()
        };
        for record in [false, true] {
            let mut p = Planner::new(&[], MacPolicy::Derive);
            if record {
                p.record_state();
            }
            let f = p.add_file("a.yaml", "");
            let ids: Vec<VmId> = ["a", "b", "c"]
                .iter()
                .enumerate()
                .map(|(i, n)| p.add_vm(f, i, facts(n)))
                .collect();
            let plan = p.finish(None);
            assert_eq!(plan.state.macs.len(), 3 * usize::from(record));
            // No provisional MAC: each VM changed, and the plan gives it its own first
            // candidate, and how it was found (the resolution names the key).
            for (id, n) in ids.into_iter().zip(["a", "b", "c"]) {
                let a = plan.assigned(id).unwrap_or_default();
                let want = mac::candidate(&format!("ns/{n}/eth0"), 0);
                assert_eq!(
                    a.macs,
                    vec![(0, want, AssignedMac::Derived(mac::How::Round(0)))]
                );
            }
        }
    }
}
